// Forecast engine speed: one account with a year of history (~500 rows):
// monthly pay, rent, subscriptions, utilities, card spending most days.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "forecast/forecast.hpp"

using namespace headroom::forecast;

namespace {

std::vector<Transaction> one_year_account() {
  std::vector<Transaction> rows;
  const Date start = make_date(2024, 1, 1);
  std::uint64_t s = 42;
  auto rnd = [&] { return (s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  auto add = [&](Date d, std::int64_t cents, const char* desc) {
    rows.push_back(Transaction{"acct-1", "", d, Money::from_cents(cents), std::nullopt, desc, ""});
  };
  const char* shops[] = {"GROCERY MART 1123", "COFFEE CORNER", "FUEL STOP 77", "PHARMACY PLUS", "DINER 9",
                         "AMAZON MKTPLACE", "TAKEAWAY"};
  for (int day = 0; day < 366; ++day) {
    const Date d = start + Days{day};
    const unsigned dom = static_cast<unsigned>(std::chrono::year_month_day{d}.day());
    if (dom == 1) add(d, -120000, "OAKWOOD PROPERTIES RENT");
    if (dom == 12) add(d, -1599, "NETFLIX.COM");
    if (dom == 20) add(d, -8000 - static_cast<std::int64_t>(rnd() % 3000), "CITY POWER UTILITY");
    if (dom == 25) add(d, -4500, "CAR LOAN 556");
    if (day % 14 == 4) add(d, 145000, "ACME CORP PAYROLL");
    const int purchases = static_cast<int>(rnd() % 3);
    for (int k = 0; k < purchases; ++k) add(d, -static_cast<std::int64_t>(500 + rnd() % 6000), shops[rnd() % 7]);
  }
  std::int64_t bal = 150000;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    bal += rows[i].amount.cents();
    rows[i].balance_after = Money::from_cents(bal);
    rows[i].txn_id = "t" + std::to_string(i);
  }
  return rows;
}

const std::vector<Transaction>& account() {
  static const std::vector<Transaction> rows = one_year_account();
  return rows;
}

const Date kAsOf = make_date(2025, 1, 1);

void BM_FitAndProject30Days(benchmark::State& state) {
  const AccountHistory history = build_history(account(), kAsOf);
  state.counters["transactions"] = static_cast<double>(history.postings.size());
  for (auto _ : state) {
    CashFlowModel model = fit(history);
    BalanceForecast f = project(model, kAsOf);
    render_summaries(f);
    benchmark::DoNotOptimize(f.p_overdraft_window);
  }
}
BENCHMARK(BM_FitAndProject30Days)->Unit(benchmark::kMicrosecond);

void BM_ForecastAccountFromRows30Days(benchmark::State& state) {
  for (auto _ : state) {
    AccountForecast out = forecast_account(account(), kAsOf);
    benchmark::DoNotOptimize(out.forecast.p_overdraft_window);
  }
}
BENCHMARK(BM_ForecastAccountFromRows30Days)->Unit(benchmark::kMicrosecond);

// What one backtest task costs: rows → p_overdraft, 14 days, no quantiles or drivers.
void BM_BacktestTask14Days(benchmark::State& state) {
  ForecastParams params;
  params.projection.horizon_days = 14;
  params.projection.quantiles = false;
  params.projection.explain = false;
  for (auto _ : state) {
    AccountForecast out = forecast_account(account(), kAsOf, params);
    benchmark::DoNotOptimize(out.forecast.p_overdraft_window);
  }
}
BENCHMARK(BM_BacktestTask14Days)->Unit(benchmark::kMicrosecond);

// The same task as `headroom backtest` runs it: the account prepared once
// (dedup, labels), then per origin history_as_of() + fit + paths with a reused workspace.
void BM_BacktestTask14DaysPrepared(benchmark::State& state) {
  ForecastParams params;
  params.projection.horizon_days = 14;
  params.projection.quantiles = false;
  params.projection.explain = false;
  const PreparedAccount prepared = prepare_account(account());
  ProjectionWorkspace workspace;
  for (auto _ : state) {
    const AccountHistory history = history_as_of(prepared, kAsOf);
    AccountForecast out = forecast_history(history, kAsOf, params, workspace);
    benchmark::DoNotOptimize(out.forecast.p_overdraft_window);
  }
}
BENCHMARK(BM_BacktestTask14DaysPrepared)->Unit(benchmark::kMicrosecond);

void BM_Fit(benchmark::State& state) {
  const AccountHistory history = build_history(account(), kAsOf);
  for (auto _ : state) benchmark::DoNotOptimize(fit(history).streams.size());
}
BENCHMARK(BM_Fit)->Unit(benchmark::kMicrosecond);

void BM_Project30Days(benchmark::State& state) {
  const CashFlowModel model = fit(build_history(account(), kAsOf));
  // With the risk days' English, as forecast_account() renders it.
  for (auto _ : state) {
    BalanceForecast f = project(model, kAsOf);
    render_summaries(f);
    benchmark::DoNotOptimize(f.p_overdraft_window);
  }
}
BENCHMARK(BM_Project30Days)->Unit(benchmark::kMicrosecond);

void BM_Project30DaysPathsOnly(benchmark::State& state) {
  const CashFlowModel model = fit(build_history(account(), kAsOf));
  ProjectionParams params;
  params.quantiles = false;
  params.explain = false;
  for (auto _ : state) benchmark::DoNotOptimize(project(model, kAsOf, params).p_overdraft_window);
}
BENCHMARK(BM_Project30DaysPathsOnly)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
