// Forecast calibration on /metrics, against a real PostgreSQL: the daemon's
// full cycles run day after day (as the daemon does, one cycle per business
// date) with a calibration tracker, and the gauges then carry the count and
// Brier score worked out here from the stored forecasts and the
// transactions, by SQL.
#include <atomic>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "measurement/experiment.hpp"
#include "edge/metrics.hpp"
#include "service/scoring.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/prometheus_text.hpp"

using namespace headroom;
using forecast::Date;
using forecast::Days;
using forecast::make_date;

using headroom::testing::prometheus_series;

namespace {

constexpr int kAccounts = 30;
constexpr int kHorizon = 7;

class ForecastCalibration : public headroom::testing::MigratedDatabase {
 protected:
  void SetUp() override {
    MigratedDatabase::SetUp();
    if (HasFatalFailure()) return;
    // Six months of pay on the 1st, rent on the 3rd and daily card spending
    // of $20-44 (by account): the heavier spenders run below zero before
    // payday, the others never do.
    headroom::testing::PayRentCardHistory history;
    history.accounts = kAccounts;
    headroom::testing::seed_pay_rent_card(*conn_, history);
  }

  service::ScoringSettings settings() {
    service::ScoringSettings s;
    s.replica_id = "calibration";
    s.accounts_per_chunk = 7;
    s.lease = std::chrono::seconds(2);
    s.worker_threads = 2;
    s.forecast.projection.paths = 64;
    s.forecast.projection.horizon_days = kHorizon;
    measurement::CalibrationSettings c;
    c.horizon_days = kHorizon;
    s.calibration = std::make_shared<measurement::CalibrationTracker>(c);
    return s;
  }

  // Independently of forecast::build_history: the end-of-day balance is the
  // balance_after of the day's last row, carried over days without rows.
  bool overdrawn_in_window(const std::string& account, Date as_of) {
    pqxx::read_transaction tx{*conn_};
    return tx
        .exec_params1(
            "SELECT bool_or(b.balance_after < 0) FROM generate_series($2::date, $2::date + ($3::integer - 1),"
            " interval '1 day') AS g(day) CROSS JOIN LATERAL (SELECT balance_after FROM headroom.transactions t"
            " WHERE t.account_id = $1 AND t.posted_at <= g.day::date ORDER BY posted_at DESC, txn_id DESC LIMIT 1) b",
            account, forecast::to_iso_string(as_of), kHorizon)[0]
        .as<bool>();
  }
};

}  // namespace

TEST_F(ForecastCalibration, DailyCyclesExportTheCountAndBrierScoreOfTheWindowsThatEnded) {
  const auto s = settings();
  const Date first = make_date(2026, 5, 20);
  const int days = kHorizon + 4;  // as_of 05-20 .. 05-30
  std::map<std::pair<std::string, Date>, double> predicted;  // what each cycle stored
  for (int i = 0; i < days; ++i) {
    const Date as_of = first + Days{i};
    std::atomic<bool> stop{false};
    const auto r = service::run_scoring_cycle(*conn_, as_of, s, stop, false);
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.accounts_scored, static_cast<std::size_t>(kAccounts));
    {
      pqxx::read_transaction tx{*conn_};
      for (const auto& row : tx.exec_params("SELECT account_id, p_overdraft_window FROM headroom.forecasts WHERE as_of = $1",
                                            forecast::to_iso_string(as_of)))
        predicted[{row[0].as<std::string>(), as_of}] = row[1].as<double>();
    }
    // Re-forecasts later the same day (new transactions) add no forecast to follow.
    if (i == 2) {
      ASSERT_EQ(service::rescore_accounts(*conn_, {"acct-001", "acct-002"}, as_of, s), 2u);
    }
  }
  ASSERT_EQ(predicted.size(), static_cast<std::size_t>(kAccounts * days));

  // Every forecast whose window ended by the last cycle: as of 05-20 .. 05-23.
  const Date last = first + Days{days - 1};
  std::size_t resolved = 0;
  double squared_error = 0;
  double p_sum = 0;
  double overdrawn = 0;
  std::vector<measurement::ForecastOutcome> pairs;
  for (const auto& [key, p] : predicted) {
    if (key.second + Days{kHorizon} > last) continue;
    const double y = overdrawn_in_window(key.first, key.second) ? 1.0 : 0.0;
    ++resolved;
    squared_error += (p - y) * (p - y);
    p_sum += p;
    overdrawn += y;
    pairs.push_back({key.second, p, y > 0});
  }
  ASSERT_EQ(resolved, static_cast<std::size_t>(kAccounts * (days - kHorizon)));
  // Both outcomes occur, so the score says something.
  ASSERT_GT(overdrawn, 0);
  ASSERT_LT(overdrawn, static_cast<double>(resolved));

  edge::Metrics metrics;
  metrics.set_forecast_calibration(s.calibration->summary());
  const std::string text = metrics.render();
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_resolved_windows"), static_cast<double>(resolved)) << text;
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_pending_windows"), static_cast<double>(kAccounts * kHorizon));
  const auto n = static_cast<double>(resolved);
  EXPECT_NEAR(prometheus_series(text, "headroom_forecast_brier_score"), squared_error / n, 1e-12);
  EXPECT_NEAR(prometheus_series(text, "headroom_forecast_mean_predicted"), p_sum / n, 1e-12);
  EXPECT_NEAR(prometheus_series(text, "headroom_forecast_observed_rate"), overdrawn / n, 1e-12);
  // The report's definition (headroom report) on the same pairs.
  EXPECT_NEAR(prometheus_series(text, "headroom_forecast_calibration_error"),
              measurement::forecast_health(pairs, first, 10).expected_calibration_error, 1e-12);
}

TEST_F(ForecastCalibration, NoGaugeButTheCountsBeforeAnyWindowHasEnded) {
  const auto s = settings();
  for (int i = 0; i < kHorizon; ++i) {
    std::atomic<bool> stop{false};
    ASSERT_TRUE(service::run_scoring_cycle(*conn_, make_date(2026, 5, 20) + Days{i}, s, stop, false).finished);
  }
  edge::Metrics metrics;
  metrics.set_forecast_calibration(s.calibration->summary());
  const std::string text = metrics.render();
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_resolved_windows"), 0) << text;
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_pending_windows"), static_cast<double>(kAccounts * kHorizon));
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_brier_score"), -1);
}
