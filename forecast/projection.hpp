#pragma once
// Monte Carlo projection of the end-of-day balance from a fitted model.
//
// Day 0 of the forecast is `as_of` (its own transactions are not yet seen).
// Each path replays: scheduled stream occurrences (with their occurrence
// probability, date jitter and amount spread), discretionary spending and
// irregular income resampled from whole past days with the same weekday
// (recent weeks weighted up, post-payday effect applied), and rare large
// shocks. Common random numbers: path i uses the same random stream for every
// account and origin given the seed, so the result is deterministic and
// comparisons across accounts are not blurred by simulation noise.
// Fallback models use a Gaussian drift for the discretionary part.
//
// Probabilities are shares of paths, so they move in steps of 1/paths.
// Never throws for a model fit() produced; all outputs are finite.
// What makes a day risky comes back as data (drivers, amounts, dates); the
// English line for it is rendered by the caller (render_summaries() in
// forecast/explain.hpp, as forecast_account() does).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/model.hpp"
#include "forecast/money.hpp"

namespace headroom::forecast {

struct ProjectionParams {
  int horizon_days = 30;            // days [as_of, as_of + horizon_days − 1]; clamped to 1..366
  Money buffer;                     // P(balance < buffer) threshold (cents); 0 = same as overdraft
  std::uint64_t seed = 0x48656164726f6f6dULL;  // "Headroom"
  int paths = 256;                  // Monte Carlo paths; clamped to 16..4096
  bool quantiles = true;            // per-day p10/p50/p90 (skip for p_overdraft-only backtests)
  bool explain = true;              // drivers for risky days
  double risk_threshold = 0.2;      // a day is risky when P(balance < 0) ≥ this
  int max_risk_days = 5;            // explain at most this many risky days (earliest first)
  bool vectorized = true;           // AVX2 path loop and quantile bins when the CPU has AVX2; false
                                    // forces the portable code (the same bits either way: tests compare)
};

struct DayForecast {
  Date date{};
  Money p10, p50, p90;              // end-of-day balance quantiles (0 when quantiles are off)
  double p_below_zero = 0;          // P(end-of-day balance < 0)
  double p_below_buffer = 0;        // P(end-of-day balance < buffer)
};

struct ScheduledFlow {
  Date date{};                      // nominal date (jitter applied only inside paths)
  Money amount;                     // expected signed amount
  std::string label;
  StreamKind kind = StreamKind::kOutflow;
  double probability = 1;           // chance it arrives
  bool pending = false;             // due before as_of and not yet arrived
};

enum class DriverKind : std::uint8_t {
  kScheduledOutflow,   // a recurring bill lands before the next income
  kNextIncome,         // the next expected income, after the risky day
  kOverdueIncome,      // pay that did not arrive when usual
  kExpectedShortfall,  // mean overdraft amount on the risky day, given an overdraft
  kSpendingPace,       // recent discretionary spending vs usual (ratio)
  kLowBalance,         // the balance is already low or negative today
};
const char* driver_kind_name(DriverKind k);

struct Driver {
  DriverKind kind = DriverKind::kScheduledOutflow;
  std::string label;   // stream label for scheduled items, else empty
  Date date{};         // when it lands (scheduled items, income) or the risky day
  Money amount;        // magnitude in cents (positive), for ordering and display
  double ratio = 0;    // kSpendingPace: recent / usual
};

struct RiskDay {
  Date date{};
  double p_below_zero = 0;
  double p_below_buffer = 0;
  Money expected_shortfall;         // E[−balance | balance < 0], positive
  std::vector<Driver> drivers;      // largest first
  std::string summary;              // one-line English rendering: empty from project(), filled by
                                    // render_summaries() (forecast_account() and forecast_history() call it)
};

struct BalanceForecast {
  std::string account_id;
  Date as_of{};
  int horizon_days = 0;
  Money buffer;
  Money start_balance;              // end-of-day balance of as_of − 1
  int paths = 0;
  std::vector<DayForecast> days;    // horizon_days entries
  double p_overdraft_window = 0;    // P(any day in the window < 0): the nudge quantity
  double p_below_buffer_window = 0;
  std::vector<ScheduledFlow> scheduled;  // expected stream occurrences in the window
  std::vector<RiskDay> risk_days;
  bool fallback = false;
  FallbackReason fallback_reason = FallbackReason::kNone;
  bool balance_known = false;
};

// Scratch memory of project(). Passing the same workspace to many calls (one
// per thread in a backtest) saves the allocations; nothing in it survives a
// call in a way that could change a result. Not safe to share between threads.
struct ProjectionWorkspace {
  struct Event {
    int day = 0;                  // nominal day index from the model's as_of
    int pending_last_day = -1;    // ≥ 0: pending, lands uniformly in [0, pending_last_day]
    double amount = 0;            // signed cents
    double rel_sd = 0;
    double probability = 1;
    const std::int8_t* jitter = nullptr;
    int n_jitter = 0;
    bool income = false;
    int stream = -1;
  };
  struct DaySource {
    int newest = -1;              // newest pool day with the target's weekday
    std::uint32_t weeks[2] = {0, 0};  // how many weeks back a draw may go: [0] recent window, [1] whole pool
  };
  static constexpr int kLanes = 8;  // paths simulated side by side
  std::vector<Event> events;
  std::vector<Date> dates;
  std::vector<DaySource> source;
  // [day * padded paths + path]. Not a std::vector: every element is written
  // before it is read, so growing it need not zero tens of kilobytes first.
  std::unique_ptr<double[]> balances;
  std::size_t balances_capacity = 0;
  std::vector<double> flows;      // [block of the pair][day * kLanes + lane]: scheduled flows of two blocks of paths
  std::vector<double> net_pool;   // [after payday * pool + pool day]: net discretionary flow
  std::vector<double> select_scratch;
  std::vector<int> select_bins;
  std::vector<std::uint8_t> select_bin_bytes;
  std::vector<std::int64_t> day_counts;  // [window day * 8]: AVX2 loop's per-lane counts below 0 / buffer
  std::vector<std::uint8_t> income_on;   // laid out as flows
};

// Without a workspace: uses one kept per thread (at most ~1 MiB of it).
BalanceForecast project(const CashFlowModel& model, Date as_of, const ProjectionParams& params = {});
BalanceForecast project(const CashFlowModel& model, Date as_of, const ProjectionParams& params,
                        ProjectionWorkspace& workspace);

// Drivers of `risky_day`, largest amount first: recurring outflows that land
// between the last income before the risky day (or as_of) and the day itself,
// overdue pay, spending pace when ≥ 15 % above usual (amount = extra spend up
// to the day), a balance already below zero, the expected shortfall; then,
// last, the next income after the day (context: when relief comes).
std::vector<Driver> explain_day(const CashFlowModel& model, std::span<const ScheduledFlow> scheduled, Date as_of,
                                Date risky_day, Money expected_shortfall);

}  // namespace headroom::forecast
