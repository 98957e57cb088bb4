#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nudges/assignment.hpp"
#include "nudges/planner.hpp"

namespace headroom::nudges {
namespace {

using forecast::make_date;
using forecast::Money;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm = 0) {
  return sys_seconds{sys_days{make_date(y, m, d)}} + hours{hh} + minutes{mm};
}

const date::time_zone* zone(const char* name) {
  const date::time_zone* z = find_time_zone(name);
  EXPECT_NE(z, nullptr) << name;
  return z;
}

// An account id that the default experiment puts in the treatment arm (or holdout).
std::string account_in(Arm arm) {
  for (int i = 0;; ++i) {
    std::string id = "acct-" + std::to_string(i);
    if (in_holdout("default", id, 0.10) == (arm == Arm::kHoldout)) return id;
  }
}

struct PlannerTest : ::testing::Test {
  Policy policy = [] {
    Policy p;
    p.name = "default";
    p.variants.push_back(default_copy_variant());
    return p;
  }();
  ForecastSummary forecast = [] {
    ForecastSummary f;
    f.as_of = make_date(2026, 3, 10);
    f.window_probability = 0.8;
    f.first_risky_day = make_date(2026, 3, 13);
    f.expected_shortfall = Money::from_cents(12000);
    return f;
  }();
  AccountContact account = [] {
    AccountContact a;
    a.account_id = account_in(Arm::kTreatment);
    a.time_zone = find_time_zone("America/New_York");
    a.email = "someone@example.com";
    a.email_consent = true;
    return a;
  }();
  std::vector<PastNudge> past;
  // 11:00 EDT, well outside the default quiet hours 21:00-08:00.
  sys_seconds now = at(2026, 3, 10, 15);

  std::vector<ExperimentHoldout> holdouts;
  std::vector<Decision> run() { return plan(forecast, policy, account, past, now, holdouts); }

  // Reasons found before the channels give one channel-less decision; the
  // others one decision per channel, in the policy's order.
  void expect_all(Outcome outcome, Reason reason) {
    const auto decisions = run();
    const bool before_channels = reason == Reason::kPolicyInactive || reason == Reason::kBufferMismatch ||
                                 reason == Reason::kBelowThreshold || reason == Reason::kLowConfidence ||
                                 reason == Reason::kOutsideLeadTime || reason == Reason::kOptedOut ||
                                 reason == Reason::kHeldOutElsewhere;
    ASSERT_EQ(decisions.size(), before_channels ? 1u : policy.channels.size());
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      const auto& d = decisions[i];
      const std::string channel = d.channel ? std::string(to_string(*d.channel)) : "(none)";
      if (before_channels) EXPECT_FALSE(d.channel.has_value()) << channel;
      else EXPECT_EQ(d.channel, policy.channels[i]);
      EXPECT_EQ(d.outcome, outcome) << channel;
      EXPECT_EQ(d.reason, reason) << channel << " got " << to_string(d.reason);
    }
  }
};

TEST_F(PlannerTest, SendsOnEveryChannelWhenTheRiskyDayIsWithinTheLeadTime) {
  const auto decisions = run();
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0].channel, Channel::kInApp);
  EXPECT_EQ(decisions[1].channel, Channel::kEmail);
  for (const auto& d : decisions) {
    EXPECT_EQ(d.outcome, Outcome::kSend);
    EXPECT_EQ(d.reason, Reason::kNone);
    EXPECT_EQ(d.arm, Arm::kTreatment);
    EXPECT_EQ(d.risky_day, make_date(2026, 3, 13));
    EXPECT_EQ(d.lead_time_days, 3);
    EXPECT_FALSE(d.deferred_until.has_value());
  }
}

TEST_F(PlannerTest, SuppressesBelowTheRiskThresholdAndSendsAtIt) {
  forecast.window_probability = 0.4999;
  expect_all(Outcome::kSuppressed, Reason::kBelowThreshold);
  forecast.window_probability = 0.5;
  expect_all(Outcome::kSend, Reason::kNone);
  policy.risk_threshold = 0.9;
  forecast.window_probability = 0.85;
  expect_all(Outcome::kSuppressed, Reason::kBelowThreshold);
}

