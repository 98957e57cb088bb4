// The rules that turn an experiment's rows into the analysis' inputs
// (measurement/outcomes.hpp), on hand-made rows with real calendar dates.
#include "measurement/outcomes.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nudges/assignment.hpp"
#include "nudges/templates.hpp"

namespace headroom::measurement {
namespace {

using forecast::Date;
using forecast::make_date;
using forecast::Money;
using forecast::Transaction;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr const char* kExperiment = "exp-a";
// Two weeks from a Monday, the experiment's start.
const ExperimentPeriod kPeriod{make_date(2026, 3, 2), make_date(2026, 3, 16), make_date(2026, 3, 2)};

Transaction txn(Date posted_at, std::int64_t cents, std::string description = "", std::string kind = "") {
  static int n = 0;
  return {"acct", "t" + std::to_string(n++), posted_at, Money::from_cents(cents), std::nullopt,
          std::move(description), std::move(kind)};
}

// The first account id the assignment hash puts in the wanted arm at a 50% share.
std::string id_in(Arm arm, const std::string& prefix = "acct-") {
  for (int k = 0;; ++k) {
    const std::string id = prefix + std::to_string(k);
    if (nudges::in_holdout(kExperiment, id, 0.5) == (arm == Arm::kHoldout)) return id;
  }
}

PolicyRecord policy(const std::string& name, double risk_threshold, double holdout_share = 0.5,
                    const std::string& experiment = kExperiment) {
  nudges::Policy p;
  p.name = name;
  p.experiment = experiment;
  p.risk_threshold = risk_threshold;
  p.holdout_share = holdout_share;
  // As a parsed policy always has: one variant, the one decision() names.
  p.variants = {nudges::default_copy_variant()};
  p.variants.front().name = "gentle";
  return {name, p, ""};
}

DecisionRow decision(const std::string& account, Date as_of, Arm arm, double p, std::string_view outcome = "send",
                     std::string_view reason = "none", std::string_view policy_name = "exp-policy") {
  DecisionRow r;
  r.account_id = account;
  r.as_of = as_of;
  r.arm = arm;
  r.policy = policy_name;
  r.outcome = outcome;
  r.reason = reason;
  r.variant = "gentle";
  r.window_probability = p;
  return r;
}

// The message of the std::invalid_argument that `f` throws.
template <class F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no invalid_argument";
}

OutcomeRules rules(int horizon_days = 3) {
  OutcomeRules r;
  r.horizon_days = horizon_days;
  return r;
}

ExperimentOutcomes outcomes(const std::vector<PolicyRecord>& policies = {policy("exp-policy", 0.4)},
                            ExperimentPeriod period = kPeriod) {
  return ExperimentOutcomes(kExperiment, period, rules(), policies);
}

// One account through the whole fold: its decisions, then its transactions.
AccountOutcome measure(const std::vector<Transaction>& history, ExperimentPeriod period = kPeriod) {
  auto o = outcomes({policy("exp-policy", 0.4)}, period);
  const std::string id = id_in(Arm::kTreatment);
  o.add_decision(decision(id, period.from, Arm::kTreatment, 0.1));
  o.add_history(id, history);
  const auto in = std::move(o).finish();
  return in.accounts.at(0);
}

TEST(OutcomeBands, BalanceBandsHaveTheDocumentedEdges) {
  const struct {
    double mean_cents;
    const char* band;
  } cases[] = {{-1, "<0"}, {-0.5, "<0"}, {0, "0-500"}, {49999, "0-500"}, {50000, "500-2k"},
               {199999.5, "500-2k"}, {200000, "2k+"}, {1e9, "2k+"}};
  for (const auto& c : cases) EXPECT_EQ(balance_band(c.mean_cents), c.band) << c.mean_cents;
}

TEST(OutcomeBands, TenureBandsCountDaysFromTheFirstTransaction) {
  const Date from = make_date(2026, 3, 2);
  const struct {
    Date first_transaction;
    const char* band;
  } cases[] = {{make_date(2026, 3, 1), "<6m"},    {make_date(2025, 9, 1), "<6m"},     // 1, 182 days
               {make_date(2025, 8, 31), "6-12m"}, {make_date(2025, 3, 3), "6-12m"},  // 183, 364 days
               {make_date(2025, 3, 2), "1y+"},    {make_date(2020, 1, 1), "1y+"}};   // 365 days, years
  for (const auto& c : cases)
    EXPECT_EQ(tenure_band(forecast::days_between(c.first_transaction, from)), c.band)
        << forecast::to_iso_string(c.first_transaction);
}

TEST(FeeClassification, KindAndDescriptionDecideCaseAndPaddingAside) {
  const FeeClassifier fees{FeeRules{}};
  const struct {
    const char* kind;
    const char* description;
    FeeClass expected;
  } cases[] = {
      {"fee", "OVERDRAFT FEE", FeeClass::kOverdraftFee},
      {" FEE ", "Insufficient Funds Fee For A Item", FeeClass::kOverdraftFee},
      {"Fee", "NSF ITEM", FeeClass::kOverdraftFee},
      {"fee", "OD FEE 03/03", FeeClass::kOverdraftFee},
      {"fee", "MONTHLY SERVICE FEE", FeeClass::kFee},
      {"deposit", "OVERDRAFT FEE", FeeClass::kNotAFee},  // the kind decides, not the text
      {"", "OVERDRAFT FEE", FeeClass::kNotAFee},
      {"fees", "OVERDRAFT FEE", FeeClass::kNotAFee},  // whole kinds only
  };
  for (const auto& c : cases)
    EXPECT_EQ(fees.classify(txn(make_date(2026, 3, 3), -3500, c.description, c.kind)), c.expected)
        << c.kind << " / " << c.description;
}

TEST(FeeClassification, TheBanksOwnKindsAndWordsAreComparedInLowerCase) {
  const FeeClassifier fees{FeeRules{{" SVC ", "charge"}, {" Returned Item ", ""}}};
  EXPECT_EQ(fees.classify(txn(make_date(2026, 3, 3), -100, "RETURNED ITEM CHARGE", "svc")), FeeClass::kOverdraftFee);
  EXPECT_EQ(fees.classify(txn(make_date(2026, 3, 3), -100, "WIRE CHARGE", "Charge")), FeeClass::kFee);  // "" matches nothing
  EXPECT_EQ(fees.classify(txn(make_date(2026, 3, 3), -100, "OVERDRAFT FEE", "fee")), FeeClass::kNotAFee);
}

TEST(ExperimentPeriodDefaults, EachEndDefaultsToTheDecisions) {
  const Date first = make_date(2026, 3, 2), last = make_date(2026, 3, 14);
  const auto both = experiment_period(std::nullopt, std::nullopt, first, last);
  EXPECT_EQ(both.from, first);
  EXPECT_EQ(both.to, make_date(2026, 3, 15));
  const auto asked = experiment_period(make_date(2026, 3, 9), make_date(2026, 3, 16), first, last);
  EXPECT_EQ(asked.from, make_date(2026, 3, 9));
  EXPECT_EQ(asked.to, make_date(2026, 3, 16));
  // The experiment starts at its first decision, whatever the period asked for.
  EXPECT_EQ(both.experiment_start(), first);
  EXPECT_EQ(asked.experiment_start(), first);
  const DateRange pre = pre_period_window(asked, 8);
  EXPECT_EQ(pre.from, make_date(2026, 1, 5));
  EXPECT_EQ(pre.to, first);
  EXPECT_EQ(ExperimentPeriod({make_date(2026, 3, 9), make_date(2026, 3, 16), std::nullopt}).experiment_start(),
            make_date(2026, 3, 9));
}

TEST(ExperimentPeriodDefaults, AnEmptyPeriodIsRefusedByItsDates) {
  EXPECT_EQ(invalid_argument_of([] {
              experiment_period(make_date(2026, 3, 15), std::nullopt, make_date(2026, 3, 2), make_date(2026, 3, 14));
            }),
            "the period is empty: --to 2026-03-15 is not after --from 2026-03-15");
}

TEST(OutcomeRulesCheck, AHorizonBelowOneDayOrANegativePrePeriodIsRefused) {
  OutcomeRules r;
  r.horizon_days = 0;
  EXPECT_EQ(invalid_argument_of([&] { check_outcome_rules(r); }), "horizon_days must be at least 1");
  r.horizon_days = 1;
  r.pre_period_weeks = -1;
  EXPECT_EQ(invalid_argument_of([&] { (void)ExperimentOutcomes(kExperiment, kPeriod, r, {}); }),
            "pre_period_weeks must not be negative");
}

TEST(AccountOutcomes, TheWorkedExampleCountsWeeksDaysFeesAndSegments) {
  // Overdrawn 2026-02-10..11 (pre-period) and 2026-03-03..04 (week one).
  const AccountOutcome o = measure({
      txn(make_date(2026, 1, 1), 10000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 2, 10), -15000, "RENT"),
      txn(make_date(2026, 2, 12), 20000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 3, 3), -20000, "RENT"),
      txn(make_date(2026, 3, 3), -3500, "OVERDRAFT FEE", "fee"),
      txn(make_date(2026, 3, 5), 30000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 3, 10), -500, "MONTHLY SERVICE FEE", "Fee"),
  });
  EXPECT_EQ(o.weeks, 2);
  EXPECT_EQ(o.overdraft_weeks, 1);
  EXPECT_EQ(o.overdraft_days, 2);
  EXPECT_THAT(o.weekly_overdrawn, ElementsAre(1, 0));
  EXPECT_EQ(o.overdraft_fee_cents, 3500);
  EXPECT_EQ(o.total_fee_cents, 4000);
  EXPECT_EQ(o.pre_weeks, 8);
  EXPECT_EQ(o.pre_overdraft_weeks, 1);
  EXPECT_EQ(o.pre_overdraft_days, 2);
  EXPECT_EQ(o.balance_band, "0-500");
  EXPECT_EQ(o.tenure_band, "<6m");
}

