// Policies from the configuration file written into headroom.nudge_policies.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/nudge_store.hpp"
#include "nudges/policy.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;

namespace {

class PolicyStore : public headroom::testing::MigratedDatabase {};

nudges::Policy policy(const std::string& name, double threshold) {
  nudges::Policy p = nudges::parse_policy_json_text("{\"name\": \"" + name + "\"}", "test");
  p.risk_threshold = threshold;
  return p;
}

}  // namespace

TEST_F(PolicyStore, InsertsNewPoliciesAndUpdatesOnlyThoseThatChanged) {
  EXPECT_EQ(db::store_policies(*conn_, {policy("payday-gap", 0.3)}), 1u);
  EXPECT_EQ(count("SELECT version FROM headroom.nudge_policies WHERE name = 'payday-gap'"), 1);
  // The same file again (a SIGHUP with nothing edited) changes nothing.
  EXPECT_EQ(db::store_policies(*conn_, {policy("payday-gap", 0.3)}), 0u);
  EXPECT_EQ(count("SELECT version FROM headroom.nudge_policies WHERE name = 'payday-gap'"), 1);
  EXPECT_EQ(db::store_policies(*conn_, {policy("payday-gap", 0.4)}), 1u);
  EXPECT_EQ(count("SELECT version FROM headroom.nudge_policies WHERE name = 'payday-gap'"), 2);
  // What the planner loads is what the file said; the shipped default is untouched.
  pqxx::read_transaction tx{*conn_};
  const auto load = db::load_active_policies(tx);
  EXPECT_TRUE(load.errors.empty());
  ASSERT_EQ(load.policies.size(), 2u);
  EXPECT_EQ(load.policies[0].policy.name, "default");
  EXPECT_EQ(load.policies[1].policy.name, "payday-gap");
  EXPECT_DOUBLE_EQ(load.policies[1].policy.risk_threshold, 0.4);
}