TEST_F(PlannerTest, TreatsAForecastWithoutARiskyDayAsBelowThreshold) {
  forecast.first_risky_day.reset();
  expect_all(Outcome::kSuppressed, Reason::kBelowThreshold);
}

TEST_F(PlannerTest, SendsOnlyWhenTheRiskyDayIsOneToFiveDaysAhead) {
  struct Case {
    forecast::Date risky_day;
    Reason expected;
  };
  const Case cases[] = {
      {make_date(2026, 3, 9), Reason::kOutsideLeadTime},   // already past
      {make_date(2026, 3, 10), Reason::kOutsideLeadTime},  // today: too late for lead time 1
      {make_date(2026, 3, 11), Reason::kNone},               // 1 day
      {make_date(2026, 3, 15), Reason::kNone},               // 5 days
      {make_date(2026, 3, 16), Reason::kOutsideLeadTime},  // 6 days: too early
  };
  for (const auto& c : cases) {
    forecast.first_risky_day = c.risky_day;
    const auto decisions = run();
    EXPECT_EQ(decisions[0].reason, c.expected) << forecast::to_iso_string(c.risky_day);
  }
}

TEST_F(PlannerTest, CountsLeadTimeFromTheAccountsLocalDate) {
  policy.quiet_hours.reset();
  // 2026-03-11 01:00 UTC is still 2026-03-10 (21:00 EDT) in New York.
  now = at(2026, 3, 11, 1);
  forecast.first_risky_day = make_date(2026, 3, 11);
  auto decisions = run();
  EXPECT_EQ(decisions[0].lead_time_days, 1);
  EXPECT_EQ(decisions[0].outcome, Outcome::kSend);
  // In Tokyo it is already 2026-03-11 10:00: the risky day is today.
  account.time_zone = zone("Asia/Tokyo");
  decisions = run();
  EXPECT_EQ(decisions[0].lead_time_days, 0);
  EXPECT_EQ(decisions[0].reason, Reason::kOutsideLeadTime);
}

TEST_F(PlannerTest, SuppressesAnInactivePolicyAndOneOutsideItsActiveWindow) {
  policy.active = false;
  expect_all(Outcome::kSuppressed, Reason::kPolicyInactive);
  policy.active = true;
  policy.active_from = now + hours{1};
  expect_all(Outcome::kSuppressed, Reason::kPolicyInactive);
  policy.active_from = now;
  expect_all(Outcome::kSend, Reason::kNone);
  policy.active_to = now;  // [from, to): the end is exclusive
  expect_all(Outcome::kSuppressed, Reason::kPolicyInactive);
}

TEST_F(PlannerTest, SuppressesAForecastComputedForAnotherBuffer) {
  policy.buffer = Money::from_cents(5000);
  expect_all(Outcome::kSuppressed, Reason::kBufferMismatch);
  forecast.buffer = Money::from_cents(5000);
  expect_all(Outcome::kSend, Reason::kNone);
}

TEST_F(PlannerTest, SuppressesColdStartAndLowConfidenceModelsUnlessAllowed) {
  forecast.cold_start = true;
  expect_all(Outcome::kSuppressed, Reason::kLowConfidence);
  forecast.cold_start = false;
  forecast.low_confidence = true;
  expect_all(Outcome::kSuppressed, Reason::kLowConfidence);
  policy.allow_low_confidence = true;
  expect_all(Outcome::kSend, Reason::kNone);
}

TEST_F(PlannerTest, SuppressesEveryChannelForAnAccountThatOptedOut) {
  account.opted_out_at = now - hours{24};
  expect_all(Outcome::kSuppressed, Reason::kOptedOut);
}

