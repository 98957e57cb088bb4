#pragma once
// A nudge policy, as growth teams tune it (docs/policies.md explains every
// field, its default and why). The same struct comes from the config file
// (TOML, `[[policies]]` tables) and from headroom.nudge_policies (a JSON
// `definition` column plus `name` and `active` columns the db layer merges
// in); both go through parse_policy_json, so keys, defaults and errors match.
//
// Validation throws PolicyError naming the source, the policy and the field:
//   "policies.toml: policy 'payday-gap': field 'lead_time_days.max': must be >= lead_time_days.min (3)"
// Unknown keys are errors too: a typo must not silently fall back to a default.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "forecast/money.hpp"
#include "nudges/templates.hpp"

namespace headroom::nudges {

class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Channel { kInApp, kEmail };
std::string_view to_string(Channel channel);
std::optional<Channel> parse_channel(std::string_view text);

// At most `max_nudges` nudge episodes per `window_days` (a rolling window of
// window_days * 24 h ending now). An episode = one risky day of one policy,
// however many channels it used.
struct FrequencyCap {
  int max_nudges = 1;
  int window_days = 7;
};

// Local wall-clock times in the account's time zone. start > end wraps
// midnight (21:00–08:00). start == end is rejected: disable with no quiet hours.
struct QuietHours {
  std::chrono::minutes start{21 * 60};
  std::chrono::minutes end{8 * 60};
};

struct Policy {
  std::string name;
  bool active = true;
  // Nudge when P(end-of-day balance < buffer on some day in the window) >= this.
  double risk_threshold = 0.5;
  // The balance line that counts as "risky"; 0 = overdraft. Account currency.
  forecast::Money buffer = forecast::Money::from_cents(0);
  // Nudge only when the first risky day is lead_time_min_days..lead_time_max_days
  // days after the account's local today (inclusive).
  int lead_time_min_days = 1;
  int lead_time_max_days = 5;
  std::vector<Channel> channels = {Channel::kInApp, Channel::kEmail};
  std::vector<CopyVariant> variants;  // never empty after parsing
  FrequencyCap frequency_cap{1, 7};   // per account, this policy
  FrequencyCap global_cap{2, 7};      // per account, delivered nudges of all policies
  std::optional<QuietHours> quiet_hours = QuietHours{};
  double holdout_share = 0.10;
  std::string experiment = "default";
  bool shadow = false;
  // Cold-start or low-confidence forecasts are suppressed unless this is set.
  bool allow_low_confidence = false;
  // Accounts in the holdout of another experiment in force are suppressed
  // (held_out_elsewhere) unless this is set: a deliberate overlap of
  // experiments, which the other experiment's report then shows as exposure.
  bool nudge_other_holdouts = false;
  // Active window, [from, to); unset = open-ended.
  std::optional<std::chrono::sys_seconds> active_from;
  std::optional<std::chrono::sys_seconds> active_to;
};

// Throws PolicyError. `source` prefixes messages ("policies.toml", "headroom.nudge_policies").
Policy parse_policy_json(const nlohmann::json& object, std::string_view source);
Policy parse_policy_json_text(std::string_view json_text, std::string_view source);
// A TOML document with one or more [[policies]] tables. Syntax errors name line and column.
std::vector<Policy> parse_policies_toml(std::string_view toml_text, std::string_view source);
// The fields of `policy` as the JSON object parse_policy_json accepts (round-trips).
nlohmann::json policy_to_json(const Policy& policy);

// Re-checks invariants of a programmatically built policy; throws PolicyError.
void validate_policy(const Policy& policy, std::string_view source);

// Active and inside its [active_from, active_to) window at `now`: the policies
// the planner plans (any other decides policy_inactive).
inline bool in_force(const Policy& policy, std::chrono::sys_seconds now) {
  return policy.active && !(policy.active_from && now < *policy.active_from) &&
         !(policy.active_to && now >= *policy.active_to);
}

}  // namespace headroom::nudges
