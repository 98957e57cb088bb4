// The verbs of this area through the real binary: usage errors exit 2,
// --help lists every flag, runtime failures exit 1 with the reason.
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/db/db_test_support.hpp"

namespace headroom::testing {
namespace {

using ::testing::HasSubstr;

// No database URL and no embedded folder in the build tree: usage checks
// must fail before anything tries to reach a database.
CommandResult headroom(const std::string& args, const std::string& env = "") {
  return run_command("cd /tmp && env -u HEADROOM_DATABASE_URL -u HEADROOM_CONFIG " + env + " " +
                     shell_quote(HEADROOM_BINARY) + " " + args);
}

TEST(Cli, ImportHelpDescribesEveryFlag) {
  const auto r = headroom("import --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"FILE", "--reject-file", "--allow-rejects", "--config"})
    EXPECT_THAT(r.output, HasSubstr(flag)) << flag;
}

TEST(Cli, MigrateAndDbHelpDescribeEveryFlagAndVerb) {
  const auto migrate = headroom("migrate --help");
  EXPECT_EQ(migrate.exit_code, 0);
  EXPECT_THAT(migrate.output, HasSubstr("--config"));
  const auto db = headroom("db --help");
  EXPECT_EQ(db.exit_code, 0);
  for (const char* verb : {"start", "stop", "status", "url", "--config"}) EXPECT_THAT(db.output, HasSubstr(verb)) << verb;
}

TEST(Cli, ImportWithoutAFileIsAUsageError) { EXPECT_EQ(headroom("import").exit_code, 2); }

TEST(Cli, ImportOfAMissingFileIsAUsageError) {
  const auto r = headroom("import /nonexistent/tx.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/tx.csv"));
}

TEST(Cli, UnknownFlagIsAUsageError) { EXPECT_EQ(headroom("import --bogus x.csv").exit_code, 2); }

TEST(Cli, DbWithoutAnActionIsAUsageError) { EXPECT_EQ(headroom("db").exit_code, 2); }

TEST(Cli, DbStartWithAConfiguredUrlIsAUsageError) {
  const auto r = headroom("db start", "HEADROOM_DATABASE_URL='host=/nonexistent'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("manages only the embedded cluster"));
}

TEST(Cli, PasswordInTheConfigFileIsRefused) {
  TempDir dir;
  const auto config = dir.file("h.toml", "[database]\nurl = \"postgresql://u:secret@db/x\"\n");
  const auto r = headroom("db url --config " + config);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("HEADROOM_DATABASE_PASSWORD"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("secret")));
}

TEST(Cli, UnknownConfigKeyIsRefusedByName) {
  TempDir dir;
  const auto config = dir.file("h.toml", "[database]\nulr = \"x\"\n");
  const auto r = headroom("db url --config " + config);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("[database] ulr: unknown key"));
}

TEST(Cli, DbUrlPrintsTheConfiguredUrlOrTheEmbeddedSocket) {
  EXPECT_EQ(headroom("db url", "HEADROOM_DATABASE_URL='host=/x dbname=y'").output, "host=/x dbname=y\n");
  TempDir dir;
  const auto r = headroom("db url", "HEADROOM_DATABASE_EMBEDDED_DIR=" + (dir.path() / "pg").string());
  EXPECT_EQ(r.output, "host='" + (dir.path() / "pg").string() + "' user=headroom dbname=headroom\n");
}

// Needs PostgreSQL (label db).
class CommandLine : public ::testing::Test {
 protected:
  void SetUp() override { HEADROOM_REQUIRE_DATABASE(db_); }
  CommandResult run(const std::string& args) {
    return headroom(args, "HEADROOM_DATABASE_URL=" + shell_quote(db_.url()));
  }
  TestDatabase db_;
  TempDir dir_;
};

TEST_F(CommandLine, MigratesImportsAndPrintsTheSummary) {
  const auto early = run("import " + dir_.file("early.csv", kCsvHeader));
  EXPECT_EQ(early.exit_code, 3);
  EXPECT_THAT(early.output, HasSubstr("the database has no Headroom schema: run 'headroom migrate'"));
  const auto m = run("migrate");
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_THAT(m.output, HasSubstr("applied 0001_create_core_tables.sql"));
  EXPECT_THAT(run("migrate").output, HasSubstr("0 applied"));

  const auto path = dir_.file("tx.csv", kCsvHeader + "a,t1,2024-01-01,1.00,,,\na,t2,2024-01-02,-1.00,0.00,,\n");
  const auto first = run("import " + path);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("2 rows read, 2 inserted, 0 unchanged, 0 rejected in "));
  EXPECT_THAT(run("import " + path).output, HasSubstr("2 rows read, 0 inserted, 2 unchanged, 0 rejected"));
}

TEST_F(CommandLine, BadRowExitsOneNamingLineAndField) {
  ASSERT_EQ(run("migrate").exit_code, 0);
  const auto bad = dir_.file("bad.csv", kCsvHeader + "a,t1,2024-01-01,1.00,,,\na,t2,2024-01-02,one,,,\n");
  const auto r = run("import " + bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("bad.csv:3: amount: not a decimal number"));
  const auto allowed = run("import --allow-rejects --reject-file " + (dir_.path() / "r.csv").string() + " " + bad);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("2 rows read, 1 inserted, 0 unchanged, 1 rejected"));
}

TEST_F(CommandLine, SimulateDbFillsTransactionsAndAccounts) {
  ASSERT_EQ(run("migrate").exit_code, 0);
  const auto r = run("simulate --accounts 12 --days 40 --seed 3 --threads 1 --db");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("headroom.accounts: 12 accounts written"));
  pqxx::connection conn{db_.url()};
  pqxx::read_transaction tx{conn};
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM headroom.accounts WHERE email LIKE '%.test' AND email_consent"
                     " AND currency = 'USD' AND time_zone <> ''")[0].as<int>(),
            12);
  // Every account with transactions has its accounts row.
  EXPECT_EQ(tx.exec1("SELECT count(DISTINCT account_id) FROM headroom.transactions t WHERE NOT EXISTS"
                     " (SELECT 1 FROM headroom.accounts a WHERE a.account_id = t.account_id)")[0].as<int>(),
            0);
}

}  // namespace
}  // namespace headroom::testing