// Another experiment's holdout is its counterfactual: no other policy may
// nudge it, in either of its own arms, unless it says it may.
TEST_F(PlannerTest, LeavesAnotherExperimentsHoldoutAloneUnlessThePolicyMayNudgeIt) {
  // Accounts in this policy's treatment arm, in and out of payday-gap's holdout.
  std::string in_other_holdout, in_other_treatment;
  for (int i = 0; in_other_holdout.empty() || in_other_treatment.empty(); ++i) {
    const std::string id = "acct-" + std::to_string(i);
    if (in_holdout("default", id, 0.10)) continue;
    (in_holdout("payday-gap", id, 0.3) ? in_other_holdout : in_other_treatment) = id;
  }
  holdouts = {{"default", 0.10}, {"payday-gap", 0.3}};
  account.account_id = in_other_holdout;
  expect_all(Outcome::kSuppressed, Reason::kHeldOutElsewhere);

  account.account_id = in_other_treatment;
  expect_all(Outcome::kSend, Reason::kNone);

  policy.nudge_other_holdouts = true;
  account.account_id = in_other_holdout;
  expect_all(Outcome::kSend, Reason::kNone);

  // The policy's own experiment is never "elsewhere".
  policy.nudge_other_holdouts = false;
  policy.experiment = "payday-gap";
  policy.holdout_share = 0.3;
  EXPECT_EQ(run().front().outcome, Outcome::kHoldout);
}

TEST(HoldoutsInForce, OneEntryPerExperimentAndShareOfThePoliciesInForce) {
  Policy a, b, c, d;
  a.experiment = "x";
  b.experiment = "x";
  c.experiment = "y";
  c.active = false;
  d.experiment = "z";
  d.holdout_share = 0;
  const std::vector<Policy> policies{a, b, c, d};
  EXPECT_EQ(holdouts_in_force(policies, sys_seconds{}), (std::vector<ExperimentHoldout>{{"x", 0.10}}));
}

TEST_F(PlannerTest, SuppressesEmailWithoutAnAddressOrConsentButStillSendsInApp) {
  account.email_consent = false;
  auto decisions = run();
  EXPECT_EQ(decisions[0].outcome, Outcome::kSend);
  EXPECT_EQ(decisions[1].reason, Reason::kNoContact);
  account.email_consent = true;
  account.email.clear();
  decisions = run();
  EXPECT_EQ(decisions[0].outcome, Outcome::kSend);
  EXPECT_EQ(decisions[1].reason, Reason::kNoContact);
}

TEST_F(PlannerTest, SuppressesAChannelAlreadyNudgedForThisRiskyDay) {
  past.push_back({"default", make_date(2026, 3, 13), Channel::kEmail, now - hours{24}, true});
  const auto decisions = run();
  EXPECT_EQ(decisions[0].outcome, Outcome::kSend);  // in-app not yet: same episode, not capped
  EXPECT_EQ(decisions[1].reason, Reason::kAlreadyNudged);
}

TEST_F(PlannerTest, AnotherPolicysNudgeForTheSameDayIsNotAlreadyNudged) {
  policy.global_cap.max_nudges = 5;
  past.push_back({"payday", make_date(2026, 3, 13), Channel::kEmail, now - hours{24}, true});
  expect_all(Outcome::kSend, Reason::kNone);
}

TEST_F(PlannerTest, CapsOneEpisodePerSevenDaysPerPolicy) {
  // An episode for an earlier risky day, on both channels: counts once.
  past.push_back({"default", make_date(2026, 3, 6), Channel::kInApp, now - hours{24 * 6}, true});
  past.push_back({"default", make_date(2026, 3, 6), Channel::kEmail, now - hours{24 * 6}, true});
  expect_all(Outcome::kSuppressed, Reason::kFrequencyCap);
  // Seven full days later the window has passed (the window is (now - 7d, now]).
  past[0].decided_at = past[1].decided_at = now - hours{24 * 7};
  expect_all(Outcome::kSend, Reason::kNone);
}

