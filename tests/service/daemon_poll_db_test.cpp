// The real `headroom run` and its incremental path: with LISTEN (the
// default, migration 0005's trigger in place) a new transaction reaches the
// account's forecast row through NOTIFY; with NOTIFY unavailable (the trigger
// dropped, as for a bank's view, and LISTEN switched off) the
// high-water-mark polling fallback alone does, also when the row commits
// while the daemon cannot connect (the mark outlives the connection).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_database.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;
using headroom::testing::eventually;

namespace {

// The daemon's business date is today in UTC; so is the test's.
constexpr const char* kTodayUtc = "(now() AT TIME ZONE 'UTC')::date";

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<long long>();
}

// `accounts` accounts with 120 days of pay, rent and card spending up to
// yesterday, so the daemon's forecasts as of today have a known balance.
void seed(pqxx::connection& conn, int accounts) {
  pqxx::work tx{conn};
  headroom::testing::PayRentCardHistory history;
  history.accounts = accounts;
  history.id_digits = 3;
  history.days = 120;
  history.start = tx.exec(std::string("SELECT (") + kTodayUtc + " - 120)::text")[0][0].as<std::string>();
  headroom::testing::seed_pay_rent_card(tx, history);
  tx.commit();
}

// Migrates and seeds; without `notify`, drops the NOTIFY trigger: a feed
// that cannot notify.
void prepare(const std::string& url, bool notify = false) {
  pqxx::connection c{url};
  headroom::db::migrate(c);
  if (!notify) pqxx::nontransaction{c}.exec("DROP TRIGGER transactions_notify_insert ON headroom.transactions");
  seed(c, 12);
}

// A debit without balance_after for acct-007, posted yesterday after its
// other rows (txn_id "zz-…" sorts last). Returns how many connections `role`
// had open when it committed.
long long insert_late_debit(const std::string& url, const std::string& role = "") {
  pqxx::connection c{url};
  pqxx::work tx{c};
  tx.exec(std::string("INSERT INTO headroom.transactions VALUES ('acct-007', 'zz-late-1', ") + kTodayUtc +
          " - 1, -3000.00, NULL, 'CAR REPAIR', '')");
  const long long open = tx.exec_params("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role)[0][0]
                             .as<long long>();
  tx.commit();
  return open;
}

// Polling every second, no LISTEN.
std::vector<std::string> daemon_env(const std::string& url) {
  return {"HEADROOM_DATABASE_URL=" + url, "HEADROOM_HTTP_PORT=0", "HEADROOM_LISTEN=0",
          "HEADROOM_POLL_INTERVAL_SECONDS=1"};
}

// LISTEN, no polling.
std::vector<std::string> listening_env(const std::string& url) {
  return {"HEADROOM_DATABASE_URL=" + url, "HEADROOM_HTTP_PORT=0", "HEADROOM_LISTEN=1",
          "HEADROOM_POLL_INTERVAL_SECONDS=0"};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts the daemon with `env`, waits for its first full cycle, inserts a
// late debit for acct-007 and expects that account's forecast, and only it,
// re-forecast from the new row; then SIGTERM and exit 0.
void expect_insert_updates_only_that_forecast(const std::string& url, const std::vector<std::string>& env,
                                              const std::filesystem::path& dir) {
  const std::string log = (dir / "daemon.log").string();
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "3600", "--accounts-per-chunk", "5", "--threads", "1"},
                      env, log};
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") > 0; }, 120s))
      << "the first cycle never finished:\n" << slurp(log);
  ASSERT_EQ(count(url, "SELECT count(*) FROM headroom.forecasts WHERE cycle_id IS NULL"), 0);

  insert_late_debit(url);
  // The incremental path writes the row without a cycle id.
  EXPECT_TRUE(eventually(
      [&] { return count(url, "SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-007' AND cycle_id IS NULL") == 1; },
      120s))
      << "the account was not re-forecast:\n" << slurp(log);
  // That account only, and from the new row: the debit carries no
  // balance_after, so the engine carries the last known balance forward.
  EXPECT_EQ(count(url, "SELECT count(*) FROM headroom.forecasts WHERE cycle_id IS NULL"), 1);
  const long long last_known = count(
      url, "SELECT (balance_after * 100)::bigint FROM headroom.transactions WHERE account_id = 'acct-007' "
           "AND balance_after IS NOT NULL ORDER BY posted_at DESC, txn_id DESC LIMIT 1");
  EXPECT_EQ(count(url, "SELECT start_balance_cents FROM headroom.forecasts WHERE account_id = 'acct-007'"),
            last_known - 300000);

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0);
}

}  // namespace

