// db::ConnectionPool against a real PostgreSQL: leases and their return, the
// session settings of a new connection, a statement timeout, a connection
// whose server session was terminated, the backoff while the server is down
// (a private cluster of the test's own, stopped and started), and the
// prepared reads of the API on one connection and after a reconnect.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/connection_pool.hpp"
#include "db/database_faults.hpp"
#include "db/forecast_store.hpp"
#include "db/migrations.hpp"
#include "db/nudge_store.hpp"
#include "tests/support/private_cluster.hpp"
#include "tests/support/test_database.hpp"

namespace {

using namespace std::chrono_literals;
using headroom::db::ConnectionPool;
using headroom::db::ConnectionPoolSettings;
using headroom::db::PoolUnavailable;

ConnectionPoolSettings pool_settings(const std::string& url, unsigned size = 2) {
  ConnectionPoolSettings s;
  s.url = url;
  s.size = size;
  s.statement_timeout = 2000ms;
  s.application_name = "headroom-pool-test";
  s.lease_wait = 50ms;
  return s;
}

std::string one_value(pqxx::connection& c, const std::string& sql) {
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<std::string>();
}

int backend_pid(pqxx::connection& c) { return std::stoi(one_value(c, "SELECT pg_backend_pid()")); }

void terminate_backend(const std::string& url, int pid) {
  pqxx::connection admin{url};
  pqxx::nontransaction tx{admin};
  tx.exec_params("SELECT pg_terminate_backend($1)", pid);
}

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { HEADROOM_REQUIRE_DATABASE(db_); }
  headroom::testing::TestDatabase db_;
};