TEST_F(PlannerTest, CountsEpisodesAcrossRiskyDaysAgainstAHigherCap) {
  policy.frequency_cap = {2, 14};
  policy.global_cap = {5, 14};
  past.push_back({"default", make_date(2026, 3, 2), Channel::kEmail, now - hours{24 * 10}, true});
  past.push_back({"default", make_date(2026, 3, 2), Channel::kInApp, now - hours{24 * 10}, true});
  expect_all(Outcome::kSend, Reason::kNone);  // one episode of two allowed
  past.push_back({"default", make_date(2026, 3, 7), Channel::kInApp, now - hours{24 * 4}, true});
  expect_all(Outcome::kSuppressed, Reason::kFrequencyCap);
}

TEST_F(PlannerTest, CountsHoldoutWouldHaveSentAgainstThePolicysOwnCap) {
  // Keeps both arms under the same rules, so the holdout comparison is fair.
  past.push_back({"default", make_date(2026, 3, 6), Channel::kInApp, now - hours{48}, false});
  expect_all(Outcome::kSuppressed, Reason::kFrequencyCap);
}

TEST_F(PlannerTest, AppliesTheGlobalCapToDeliveredNudgesOfAllPolicies) {
  past.push_back({"payday", make_date(2026, 3, 8), Channel::kEmail, now - hours{48}, true});
  expect_all(Outcome::kSend, Reason::kNone);  // 1 of 2
  past.push_back({"bill-reminder", make_date(2026, 3, 9), Channel::kInApp, now - hours{30}, true});
  expect_all(Outcome::kSuppressed, Reason::kGlobalCap);
  // Would-have-sent decisions never reached the customer: not counted globally.
  past.back().delivered = false;
  expect_all(Outcome::kSend, Reason::kNone);
}

TEST_F(PlannerTest, FrequencyCapTakesPrecedenceOverGlobalCap) {
  past.push_back({"default", make_date(2026, 3, 6), Channel::kInApp, now - hours{48}, true});
  past.push_back({"payday", make_date(2026, 3, 8), Channel::kEmail, now - hours{48}, true});
  expect_all(Outcome::kSuppressed, Reason::kFrequencyCap);
}

TEST_F(PlannerTest, ShadowPolicyDecidesButSendsNothing) {
  policy.shadow = true;
  expect_all(Outcome::kSuppressed, Reason::kShadow);
}

TEST_F(PlannerTest, HoldoutAccountsGetWouldHaveSentAfterTheSameSuppressions) {
  account.account_id = account_in(Arm::kHoldout);
  expect_all(Outcome::kHoldout, Reason::kNone);
  for (const auto& d : run()) EXPECT_EQ(d.arm, Arm::kHoldout);
  account.email_consent = false;
  const auto decisions = run();
  EXPECT_EQ(decisions[0].outcome, Outcome::kHoldout);
  EXPECT_EQ(decisions[1].reason, Reason::kNoContact);
  EXPECT_EQ(decisions[1].arm, Arm::kHoldout);
}

TEST_F(PlannerTest, RecordsTheArmEvenOnSuppressedDecisions) {
  account.account_id = account_in(Arm::kHoldout);
  forecast.window_probability = 0.1;
  for (const auto& d : run()) {
    EXPECT_EQ(d.arm, Arm::kHoldout);
    EXPECT_EQ(d.reason, Reason::kBelowThreshold);
  }
}

TEST_F(PlannerTest, DefersANudgeDueInQuietHoursUntilTheyEnd) {
  now = at(2026, 3, 11, 2);  // 22:00 EDT on 2026-03-10
  const auto decisions = run();
  for (const auto& d : decisions) {
    EXPECT_EQ(d.outcome, Outcome::kSuppressed);
    EXPECT_EQ(d.reason, Reason::kQuietHours);
    ASSERT_TRUE(d.deferred_until.has_value());
    EXPECT_EQ(*d.deferred_until, at(2026, 3, 11, 12));  // 08:00 EDT
  }
}

