// The real `headroom run` process against PostgreSQL: SIGTERM mid-cycle and
// a database restart under a running daemon.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/child_process.hpp"
#include "tests/support/private_cluster.hpp"
#include "tests/support/test_database.hpp"
#include "tests/db/db_test_support.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;
using headroom::testing::eventually;

namespace {

// `accounts` accounts, each with 120 days of pay, rent and card spending.
void seed_transactions(pqxx::connection& conn, int accounts) {
  headroom::testing::PayRentCardHistory history;
  history.accounts = accounts;
  history.id_digits = 5;
  history.start = "2026-03-01";
  history.days = 120;
  history.opening = "300";
  history.pay = "1800.00";
  history.pay_days = "{1,15}";
  history.pay_description = "EMPLOYER PAYROLL";
  history.rent_day = 2;
  history.rent = "-1100.00";
  history.rent_description = "LANDLORD RENT";
  history.card_base = 15;
  history.card_account_mod = 11;
  history.card_account_step = 2;
  history.card_day_mod = 1;  // the same amount every day
  history.card_description = "CARD ";
  history.card_description_mod = 7;
  headroom::testing::seed_pay_rent_card(conn, history);
}

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<long long>();
}

// Like count(), but false instead of an exception while the server is down.
bool holds(const std::string& url, const std::string& sql) {
  try {
    return count(url, sql) > 0;
  } catch (const std::exception&) {
    return false;
  }
}

void migrate(const std::string& url) {
  ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + url}};
  ASSERT_EQ(m.wait_exit(60s), 0);
}

}  // namespace

TEST(DaemonProcess, SigtermMidCycleLeavesNoPartialBatchAndExitsZero) {
  headroom::testing::TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  migrate(db.url());
  {
    pqxx::connection c{db.url()};
    seed_transactions(c, 3000);
  }
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--accounts-per-chunk", "10", "--threads", "1"},
                      {"HEADROOM_DATABASE_URL=" + db.url(), "HEADROOM_HTTP_PORT=0"}};
  ASSERT_TRUE(eventually([&] { return holds(db.url(), "SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"); }, 120s))
      << "the daemon never completed a chunk";
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(120s), 0);
  // 300 chunks on one thread take seconds; the signal came after the first.
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NULL"), 1)
      << "the cycle finished before SIGTERM: the test did not stop it mid-cycle";

  // Every stored forecast belongs to a completed chunk, and every completed
  // chunk stored all of its accounts: nothing half-written.
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM headroom.forecasts"),
            count(db.url(), "SELECT coalesce(sum(accounts_scored), 0) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"));
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM headroom.forecasts f WHERE NOT EXISTS "
                            "(SELECT 1 FROM headroom.scoring_log l WHERE l.account_id = f.account_id)"),
            0);
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM headroom.scoring_chunks c WHERE done_at IS NOT NULL AND accounts_scored <> "
                            "(SELECT count(*) FROM headroom.scoring_log l WHERE l.cycle_id = c.cycle_id "
                            "AND l.account_id BETWEEN c.first_account AND c.last_account)"),
            0);
}

TEST(DaemonProcess, ReconnectsAfterADatabaseRestartAndCompletesTheNextCycle) {
  headroom::testing::PrivateCluster cluster;
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  migrate(cluster.url());
  {
    pqxx::connection c{cluster.url()};
    seed_transactions(c, 40);
  }
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "1", "--accounts-per-chunk", "10"},
                      {"HEADROOM_DATABASE_URL=" + cluster.url(), "HEADROOM_HTTP_PORT=0"}};
  ASSERT_TRUE(eventually([&] { return holds(cluster.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL"); }, 120s));

  cluster.stop();
  const long long before = [&] {
    cluster.start();
    return count(cluster.url(), "SELECT max(cycle_id) FROM headroom.scoring_cycles");
  }();
  // A cycle that started after the restart finishes: the daemon reconnected.
  EXPECT_TRUE(eventually(
      [&] {
        return holds(cluster.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL AND cycle_id > " +
                                        std::to_string(before));
      },
      120s));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0);
}
