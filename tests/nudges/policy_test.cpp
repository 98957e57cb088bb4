#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nudges/policy.hpp"

namespace headroom::nudges {
namespace {

using std::chrono::minutes;

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PolicyJson, AMinimalPolicyGetsTheDocumentedDefaults) {
  const Policy p = parse_policy_json_text(R"({"name": "default"})", "test");
  EXPECT_EQ(p.name, "default");
  EXPECT_TRUE(p.active);
  EXPECT_DOUBLE_EQ(p.risk_threshold, 0.5);
  EXPECT_EQ(p.buffer.cents(), 0);
  EXPECT_EQ(p.lead_time_min_days, 1);
  EXPECT_EQ(p.lead_time_max_days, 5);
  EXPECT_EQ(p.channels, (std::vector<Channel>{Channel::kInApp, Channel::kEmail}));
  ASSERT_EQ(p.variants.size(), 1u);
  EXPECT_EQ(p.variants[0].name, "default");
  EXPECT_EQ(p.frequency_cap.max_nudges, 1);
  EXPECT_EQ(p.frequency_cap.window_days, 7);
  EXPECT_EQ(p.global_cap.max_nudges, 2);
  ASSERT_TRUE(p.quiet_hours.has_value());
  EXPECT_EQ(p.quiet_hours->start, minutes{21 * 60});
  EXPECT_EQ(p.quiet_hours->end, minutes{8 * 60});
  EXPECT_DOUBLE_EQ(p.holdout_share, 0.10);
  EXPECT_EQ(p.experiment, "default");
  EXPECT_FALSE(p.shadow);
  EXPECT_FALSE(p.active_from.has_value());
}

TEST(PolicyJson, ReadsEveryField) {
  const Policy p = parse_policy_json_text(R"({
    "name": "payday-gap", "active": false, "risk_threshold": 0.35, "buffer": "50.25",
    "lead_time_days": {"min": 2, "max": 4}, "channels": ["email"],
    "variants": [{"name": "a", "weight": 2, "subject": "S {{shortfall}}", "text": "T", "html": "<p>H</p>", "in_app": "I"},
                 {"name": "b", "weight": 1, "subject": "S2", "text": "T2", "html": "H2"}],
    "frequency_cap": {"max_nudges": 2, "window_days": 14}, "global_cap": {"max_nudges": 3},
    "quiet_hours": {"start": "22:30", "end": "07:15"}, "holdout_share": 0.2, "experiment": "spring",
    "shadow": true, "allow_low_confidence": true, "nudge_other_holdouts": true,
    "active_from": "2026-03-01", "active_to": "2026-04-01T12:00:00+02:00"})",
                                          "test");
  EXPECT_FALSE(p.active);
  EXPECT_DOUBLE_EQ(p.risk_threshold, 0.35);
  EXPECT_EQ(p.buffer.cents(), 5025);
  EXPECT_EQ(p.lead_time_min_days, 2);
  EXPECT_EQ(p.lead_time_max_days, 4);
  EXPECT_EQ(p.channels, std::vector<Channel>{Channel::kEmail});
  ASSERT_EQ(p.variants.size(), 2u);
  EXPECT_DOUBLE_EQ(p.variants[0].weight, 2);
  EXPECT_EQ(p.variants[0].subject, "S {{shortfall}}");
  EXPECT_EQ(p.frequency_cap.max_nudges, 2);
  EXPECT_EQ(p.frequency_cap.window_days, 14);
  EXPECT_EQ(p.global_cap.max_nudges, 3);
  EXPECT_EQ(p.global_cap.window_days, 7);
  EXPECT_EQ(p.quiet_hours->start, minutes{22 * 60 + 30});
  EXPECT_EQ(p.quiet_hours->end, minutes{7 * 60 + 15});
  EXPECT_DOUBLE_EQ(p.holdout_share, 0.2);
  EXPECT_EQ(p.experiment, "spring");
  EXPECT_TRUE(p.shadow);
  EXPECT_TRUE(p.allow_low_confidence);
  EXPECT_TRUE(p.nudge_other_holdouts);
  EXPECT_FALSE(parse_policy_json_text(R"({"name": "p"})", "test").nudge_other_holdouts);
  using std::chrono::sys_days;
  EXPECT_EQ(*p.active_from, std::chrono::sys_seconds{sys_days{forecast::make_date(2026, 3, 1)}});
  EXPECT_EQ(*p.active_to, std::chrono::sys_seconds{sys_days{forecast::make_date(2026, 4, 1)}} + std::chrono::hours{10});
}

TEST(PolicyJson, QuietHoursCanBeDisabled) {
  EXPECT_FALSE(parse_policy_json_text(R"({"name": "x", "quiet_hours": false})", "t").quiet_hours.has_value());
  EXPECT_FALSE(parse_policy_json_text(R"({"name": "x", "quiet_hours": null})", "t").quiet_hours.has_value());
}