// `--from` a week into the experiment: the week [03-02, 03-09) was already
// nudged, so it is neither outcome (before `from`) nor covariate (after the
// start); the covariates and the balance band are the eight weeks before
// 03-02, as for the whole experiment.
TEST(AccountOutcomes, AFromInsideTheExperimentKeepsTheCovariatesAndSegmentsBeforeItsStart) {
  const ExperimentPeriod late{make_date(2026, 3, 9), make_date(2026, 3, 16), make_date(2026, 3, 2)};
  const std::vector<Transaction> history{
      txn(make_date(2026, 1, 1), 10000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 2, 10), -15000, "RENT"),  // overdrawn 02-10..11: pre-period
      txn(make_date(2026, 2, 12), 15000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 3, 3), -300000, "RENT"),  // deep below zero 03-03..04: nudged, before `from`
      txn(make_date(2026, 3, 5), 300000, "PAYROLL ACME", "deposit"),
      txn(make_date(2026, 3, 10), -15000, "RENT"),  // overdrawn 03-10..: the outcome
  };
  const AccountOutcome o = measure(history, late);
  EXPECT_EQ(o.weeks, 1);
  EXPECT_EQ(o.overdraft_weeks, 1);
  EXPECT_EQ(o.pre_weeks, 8);
  EXPECT_EQ(o.pre_overdraft_weeks, 1);
  EXPECT_EQ(o.pre_overdraft_days, 2);
  EXPECT_EQ(o.balance_band, "0-500");  // the nudged week's -2,900.00 would make it "<0"
  EXPECT_EQ(o.tenure_band, "<6m");

  auto fold = outcomes({policy("exp-policy", 0.4)}, late);
  const std::string id = id_in(Arm::kTreatment);
  fold.add_decision(decision(id, late.from, Arm::kTreatment, 0.1));
  fold.add_history(id, history);
  const ExperimentInputs in = std::move(fold).finish();
  EXPECT_EQ(in.experiment_start, make_date(2026, 3, 2));
  EXPECT_EQ(in.pre_period.from, make_date(2026, 1, 5));
  EXPECT_EQ(in.pre_period.to, make_date(2026, 3, 2));
}

