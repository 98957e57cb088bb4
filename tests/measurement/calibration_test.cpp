// The forecast outcome rule and the running calibration tracker
// (measurement/calibration.hpp) on hand-built histories with real dates.
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "forecast/history.hpp"
#include "measurement/calibration.hpp"
#include "measurement/experiment.hpp"

namespace headroom::measurement {
namespace {

using forecast::Date;
using forecast::Days;
using forecast::make_date;
using forecast::Money;

constexpr double kTight = 1e-12;

forecast::Transaction row(const std::string& account, const std::string& id, Date posted, std::int64_t amount_cents,
                          std::int64_t balance_cents) {
  forecast::Transaction t;
  t.account_id = account;
  t.txn_id = id;
  t.posted_at = posted;
  t.amount = Money::from_cents(amount_cents);
  t.balance_after = Money::from_cents(balance_cents);
  return t;
}

// $100.00 from 2026-03-01; when `overdrawn_on` is given, a $150.00 debit
// that day (balance -$50.00) and the money back the day after.
std::vector<forecast::Transaction> account_rows(const std::string& account, std::optional<Date> overdrawn_on = {}) {
  std::vector<forecast::Transaction> rows{row(account, "open", make_date(2026, 3, 1), 10000, 10000)};
  if (overdrawn_on) {
    rows.push_back(row(account, "debit", *overdrawn_on, -15000, -5000));
    rows.push_back(row(account, "credit", *overdrawn_on + Days{1}, 15000, 10000));
  }
  return rows;
}

forecast::AccountHistory history_as_of(const std::vector<forecast::Transaction>& rows, Date as_of) {
  return forecast::build_history(rows, as_of);
}

// --- window_overdrawn ---

TEST(WindowOverdrawn, TrueWhenAnEndOfDayBalanceOfTheWindowIsBelowZero) {
  const Date d = make_date(2026, 4, 6);
  // Window of 7 days: 2026-04-06 .. 2026-04-12.
  struct Case {
    Date overdrawn_on;
    bool expected;
  };
  const Case cases[] = {
      {make_date(2026, 4, 5), false},   // the day before the window
      {make_date(2026, 4, 6), true},    // its first day
      {make_date(2026, 4, 12), true},   // its last day
      {make_date(2026, 4, 13), false},  // the day after
  };
  for (const Case& c : cases) {
    const auto h = history_as_of(account_rows("a", c.overdrawn_on), make_date(2026, 5, 1));
    EXPECT_EQ(window_overdrawn(h, d, 7), std::optional<bool>(c.expected)) << forecast::to_iso_string(c.overdrawn_on);
  }
  EXPECT_EQ(window_overdrawn(history_as_of(account_rows("a"), make_date(2026, 5, 1)), d, 7), std::optional<bool>(false));
}

TEST(WindowOverdrawn, UnknownUntilTheHistoryShowsTheWindowsLastDay) {
  const auto rows = account_rows("a", make_date(2026, 4, 12));
  const Date d = make_date(2026, 4, 6);
  // The history as of 2026-04-12 ends on 04-11: the last day is not seen yet.
  EXPECT_EQ(window_overdrawn(history_as_of(rows, make_date(2026, 4, 12)), d, 7), std::nullopt);
  EXPECT_EQ(window_overdrawn(history_as_of(rows, make_date(2026, 4, 13)), d, 7), std::optional<bool>(true));
}

TEST(WindowOverdrawn, UnknownForAWindowStartingBeforeTheHistoryAnEmptyHistoryOrNoWindow) {
  const auto rows = account_rows("a");
  const auto h = history_as_of(rows, make_date(2026, 5, 1));
  EXPECT_EQ(window_overdrawn(h, make_date(2026, 2, 28), 7), std::nullopt);  // history starts 03-01
  EXPECT_EQ(window_overdrawn(h, make_date(2026, 3, 1), 7), std::optional<bool>(false));
  EXPECT_EQ(window_overdrawn(history_as_of({}, make_date(2026, 5, 1)), make_date(2026, 4, 1), 7), std::nullopt);
  EXPECT_EQ(window_overdrawn(h, make_date(2026, 4, 1), 0), std::nullopt);
}

// --- CalibrationTracker ---

CalibrationTracker tracker(int horizon = 7, int window = 28, int bins = 10) {
  return CalibrationTracker(CalibrationSettings{horizon, window, bins});
}

TEST(CalibrationTracker, ResolvesAForecastOnlyWhenALaterHistoryShowsItsWholeWindow) {
  auto t = tracker(7);
  const auto rows = account_rows("a", make_date(2026, 4, 8));
  t.record("a", history_as_of(rows, make_date(2026, 4, 6)), 0.25);
  // Scored again on 04-12: the window 04-06 .. 04-12 has not ended.
  t.record("a", history_as_of(rows, make_date(2026, 4, 12)), 0.5);
  EXPECT_EQ(t.summary().resolved, 0u);
  EXPECT_EQ(t.summary().pending, 2u);
  // On 04-13 the history runs to 04-12: the first forecast resolves.
  t.record("a", history_as_of(rows, make_date(2026, 4, 13)), 0.5);
  const CalibrationSummary s = t.summary();
  EXPECT_EQ(s.resolved, 1u);
  EXPECT_EQ(s.pending, 2u);  // 04-12 and 04-13
  EXPECT_NEAR(s.brier, 0.75 * 0.75, kTight);
  EXPECT_NEAR(s.mean_predicted, 0.25, kTight);
  EXPECT_NEAR(s.observed_rate, 1.0, kTight);
  EXPECT_NEAR(s.expected_calibration_error, 0.75, kTight);
}

TEST(CalibrationTracker, FollowsOnlyTheFirstForecastOfAnAccountsDay) {
  auto t = tracker(7);
  const auto rows = account_rows("a");
  const Date d = make_date(2026, 4, 6);
  t.record("a", history_as_of(rows, d), 0.9);
  t.record("a", history_as_of(rows, d), 0.1);  // a re-forecast after a new transaction
  t.record("a", history_as_of(rows, d), 0.3);
  EXPECT_EQ(t.summary().pending, 1u);
  t.record("a", history_as_of(rows, d + Days{7}), 0.0);
  const CalibrationSummary s = t.summary();
  EXPECT_EQ(s.resolved, 1u);
  EXPECT_NEAR(s.mean_predicted, 0.9, kTight);
  EXPECT_NEAR(s.brier, 0.81, kTight);
}

TEST(CalibrationTracker, DoesNotFollowAForecastDatedBeforeTheAccountsLatest) {
  auto t = tracker(7);
  const auto rows = account_rows("a");
  t.record("a", history_as_of(rows, make_date(2026, 4, 10)), 0.2);
  t.record("a", history_as_of(rows, make_date(2026, 4, 8)), 0.4);  // the business date went back
  EXPECT_EQ(t.summary().pending, 1u);
  t.record("a", history_as_of(rows, make_date(2026, 4, 17)), 0.0);
  EXPECT_EQ(t.summary().resolved, 1u);
  EXPECT_NEAR(t.summary().mean_predicted, 0.2, kTight);
}

TEST(CalibrationTracker, KeepsAtMostHorizonForecastsPendingPerAccount) {
  const int horizon = 7;
  auto t = tracker(horizon);
  const auto rows = account_rows("a");
  const Date start = make_date(2026, 4, 1);
  for (int day = 0; day < 4 * horizon; ++day) {
    t.record("a", history_as_of(rows, start + Days{day}), 0.1);
    EXPECT_EQ(t.summary().pending, static_cast<std::size_t>(std::min(day + 1, horizon))) << day;
    EXPECT_EQ(t.summary().resolved, static_cast<std::size_t>(std::max(0, day + 1 - horizon))) << day;
  }
  EXPECT_EQ(t.accounts(), 1u);
}

TEST(CalibrationTracker, CountsResolvedForecastsWhoseOutcomeBecameKnownInTheTrailingWindow) {
  // Horizon 7, window 28: a forecast as of D counts while D + 7 lies in
  // (latest - 28, latest].
  auto t = tracker(7, 28);
  const auto rows = account_rows("a");
  const Date d = make_date(2026, 4, 1);
  t.record("a", history_as_of(rows, d), 0.5);
  t.record("b", history_as_of(rows, d), 0.5);
  t.record("a", history_as_of(rows, d + Days{7}), 0.5);
  EXPECT_EQ(t.summary().resolved, 1u);
  // Account b is scored again only 20 days late: still counted, under the
  // day its outcome became knowable (04-08), not the day it was resolved.
  t.record("b", history_as_of(rows, d + Days{27}), 0.5);
  EXPECT_EQ(t.summary().resolved, 2u);
  t.record("a", history_as_of(rows, d + Days{14}), 0.5);  // a as of 04-08, knowable 04-15
  EXPECT_EQ(t.summary().resolved, 3u);
  // 05-05: the window is (04-07, 05-05], all three count.
  t.record("c", history_as_of(rows, d + Days{34}), 0.5);
  EXPECT_EQ(t.summary().resolved, 3u);
  // 05-06: (04-08, 05-06], the two knowable on 04-08 fall out.
  t.record("d", history_as_of(rows, d + Days{35}), 0.5);
  EXPECT_EQ(t.summary().resolved, 1u);
  // 05-13: (04-15, 05-13], none left.
  t.record("e", history_as_of(rows, d + Days{42}), 0.5);
  EXPECT_EQ(t.summary().resolved, 0u);
}

TEST(CalibrationTracker, AResolutionTooLateToCountIsNotCounted) {
  auto t = tracker(7, 28);
  const auto rows = account_rows("a");
  const Date d = make_date(2026, 4, 1);
  t.record("a", history_as_of(rows, d), 0.5);
  // The account is scored again 40 days later: its outcome (knowable 04-08)
  // could no longer count, so it was let go unresolved.
  t.record("a", history_as_of(rows, d + Days{40}), 0.5);
  EXPECT_EQ(t.summary().resolved, 0u);
  EXPECT_EQ(t.summary().pending, 1u);
}

TEST(CalibrationTracker, LetsGoOfAccountsNoLongerScoredOnceTheirOutcomesCouldNoLongerCount) {
  auto t = tracker(7, 28);
  const auto rows = account_rows("a");
  const Date d = make_date(2026, 4, 1);
  t.record("gone", history_as_of(rows, d), 0.5);
  t.record("stays", history_as_of(rows, d + Days{34}), 0.5);
  EXPECT_EQ(t.accounts(), 2u);  // 04-01 + 7 = 04-08 > 05-05 - 28 = 04-07
  t.record("stays", history_as_of(rows, d + Days{35}), 0.5);
  EXPECT_EQ(t.accounts(), 1u);
  EXPECT_EQ(t.summary().pending, 2u);
}

TEST(CalibrationTracker, DropsAForecastWhoseWindowStartsBeforeTheLaterHistory) {
  auto t = tracker(7);
  // No transaction before 04-06: the first forecast is made from nothing;
  // the account's first row (04-07) comes after its window started.
  const std::vector<forecast::Transaction> rows{row("a", "first", make_date(2026, 4, 7), 10000, 10000)};
  t.record("a", history_as_of(rows, make_date(2026, 4, 6)), 0.5);
  t.record("a", history_as_of(rows, make_date(2026, 4, 13)), 0.5);
  EXPECT_EQ(t.summary().resolved, 0u);
  EXPECT_EQ(t.unresolvable(), 1u);
}

TEST(CalibrationTracker, ANewTrackerKnowsNoForecastMadeBeforeIt) {
  const auto rows = account_rows("a", make_date(2026, 4, 8));
  auto before = tracker(7);
  before.record("a", history_as_of(rows, make_date(2026, 4, 6)), 0.5);
  auto after = tracker(7);  // a restart
  after.record("a", history_as_of(rows, make_date(2026, 4, 13)), 0.5);
  const CalibrationSummary s = after.summary();
  EXPECT_EQ(s.resolved, 0u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_EQ(s.brier, 0.0);
  EXPECT_EQ(s.expected_calibration_error, 0.0);
  EXPECT_EQ(s.mean_predicted, 0.0);
  EXPECT_EQ(s.observed_rate, 0.0);
}

TEST(CalibrationTracker, DoesNotFollowAProbabilityOutsideZeroToOne) {
  auto t = tracker(7);
  const auto rows = account_rows("a");
  t.record("a", history_as_of(rows, make_date(2026, 4, 6)), std::numeric_limits<double>::quiet_NaN());
  t.record("b", history_as_of(rows, make_date(2026, 4, 6)), 1.5);
  t.record("c", history_as_of(rows, make_date(2026, 4, 6)), -0.1);
  EXPECT_EQ(t.summary().pending, 0u);
  EXPECT_EQ(t.accounts(), 0u);
}

TEST(CalibrationTracker, RefusesSettingsOutOfRange) {
  EXPECT_THROW(tracker(0), std::invalid_argument);
  EXPECT_THROW(tracker(367), std::invalid_argument);
  EXPECT_THROW(tracker(7, 0), std::invalid_argument);
  EXPECT_THROW(tracker(7, 28, 0), std::invalid_argument);
}

// Several hundred forecasts over several days, with probabilities on the bin
// edges among them: the tracker's figures are forecast_health()'s on the
// same (p, outcome) pairs.
TEST(CalibrationTracker, BrierAndCalibrationErrorEqualForecastHealthOnTheSamePairs) {
  const int horizon = 7;
  auto t = tracker(horizon, 28, 10);
  std::mt19937_64 rng{20260406};
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double edges[] = {0.0, 0.1, 0.3, 0.7, 0.9, 1.0};
  std::vector<ForecastOutcome> pairs;
  const Date first = make_date(2026, 4, 1);
  int k = 0;
  for (int day = 0; day < 5; ++day) {
    const Date d = first + Days{day};
    for (int i = 0; i < 80; ++i, ++k) {
      const std::string account = "acct-" + std::to_string(k);
      const double p = i < 6 ? edges[i] : uniform(rng);
      // Outcomes drawn with probability p, so the forecasts are roughly calibrated.
      const bool overdrawn = uniform(rng) < p;
      const auto rows = account_rows(account, overdrawn ? std::optional<Date>(d + Days{i % horizon}) : std::nullopt);
      t.record(account, history_as_of(rows, d), p);
      t.record(account, history_as_of(rows, d + Days{horizon}), 0.5);
      pairs.push_back({d, p, overdrawn});
    }
  }
  const CalibrationSummary s = t.summary();
  const ForecastHealth expected = forecast_health(pairs, first, 10);
  ASSERT_EQ(s.resolved, pairs.size());
  EXPECT_NEAR(s.brier, expected.brier, kTight);
  EXPECT_NEAR(s.expected_calibration_error, expected.expected_calibration_error, kTight);
  EXPECT_GT(expected.expected_calibration_error, 0.0);
  double p_sum = 0;
  double overdrawn = 0;
  for (const auto& f : pairs) p_sum += f.p_window, overdrawn += f.overdrawn ? 1 : 0;
  EXPECT_NEAR(s.mean_predicted, p_sum / static_cast<double>(pairs.size()), kTight);
  EXPECT_NEAR(s.observed_rate, overdrawn / static_cast<double>(pairs.size()), kTight);
}

// Worker threads record different accounts at once: the same figures as one
// thread recording them in turn.
TEST(CalibrationTracker, RecordsFromManyThreadsAddUpToTheSameFigures) {
  const int horizon = 7;
  const Date d = make_date(2026, 4, 6);
  const auto record_range = [&](CalibrationTracker& t, int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string account = "acct-" + std::to_string(i);
      const auto rows = account_rows(account, i % 3 == 0 ? std::optional<Date>(d + Days{2}) : std::nullopt);
      t.record(account, history_as_of(rows, d), (i % 10) / 10.0);
      t.record(account, history_as_of(rows, d + Days{horizon}), 0.5);
    }
  };
  auto sequential = tracker(horizon);
  record_range(sequential, 0, 400);
  auto concurrent = tracker(horizon);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) threads.emplace_back([&, w] { record_range(concurrent, 100 * w, 100 * (w + 1)); });
  for (auto& th : threads) th.join();
  const CalibrationSummary a = sequential.summary();
  const CalibrationSummary b = concurrent.summary();
  EXPECT_EQ(b.resolved, 400u);
  EXPECT_EQ(b.resolved, a.resolved);
  EXPECT_EQ(b.pending, a.pending);
  EXPECT_NEAR(b.brier, a.brier, kTight);
  EXPECT_NEAR(b.expected_calibration_error, a.expected_calibration_error, kTight);
  EXPECT_NEAR(b.observed_rate, a.observed_rate, kTight);
}

}  // namespace
}  // namespace headroom::measurement
