#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "forecast/forecast.hpp"
#include "tests/forecast/scenario_builder.hpp"

using namespace headroom::forecast;
using headroom::forecast::testing::D;
using headroom::forecast::testing::ScenarioBuilder;

namespace {

std::vector<Transaction> year_of_history() {
  ScenarioBuilder b(80000);
  const Date from = D(2024, 1, 1), to = D(2024, 12, 31);
  b.monthly(from, to, 31, 260000, "ACME CORP PAYROLL", true)
      .monthly(from, to, 1, -125000, "RENT", false, true)
      .monthly(from, to, 12, -1599, "NETFLIX")
      .daily_spending(from, to, 4200);
  return b.build();
}

void expect_identical(const BalanceForecast& a, const BalanceForecast& b) {
  EXPECT_EQ(a.p_overdraft_window, b.p_overdraft_window);
  EXPECT_EQ(a.p_below_buffer_window, b.p_below_buffer_window);
  ASSERT_EQ(a.days.size(), b.days.size());
  for (std::size_t i = 0; i < a.days.size(); ++i) {
    EXPECT_EQ(a.days[i].p10, b.days[i].p10);
    EXPECT_EQ(a.days[i].p50, b.days[i].p50);
    EXPECT_EQ(a.days[i].p90, b.days[i].p90);
    EXPECT_EQ(a.days[i].p_below_zero, b.days[i].p_below_zero);
  }
  ASSERT_EQ(a.risk_days.size(), b.risk_days.size());
  for (std::size_t i = 0; i < a.risk_days.size(); ++i) {
    const RiskDay &x = a.risk_days[i], &y = b.risk_days[i];
    EXPECT_EQ(x.date, y.date);
    EXPECT_EQ(x.expected_shortfall, y.expected_shortfall);
    ASSERT_EQ(x.drivers.size(), y.drivers.size());
    for (std::size_t k = 0; k < x.drivers.size(); ++k) {
      EXPECT_EQ(x.drivers[k].kind, y.drivers[k].kind);
      EXPECT_EQ(x.drivers[k].label, y.drivers[k].label);
      EXPECT_EQ(x.drivers[k].date, y.drivers[k].date);
      EXPECT_EQ(x.drivers[k].amount, y.drivers[k].amount);
      EXPECT_EQ(x.drivers[k].ratio, y.drivers[k].ratio);
    }
    EXPECT_EQ(x.summary, y.summary);
  }
}

}  // namespace

TEST(NoLookAhead, PredictionIsBitIdenticalWithOrWithoutRowsOnOrAfterTheOrigin) {
  const auto all = year_of_history();
  for (Date origin : {D(2024, 3, 1), D(2024, 6, 17), D(2024, 9, 30), D(2024, 12, 1)}) {
    std::vector<Transaction> past;
    for (const auto& t : all)
      if (t.posted_at < origin) past.push_back(t);
    for (ModelChoice model : {ModelChoice::kEngine, ModelChoice::kDrift, ModelChoice::kSeasonalNaive}) {
      ForecastParams params;
      params.model = model;
      params.projection.horizon_days = 14;
      expect_identical(forecast_account(all, origin, params).forecast, forecast_account(past, origin, params).forecast);
    }
  }
}

TEST(Projection, IsDeterministicForASeedAndQuantilesAreOrdered) {
  const auto all = year_of_history();
  const auto a = forecast_account(all, D(2024, 11, 20));
  const auto b = forecast_account(all, D(2024, 11, 20));
  expect_identical(a.forecast, b.forecast);
  ASSERT_EQ(a.forecast.days.size(), 30u);
  for (const auto& d : a.forecast.days) {
    EXPECT_LE(d.p10, d.p50);
    EXPECT_LE(d.p50, d.p90);
    EXPECT_LE(d.p_below_zero, d.p_below_buffer + 1e-12);
    EXPECT_LE(d.p_below_zero, a.forecast.p_overdraft_window);
  }
}

