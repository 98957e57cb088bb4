#include "forecast/robust.hpp"

#include <algorithm>
#include <cmath>

namespace headroom::forecast {

double median_inplace(std::span<double> v) {
  if (v.empty()) return 0.0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lo + hi);
}

double median_of(std::span<const double> values) {
  std::vector<double> copy(values.begin(), values.end());
  return median_inplace(copy);
}

double mad_of(std::span<const double> values, double center) {
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - center));
  return 1.4826 * median_inplace(dev);
}

double huber_location(std::span<const double> values, double k) {
  if (values.empty()) return 0.0;
  double mu = median_of(values);
  double scale = mad_of(values, mu);
  if (!(scale > 0.0)) return mu;
  // |x − mu| ≤ inside_bound implies |(x − mu) / scale| < k whatever the
  // rounding, so most values (the inliers) skip the division and get the
  // weight 1 the exact test would give them.
  const double inside_bound = k * scale * (1.0 - 0x1.0p-50);
  for (int iter = 0; iter < 8; ++iter) {
    double num = 0.0, den = 0.0;
    for (double x : values) {
      if (std::fabs(x - mu) <= inside_bound) {
        num += x;
        den += 1.0;
        continue;
      }
      const double r = (x - mu) / scale;
      const double w = std::fabs(r) <= k ? 1.0 : k / std::fabs(r);
      num += w * x;
      den += w;
    }
    const double next = num / den;
    if (std::fabs(next - mu) < 1e-9 * (1.0 + std::fabs(mu))) return next;
    mu = next;
  }
  return mu;
}

}  // namespace headroom::forecast