TEST(AccountOutcomes, WeeksStartAtFromAndTheLastMayBeShort) {
  const struct {
    const char* name;
    ExperimentPeriod period;
    Date overdrawn_from;  // a debit takes the balance below zero that day
    std::optional<Date> back_above;
    std::vector<std::uint8_t> weekly;
    int days;
  } cases[] = {
      {"midweek", kPeriod, make_date(2026, 3, 3), make_date(2026, 3, 5), {1, 0}, 2},
      {"sunday into monday", kPeriod, make_date(2026, 3, 8), make_date(2026, 3, 10), {1, 1}, 2},
      {"to the end", kPeriod, make_date(2026, 3, 14), std::nullopt, {0, 1}, 2},
      {"after the end", kPeriod, make_date(2026, 3, 16), std::nullopt, {0, 0}, 0},
      {"short last week", {make_date(2026, 3, 2), make_date(2026, 3, 12), std::nullopt}, make_date(2026, 3, 11),
       std::nullopt, {0, 1}, 1},
  };
  for (const auto& c : cases) {
    std::vector<Transaction> h{txn(make_date(2026, 1, 1), 10000)};
    h.push_back(txn(c.overdrawn_from, -15000));
    if (c.back_above) h.push_back(txn(*c.back_above, 20000));
    const AccountOutcome o = measure(h, c.period);
    EXPECT_EQ(o.weekly_overdrawn, c.weekly) << c.name;
    EXPECT_EQ(o.overdraft_days, c.days) << c.name;
    EXPECT_EQ(o.weeks, static_cast<int>(c.weekly.size())) << c.name;
  }
}