TEST(Projection, AHealthyBalanceHasLowRiskAndAnOverdrawnOneHasCertainRisk) {
  ScenarioBuilder rich, broke;
  const Date from = D(2024, 1, 1), to = D(2024, 6, 30);
  rich.monthly(from, to, 1, 300000, "ACME CORP PAYROLL", true).daily_spending(from, to, 3000);
  broke.monthly(from, to, 15, 100000, "ACME CORP PAYROLL", true).daily_spending(from, to, 6000);
  const auto healthy = forecast_account(rich.build_with_balance_on(to, 800000), D(2024, 7, 1)).forecast;
  const auto overdrawn = forecast_account(broke.build_with_balance_on(to, -50000), D(2024, 7, 1)).forecast;
  EXPECT_EQ(healthy.p_overdraft_window, 0.0);
  EXPECT_EQ(overdrawn.p_overdraft_window, 1.0);
  EXPECT_EQ(overdrawn.days.front().p_below_zero, 1.0);
}

TEST(Projection, BufferProbabilityIsAtLeastTheOverdraftProbability) {
  const auto all = year_of_history();
  ForecastParams params;
  params.projection.buffer = Money::from_cents(50000);
  const auto f = forecast_account(all, D(2024, 12, 20), params).forecast;
  EXPECT_GE(f.p_below_buffer_window, f.p_overdraft_window);
}

TEST(ColdStart, ShortHistoryFallsBackToDriftAndSaysSo) {
  ScenarioBuilder b(50000);
  b.daily_spending(D(2024, 1, 1), D(2024, 1, 20), 3000);
  const auto out = forecast_account(b.build(), D(2024, 1, 21));
  EXPECT_TRUE(out.model.fallback);
  EXPECT_EQ(out.model.fallback_reason, FallbackReason::kShortHistory);
  EXPECT_TRUE(out.forecast.fallback);
  EXPECT_GT(out.forecast.p_overdraft_window, 0.0);
}

TEST(Explain, FormatsAmountsWithThousandsSeparatorsAndOrdinals) {
  EXPECT_EQ(format_amount(Money::from_cents(120000)), "1,200.00");
  EXPECT_EQ(format_amount(Money::from_cents(-123456789)), "-1,234,567.89");
  EXPECT_EQ(format_amount(Money::from_cents(5)), "0.05");
  EXPECT_EQ(day_ordinal(D(2024, 10, 1)), "1st");
  EXPECT_EQ(day_ordinal(D(2024, 10, 2)), "2nd");
  EXPECT_EQ(day_ordinal(D(2024, 10, 3)), "3rd");
  EXPECT_EQ(day_ordinal(D(2024, 10, 11)), "11th");
  EXPECT_EQ(day_ordinal(D(2024, 10, 22)), "22nd");
}

TEST(Explain, ProjectionFindsTheDriversAndTheCallerRendersTheSummary) {
  // Rent on the 1st, pay on the 3rd, little left: the first days of October are risky.
  ScenarioBuilder b;
  const Date from = D(2024, 1, 1), to = D(2024, 9, 27);
  b.monthly(from, to, 3, 250000, "ACME CORP PAYROLL").monthly(from, to, 1, -120000, "RENT").daily_spending(from, to, 3000);
  const auto rows = b.build_with_balance_on(to, 60000);
  const Date as_of = D(2024, 9, 28);
  BalanceForecast found = project(fit(build_history(rows, as_of)), as_of);
  const AccountForecast pipeline = forecast_account(rows, as_of);
  ASSERT_FALSE(found.risk_days.empty());
  for (const RiskDay& day : found.risk_days) {
    EXPECT_FALSE(day.drivers.empty());
    EXPECT_TRUE(day.summary.empty());
  }
  render_summaries(found);
  expect_identical(found, pipeline.forecast);
  for (const RiskDay& day : found.risk_days) EXPECT_EQ(day.summary, render_drivers(day.drivers, day.date));
}

