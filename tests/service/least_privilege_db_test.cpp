// The verbs other than migrate check the schema and never create it
// (docs/deployment.md): on a database that was never migrated, or is one
// migration behind, they exit 3 with the command that fixes it, and the
// service role cannot migrate. On a cluster of the test's own, with the
// documented roles.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/service/least_privilege.hpp"

using headroom::testing::headroom_as;
using ::testing::HasSubstr;

namespace {

constexpr int kExitSchemaNotCurrent = 3;

bool has_schema(const std::string& url) {
  pqxx::connection c{url};
  return !pqxx::nontransaction{c}.exec1("SELECT to_regnamespace('headroom') IS NULL")[0].as<bool>();
}

}  // namespace

TEST(SchemaCheck, EveryDatabaseVerbRefusesADatabaseThatWasNeverMigratedAndCreatesNothing) {
  headroom::testing::LeastPrivilegeCluster cluster{"bank"};
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  headroom::testing::TempDir dir;
  const std::string csv = dir.file("tx.csv", headroom::testing::kCsvHeader + "a,t1,2026-01-02,1.00,,,\n");
  const std::string report_dir = (dir.path() / "report").string();
  const std::vector<std::string> verbs = {
      "run --once",
      "run --interval-seconds 1",
      "forecast acct-1",
      "forget acct-1",
      "report --experiment default --out " + report_dir,
      "import " + csv,
      "simulate --accounts 2 --days 5 --db --threads 1",
      "experiment --accounts 2 --warmup-days 5 --days 1 --work-dir " + (dir.path() / "work").string()};
  // The service role, and the cluster's superuser, who could create anything.
  for (const std::string role : {"headroom_service", "headroom"}) {
    for (const std::string& args : verbs) {
      const auto r = headroom_as(cluster.url(role), args, "HEADROOM_HTTP_PORT=0");
      EXPECT_EQ(r.exit_code, kExitSchemaNotCurrent) << role << ": " << args << "\n" << r.output;
      EXPECT_THAT(r.output, HasSubstr("headroom: error: the database has no Headroom schema: run 'headroom migrate' "
                                      "(as the owner role, docs/deployment.md)"))
          << role << ": " << args;
    }
    EXPECT_FALSE(has_schema(cluster.url("headroom"))) << role;
  }
  EXPECT_FALSE(std::filesystem::exists(report_dir));
}

TEST(SchemaCheck, AServiceRoleOnADatabaseOneMigrationBehindIsRefusedWithBothVersionsUntilTheOwnerMigrates) {
  headroom::testing::LeastPrivilegeCluster cluster{"bank"};
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  const std::string owner = cluster.url("headroom_owner");
  const std::string service = cluster.url("headroom_service");
  ASSERT_EQ(headroom_as(owner, "migrate").exit_code, 0);
  ASSERT_NO_THROW(cluster.run_documented("grants", "headroom_owner"));
  const auto& migrations = headroom::db::embedded_migrations();
  ASSERT_GE(migrations.size(), 2u);
  const auto& last = migrations.back();
  const auto& before_last = migrations[migrations.size() - 2];
  {
    pqxx::connection c{owner};
    pqxx::work tx{c};
    tx.exec_params("DELETE FROM headroom.schema_migrations WHERE version = $1", last.version);
    tx.commit();
  }
  const auto pad = [](int v) {
    std::string s = std::to_string(v);
    return std::string(4 - std::min<std::size_t>(4, s.size()), '0') + s;
  };
  const std::string expected = "schema at " + pad(before_last.version) + ", this headroom needs " + pad(last.version) +
                               " (" + last.name + " not applied): run 'headroom migrate'";
  for (const std::string args : {"run --once", "run --interval-seconds 1", "forecast acct-1", "forget acct-1"}) {
    const auto r = headroom_as(service, args, "HEADROOM_HTTP_PORT=0");
    EXPECT_EQ(r.exit_code, kExitSchemaNotCurrent) << args << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(expected)) << args;
  }

  // Only the owner changes the schema: the service role's migrate is refused
  // by the server, and nothing was recorded.
  const auto denied = headroom_as(service, "migrate");
  EXPECT_EQ(denied.exit_code, 1) << denied.output;
  EXPECT_THAT(denied.output, HasSubstr("permission denied"));
  const auto migrated = headroom_as(owner, "migrate");
  EXPECT_EQ(migrated.exit_code, 0) << migrated.output;
  EXPECT_THAT(migrated.output, HasSubstr("applied " + last.name));
  const auto forecast = headroom_as(service, "forecast acct-1");
  EXPECT_EQ(forecast.exit_code, 1) << forecast.output;  // the schema is current; the account has no transactions
  EXPECT_THAT(forecast.output, HasSubstr("account 'acct-1' has no transactions"));
}