TEST(AccountOutcomes, DaysBeforeTheFirstTransactionAreNotObserved) {
  // History starts on Wednesday of week two: week one is not observed.
  const AccountOutcome o = measure({txn(make_date(2026, 3, 11), -100)});
  EXPECT_EQ(o.weeks, 1);
  EXPECT_EQ(o.overdraft_weeks, 1);
  EXPECT_THAT(o.weekly_overdrawn, ElementsAre(0, 1));
  EXPECT_EQ(o.pre_weeks, 0);
  EXPECT_EQ(o.balance_band, "no history");
}

// An account last seen overdrawn early in an eight-week period used to count
// as overdrawn every week after; silent for more than kSilentDays before the
// end, it is closed at its last transaction. A quiet live account is not.
TEST(AccountOutcomes, AnAccountSilentSinceLongBeforeTheEndStopsAtItsLastTransaction) {
  const ExperimentPeriod eight_weeks{make_date(2026, 3, 2), make_date(2026, 4, 27), make_date(2026, 3, 2)};
  auto o = outcomes({policy("exp-policy", 0.4)}, eight_weeks);
  const std::string closed = id_in(Arm::kTreatment, "closed-");
  const std::string quiet = id_in(Arm::kTreatment, "quiet-");
  for (const auto& id : {closed, quiet}) o.add_decision(decision(id, eight_weeks.from, Arm::kTreatment, 0.1));
  o.add_history(closed, {txn(make_date(2026, 1, 1), 10000), txn(make_date(2026, 3, 5), -131017)});
  // Last posting 27 days before the end: within kSilentDays, observed to the end.
  o.add_history(quiet, {txn(make_date(2026, 1, 1), 10000), txn(make_date(2026, 3, 31), -500)});
  const auto in = std::move(o).finish();
  ASSERT_EQ(in.accounts.size(), 2u);
  const auto& c = in.accounts[0].account_id == closed ? in.accounts[0] : in.accounts[1];
  const auto& q = in.accounts[0].account_id == closed ? in.accounts[1] : in.accounts[0];
  EXPECT_EQ(c.weeks, 1);
  EXPECT_EQ(c.overdraft_weeks, 1);
  EXPECT_EQ(c.overdraft_days, 1);
  EXPECT_EQ(q.weeks, 8);
  EXPECT_EQ(in.accounts_closed, 1u);
  EXPECT_THAT(in.notes, ::testing::Contains(HasSubstr("1 accounts posted nothing in the last 28+ days")));
}