TEST(Projection, VectorPathLoopGivesTheSameBitsAsThePortableLoop) {
  // A tight account (pay, rent, a few large one-off expenses that become
  // shocks) so that paths cross zero and the buffer on many days.
  ScenarioBuilder b(40000);
  const Date from = D(2024, 1, 1), to = D(2024, 12, 31);
  b.every(D(2024, 1, 5), to, 14, 150000, "ACME CORP PAYROLL")
      .monthly(from, to, 1, -210000, "RENT", false, true)
      .monthly(from, to, 12, -1599, "NETFLIX")
      .add(D(2024, 3, 9), -200000, "CAR REPAIR")
      .add(D(2024, 7, 21), -240000, "HOSPITAL")
      .add(D(2024, 11, 2), -180000, "VET CLINIC")
      .daily_spending(from, to, 3000);
  const auto rows = b.build_with_balance_on(to, 20000);
  const CashFlowModel model = fit(build_history(rows, D(2025, 1, 1)));
  ASSERT_FALSE(model.fallback);
  ASSERT_GT(model.spending.shock_rate_per_day, 0.0);
  for (int paths : {256, 100, 17}) {
    for (int lead : {0, 5}) {
      ProjectionParams params;
      params.paths = paths;
      params.buffer = Money::from_cents(30000);
      params.horizon_days = lead == 0 ? 30 : 14;
      const Date as_of = D(2025, 1, 1) + Days{lead};
      ProjectionParams portable = params;
      portable.vectorized = false;
      const BalanceForecast fast = project(model, as_of, params);
      const BalanceForecast slow = project(model, as_of, portable);
      SCOPED_TRACE(::testing::Message() << paths << " paths, lead " << lead);
      EXPECT_GT(slow.p_overdraft_window, 0.0);
      EXPECT_LT(slow.p_overdraft_window, 1.0);
      expect_identical(fast, slow);
      ASSERT_EQ(fast.days.size(), slow.days.size());
      for (std::size_t i = 0; i < fast.days.size(); ++i)
        EXPECT_EQ(fast.days[i].p_below_buffer, slow.days[i].p_below_buffer);
      for (std::size_t i = 0; i < fast.risk_days.size() && i < slow.risk_days.size(); ++i)
        EXPECT_EQ(fast.risk_days[i].expected_shortfall, slow.risk_days[i].expected_shortfall);
    }
  }
}

TEST(Projection, VectorEventDrawsGiveTheSameBalancesAsThePortableDraws) {
  // Every kind of scheduled event: uncertain amounts (whose normal draws
  // reach the approximation's tails), jitter with negative offsets, a
  // pending occurrence, occurrences that may not come, income and outflows;
  // with the resampling model and with the drift fallback.
  ScenarioBuilder b(40000);
  const Date from = D(2024, 1, 1), to = D(2024, 12, 31);
  b.every(D(2024, 1, 5), to, 14, 150000, "ACME CORP PAYROLL")
      .monthly(from, to, 1, -210000, "RENT", false, true)
      .monthly(from, to, 12, -1599, "NETFLIX")
      .monthly(from, to, 20, -9000, "CITY POWER")
      .daily_spending(from, to, 3000);
  const Date as_of = D(2025, 1, 1);
  CashFlowModel model = fit(build_history(b.build_with_balance_on(to, 20000), as_of));
  ASSERT_GE(model.streams.size(), 3u);
  for (std::size_t i = 0; i < model.streams.size(); ++i) {
    RecurringStream& s = model.streams[i];
    s.status = StreamStatus::kActive;
    s.amount_rel_sd = 0.15 + 0.1 * static_cast<double>(i);
    s.occurrence_probability = 0.95 - 0.2 * static_cast<double>(i);
    s.jitter_samples = {-4, -1, 0, 0, 2, 3};
  }
  model.streams[1].has_pending = true;
  model.streams[1].pending_due = as_of - Days{2};
  model.streams[1].jitter_days = 3;
  model.streams[2].jitter_samples.clear();
  for (const ModelKind kind : {ModelKind::kFull, ModelKind::kFallback}) {
    model.kind = kind;
    for (int paths : {256, 17}) {
      for (int lead : {0, 5}) {
        ProjectionParams params;
        params.paths = paths;
        params.horizon_days = 30;
        ProjectionParams portable = params;
        portable.vectorized = false;
        ProjectionWorkspace fast_ws, slow_ws;
        const BalanceForecast fast = project(model, as_of + Days{lead}, params, fast_ws);
        const BalanceForecast slow = project(model, as_of + Days{lead}, portable, slow_ws);
        SCOPED_TRACE(::testing::Message() << (kind == ModelKind::kFull ? "full" : "fallback") << ", " << paths
                                          << " paths, lead " << lead);
        expect_identical(fast, slow);
        // Every path's balance on every day, bit for bit (padding lanes included).
        const std::size_t n = static_cast<std::size_t>(params.horizon_days) *
                              static_cast<std::size_t>((paths + ProjectionWorkspace::kLanes - 1) /
                                                       ProjectionWorkspace::kLanes * ProjectionWorkspace::kLanes);
        std::size_t differing = 0;
        for (std::size_t i = 0; i < n; ++i)
          differing += std::memcmp(&fast_ws.balances[i], &slow_ws.balances[i], sizeof(double)) != 0;
        EXPECT_EQ(differing, 0u);
      }
    }
  }
}
