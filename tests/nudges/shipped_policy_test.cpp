#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nudges/policy.hpp"

namespace headroom::nudges {
namespace {

// The first JSON literal after `statement` in a migration, merged with the
// name and active columns the way the db layer does it.
nlohmann::json policy_in_migration(const std::string& file, const std::string& statement) {
  std::ifstream in(std::string(HEADROOM_SOURCE_DIR) + "/db/migrations/" + file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  const std::size_t insert = sql.find(statement);
  const std::size_t open = sql.find("'{", insert);
  const std::size_t close = sql.find("}'", open);
  if (insert == std::string::npos || open == std::string::npos || close == std::string::npos) return nullptr;
  nlohmann::json j = nlohmann::json::parse(sql.substr(open + 1, close - open));
  j["name"] = "default";
  j["active"] = true;
  return j;
}

TEST(ShippedPolicy, TheFirstDefaultPolicyIsValid) {
  const nlohmann::json j = policy_in_migration("0002_create_nudge_tables.sql", "INSERT INTO headroom.nudge_policies");
  ASSERT_TRUE(j.is_object()) << "could not find the default policy in migration 0002";
  const Policy p = parse_policy_json(j, "0002_create_nudge_tables.sql");
  EXPECT_DOUBLE_EQ(p.risk_threshold, 0.5);
  EXPECT_EQ(p.lead_time_max_days, 5);
}

TEST(ShippedPolicy, TheCurrentDefaultPolicyIsValidAndNudgesUpToTwoWeeksAhead) {
  const nlohmann::json j = policy_in_migration("0010_update_default_policy_reach.sql", "SET definition");
  ASSERT_TRUE(j.is_object()) << "could not find the default policy in migration 0010";
  const Policy p = parse_policy_json(j, "0010_update_default_policy_reach.sql");
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.channels, (std::vector<Channel>{Channel::kInApp, Channel::kEmail}));
  EXPECT_DOUBLE_EQ(p.risk_threshold, 0.2);
  EXPECT_EQ(p.lead_time_min_days, 1);
  EXPECT_EQ(p.lead_time_max_days, 14);
  EXPECT_EQ(p.frequency_cap.max_nudges, 1);
  EXPECT_EQ(p.frequency_cap.window_days, 7);
  EXPECT_DOUBLE_EQ(p.holdout_share, 0.10);
  EXPECT_EQ(p.experiment, "default");
  EXPECT_FALSE(p.shadow);
  ASSERT_EQ(p.variants.size(), 1u);
  EXPECT_EQ(p.variants[0].name, "default");
}

}  // namespace
}  // namespace headroom::nudges
