#pragma once
// The nudge planner: one pure function from (forecast summary, policy, account
// contact, past nudges, now) to the policy's decisions: one per channel once
// the checks reach the channels (8 onward), one for the whole policy when an
// earlier check already decides it (1-7 do not depend on the channel).
// No I/O, no clock, no logging; `now` is a parameter so replays are exact.
//
// Order of checks — the first that applies is the decision's reason, so the
// reason is always the most fundamental one:
//   1 policy_inactive      active = false, or now outside [active_from, active_to)
//   2 buffer_mismatch      the forecast's probability was computed for another buffer
//   3 below_threshold      window probability < risk_threshold, or no risky day
//   4 low_confidence       cold-start or low-confidence model (unless allowed)
//   5 outside_lead_time    first risky day not in [today+min, today+max] (account's local today)
//   6 opted_out            the account opted out of nudges (all channels)
//   7 held_out_elsewhere   the account is in the holdout of another experiment in force
//                          (unless the policy sets nudge_other_holdouts): a nudge would
//                          contaminate that experiment's counterfactual
//   8 no_contact           email channel without an address or without consent
//   9 already_nudged       this policy already decided send/holdout for this risky day and channel
//  10 frequency_cap        this policy's episodes in its window reached the cap
//  11 global_cap           delivered episodes of all policies in the global window reached the cap
//  12 quiet_hours          now falls in the account's local quiet hours: deferred, see deferred_until
//  13 shadow               shadow policy: would have sent, sends nothing (treatment arm)
// then holdout (would have sent: holdout arm) or send.
// The arm is assigned (assignment.hpp) before any check and recorded on every
// decision, and suppression rules apply to both arms alike, so "holdout"
// means exactly "treatment would have been sent" (intention-to-treat).
//
// Episodes: one risky day of one policy is one episode whatever channels it
// used; past decisions for the risky day being planned are not counted against
// the caps (they are that same episode; already_nudged stops duplicates).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>

#include "forecast/date.hpp"
#include "forecast/money.hpp"
#include "nudges/assignment.hpp"
#include "nudges/policy.hpp"

namespace headroom::nudges {

// What the planner needs from a forecast, as plain values. The daemon maps
// forecast::BalanceForecast into it. Amounts in the account's currency.
struct Driver {
  enum class Kind { kBill, kIncome, kSpending, kOther };
  Kind kind = Kind::kOther;
  std::string label;                                     // "Rent", "Payroll ACME"
  forecast::Money amount = forecast::Money::from_cents(0);  // signed: bills < 0, income > 0
  forecast::Date date{};
};

struct ForecastSummary {
  forecast::Date as_of{};
  // The buffer the probabilities were computed against (must equal the policy's).
  forecast::Money buffer = forecast::Money::from_cents(0);
  // P(end-of-day balance < buffer on at least one day of the window).
  double window_probability = 0.0;
  std::optional<forecast::Date> first_risky_day;
  // Expected amount below the buffer on the first risky day; >= 0.
  forecast::Money expected_shortfall = forecast::Money::from_cents(0);
  bool cold_start = false;
  bool low_confidence = false;
  std::vector<Driver> drivers;
  std::optional<forecast::Date> next_income_date;
  forecast::Money next_income_amount = forecast::Money::from_cents(0);
};

struct AccountContact {
  std::string account_id;
  // The account's zone; nullptr means UTC. Resolve names with find_time_zone().
  const date::time_zone* time_zone = nullptr;
  std::string locale = "en-US";
  std::string currency = "USD";
  std::string email;  // empty = none on file
  bool email_consent = false;
  std::optional<std::chrono::sys_seconds> opted_out_at;
};

// nullptr when the name is unknown to the OS tz database.
const date::time_zone* find_time_zone(std::string_view name);

// A past decision of any policy for this account that would have reached the
// customer: delivered = true for sends, false for holdout / shadow
// "would have sent". Suppressed decisions are not past nudges.
struct PastNudge {
  std::string policy;
  forecast::Date risky_day{};
  Channel channel = Channel::kInApp;
  std::chrono::sys_seconds decided_at{};
  bool delivered = true;
};

enum class Outcome { kSend, kHoldout, kSuppressed };
enum class Reason {
  kNone,
  kPolicyInactive,
  kBufferMismatch,
  kBelowThreshold,
  kLowConfidence,
  kOutsideLeadTime,
  kOptedOut,
  kHeldOutElsewhere,
  kNoContact,
  kAlreadyNudged,
  kFrequencyCap,
  kGlobalCap,
  kQuietHours,
  kShadow,
};

std::string_view to_string(Outcome outcome);
std::string_view to_string(Arm arm);
std::string_view to_string(Reason reason);

struct Decision {
  // nullopt: suppressed by a check that comes before the channels (reasons
  // policy_inactive to opted_out); one decision then stands for every channel.
  std::optional<Channel> channel;
  Outcome outcome = Outcome::kSuppressed;
  Reason reason = Reason::kNone;  // none iff outcome != suppressed
  Arm arm = Arm::kTreatment;
  std::size_t variant_index = 0;              // into policy.variants
  std::optional<forecast::Date> risky_day;    // the forecast's first risky day, if any
  std::optional<int> lead_time_days;          // risky_day - account's local today
  // quiet_hours only: when the nudge becomes due (end of quiet hours, DST-aware).
  std::optional<std::chrono::sys_seconds> deferred_until;
  std::uint64_t assignment_hash = 0;          // holdout draw, for audit
};

// The holdout of one experiment in force, for check 7.
struct ExperimentHoldout {
  std::string experiment;
  double share = 0.0;
  bool operator==(const ExperimentHoldout&) const = default;
};

// The distinct (experiment, holdout share) pairs of the policies in force at
// `now` (in_force), sorted: what plan() protects from other policies.
std::vector<ExperimentHoldout> holdouts_in_force(std::span<const Policy> policies, std::chrono::sys_seconds now);

// One decision per policy channel, in policy.channels order; or a single
// channel-less decision when a check before the channels suppresses.
// `holdouts` are the experiments whose holdouts other policies must not nudge
// (check 7); the policy's own experiment among them is skipped.
std::vector<Decision> plan(const ForecastSummary& forecast, const Policy& policy, const AccountContact& account,
                           std::span<const PastNudge> past, std::chrono::sys_seconds now,
                           std::span<const ExperimentHoldout> holdouts = {});

// The account's local calendar date at `now`.
forecast::Date local_date(const date::time_zone* zone, std::chrono::sys_seconds now);

// When `now` is inside quiet hours (local wall clock), the first instant at
// which they end; nullopt when `now` is outside them. An end time that does
// not exist on that day (spring-forward gap) maps to the instant the gap ends;
// an ambiguous one (fall-back) to its first occurrence.
std::optional<std::chrono::sys_seconds> quiet_hours_end(const QuietHours& quiet, const date::time_zone* zone,
                                                        std::chrono::sys_seconds now);

// Canonical dedupe key text: account ␟ policy ␟ YYYY-MM-DD ␟ channel (␟ = U+001F).
// The Message-ID and the outbox's unique key derive from it.
std::string dedupe_key(std::string_view account_id, std::string_view policy, forecast::Date risky_day,
                       Channel channel);

// One line an analyst can read: why this decision, with the numbers it used.
std::string explain(const Decision& decision, const ForecastSummary& forecast, const Policy& policy);

}  // namespace headroom::nudges