TEST(PolicyJson, ErrorsNameTheSourcePolicyAndField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name": "p", "risk_threshold": 1.5})", "db: policy 'p': field 'risk_threshold': must be a probability in [0, 1]"},
      {R"({"name": "p", "risk_threshold": "high"})", "db: policy 'p': field 'risk_threshold': must be a number"},
      {R"({"name": "p", "lead_time_days": {"min": 3, "max": 2}})",
       "db: policy 'p': field 'lead_time_days.max': must be >= lead_time_days.min (3)"},
      {R"({"name": "p", "lead_time_days": {"min": -1}})", "db: policy 'p': field 'lead_time_days.min': must be >= 0"},
      {R"({"name": "p", "channels": ["sms"]})", "db: policy 'p': field 'channels[0]': must be \"in_app\" or \"email\", got \"sms\""},
      {R"({"name": "p", "channels": []})", "db: policy 'p': field 'channels': must list at least one"},
      {R"({"name": "p", "holdout_share": 10})", "db: policy 'p': field 'holdout_share': must be a share in [0, 1]"},
      {R"({"name": "p", "holdout": 0.1})", "db: policy 'p': field 'holdout': unknown key"},
      {R"({"name": "p", "quiet_hours": {"start": "25:00"}})", "db: policy 'p': field 'quiet_hours.start': must be a local time HH:MM"},
      {R"({"name": "p", "quiet_hours": {"start": "08:00", "end": "08:00"}})", "db: policy 'p': field 'quiet_hours': start and end are equal"},
      {R"({"name": "p", "frequency_cap": {"max_nudges": 0}})", "db: policy 'p': field 'frequency_cap.max_nudges': must be >= 1"},
      {R"({"name": "p", "buffer": "12.345"})", "db: policy 'p': field 'buffer': must be an amount like \"25.00\""},
      {R"({"name": "p", "active_from": "2026-13-01"})", "db: policy 'p': field 'active_from': must be a date"},
      {R"({"name": "p", "active_from": "2026-03-02", "active_to": "2026-03-01"})", "db: policy 'p': field 'active_to': must be after active_from"},
      {R"({"name": "p", "experiment": ""})", "db: policy 'p': field 'experiment': must not be empty"},
      {R"({"name": "p w"})", "db: policy 'p w': field 'name': may contain only"},
      {R"({"risk_threshold": 0.5})", "db: policy '?': field 'name': is required"},
      {R"({"name": "p", "variants": [{"name": "a", "weight": 0, "subject": "s", "text": "t", "html": "h", "in_app": "i"}]})",
       "db: policy 'p': field 'variants': weights must sum to more than 0"},
      {R"({"name": "p", "variants": [{"name": "a", "subject": "s", "text": "t", "in_app": "i"}]})",
       "db: policy 'p': field 'variants[0]': needs subject, text and html for the email channel"},
      {R"({"name": "p", "channels": ["in_app"], "variants": [{"name": "a"}]})",
       "db: policy 'p': field 'variants[0].in_app': needs in-app text"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of([&] { parse_policy_json_text(c.json, "db"); });
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << "json: " << c.json << "\n got: " << error;
  }
}

// Found by fuzzing (tests/fuzz/policies_toml_fuzz.cpp, docs/fuzzing.md).
TEST(PolicyJson, RefusesWhatWouldNotRoundTripOrStore) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      // A number past a double was an uncaught nlohmann out_of_range.
      {R"({"name": "p", "risk_threshold": 1e400})", "db: invalid JSON: "},
      // 1e15 was taken, but its string form "1000000000000000.00" was refused.
      {R"({"name": "p", "buffer": 1e15})", "db: policy 'p': field 'buffer': is out of range (at most 999999999999999.99)"},
      {R"({"name": "p", "buffer": "1000000000000000"})", "db: policy 'p': field 'buffer': is out of range"},
      // Two finite weights summing to infinity gave every account the last variant.
      {R"({"name": "p", "channels": ["in_app"], "variants": [{"name": "a", "weight": 1e308, "in_app": "i"},
          {"name": "b", "weight": 1e308, "in_app": "j"}]})",
       "db: policy 'p': field 'variants': weights must sum to a finite number"},
      // Year 0000 with an offset became year -1, written back as "-001-12-31".
      {R"({"name": "p", "active_from": "0000-01-01T00:00:00+01:00"})", "db: policy 'p': field 'active_from': must be within 0001-01-01"},
      {R"({"name": "p", "active_from": "0000-01-01"})", "db: policy 'p': field 'active_from': must be within"},
      {R"({"name": "p", "active_to": "9999-12-31T23:59:59-00:01"})", "db: policy 'p': field 'active_to': must be within"},
      {R"({"name": "p", "active_to": "2026-01-01T 9:00:00Z"})", "db: policy 'p': field 'active_to': must be a date"},
      {R"({"name": "p", "quiet_hours": {"start": " 8:00"}})", "db: policy 'p': field 'quiet_hours.start': must be a local time HH:MM"},
      {R"({"name": "p", "quiet_hours": {"start": "+8:+0"}})", "db: policy 'p': field 'quiet_hours.start': must be a local time HH:MM"},
      // An unsigned JSON integer past INT64_MAX wrapped to -1.
      {R"({"name": "p", "lead_time_days": {"max": 18446744073709551615}})", "db: policy 'p': field 'lead_time_days.max': is out of range"},
      // headroom.nudge_policies is jsonb, which refuses \u0000.
      {R"({"name": "p", "channels": ["in_app"], "variants": [{"name": "a", "in_app": "x\u0000y"}]})",
       "db: policy 'p': field 'variants[0].in_app': must not contain a NUL character"},
      {R"({"name": "p", "experiment": "e\u0000"})", "db: policy 'p': field 'experiment': must not contain a NUL character"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of([&] { parse_policy_json_text(c.json, "db"); });
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << "json: " << c.json << "\n got: " << error;
  }
  // The limits themselves round-trip.
  const Policy p = parse_policy_json_text(
      R"({"name": "p", "buffer": 999999999999999, "active_from": "0001-01-01", "active_to": "9999-12-31T23:59:59Z"})", "db");
  EXPECT_EQ(policy_to_json(parse_policy_json(policy_to_json(p), "db")), policy_to_json(p));
  EXPECT_EQ(parse_policy_json_text(R"({"name": "p", "buffer": "-999999999999999.99"})", "db").buffer.cents(),
            -99999999999999999);
}

