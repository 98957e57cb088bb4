#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nudges/policy.hpp"

namespace headroom::nudges {
namespace {

// The JSON literal of the INSERT in the migration, merged with the name and
// active columns the way the db layer does it.
nlohmann::json shipped_default_policy() {
  std::ifstream in(std::string(HEADROOM_SOURCE_DIR) + "/db/migrations/0002_create_nudge_tables.sql");
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  const std::size_t insert = sql.find("INSERT INTO headroom.nudge_policies");
  const std::size_t open = sql.find("'{", insert);
  const std::size_t close = sql.find("}'", open);
  if (insert == std::string::npos || open == std::string::npos || close == std::string::npos) return nullptr;
  nlohmann::json j = nlohmann::json::parse(sql.substr(open + 1, close - open));
  j["name"] = "default";
  j["active"] = true;
  return j;
}

TEST(ShippedPolicy, TheDefaultPolicyInTheMigrationIsValidAndMatchesTheDesign) {
  const nlohmann::json j = shipped_default_policy();
  ASSERT_TRUE(j.is_object()) << "could not find the default policy in migration 0002";
  const Policy p = parse_policy_json(j, "0002_create_nudge_tables.sql");
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.channels, (std::vector<Channel>{Channel::in_app, Channel::email}));
  EXPECT_EQ(p.lead_time_min_days, 1);
  EXPECT_EQ(p.lead_time_max_days, 5);
  EXPECT_DOUBLE_EQ(p.holdout_share, 0.10);
  EXPECT_EQ(p.experiment, "default");
  EXPECT_FALSE(p.shadow);
  ASSERT_EQ(p.variants.size(), 1u);
  EXPECT_EQ(p.variants[0].name, "default");
}

}  // namespace
}  // namespace headroom::nudges
