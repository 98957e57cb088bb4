// The in-memory history cache against a real PostgreSQL: it must see every
// committed row exactly once, whatever order transactions commit in, and a
// cycle scored from it must equal one scored from the database.
#include <atomic>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "service/history_cache.hpp"
#include "service/scoring.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;
using headroom::forecast::make_date;

namespace {

class HistoryCacheDb : public headroom::testing::MigratedDatabase {
 protected:
  void insert(pqxx::connection& conn, const std::string& account, const std::string& txn, const std::string& day,
              const std::string& amount) {
    pqxx::work tx{conn};
    insert_in(tx, account, txn, day, amount);
    tx.commit();
  }
  static void insert_in(pqxx::transaction_base& tx, const std::string& account, const std::string& txn,
                        const std::string& day, const std::string& amount) {
    tx.exec_params(
        "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind)"
        " VALUES ($1, $2, $3::date, $4::numeric, NULL, 'CARD SHOP', '')",
        account, txn, day, amount);
  }
  std::size_t rows_of(const service::HistoryCache& cache, const std::string& account) {
    std::size_t n = 0;
    cache.for_each_in_range(account, account, [&](const std::string&, auto history, auto) { n = history.size(); });
    return n;
  }
};

}  // namespace

TEST_F(HistoryCacheDb, FirstRefreshReadsEveryRowAndLaterOnesOnlyWhatCommittedSince) {
  insert(*conn_, "acct-a", "t1", "2026-01-02", "-10.00");
  insert(*conn_, "acct-b", "t1", "2026-01-02", "-20.00");
  service::HistoryCache cache;
  const auto first = cache.refresh(*conn_);
  EXPECT_TRUE(first.full);
  EXPECT_EQ(first.rows_added, 2u);

  insert(*conn_, "acct-a", "t2", "2026-01-03", "-11.00");
  const auto second = cache.refresh(*conn_);
  EXPECT_FALSE(second.full);
  EXPECT_EQ(second.rows_added, 1u);
  EXPECT_LE(second.rows_read, 3u) << "an incremental refresh must not reread the table";
  EXPECT_EQ(rows_of(cache, "acct-a"), 2u);
  EXPECT_EQ(cache.rows(), 3u);
}

TEST_F(HistoryCacheDb, ARowCommittedAfterALaterTransactionIsStillSeen) {
  insert(*conn_, "acct-a", "t1", "2026-01-02", "-10.00");
  service::HistoryCache cache;
  cache.refresh(*conn_);
  // The slow transaction takes its id first and commits last: a high-water
  // mark on ids would skip it for good.
  pqxx::connection slow_conn{db_.url()};
  pqxx::work slow{slow_conn};
  insert_in(slow, "acct-slow", "t1", "2026-01-02", "-5.00");
  insert(*conn_, "acct-b", "t1", "2026-01-02", "-20.00");
  EXPECT_EQ(cache.refresh(*conn_).rows_added, 1u);
  EXPECT_EQ(rows_of(cache, "acct-slow"), 0u);
  slow.commit();
  EXPECT_EQ(cache.refresh(*conn_).rows_added, 1u);
  EXPECT_EQ(rows_of(cache, "acct-slow"), 1u);
  EXPECT_EQ(cache.rows(), 3u);
  EXPECT_EQ(cache.refresh(*conn_).rows_added, 0u) << "nothing is added twice";
}

TEST_F(HistoryCacheDb, ACycleFromTheCacheEqualsACycleFromTheDatabase) {
  // Two months of pay, rent and spending for five accounts.
  {
    pqxx::work tx{*conn_};
    tx.exec(
        "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind) "
        "SELECT 'acct-' || a, 'd' || d || k, date '2026-01-01' + d,"
        "       CASE k WHEN 0 THEN 1500.00 WHEN 1 THEN -900.00 ELSE -(15 + a * 2 + d % 4)::numeric END, NULL,"
        "       CASE k WHEN 0 THEN 'ACME PAYROLL' WHEN 1 THEN 'OAK RENT' ELSE 'CARD SHOP' END, '' "
        "FROM generate_series(1, 5) a, generate_series(0, 89) d, generate_series(0, 2) k "
        "WHERE (k = 0 AND d % 14 = 0) OR (k = 1 AND extract(day FROM date '2026-01-01' + d) = 2) OR k = 2");
    tx.commit();
  }
  service::ScoringSettings settings;
  settings.replica_id = "test";
  settings.worker_threads = 2;
  settings.accounts_per_chunk = 2;
  settings.forecast.projection.paths = 64;
  settings.nudges.enabled = false;
  std::atomic<bool> stop{false};
  const auto as_of = make_date(2026, 3, 31);
  ASSERT_TRUE(service::run_scoring_cycle(*conn_, as_of, settings, stop).finished);
  const auto from_database = count("SELECT sum(hashtext(account_id || p_overdraft_window::text || day_p50_cents::text)) "
                                   "FROM headroom.forecasts");
  settings.history_cache = std::make_shared<service::HistoryCache>();
  const auto cached = service::run_scoring_cycle(*conn_, as_of, settings, stop);
  ASSERT_TRUE(cached.finished);
  EXPECT_EQ(cached.accounts_scored, 5u);
  EXPECT_EQ(count("SELECT sum(hashtext(account_id || p_overdraft_window::text || day_p50_cents::text)) "
                  "FROM headroom.forecasts"),
            from_database);
}