TEST_F(PlannerTest, QuietHoursFollowEachAccountsTimeZone) {
  policy.lead_time_max_days = 10;
  now = at(2026, 3, 10, 13);
  struct Case {
    const char* zone;
    std::optional<sys_seconds> deferred_until;
  };
  const Case cases[] = {
      {"America/New_York", std::nullopt},                  // 09:00 EDT
      {"America/Los_Angeles", at(2026, 3, 10, 15)},        // 06:00 PDT -> 08:00 PDT
      {"Asia/Tokyo", at(2026, 3, 10, 23)},                 // 22:00 JST -> 08:00 JST next day
      {"Europe/London", std::nullopt},                     // 13:00 GMT
      {"Asia/Kolkata", std::nullopt},                      // 18:30 IST
      {"Australia/Sydney", at(2026, 3, 10, 21)},           // 00:00 AEDT -> 08:00 AEDT
  };
  for (const auto& c : cases) {
    account.time_zone = zone(c.zone);
    const auto d = run()[0];
    EXPECT_EQ(d.deferred_until, c.deferred_until) << c.zone;
    EXPECT_EQ(d.reason, c.deferred_until ? Reason::kQuietHours : Reason::kNone) << c.zone;
  }
}

TEST(QuietHours, EndAtLocalEightOnTheSpringForwardNight) {
  // 2026-03-08 01:30 EST; clocks jump 02:00 -> 03:00, so 08:00 EDT is 12:00 UTC,
  // 5.5 real hours away rather than 6.5.
  const auto end = quiet_hours_end({minutes{21 * 60}, minutes{8 * 60}}, find_time_zone("America/New_York"),
                                   at(2026, 3, 8, 6, 30));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, at(2026, 3, 8, 12));
}

TEST(QuietHours, EndAtLocalEightOnTheFallBackNight) {
  // 2026-11-01 01:30 EDT; clocks fall back 02:00 -> 01:00, 08:00 EST is 13:00 UTC.
  const auto end = quiet_hours_end({minutes{21 * 60}, minutes{8 * 60}}, find_time_zone("America/New_York"),
                                   at(2026, 11, 1, 5, 30));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, at(2026, 11, 1, 13));
}

TEST(QuietHours, EndingInsideTheSpringForwardGapEndsWhenTheGapEnds) {
  // Quiet until 02:30, a time that does not exist on 2026-03-08 in New York.
  const auto end = quiet_hours_end({minutes{22 * 60}, minutes{2 * 60 + 30}}, find_time_zone("America/New_York"),
                                   at(2026, 3, 8, 6));  // 01:00 EST
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, at(2026, 3, 8, 7));  // 03:00 EDT, the first instant after the gap
}

TEST(QuietHours, EndingInTheRepeatedHourUsesTheOccurrenceStillAhead) {
  const QuietHours quiet{minutes{22 * 60}, minutes{90}};  // 22:00-01:30
  const auto* ny = find_time_zone("America/New_York");
  // 01:10 EDT (first pass): ends at 01:30 EDT = 05:30 UTC.
  EXPECT_EQ(quiet_hours_end(quiet, ny, at(2026, 11, 1, 5, 10)), at(2026, 11, 1, 5, 30));
  // 01:10 EST (second pass): the wall clock is in quiet hours again; ends 01:30 EST.
  EXPECT_EQ(quiet_hours_end(quiet, ny, at(2026, 11, 1, 6, 10)), at(2026, 11, 1, 6, 30));
}

TEST(QuietHours, SameDayWindowsAndTheEdgesAreHalfOpen) {
  const QuietHours lunch{minutes{12 * 60}, minutes{13 * 60}};
  EXPECT_FALSE(quiet_hours_end(lunch, nullptr, at(2026, 5, 5, 11, 59)).has_value());
  EXPECT_EQ(quiet_hours_end(lunch, nullptr, at(2026, 5, 5, 12)), at(2026, 5, 5, 13));
  EXPECT_FALSE(quiet_hours_end(lunch, nullptr, at(2026, 5, 5, 13)).has_value());
  const QuietHours night{minutes{21 * 60}, minutes{8 * 60}};
  EXPECT_EQ(quiet_hours_end(night, nullptr, at(2026, 5, 5, 21)), at(2026, 5, 6, 8));
  EXPECT_EQ(quiet_hours_end(night, nullptr, at(2026, 5, 6, 7, 59)), at(2026, 5, 6, 8));
}

