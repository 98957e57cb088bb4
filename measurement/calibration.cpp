#include "measurement/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace headroom::measurement {
namespace {

std::int32_t day_number(forecast::Date d) { return static_cast<std::int32_t>(d.time_since_epoch().count()); }
forecast::Date from_day_number(std::int32_t n) { return forecast::Date{forecast::Days{n}}; }

}  // namespace

std::optional<bool> window_overdrawn(const forecast::AccountHistory& history, forecast::Date as_of, int horizon_days) {
  if (horizon_days < 1 || history.empty() || as_of < history.first_date) return std::nullopt;
  if (history.as_of < as_of + forecast::Days{horizon_days}) return std::nullopt;
  const int first = forecast::days_between(history.first_date, as_of);
  // Defensive: end_of_day_balance runs to history.as_of - 1 by contract.
  if (first + horizon_days > history.days()) return std::nullopt;
  for (int i = first; i < first + horizon_days; ++i)
    if (history.end_of_day_balance[static_cast<std::size_t>(i)].cents() < 0) return true;
  return false;
}

std::size_t calibration_bin_index(double p_window, int bins) {
  // p = 1 belongs to the last bin; bins are [low, high) otherwise.
  return std::min(static_cast<std::size_t>(bins) - 1, static_cast<std::size_t>(p_window * bins));
}

double expected_calibration_error(const std::vector<CalibrationBin>& bins, std::size_t forecasts) {
  if (forecasts == 0) return 0;
  double ece = 0;
  for (const CalibrationBin& b : bins)
    ece += static_cast<double>(b.forecasts) / static_cast<double>(forecasts) *
           std::fabs(b.mean_predicted - b.observed_rate);
  return ece;
}

CalibrationTracker::CalibrationTracker(CalibrationSettings settings) : settings_(settings) {
  if (settings_.horizon_days < 1 || settings_.horizon_days > 366)
    throw std::invalid_argument("CalibrationTracker: horizon_days must be in 1..366");
  if (settings_.window_days < 1) throw std::invalid_argument("CalibrationTracker: window_days must be >= 1");
  if (settings_.bins < 1) throw std::invalid_argument("CalibrationTracker: bins must be >= 1");
}

bool CalibrationTracker::counts(std::int32_t known_day) const {
  return latest_ && known_day > *latest_ - settings_.window_days && known_day <= *latest_;
}

void CalibrationTracker::let_go_of_old() {
  while (!resolved_.empty() && !counts(resolved_.begin()->first)) resolved_.erase(resolved_.begin());
  // A pending forecast whose outcome would no longer count is dropped, so
  // accounts that are no longer recorded (deleted, or scored by another
  // replica from now on) do not hold memory for ever.
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto& forecasts = it->second;
    const auto expired = std::find_if(forecasts.begin(), forecasts.end(), [&](const Pending& p) {
      return p.as_of_day + settings_.horizon_days > *latest_ - settings_.window_days;
    });
    pending_count_ -= static_cast<std::size_t>(expired - forecasts.begin());
    forecasts.erase(forecasts.begin(), expired);
    it = forecasts.empty() ? pending_.erase(it) : std::next(it);
  }
}

void CalibrationTracker::add_resolved(std::int32_t known_day, double p_window, bool overdrawn) {
  if (!counts(known_day)) return;
  DaySums& day = resolved_[known_day];
  if (day.bins.empty()) day.bins.resize(static_cast<std::size_t>(settings_.bins));
  const double y = overdrawn ? 1.0 : 0.0;
  ++day.forecasts;
  day.p_sum += p_window;
  day.overdrawn += y;
  day.squared_error += (p_window - y) * (p_window - y);
  BinSums& bin = day.bins[calibration_bin_index(p_window, settings_.bins)];
  ++bin.forecasts;
  bin.p_sum += p_window;
  bin.overdrawn += y;
}

void CalibrationTracker::record(std::string_view account_id, const forecast::AccountHistory& history,
                                double p_window) {
  const std::int32_t today = day_number(history.as_of);
  const int horizon = settings_.horizon_days;
  std::lock_guard lock(mutex_);
  if (!latest_ || today > *latest_) {
    latest_ = today;
    let_go_of_old();
  }
  auto it = pending_.find(account_id);
  if (it != pending_.end()) {
    // Sorted by as_of: the resolvable ones are a prefix.
    auto& forecasts = it->second;
    std::size_t matured = 0;
    for (; matured < forecasts.size() && forecasts[matured].as_of_day + horizon <= today; ++matured) {
      const Pending& f = forecasts[matured];
      const auto overdrawn = window_overdrawn(history, from_day_number(f.as_of_day), horizon);
      if (!overdrawn) {
        ++unresolvable_;
        continue;
      }
      add_resolved(f.as_of_day + horizon, f.p_window, *overdrawn);
    }
    forecasts.erase(forecasts.begin(), forecasts.begin() + static_cast<std::ptrdiff_t>(matured));
    pending_count_ -= matured;
  }
  const bool valid = p_window >= 0 && p_window <= 1;  // false for NaN too
  if (valid && (it == pending_.end() || it->second.empty() || it->second.back().as_of_day < today)) {
    if (it == pending_.end()) {
      it = pending_.emplace(std::string(account_id), std::vector<Pending>{}).first;
      it->second.reserve(static_cast<std::size_t>(horizon));
    }
    it->second.push_back(Pending{today, p_window});
    ++pending_count_;
  }
  if (it != pending_.end() && it->second.empty()) pending_.erase(it);
}

CalibrationSummary CalibrationTracker::summary() const {
  std::lock_guard lock(mutex_);
  CalibrationSummary s;
  s.pending = pending_count_;
  std::vector<BinSums> bins(static_cast<std::size_t>(settings_.bins));
  double p_sum = 0;
  double overdrawn = 0;
  double squared_error = 0;
  for (const auto& [known_day, day] : resolved_) {
    if (!counts(known_day)) continue;
    s.resolved += day.forecasts;
    p_sum += day.p_sum;
    overdrawn += day.overdrawn;
    squared_error += day.squared_error;
    for (std::size_t b = 0; b < bins.size(); ++b) {
      bins[b].forecasts += day.bins[b].forecasts;
      bins[b].p_sum += day.bins[b].p_sum;
      bins[b].overdrawn += day.bins[b].overdrawn;
    }
  }
  if (s.resolved == 0) return s;
  const auto n = static_cast<double>(s.resolved);
  s.brier = squared_error / n;
  s.mean_predicted = p_sum / n;
  s.observed_rate = overdrawn / n;
  // The same bins as forecast_health() reports, so the same error.
  std::vector<CalibrationBin> nonempty;
  for (std::size_t b = 0; b < bins.size(); ++b) {
    if (bins[b].forecasts == 0) continue;
    CalibrationBin c;
    c.p_low = static_cast<double>(b) / settings_.bins;
    c.p_high = static_cast<double>(b + 1) / settings_.bins;
    c.forecasts = bins[b].forecasts;
    c.mean_predicted = bins[b].p_sum / static_cast<double>(c.forecasts);
    c.observed_rate = bins[b].overdrawn / static_cast<double>(c.forecasts);
    nonempty.push_back(c);
  }
  s.expected_calibration_error = expected_calibration_error(nonempty, s.resolved);
  return s;
}

std::size_t CalibrationTracker::accounts() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::size_t CalibrationTracker::unresolvable() const {
  std::lock_guard lock(mutex_);
  return unresolvable_;
}

}  // namespace headroom::measurement
