// Full cycles, replicas and incremental re-forecasts against a real PostgreSQL.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/forecast_store.hpp"
#include "db/migrations.hpp"
#include "db/scoring_cycle.hpp"
#include "service/scoring.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;
using headroom::forecast::make_date;

namespace {

constexpr int kAccounts = 60;

class ScoringCycle : public headroom::testing::MigratedDatabase {
 protected:
  void SetUp() override {
    MigratedDatabase::SetUp();
    if (HasFatalFailure()) return;
    // Six months of pay on the 1st, rent on the 3rd and daily spending for
    // kAccounts accounts; balance_after is the running sum from 400.00.
    headroom::testing::PayRentCardHistory history;
    history.accounts = kAccounts;
    headroom::testing::seed_pay_rent_card(*conn_, history);
  }


  service::ScoringSettings settings(const std::string& replica, int per_chunk = 7) {
    service::ScoringSettings s;
    s.replica_id = replica;
    s.accounts_per_chunk = per_chunk;
    s.lease = std::chrono::seconds(2);
    s.worker_threads = 2;
    s.forecast.projection.paths = 64;
    return s;
  }

  const forecast::Date as_of_ = make_date(2026, 6, 30);
};

}  // namespace

TEST_F(ScoringCycle, FullCycleWritesTheForecastOfEveryAccount) {
  std::atomic<bool> stop{false};
  const auto r = service::run_scoring_cycle(*conn_, as_of_, settings("solo"), stop);
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.accounts_scored, static_cast<std::size_t>(kAccounts));
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE as_of = '2026-06-30'"), kAccounts);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.risk_days"), kAccounts * 30);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE p_overdraft_window NOT BETWEEN 0 AND 1"), 0);
  pqxx::read_transaction tx{*conn_};
  const auto stored = db::read_forecast(tx, "acct-001");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->as_of, as_of_);
  EXPECT_EQ(stored->days.size(), 30u);
  EXPECT_FALSE(db::read_forecast(tx, "nobody"));
}

TEST_F(ScoringCycle, ThreeReplicasScoreEveryAccountExactlyOnce) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> replicas;
  std::atomic<std::size_t> scored{0};
  for (int i = 0; i < 3; ++i) {
    replicas.emplace_back([&, i] {
      pqxx::connection c{db_.url()};
      const auto r = service::run_scoring_cycle(c, as_of_, settings("replica-" + std::to_string(i), 3), stop);
      scored += r.accounts_scored;
    });
  }
  for (auto& t : replicas) t.join();
  EXPECT_EQ(scored.load(), static_cast<std::size_t>(kAccounts));
  EXPECT_EQ(count("SELECT count(DISTINCT cycle_id) FROM headroom.scoring_log"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_log"), kAccounts);
  EXPECT_EQ(count("SELECT count(DISTINCT account_id) FROM headroom.scoring_log"), kAccounts);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NULL"), 0);
}

TEST_F(ScoringCycle, ADeadReplicasChunkIsTakenOverAfterItsLease) {
  // A replica leases a chunk and dies before committing it.
  const auto cycle = db::start_or_join_cycle(*conn_, as_of_, 7);
  const auto orphan = db::lease_chunk(*conn_, cycle.cycle_id, "dead-replica", std::chrono::seconds(1));
  ASSERT_TRUE(orphan);
  std::atomic<bool> stop{false};
  const auto r = service::run_scoring_cycle(*conn_, as_of_, settings("survivor"), stop);
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_log"), kAccounts);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_log WHERE scored_by = 'dead-replica'"), 0);
  // The dead replica's late commit is refused: nothing is written twice.
  EXPECT_FALSE(db::complete_chunk(*conn_, *orphan, "dead-replica", {}));
}

TEST_F(ScoringCycle, StopRequestedBeforeStartWritesNothing) {
  std::atomic<bool> stop{true};
  const auto r = service::run_scoring_cycle(*conn_, as_of_, settings("stopper"), stop, false);
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"), 0);
}

TEST_F(ScoringCycle, NewTransactionNotifiesAndRescoreUpdatesTheForecast) {
  pqxx::connection listener{db_.url()};
  headroom::testing::NotificationRecorder receiver{listener, "headroom_transactions"};

  {
    pqxx::work tx{*conn_};
    tx.exec("INSERT INTO headroom.transactions VALUES ('acct-007', 'late-1', '2026-06-29', -3000.00, NULL, 'CAR REPAIR', '')");
    tx.commit();
  }
  // Bounded wait on the observable effect: at most 100 polls of 100 ms.
  for (int i = 0; i < 100 && receiver.payloads.empty(); ++i) listener.await_notification(0, 100'000);
  ASSERT_EQ(receiver.payloads, std::vector<std::string>{"acct-007"});

  EXPECT_TRUE(service::rescore_account(*conn_, "acct-007", as_of_, settings("incremental")));
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-007' AND cycle_id IS NULL"), 1);
  // The new debit carries no balance_after: the engine carries the last known balance forward.
  const long long last_known = count(
      "SELECT (balance_after * 100)::bigint FROM headroom.transactions WHERE account_id = 'acct-007' "
      "AND balance_after IS NOT NULL AND posted_at < '2026-06-30' ORDER BY posted_at DESC, txn_id DESC LIMIT 1");
  EXPECT_EQ(count("SELECT start_balance_cents FROM headroom.forecasts WHERE account_id = 'acct-007'"), last_known - 300000);
  EXPECT_FALSE(service::rescore_account(*conn_, "nobody", as_of_, settings("incremental")));
}

TEST_F(ScoringCycle, BatchedRescoreWritesEachNamedAccountOnceAndSkipsUnknownOnes) {
  const std::vector<std::string> batch{"acct-003", "nobody", "acct-011", "acct-003", "acct-042"};
  EXPECT_EQ(service::rescore_accounts(*conn_, batch, as_of_, settings("incremental")), 3u);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE cycle_id IS NULL"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE account_id IN ('acct-003', 'acct-011', 'acct-042')"), 3);
  EXPECT_EQ(service::rescore_accounts(*conn_, {}, as_of_, settings("incremental")), 0u);
}

TEST_F(ScoringCycle, BatchedRescoreGivesTheForecastsOfOneByOneRescores) {
  const std::vector<std::string> accounts{"acct-005", "acct-017", "acct-029"};
  ASSERT_EQ(service::rescore_accounts(*conn_, accounts, as_of_, settings("incremental")), accounts.size());
  const std::string snapshot =
      "SELECT string_agg(account_id || p_overdraft_window::text || day_p50_cents::text, ';' ORDER BY account_id) "
      "FROM headroom.forecasts";
  std::string batched;
  {
    pqxx::read_transaction tx{*conn_};
    batched = tx.exec1(snapshot)[0].as<std::string>();
  }
  for (const auto& a : accounts) ASSERT_TRUE(service::rescore_account(*conn_, a, as_of_, settings("incremental")));
  pqxx::read_transaction tx{*conn_};
  EXPECT_EQ(tx.exec1(snapshot)[0].as<std::string>(), batched);
}