TEST(AccountOutcomes, OnlyDebitsOfAFeeKindInThePeriodAreFees) {
  const AccountOutcome o = measure({
      txn(make_date(2026, 1, 1), 100000),
      txn(make_date(2026, 3, 1), -3500, "OVERDRAFT FEE", "fee"),   // the day before the period
      txn(make_date(2026, 3, 2), -3500, "OVERDRAFT FEE", "fee"),   // its first day
      txn(make_date(2026, 3, 4), 3500, "OVERDRAFT FEE REFUND", "fee"),  // a credit
      txn(make_date(2026, 3, 15), -1200, "WIRE FEE", "fee"),       // its last day
      txn(make_date(2026, 3, 16), -3500, "OVERDRAFT FEE", "fee"),  // the day after
  });
  EXPECT_EQ(o.overdraft_fee_cents, 3500);
  EXPECT_EQ(o.total_fee_cents, 4700);
}

TEST(IncomePattern, TheMainIncomeStreamsCadenceNamesThePattern) {
  const Date from = make_date(2026, 3, 2);
  const auto every = [&](Date first, int step_days, std::int64_t cents) {
    std::vector<Transaction> h;
    for (Date d = first; d < from; d += forecast::Days(step_days)) h.push_back(txn(d, cents, "ACME PAYROLL"));
    return h;
  };
  std::vector<Transaction> monthly;
  for (unsigned m = 9; m <= 14; ++m)
    monthly.push_back(txn(make_date(2025 + static_cast<int>(m > 12), (m - 1) % 12 + 1, 15), 250000, "ACME PAYROLL"));
  EXPECT_EQ(income_pattern(monthly, from), "monthly");
  EXPECT_EQ(income_pattern(every(make_date(2025, 9, 5), 14, 120000), from), "biweekly");
  EXPECT_EQ(income_pattern(every(make_date(2025, 9, 5), 7, 60000), from), "weekly");
  EXPECT_EQ(income_pattern({}, from), "none");
  EXPECT_EQ(income_pattern({txn(make_date(2026, 3, 2), 100000, "ACME PAYROLL")}, from), "none");  // not before from
}

TEST(IncomePattern, MoneyInWithoutAScheduleIsIrregularOnlyWhenRecent) {
  const Date from = make_date(2026, 3, 2);
  EXPECT_EQ(income_pattern({txn(make_date(2026, 1, 20), 30000, "CASH DEPOSIT")}, from), "irregular");
  EXPECT_EQ(income_pattern({txn(make_date(2025, 11, 1), 30000, "CASH DEPOSIT")}, from), "none");  // > 90 days
  EXPECT_EQ(income_pattern({txn(make_date(2026, 1, 20), -30000, "RENT")}, from), "none");
}

TEST(ExperimentFold, ArmsComeFromTheRowsAndDisagreementsWithTheHashAreCounted) {
  const std::string treated = id_in(Arm::kTreatment), held = id_in(Arm::kHoldout);
  const std::string wrong = id_in(Arm::kTreatment, "other-"), mixed = id_in(Arm::kHoldout, "mixed-");
  auto o = outcomes();
  o.add_decision(decision(treated, make_date(2026, 3, 2), Arm::kTreatment, 0.1));
  o.add_decision(decision(held, make_date(2026, 3, 2), Arm::kHoldout, 0.1, "holdout"));
  o.add_decision(decision(wrong, make_date(2026, 3, 2), Arm::kHoldout, 0.1, "holdout"));
  o.add_decision(decision(mixed, make_date(2026, 3, 2), Arm::kTreatment, 0.1));
  o.add_decision(decision(mixed, make_date(2026, 3, 9), Arm::kHoldout, 0.1, "holdout"));
  const auto in = std::move(o).finish();
  ASSERT_EQ(in.accounts.size(), 4u);
  std::map<std::string, Arm> arms;
  for (const auto& a : in.accounts) arms[a.account_id] = a.arm;
  EXPECT_EQ(arms[treated], Arm::kTreatment);
  EXPECT_EQ(arms[held], Arm::kHoldout);
  EXPECT_EQ(arms[wrong], Arm::kHoldout);  // as recorded
  EXPECT_EQ(arms[mixed], Arm::kHoldout);  // as the hash says
  EXPECT_EQ(in.arm_disagreements, 1u);
  EXPECT_EQ(in.mixed_arm_accounts, 1u);
  EXPECT_EQ(in.accounts_without_history, 4u);
  EXPECT_THAT(in.notes, ElementsAre(HasSubstr("1 accounts carry an arm that differs from the assignment hash"),
                                    HasSubstr("1 accounts have decisions in both arms"),
                                    HasSubstr("4 assigned accounts have no transactions")));
}

