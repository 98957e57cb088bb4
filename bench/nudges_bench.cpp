// Planner throughput on one core. A population of accounts with mixed time
// zones, risk levels and nudge histories is built once; each iteration plans
// one account for the two-channel default policy. Counters: plan calls/s and
// decisions/s (one decision per channel).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "nudges/planner.hpp"
#include "nudges/templates.hpp"

namespace {

using namespace headroom;
using std::chrono::hours;
using std::chrono::sys_seconds;

struct Population {
  std::vector<nudges::ForecastSummary> forecasts;
  std::vector<nudges::AccountContact> accounts;
  std::vector<std::vector<nudges::PastNudge>> past;
};

// eligible_share: share of accounts whose probability clears the threshold
// with a risky day inside the lead time (they run every check, including the
// time-zone and cap work); the rest stop at the threshold, as most do daily.
Population make_population(std::size_t n, double eligible_share) {
  const char* zones[] = {"America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
                         "Europe/Berlin",    "Asia/Tokyo",      "Australia/Sydney",    "UTC"};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  Population p;
  const forecast::Date today = forecast::make_date(2026, 3, 10);
  for (std::size_t i = 0; i < n; ++i) {
    nudges::ForecastSummary f;
    f.as_of = today;
    const bool eligible = u(rng) < eligible_share;
    f.window_probability = eligible ? 0.5 + 0.5 * u(rng) : 0.5 * u(rng);
    f.first_risky_day = today + forecast::Days{1 + static_cast<int>(rng() % 6)};
    f.expected_shortfall = forecast::Money::from_cents(static_cast<std::int64_t>(rng() % 50000));
    f.drivers.push_back({nudges::Driver::Kind::kBill, "Rent", forecast::Money::from_cents(-120000), *f.first_risky_day});
    p.forecasts.push_back(std::move(f));
    nudges::AccountContact a;
    a.account_id = "acct-" + std::to_string(1000000 + i);
    a.time_zone = nudges::find_time_zone(zones[i % 8]);
    a.email = (i % 5 == 0) ? "" : "x@example.com";
    a.email_consent = i % 3 != 0;
    p.accounts.push_back(std::move(a));
    std::vector<nudges::PastNudge> past;
    const sys_seconds now{std::chrono::sys_days{today} + hours{15}};
    for (std::size_t k = 0; k < i % 4; ++k) {
      past.push_back({k % 2 ? "payday" : "default", today - forecast::Days{static_cast<int>(3 + 4 * k)},
                      nudges::Channel::kInApp, now - hours{24 * static_cast<int>(3 + 4 * k)}, k % 3 != 2});
    }
    p.past.push_back(std::move(past));
  }
  return p;
}

void run(benchmark::State& state, double eligible_share) {
  const Population pop = make_population(1 << 14, eligible_share);
  nudges::Policy policy;
  policy.name = "default";
  policy.variants = {nudges::default_copy_variant(), nudges::default_copy_variant()};
  policy.variants[1].name = "b";
  const sys_seconds now{std::chrono::sys_days{forecast::make_date(2026, 3, 10)} + hours{15}};
  std::size_t i = 0, decisions = 0, sends = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & ((1 << 14) - 1);
    const auto out = nudges::plan(pop.forecasts[k], policy, pop.accounts[k], pop.past[k], now);
    decisions += out.size();
    sends += out[0].outcome == nudges::Outcome::kSend;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["plans/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["decisions/s"] = benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  state.counters["send_share"] = static_cast<double>(sends) / static_cast<double>(state.iterations());
}

// A daily cycle: ~5% of accounts are at risk.
void BM_PlanTypicalMix(benchmark::State& state) { run(state, 0.05); }
// Worst case: every account clears the threshold and runs every check.
void BM_PlanAllEligible(benchmark::State& state) { run(state, 1.0); }

BENCHMARK(BM_PlanTypicalMix)->MinTime(2.0);
BENCHMARK(BM_PlanAllEligible)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