TEST(Assignment, HoldoutShareIsWithinOnePercentagePointOnAHundredThousandAccounts) {
  for (double share : {0.10, 0.25, 0.5}) {
    int held = 0;
    for (int i = 0; i < 100000; ++i) held += in_holdout("default", "acct-" + std::to_string(i), share);
    EXPECT_NEAR(held / 100000.0, share, 0.01) << share;
  }
}

TEST(Assignment, HoldoutShareHoldsForUuidLikeIdsAndAnotherExperiment) {
  int held = 0;
  char id[40];
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(id, sizeof id, "%08x-4b1c-9e21-%012d", i * 2654435761u, i);
    held += in_holdout("spring-2026", id, 0.10);
  }
  EXPECT_NEAR(held / 100000.0, 0.10, 0.01);
}

TEST(Assignment, HashesArePinnedSoAssignmentIsStableAcrossRunsAndPlatforms) {
  // FNV-1a 64 of the empty string and of "a" (published test vectors).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  // Pinned: changing these reassigns every account of every running experiment.
  EXPECT_EQ(assignment_hash("holdout", "default", "acct-0"), 0x227ed8033c906dd8ULL);
  EXPECT_EQ(assignment_hash("holdout", "default", "acct-1"), 0xeaad001a14096699ULL);
  EXPECT_EQ(assignment_hash("variant", "spring-2026", "0001-ABC"), 0x001c19041cba61f6ULL);
}

TEST(Assignment, MovingTheHoldoutShareOnlyMovesAccountsBetweenTheShares) {
  for (int i = 0; i < 10000; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    if (in_holdout("default", id, 0.05)) {
      EXPECT_TRUE(in_holdout("default", id, 0.10)) << id;
    }
  }
}

TEST(Assignment, VariantsAreChosenByWeight) {
  const double weights[] = {1.0, 3.0, 0.0};
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 100000; ++i) ++counts[choose_variant("default", "acct-" + std::to_string(i), weights)];
  EXPECT_NEAR(counts[0] / 100000.0, 0.25, 0.01);
  EXPECT_NEAR(counts[1] / 100000.0, 0.75, 0.01);
  EXPECT_EQ(counts[2], 0);
}

TEST(Assignment, VariantDrawIsIndependentOfTheHoldoutDraw) {
  // Among holdout accounts, variants keep their weights (no correlation).
  const double weights[] = {1.0, 1.0};
  int held = 0, first = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    if (!in_holdout("default", id, 0.10)) continue;
    ++held;
    first += choose_variant("default", id, weights) == 0;
  }
  EXPECT_NEAR(static_cast<double>(first) / held, 0.5, 0.02);
}

TEST_F(PlannerTest, PicksTheSameVariantForAnAccountEveryTime) {
  policy.variants.push_back(default_copy_variant());
  policy.variants.back().name = "b";
  const auto first = run()[0].variant_index;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(run()[0].variant_index, first);
}

TEST(DedupeKey, JoinsAccountPolicyRiskyDayAndChannelWithUnitSeparators) {
  EXPECT_EQ(dedupe_key("acct-1", "default", make_date(2026, 3, 13), Channel::kEmail),
            std::string("acct-1\x1f" "default\x1f" "2026-03-13\x1f" "email"));
}

TEST_F(PlannerTest, ExplainsTheDecisionWithTheNumbersItUsed) {
  past.push_back({"default", make_date(2026, 3, 6), Channel::kInApp, now - hours{48}, true});
  const auto d = run()[0];
  const std::string text = explain(d, forecast, policy);
  EXPECT_NE(text.find("P(below 0.00) = 0.800 vs threshold 0.500"), std::string::npos) << text;
  EXPECT_NE(text.find("first risky day 2026-03-13 in 3 days (lead time 1-5)"), std::string::npos) << text;
  EXPECT_NE(text.find("frequency cap 1 per 7 days reached"), std::string::npos) << text;
}

}  // namespace
}  // namespace headroom::nudges