TEST(ExperimentFold, AtRiskUsesTheThresholdOfEachDecisionsPolicy) {
  const struct {
    const char* policy;
    double p;
    bool at_risk;
  } cases[] = {{"exp-policy", 0.4, true},  {"exp-policy", 0.39, false}, {"strict", 0.89, false},
               {"strict", 0.9, true},      {"gone", 0.49, false},       {"gone", 0.5, true},  // default 0.5
               {"broken", 0.49, false},    {"broken", 0.5, true}};
  for (const auto& c : cases) {
    auto o = outcomes({policy("exp-policy", 0.4), policy("strict", 0.9, 0.5, "exp-b"), {"broken", std::nullopt, "bad"}});
    o.add_decision(decision("acct-1", make_date(2026, 3, 2), Arm::kTreatment, c.p, "suppressed", "below_threshold",
                            c.policy));
    EXPECT_EQ(std::move(o).finish().accounts.at(0).at_risk, c.at_risk) << c.policy << " " << c.p;
  }
}

TEST(ExperimentFold, DecidedMeansSentOrWouldHaveBeenSent) {
  const struct {
    const char* outcome;
    const char* reason;
    bool decided;
  } cases[] = {{"send", "none", true},
               {"holdout", "none", true},
               {"suppressed", "quiet_hours", true},
               {"suppressed", "shadow", true},
               {"suppressed", "below_threshold", false},
               {"suppressed", "frequency_cap", false},
               {"", "", false}};
  for (const auto& c : cases) {
    auto o = outcomes();
    o.add_decision(decision("acct-1", make_date(2026, 3, 2), Arm::kTreatment, 0.9, c.outcome, c.reason));
    EXPECT_EQ(std::move(o).finish().accounts.at(0).decided, c.decided) << c.outcome << "/" << c.reason;
  }
}

// A policy of the experiment with copy variants of these names and weights.
PolicyRecord policy_with_variants(const std::string& name, const std::vector<std::pair<std::string, double>>& variants) {
  PolicyRecord r = policy(name, 0.4);
  r.definition->variants.clear();
  for (const auto& [variant, weight] : variants) {
    nudges::CopyVariant v;
    v.name = variant;
    v.weight = weight;
    r.definition->variants.push_back(v);
  }
  return r;
}

const std::vector<std::pair<std::string, double>> kTwoVariants = {{"gentle", 1}, {"urgent", 1}};

// The first account id with the wanted arm and the wanted variant under kTwoVariants.
std::string id_with(Arm arm, const std::string& variant) {
  const nudges::Policy p = *policy_with_variants("exp-policy", kTwoVariants).definition;
  for (int k = 0;; ++k) {
    const std::string id = "v-" + std::to_string(k);
    if (nudges::in_holdout(kExperiment, id, 0.5) == (arm == Arm::kHoldout) && assigned_variant(p, id) == variant)
      return id;
  }
}

TEST(ExperimentFold, DeliveriesAreTheAccounts) {
  auto o = outcomes();
  o.add_decision(decision("acct-1", make_date(2026, 3, 2), Arm::kTreatment, 0.9));
  o.add_delivery({"acct-1", true, false});
  o.add_delivery({"stranger", true, true});  // no decision in the period: not assigned
  const auto in = std::move(o).finish();
  ASSERT_EQ(in.accounts.size(), 1u);
  EXPECT_TRUE(in.accounts[0].sent);
  EXPECT_FALSE(in.accounts[0].seen);
  EXPECT_THAT(in.policies, ElementsAre("exp-policy"));
}

