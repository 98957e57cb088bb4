#include "forecast/baselines.hpp"

#include <algorithm>
#include <cmath>

#include "forecast/rng.hpp"

namespace headroom::forecast {
namespace {

BalanceForecast frame(const AccountHistory& h, const ProjectionParams& pp, int paths) {
  BalanceForecast f;
  f.account_id = h.account_id;
  f.as_of = h.as_of;
  f.horizon_days = std::clamp(pp.horizon_days, 1, 366);
  f.buffer = pp.buffer;
  f.start_balance = h.current_balance;
  f.paths = paths;
  f.balance_known = h.balance_known;
  f.days.resize(static_cast<std::size_t>(f.horizon_days));
  for (int d = 0; d < f.horizon_days; ++d) f.days[static_cast<std::size_t>(d)].date = h.as_of + Days{d};
  return f;
}

// balances: [day * paths + path]
void summarize(BalanceForecast& f, std::vector<double>& balances, int paths, bool quantiles) {
  const double buffer = f.buffer.as_double();
  std::vector<std::uint8_t> hit0(static_cast<std::size_t>(paths)), hitb(static_cast<std::size_t>(paths));
  for (int d = 0; d < f.horizon_days; ++d) {
    double* col = balances.data() + static_cast<std::size_t>(d) * static_cast<std::size_t>(paths);
    int b0 = 0, bb = 0;
    for (int p = 0; p < paths; ++p) {
      b0 += col[p] < 0;
      bb += col[p] < buffer;
      hit0[static_cast<std::size_t>(p)] |= col[p] < 0;
      hitb[static_cast<std::size_t>(p)] |= col[p] < buffer;
    }
    auto& day = f.days[static_cast<std::size_t>(d)];
    day.p_below_zero = double(b0) / paths;
    day.p_below_buffer = double(bb) / paths;
    if (quantiles) {
      std::sort(col, col + paths);
      auto q = [&](double x) {
        return Money::from_double(std::clamp(col[static_cast<int>(x * (paths - 1) + 0.5)], -9e18, 9e18));
      };
      day.p10 = q(0.1);
      day.p50 = q(0.5);
      day.p90 = q(0.9);
    }
  }
  int w0 = 0, wb = 0;
  for (int p = 0; p < paths; ++p) {
    w0 += hit0[static_cast<std::size_t>(p)];
    wb += hitb[static_cast<std::size_t>(p)];
  }
  f.p_overdraft_window = double(w0) / paths;
  f.p_below_buffer_window = double(wb) / paths;
}

}  // namespace

BalanceForecast project_drift(const AccountHistory& h, const ProjectionParams& pp) {
  const int paths = std::clamp(pp.paths, 16, 4096);
  BalanceForecast f = frame(h, pp, paths);
  const int n = std::min(h.days(), 90);
  double s1 = 0, s2 = 0;
  for (int i = h.days() - n; i < h.days(); ++i) {
    const double x = h.net_flow[static_cast<std::size_t>(i)].as_double();
    s1 += x;
    s2 += x * x;
  }
  const double mean = n > 0 ? s1 / n : 0.0;
  const double sd = n > 1 ? std::sqrt(std::max(0.0, (s2 - s1 * s1 / n) / (n - 1))) : 0.0;
  std::vector<double> balances(static_cast<std::size_t>(f.horizon_days) * static_cast<std::size_t>(paths));
  for (int p = 0; p < paths; ++p) {
    PathRng rng(pp.seed, static_cast<std::uint64_t>(p));
    double bal = h.current_balance.as_double();
    for (int d = 0; d < f.horizon_days; ++d) {
      bal += mean + sd * rng.normal();
      balances[static_cast<std::size_t>(d) * static_cast<std::size_t>(paths) + static_cast<std::size_t>(p)] = bal;
    }
  }
  summarize(f, balances, paths, pp.quantiles);
  return f;
}

BalanceForecast project_seasonal_naive(const AccountHistory& h, const ProjectionParams& pp) {
  constexpr int kLags[] = {28, 29, 30, 31};
  constexpr int kPaths = 4;
  BalanceForecast f = frame(h, pp, kPaths);
  const int n = h.days();
  std::vector<double> balances(static_cast<std::size_t>(f.horizon_days) * kPaths);
  for (int p = 0; p < kPaths; ++p) {
    const int lag = std::min(kLags[p], n);
    double bal = h.current_balance.as_double();
    for (int d = 0; d < f.horizon_days; ++d) {
      if (lag > 0) bal += h.net_flow[static_cast<std::size_t>(n - lag + d % lag)].as_double();
      balances[static_cast<std::size_t>(d) * kPaths + static_cast<std::size_t>(p)] = bal;
    }
  }
  summarize(f, balances, kPaths, pp.quantiles);
  return f;
}

}  // namespace headroom::forecast
