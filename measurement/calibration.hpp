#pragma once
// Forecast calibration: a window probability next to what happened. One
// outcome rule and one calibration error, shared by the report (forecast
// health from stored decisions, outcomes.cpp and analysis.cpp) and
// the daemon's running figures (CalibrationTracker, exported on /metrics).
// Pure: no I/O, no clock; dates are parameters.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/history.hpp"
#include "measurement/experiment.hpp"

namespace headroom::measurement {

// What happened in the window of a forecast made as of `as_of` over
// `horizon_days` days: true when some end-of-day balance of
// [as_of, as_of + horizon_days - 1] is < 0, false when none is. nullopt when
// `history` does not show the whole window: it ends before the window does
// (history.as_of < as_of + horizon_days), it starts after as_of, or it is
// empty; also for horizon_days < 1.
std::optional<bool> window_overdrawn(const forecast::AccountHistory& history, forecast::Date as_of, int horizon_days);

// The calibration bin of a probability: `bins` equal-width bins over [0, 1],
// each [low, high) except the last, which includes 1. Requires bins >= 1 and
// p_window in [0, 1].
std::size_t calibration_bin_index(double p_window, int bins);

// Expected calibration error: the sum over bins of (forecasts in the bin /
// forecasts) × |mean predicted − observed rate|. 0 when forecasts == 0.
double expected_calibration_error(const std::vector<CalibrationBin>& bins, std::size_t forecasts);

struct CalibrationSettings {
  int horizon_days = 30;  // the forecasts' window (headroom run --horizon), 1..366
  int window_days = 28;   // the summary's trailing window, by the day outcomes become known, >= 1
  int bins = 10;          // calibration bins of the error, >= 1
};

// Figures over the resolved forecasts of the trailing window. All zero when
// resolved == 0 (nothing known yet: the ratios are undefined, not zero).
struct CalibrationSummary {
  std::size_t resolved = 0;                // forecasts whose outcome is known, in the window
  std::size_t pending = 0;                 // forecasts waiting for their window to end
  double brier = 0;                        // mean (p − overdrawn)²
  double expected_calibration_error = 0;   // as forecast_health() on the same forecasts
  double mean_predicted = 0;               // mean p_window
  double observed_rate = 0;                // share of windows that went overdrawn
};

// Follows each account's window probabilities until their outcome is known,
// from the histories the forecasts themselves are made from: no read of its
// own.
//
// record(account, history, p) takes the forecast made as of history.as_of
// (the account's visible past, the same history the forecast was fit on):
// - Resolution: a forecast made as of D is resolved by the first later
//   record of the account whose history.as_of >= D + horizon_days (the
//   history then shows the whole window), by window_overdrawn(); one whose
//   window that history does not show (it starts after D) is dropped and
//   counted in unresolvable().
// - One per account and day: the first forecast recorded as of a date is the
//   one followed; later ones as of the same date (re-forecasts after new
//   transactions) are not. A forecast dated before the account's latest
//   followed forecast (the business date went back) is not followed either.
//   p_window outside [0, 1] (never from the engine) is not followed.
// - Trailing window: a resolved forecast as of D counts in summary() while
//   D + horizon_days (the first day its outcome can be known) lies in
//   (latest − window_days, latest], latest being the latest history.as_of
//   recorded. Keying on when the outcome became knowable rather than on D
//   keeps the window non-empty: no forecast as of the last `horizon_days`
//   days can be resolved yet.
// - Nothing is stored: a new tracker (a restart) knows no forecast, so
//   outcomes of forecasts made before it are never counted.
//
// Memory: per account followed, one hash-map entry (~100 bytes, plus the
// account id beyond 15 characters) and 16 bytes per pending forecast, at most
// horizon_days of them while the business date does not go back (after a
// record as of T only forecasts as of (T − horizon_days, T] wait): 590 bytes
// per account at a 30-day horizon with 11-character ids, measured as heap in
// use (mallinfo2) with 100,000 accounts: 59 MB. Forecasts of accounts no longer
// recorded are let go once their outcome could no longer count (at the first
// record of a later date; a pass over all accounts, once per business day).
// Resolved forecasts are kept as per-day sums (window_days + horizon_days
// days at most), not one by one.
//
// Thread safety: record() and summary() may be called from any thread at
// once; each holds one mutex for a map lookup and the window checks of the
// account's matured forecasts (at most horizon_days days each), and the
// first record of a new business date also for the pass over all accounts.
class CalibrationTracker {
 public:
  // Throws std::invalid_argument for settings out of range.
  explicit CalibrationTracker(CalibrationSettings settings = {});

  void record(std::string_view account_id, const forecast::AccountHistory& history, double p_window);

  CalibrationSummary summary() const;
  std::size_t accounts() const;      // accounts with pending forecasts
  std::size_t unresolvable() const;  // matured forecasts dropped: their window not in the history

  const CalibrationSettings& settings() const { return settings_; }

 private:
  struct Pending {
    std::int32_t as_of_day;  // days since 1970-01-01
    double p_window;
  };
  struct BinSums {
    std::size_t forecasts = 0;
    double p_sum = 0;
    double overdrawn = 0;
  };
  // Forecasts whose outcome became knowable on one day.
  struct DaySums {
    std::size_t forecasts = 0;
    double p_sum = 0;
    double overdrawn = 0;
    double squared_error = 0;
    std::vector<BinSums> bins;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  bool counts(std::int32_t known_day) const;  // inside the trailing window
  void let_go_of_old();                       // after latest_ moved on
  void add_resolved(std::int32_t known_day, double p_window, bool overdrawn);

  const CalibrationSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Pending>, Hash, std::equal_to<>> pending_;
  std::map<std::int32_t, DaySums> resolved_;  // by the day the outcome became knowable
  std::optional<std::int32_t> latest_;
  std::size_t pending_count_ = 0;
  std::size_t unresolvable_ = 0;
};

}  // namespace headroom::measurement