TEST(AssignedVariant, IsThePlannersChoiceByWeightOrTheOneVariant) {
  const nudges::Policy two = *policy_with_variants("p", {{"gentle", 1}, {"urgent", 3}}).definition;
  int urgent = 0;
  for (int k = 0; k < 2000; ++k) {
    const std::string id = "acct-" + std::to_string(k);
    const double weights[] = {1, 3};
    const std::string expected = nudges::choose_variant(kExperiment, id, weights) == 0 ? "gentle" : "urgent";
    ASSERT_EQ(assigned_variant(two, id), expected) << id;
    urgent += expected == "urgent" ? 1 : 0;
  }
  EXPECT_NEAR(urgent / 2000.0, 0.75, 0.04);
  EXPECT_EQ(assigned_variant(*policy_with_variants("p", {{"only", 1}}).definition, "acct-1"), "only");
  EXPECT_EQ(assigned_variant(nudges::Policy{}, "acct-1"), "");  // built without variants
}

// Intention to treat: an account undecided in the period still has the
// variant the hash gives it (before, only decided accounts had one, so each
// variant's nudged accounts were compared with the whole holdout).
TEST(ExperimentFold, EveryAccountHasItsAssignedVariantDecidedOrNot) {
  auto o = outcomes({policy_with_variants("exp-policy", kTwoVariants)});
  const std::string decided = id_with(Arm::kTreatment, "urgent");
  const std::string undecided = id_with(Arm::kTreatment, "gentle");
  const std::string holdout = id_with(Arm::kHoldout, "urgent");
  auto d = decision(decided, make_date(2026, 3, 2), Arm::kTreatment, 0.9);
  d.variant = "urgent";
  o.add_decision(d);
  auto u = decision(undecided, make_date(2026, 3, 2), Arm::kTreatment, 0.1, "suppressed", "below_threshold");
  u.variant = std::nullopt;
  o.add_decision(u);
  auto h = decision(holdout, make_date(2026, 3, 2), Arm::kHoldout, 0.1, "suppressed", "below_threshold");
  h.variant = std::nullopt;
  o.add_decision(h);
  const auto in = std::move(o).finish();
  std::map<std::string, std::string> variant;
  for (const auto& a : in.accounts) variant[a.account_id] = a.variant;
  EXPECT_EQ(variant.at(decided), "urgent");
  EXPECT_EQ(variant.at(undecided), "gentle");
  EXPECT_EQ(variant.at(holdout), "urgent");  // the copy it would have been shown
  EXPECT_EQ(in.variant_disagreements, 0u);
}

TEST(ExperimentFold, RowsNamingAnotherVariantOrSeveralAreCountedAndNoted) {
  auto o = outcomes({policy_with_variants("exp-policy", kTwoVariants)});
  const std::string other = id_with(Arm::kTreatment, "gentle");
  const std::string several = id_with(Arm::kTreatment, "urgent");
  auto d = decision(other, make_date(2026, 3, 2), Arm::kTreatment, 0.9);
  d.variant = "urgent";  // the hash says gentle: the variants were changed?
  o.add_decision(d);
  auto e = decision(several, make_date(2026, 3, 2), Arm::kTreatment, 0.9);
  e.variant = "urgent";
  o.add_decision(e);
  e.variant = "gentle";
  o.add_decision(e);
  const auto in = std::move(o).finish();
  EXPECT_EQ(in.variant_disagreements, 2u);
  for (const auto& a : in.accounts) EXPECT_EQ(a.variant, a.account_id == other ? "gentle" : "urgent");
  EXPECT_THAT(in.notes, Contains(HasSubstr("2 accounts have decisions naming another copy variant")));
}

TEST(ExperimentFold, PoliciesDisagreeingOnVariantsAreNotedAndTheFirstByNameAssigns) {
  const std::string id = id_with(Arm::kTreatment, "urgent");
  auto o = outcomes({policy_with_variants("z-policy", {{"solo", 1}}), policy_with_variants("a-policy", kTwoVariants)});
  o.add_decision(decision(id, make_date(2026, 3, 2), Arm::kTreatment, 0.1, "suppressed", "below_threshold"));
  const auto in = std::move(o).finish();
  EXPECT_EQ(in.accounts.at(0).variant, "urgent");
  EXPECT_THAT(in.notes, Contains(HasSubstr("disagree on copy variants or their weights; every account is given the "
                                           "variant policy 'a-policy' assigns")));
}