TEST(DaemonListening, AnInsertUpdatesThatAccountsForecastThroughNotify) {
  headroom::testing::TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  headroom::testing::TempDir dir;
  prepare(db.url(), /*notify=*/true);
  expect_insert_updates_only_that_forecast(db.url(), listening_env(db.url()), dir.path());
}

TEST(DaemonPolling, WithoutNotifyAnInsertStillUpdatesThatAccountsForecast) {
  headroom::testing::TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  headroom::testing::TempDir dir;
  prepare(db.url());
  expect_insert_updates_only_that_forecast(db.url(), daemon_env(db.url()), dir.path());
}

TEST(DaemonPolling, ARowCommittedWhileTheDaemonCannotConnectIsFoundOnceItReconnects) {
  headroom::testing::TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  headroom::testing::TempDir dir;
  prepare(db.url());
  // The daemon logs in as a role of its own, so the test can lock it out
  // while it goes on writing itself. (Roles are per server: the name is this
  // test's database's, unique.)
  pqxx::connection admin{db.url()};
  const std::string role = db.name() + "_daemon";
  pqxx::nontransaction{admin}.exec("CREATE ROLE " + admin.quote_name(role) + " LOGIN SUPERUSER");
  const std::string log = (dir.path() / "daemon.log").string();
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "3600", "--accounts-per-chunk", "5", "--threads", "1"},
                      daemon_env(db.url() + " user=" + role), log};
  ASSERT_TRUE(eventually([&] { return count(db.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") > 0; }, 120s))
      << "the first cycle never finished:\n" << slurp(log);

  // Cut the daemon off: its connections are closed and new ones refused.
  // Once the incremental thread has noticed (it logs the error and backs
  // off), the row commits with none of the daemon's connections open.
  pqxx::nontransaction{admin}.exec("ALTER ROLE " + admin.quote_name(role) + " NOLOGIN");
  pqxx::nontransaction{admin}.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role);
  ASSERT_TRUE(eventually([&] { return slurp(log).find("] incremental: database error") != std::string::npos; }, 60s))
      << slurp(log);
  // pg_terminate_backend only signals: a backend busy in a statement may
  // still be listed for a moment. Wait until every one has gone.
  const std::string open_sessions =
      "SELECT count(*) FROM pg_stat_activity WHERE usename = " + admin.quote(role);
  ASSERT_TRUE(eventually([&] { return count(db.url(), open_sessions) == 0; }, 60s)) << slurp(log);
  EXPECT_EQ(insert_late_debit(db.url(), role), 0);
  pqxx::nontransaction{admin}.exec("ALTER ROLE " + admin.quote_name(role) + " LOGIN");

  // The reconnected thread polls from the mark it had before the outage.
  EXPECT_TRUE(eventually(
      [&] { return count(db.url(), "SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-007' AND cycle_id IS NULL") == 1; },
      120s))
      << "the row committed during the outage was never polled:\n" << slurp(log);
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM headroom.forecasts WHERE cycle_id IS NULL"), 1);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0);
  pqxx::nontransaction{admin}.exec("DROP ROLE " + admin.quote_name(role));
}