TEST_F(ConnectionPoolTest, ConnectsOnlyWhenLeasedAndLendsTheSameConnectionAgainOnceTheLeaseEnds) {
  ConnectionPool pool{pool_settings(db_.url())};
  EXPECT_EQ(pool.stats().connects, 0u);
  int first = 0;
  {
    auto lease = pool.lease();
    first = backend_pid(*lease);
    EXPECT_EQ(pool.stats().leased, 1u);
    EXPECT_EQ(pool.stats().idle, 0u);
  }
  EXPECT_EQ(pool.stats().leased, 0u);
  EXPECT_EQ(pool.stats().idle, 1u);
  auto again = pool.lease();
  EXPECT_EQ(backend_pid(*again), first);
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST_F(ConnectionPoolTest, RefusesALeaseBeyondItsSizeOnceTheLeaseWaitHasPassed) {
  ConnectionPool pool{pool_settings(db_.url(), 1)};
  auto held = pool.lease();
  try {
    pool.lease();
    FAIL() << "a second lease of a pool of one must be refused";
  } catch (const PoolUnavailable& e) {
    EXPECT_STREQ(e.what(), "connection pool: all 1 connections in use for 50 ms");
    EXPECT_TRUE(headroom::db::database_unavailable(e));
  }
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST_F(ConnectionPoolTest, EachNewConnectionHasTheStatementTimeoutAndApplicationName) {
  auto settings = pool_settings(db_.url());
  settings.statement_timeout = 250ms;
  ConnectionPool pool{settings};
  auto a = pool.lease();
  auto b = pool.lease();
  for (auto* lease : {&a, &b}) {
    EXPECT_EQ(one_value(**lease, "SHOW statement_timeout"), "250ms");
    EXPECT_EQ(one_value(**lease, "SELECT current_setting('application_name')"), "headroom-pool-test");
  }
}

TEST_F(ConnectionPoolTest, AStatementOverTheTimeoutIsCancelledAsUnavailableAndTheConnectionStays) {
  auto settings = pool_settings(db_.url(), 1);
  settings.statement_timeout = 100ms;
  ConnectionPool pool{settings};
  int pid = 0;
  try {
    pool.with_connection([&](pqxx::connection& c) {
      pid = backend_pid(c);
      pqxx::nontransaction tx{c};
      tx.exec("SELECT pg_sleep(5)");
    });
    FAIL() << "pg_sleep(5) must be cancelled after 100 ms";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
    EXPECT_TRUE(headroom::db::database_unavailable(e));
  }
  EXPECT_EQ(pool.stats().discarded, 0u);
  auto lease = pool.lease();
  EXPECT_EQ(backend_pid(*lease), pid);
}

TEST_F(ConnectionPoolTest, AConnectionWhoseSessionWasTerminatedIsDiscardedAndReplaced) {
  ConnectionPool pool{pool_settings(db_.url(), 1)};
  const int pid = pool.with_connection([](pqxx::connection& c) { return backend_pid(c); });
  terminate_backend(db_.url(), pid);
  try {
    pool.with_connection([](pqxx::connection& c) { return backend_pid(c); });
    FAIL() << "a query on a terminated session must fail";
  } catch (const std::exception& e) {
    EXPECT_TRUE(headroom::db::database_unavailable(e)) << e.what();
  }
  EXPECT_EQ(pool.stats().discarded, 1u);
  EXPECT_EQ(pool.stats().idle, 0u);
  const int replacement = pool.with_connection([](pqxx::connection& c) { return backend_pid(c); });
  EXPECT_NE(replacement, pid);
  EXPECT_EQ(pool.stats().connects, 2u);
}

// The clock is the test's: it stands still unless moved, so "within the
// backoff" and "after it" do not depend on how fast the test runs.
TEST(ConnectionPoolOutage, RefusesWithoutConnectingWhileBackingOffAndConnectsOnceItHasPassed) {
  headroom::testing::PrivateCluster cluster;
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  auto now = std::chrono::steady_clock::now();
  auto settings = pool_settings(cluster.url(), 2);
  settings.max_backoff = 1000ms;
  settings.clock = [&] { return now; };
  ConnectionPool pool{settings};
  pool.with_connection([](pqxx::connection& c) { return backend_pid(c); });  // one idle connection

  cluster.stop();
  // The idle connection is lent, fails, and is discarded.
  try {
    pool.with_connection([](pqxx::connection& c) { return backend_pid(c); });
    FAIL() << "a query on a stopped server must fail";
  } catch (const std::exception& e) {
    EXPECT_TRUE(headroom::db::database_unavailable(e)) << e.what();
  }
  EXPECT_EQ(pool.stats().discarded, 1u);
  // A new connection is refused by the stopped server...
  try {
    pool.lease();
    FAIL() << "connecting to a stopped server must fail";
  } catch (const PoolUnavailable& e) {
    EXPECT_EQ(std::string(e.what()).rfind("connection pool: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(pool.stats().connects, 2u);
  EXPECT_EQ(pool.stats().connect_failures, 1u);
  // ... and until the backoff has passed no lease tries again, even with the
  // server back.
  cluster.start();
  for (int i = 0; i < 3; ++i) {
    try {
      pool.lease();
      FAIL() << "a lease within the backoff must be refused";
    } catch (const PoolUnavailable& e) {
      EXPECT_NE(std::string(e.what()).find("next attempt in"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(pool.stats().connects, 2u);
  now += settings.max_backoff;
  auto lease = pool.lease();
  EXPECT_EQ(one_value(*lease, "SELECT 1"), "1");
  EXPECT_EQ(pool.stats().connects, 3u);
}

// libpqxx 6.4: prepare() again with the same text is a no-op and the server
// sees the statement once, at the first exec_prepared on each connection.
TEST_F(ConnectionPoolTest, ThePreparedReadsWorkTwiceOnOneConnectionAndAgainAfterAReconnect) {
  {
    pqxx::connection c{db_.url()};
    headroom::db::migrate(c);
    pqxx::work tx{c};
    tx.exec(
        "INSERT INTO headroom.forecasts (account_id, as_of, horizon_days, start_balance_cents, p_overdraft_window,"
        " p_below_buffer_window, model_kind, day_p_below_zero) VALUES ('acct-1', '2026-06-30', 2, 1500, 0.5, 0.75,"
        " 'full', '{0.25,0.5}')");
    tx.exec("INSERT INTO headroom.accounts (account_id) VALUES ('acct-1')");
    tx.commit();
  }
  ConnectionPool pool{pool_settings(db_.url(), 1)};
  const auto read_both = [&] {
    return pool.with_connection([](pqxx::connection& c) {
      pqxx::nontransaction tx{c};
      const auto forecast = headroom::db::read_forecast(tx, "acct-1");
      const auto feed = headroom::db::read_nudge_feed_json(tx, "acct-1");
      EXPECT_TRUE(forecast && feed);
      EXPECT_FALSE(headroom::db::read_forecast(tx, "acct-unknown"));
      EXPECT_EQ(forecast->start_balance.cents(), 1500);
      EXPECT_EQ(forecast->days.size(), 2u);
      EXPECT_EQ(*feed, R"({"account_id" : "acct-1", "nudges" : []})");
      return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
    });
  };
  const auto prepared_here = [&] {
    return pool.with_connection([](pqxx::connection& c) {
      return one_value(c, "SELECT count(*) FROM pg_prepared_statements WHERE name IN "
                          "('headroom_read_forecast', 'headroom_read_nudge_feed')");
    });
  };
  const int pid = read_both();
  EXPECT_EQ(read_both(), pid);
  EXPECT_EQ(prepared_here(), "2");

  terminate_backend(db_.url(), pid);
  EXPECT_THROW(read_both(), std::exception);
  EXPECT_NE(read_both(), pid);
  EXPECT_EQ(prepared_here(), "2");
}

}  // namespace