TEST(ExperimentFold, WithoutAPolicyListingVariantsNoAccountHasOne) {
  auto o = outcomes({policy_with_variants("exp-policy", {})});
  o.add_decision(decision("acct-1", make_date(2026, 3, 2), Arm::kTreatment, 0.9));
  const auto in = std::move(o).finish();
  EXPECT_EQ(in.accounts.at(0).variant, "");
  EXPECT_THAT(in.notes, Contains(HasSubstr("lists copy variants")));
}

TEST(ExperimentFold, ForecastsAreOnePerAsOfAgainstAZeroBufferWithAWholeWindow) {
  const std::string id = id_in(Arm::kTreatment);
  auto o = outcomes();
  o.add_decision(decision(id, make_date(2026, 3, 2), Arm::kTreatment, 0.7));  // window 03-02..03-04 overdrawn
  auto other_channel = decision(id, make_date(2026, 3, 2), Arm::kTreatment, 0.7);
  o.add_decision(other_channel);
  auto buffered = decision(id, make_date(2026, 3, 4), Arm::kTreatment, 0.99);
  buffered.buffer = Money::from_cents(10000);  // P(balance < 100.00): not a P(overdraft)
  o.add_decision(buffered);
  o.add_decision(decision(id, make_date(2026, 3, 9), Arm::kTreatment, 0.2));   // clean window
  o.add_decision(decision(id, make_date(2026, 3, 14), Arm::kTreatment, 0.3));  // window ends 03-16: dropped
  o.add_decision(decision("no-history", make_date(2026, 3, 2), Arm::kTreatment, 0.3));
  o.add_decision(decision("no-history", make_date(2026, 3, 2), Arm::kTreatment, 0.3));
  o.add_history(id, {txn(make_date(2026, 1, 1), 10000), txn(make_date(2026, 3, 3), -20000),
                     txn(make_date(2026, 3, 5), 30000)});
  const auto in = std::move(o).finish();
  ASSERT_EQ(in.forecasts.size(), 2u);
  EXPECT_EQ(in.forecasts[0].as_of, make_date(2026, 3, 2));
  EXPECT_DOUBLE_EQ(in.forecasts[0].p_window, 0.7);
  EXPECT_TRUE(in.forecasts[0].overdrawn);
  EXPECT_EQ(in.forecasts[1].as_of, make_date(2026, 3, 9));
  EXPECT_FALSE(in.forecasts[1].overdrawn);
  EXPECT_EQ(in.forecasts_dropped, 1u + 2u);  // 03-14, and both rows of the account without history
}

TEST(ExperimentFold, PoliciesSayWhichHoldoutShareTheSampleRatioCheckUses) {
  const struct {
    std::vector<PolicyRecord> policies;
    double share;
    std::vector<std::string> notes;
  } cases[] = {
      {{policy("exp-policy", 0.4, 0.2)}, 0.2, {}},
      {{policy("a", 0.4, 0.2), policy("b", 0.4, 0.3)},
       0.2,
       {"The experiment's policies disagree on the holdout share; the sample-ratio check uses 0.200000."}},
      {{policy("other", 0.4, 0.2, "exp-b")},
       0.10,
       {"No policy names this experiment any more; the sample-ratio check assumes the default holdout share."}},
      {{{"broken", std::nullopt, "expected a number"}, policy("exp-policy", 0.4, 0.5)},
       0.5,
       {"Policy 'broken' could not be read (expected a number); its decisions were judged with the default risk "
        "threshold."}},
  };
  for (const auto& c : cases) {
    auto o = outcomes(c.policies);
    o.add_decision(decision(id_in(Arm::kTreatment), make_date(2026, 3, 2), Arm::kTreatment, 0.1));
    const auto in = std::move(o).finish();
    EXPECT_DOUBLE_EQ(in.holdout_share, c.share);
    EXPECT_THAT(std::vector<std::string>(in.notes.begin(), in.notes.begin() + c.notes.size()),
                ElementsAreArray(c.notes));
  }
}

TEST(ExperimentFold, APeriodWithoutDecisionsIsNamed) {
  const auto o = outcomes();
  EXPECT_EQ(invalid_argument_of([&] { o.require_decisions(); }),
            "experiment 'exp-a' has no decisions in [2026-03-02, 2026-03-16)");
}

}  // namespace
}  // namespace headroom::measurement