TEST(PolicyJson, AnUnknownPlaceholderInACopyVariantIsAnErrorNamingIt) {
  const std::string error = error_of([] {
    parse_policy_json_text(
        R"({"name": "p", "variants": [{"name": "warm", "subject": "Hi {{first_name}}", "text": "t", "html": "h", "in_app": "i"}]})",
        "db");
  });
  EXPECT_EQ(error, "db: policy 'p': variants[0] ('warm').subject: unknown placeholder {{first_name}}");
}

TEST(PolicyJson, RoundTripsThroughPolicyToJson) {
  const Policy p = parse_policy_json_text(
      R"({"name": "rt", "buffer": "-10.50", "quiet_hours": {"start": "20:00", "end": "09:05"}, "active_to": "2027-01-01T00:00:00Z"})",
      "t");
  const Policy q = parse_policy_json(policy_to_json(p), "t");
  EXPECT_EQ(policy_to_json(q), policy_to_json(p));
  EXPECT_EQ(q.buffer.cents(), -1050);
  EXPECT_EQ(q.quiet_hours->end, minutes{9 * 60 + 5});
  EXPECT_EQ(q.active_to, p.active_to);
}

TEST(PolicyToml, ReadsSeveralPoliciesWithTheSameKeysAsJson) {
  const auto policies = parse_policies_toml(R"(
[[policies]]
name = "default"

[[policies]]
name = "payday-gap"
risk_threshold = 0.3
buffer = "25.00"
lead_time_days = { min = 2, max = 3 }
channels = ["in_app"]
quiet_hours = { start = "22:00", end = "07:00" }
holdout_share = 0.5
experiment = "payday-2026"
shadow = true
active_from = 2026-03-01T00:00:00Z

[[policies.variants]]
name = "short"
in_app = "Low balance likely {{first_risky_day}}"
)",
                                            "policies.toml");
  ASSERT_EQ(policies.size(), 2u);
  EXPECT_EQ(policies[0].name, "default");
  const Policy& p = policies[1];
  EXPECT_EQ(p.name, "payday-gap");
  EXPECT_DOUBLE_EQ(p.risk_threshold, 0.3);
  EXPECT_EQ(p.buffer.cents(), 2500);
  EXPECT_EQ(p.lead_time_max_days, 3);
  EXPECT_EQ(p.channels, std::vector<Channel>{Channel::kInApp});
  EXPECT_EQ(p.quiet_hours->end, minutes{7 * 60});
  EXPECT_TRUE(p.shadow);
  ASSERT_TRUE(p.active_from.has_value());
  ASSERT_EQ(p.variants.size(), 1u);
  EXPECT_EQ(p.variants[0].in_app_text, "Low balance likely {{first_risky_day}}");
}

TEST(PolicyToml, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(error_of([] { parse_policies_toml("[[policies]]\nname = \"a\"\nrisk_threshold = \n", "p.toml"); })
                .rfind("p.toml:3:", 0),
            0u);
  EXPECT_EQ(error_of([] { parse_policies_toml("\n[[policies]]\nname = \"a\"\nlead_time_days = { max = 99 }\n", "p.toml"); }),
            "p.toml:2: policy 'a': field 'lead_time_days.max': must be <= 60 (forecasts do not reach further)");
  EXPECT_EQ(error_of([] { parse_policies_toml("[[policies]]\nname = \"a\"\n[[policies]]\nname = \"a\"\n", "p.toml"); }),
            "p.toml:3: policy 'a': field 'name': defined twice");
}

}  // namespace
}  // namespace headroom::nudges
