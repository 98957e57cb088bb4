#include "measurement/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "forecast/inverse_normal.hpp"

namespace headroom::measurement::stats {

namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt2Pi = 2.50662827463100050242;

double sum(std::span<const double> v) { return std::accumulate(v.begin(), v.end(), 0.0); }

void require_accounts(std::size_t n, const char* what) {
  if (n < 2) throw std::invalid_argument(std::string(what) + ": needs at least 2 accounts, got " + std::to_string(n));
}

}  // namespace

double normal_cdf(double z) { return 0.5 * std::erfc(-z / kSqrt2); }

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("normal_quantile: p must be in (0, 1)");
  const double x = forecast::acklam_inverse_normal(p);
  // One Halley step takes Acklam's 1.15e-9 relative error to machine precision.
  const double e = normal_cdf(x) - p;
  const double u = e * kSqrt2Pi * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double two_sided_p_value(double z) {
  if (std::isnan(z)) return 1.0;
  return std::erfc(std::fabs(z) / kSqrt2);
}

double chi_square_1df_p_value(double x) {
  if (!(x > 0)) return 1.0;
  return std::erfc(std::sqrt(x / 2));
}

Estimate mean_estimate(std::span<const double> y) {
  require_accounts(y.size(), "mean_estimate");
  const double n = static_cast<double>(y.size());
  const double m = sum(y) / n;
  double ss = 0;
  for (double v : y) ss += (v - m) * (v - m);
  return {m, ss / (n - 1) / n, y.size()};
}

Estimate ratio_estimate(std::span<const double> y, std::span<const double> x) {
  if (y.size() != x.size()) throw std::invalid_argument("ratio_estimate: numerator and denominator sizes differ");
  require_accounts(y.size(), "ratio_estimate");
  const double sx = sum(x);
  if (!(sx > 0)) throw std::invalid_argument("ratio_estimate: denominator sums to zero");
  const double n = static_cast<double>(y.size());
  const double r = sum(y) / sx;
  const double mean_x = sx / n;
  // Residuals y - R x have mean zero by construction of R.
  double ss = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double e = y[i] - r * x[i];
    ss += e * e;
  }
  return {r, ss / (n - 1) / n / (mean_x * mean_x), y.size()};
}

std::vector<double> linearize_ratio(std::span<const double> y, std::span<const double> x) {
  if (y.size() != x.size()) throw std::invalid_argument("linearize_ratio: numerator and denominator sizes differ");
  if (y.empty()) throw std::invalid_argument("linearize_ratio: no accounts");
  const double sx = sum(x);
  if (!(sx > 0)) throw std::invalid_argument("linearize_ratio: denominator sums to zero");
  const double r = sum(y) / sx;
  const double mean_x = sx / static_cast<double>(x.size());
  std::vector<double> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) out[i] = r + (y[i] - r * x[i]) / mean_x;
  return out;
}

double cuped_theta(std::span<const double> y_a, std::span<const double> x_a, std::span<const double> y_b,
                   std::span<const double> x_b) {
  if (y_a.size() != x_a.size() || y_b.size() != x_b.size())
    throw std::invalid_argument("cuped_theta: outcome and covariate sizes differ");
  double sxy = 0;
  double sxx = 0;
  for (auto [y, x] : {std::pair{y_a, x_a}, std::pair{y_b, x_b}}) {
    if (y.empty()) continue;
    const double n = static_cast<double>(y.size());
    const double my = sum(y) / n;
    const double mx = sum(x) / n;
    for (std::size_t i = 0; i < y.size(); ++i) {
      sxy += (y[i] - my) * (x[i] - mx);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
  }
  // A covariate with (numerically) no spread carries no information.
  if (!(sxx > 1e-300)) return 0.0;
  return sxy / sxx;
}

std::vector<double> cuped_adjust(std::span<const double> y, std::span<const double> x, double theta, double x_center) {
  if (y.size() != x.size()) throw std::invalid_argument("cuped_adjust: outcome and covariate sizes differ");
  std::vector<double> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) out[i] = y[i] - theta * (x[i] - x_center);
  return out;
}

Difference difference(const Estimate& a, const Estimate& b) {
  Difference d;
  d.absolute = a.value - b.value;
  d.absolute_variance = a.variance + b.variance;
  if (b.value != 0) {
    d.relative_defined = true;
    d.relative = a.value / b.value - 1;
    const double b2 = b.value * b.value;
    d.relative_variance = a.variance / b2 + a.value * a.value * b.variance / (b2 * b2);
  }
  return d;
}

RatioBounds ratio_interval(const Estimate& a, const Estimate& b, double z, bool nonnegative) {
  const double inf = std::numeric_limits<double>::infinity();
  const double z2 = z * z;
  // Not rejected: q(rho) = qa rho^2 - 2 qb rho + qc <= 0.
  const double qa = b.value * b.value - z2 * b.variance;
  const double qb = a.value * b.value;
  const double qc = a.value * a.value - z2 * a.variance;
  const double disc = qb * qb - qa * qc;
  const double floor = nonnegative ? 0.0 : -inf;
  if (qa > 0) {
    // An upward parabola: the interval between its roots (disc >= 0 then,
    // up to rounding when both variances vanish).
    const double s = std::sqrt(std::max(0.0, disc));
    return {std::max(floor, (qb - s) / qa), (qb + s) / qa};
  }
  if (qa == 0) {
    // A line: -2 qb rho + qc <= 0 is a half-line, or everything.
    if (qb > 0) return {std::max(floor, qc / (2 * qb)), inf};
    return {floor, inf};
  }
  // A downward parabola: everything, or all but the gap between its roots.
  if (disc <= 0) return {floor, inf};
  const double s = std::sqrt(disc);
  const double gap_low = (qb + s) / qa;  // qa < 0: the smaller root
  const double gap_high = (qb - s) / qa;
  // With nonnegative means, a significant difference puts both 0 and 1 in
  // the gap, so [gap_high, inf) keeps the interval and the test in agreement.
  if (nonnegative && gap_low < 0) return {std::max(0.0, gap_high), inf};
  return {floor, inf};
}

double minimum_detectable_effect(double se, double alpha, double power) {
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("minimum_detectable_effect: alpha must be in (0, 1)");
  if (!(power > 0 && power < 1)) throw std::invalid_argument("minimum_detectable_effect: power must be in (0, 1)");
  return (normal_quantile(1 - alpha / 2) + normal_quantile(power)) * se;
}

double confidence_sequence_half_width(double variance, double rho_squared, double alpha) {
  if (!(variance >= 0)) throw std::invalid_argument("confidence_sequence_half_width: variance must be >= 0");
  if (!(rho_squared > 0)) throw std::invalid_argument("confidence_sequence_half_width: rho_squared must be > 0");
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("confidence_sequence_half_width: alpha must be in (0, 1)");
  if (variance == 0) return 0;
  const double total = variance + rho_squared;
  return std::sqrt(variance * total / rho_squared * (std::log(total / variance) + 2 * std::log(1 / alpha)));
}

double mixture_tuning_ratio(double alpha) {
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("mixture_tuning_ratio: alpha must be in (0, 1)");
  // d/dr of (1 + 1/r)(log(1 + r) + 2L) is zero where r = log(1 + r) + 2L; the
  // map is a contraction (slope 1 / (1 + r) < 1), so iteration converges.
  const double two_l = 2 * std::log(1 / alpha);
  double r = two_l + 1;
  for (int i = 0; i < 100; ++i) {
    const double next = std::log1p(r) + two_l;
    if (std::fabs(next - r) < 1e-14 * r) return next;
    r = next;
  }
  return r;
}

double mixture_p_value(double estimate, double variance, double rho_squared) {
  if (!(variance > 0)) throw std::invalid_argument("mixture_p_value: variance must be > 0");
  if (!(rho_squared > 0)) throw std::invalid_argument("mixture_p_value: rho_squared must be > 0");
  const double total = variance + rho_squared;
  // 1 / ratio in logs: the exponent overflows for large effects.
  const double log_inverse =
      0.5 * std::log(total / variance) - rho_squared * estimate * estimate / (2 * variance * total);
  return std::min(1.0, std::exp(log_inverse));
}

SampleRatioTest sample_ratio_test(std::size_t treatment, std::size_t holdout, double expected_holdout_share) {
  if (!(expected_holdout_share > 0 && expected_holdout_share < 1))
    throw std::invalid_argument("sample_ratio_test: expected holdout share must be in (0, 1)");
  const double n = static_cast<double>(treatment + holdout);
  if (n == 0) return {};
  const double e_h = n * expected_holdout_share;
  const double e_t = n - e_h;
  const double d_h = static_cast<double>(holdout) - e_h;
  const double d_t = static_cast<double>(treatment) - e_t;
  SampleRatioTest t;
  t.chi_square = d_h * d_h / e_h + d_t * d_t / e_t;
  t.p_value = chi_square_1df_p_value(t.chi_square);
  return t;
}

std::vector<double> holm_adjust(std::span<const double> p) {
  std::vector<std::size_t> order(p.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(p.size());
  double running = 0;  // the max keeps the adjusted values in the order of the raw ones
  for (std::size_t k = 0; k < order.size(); ++k) {
    const double m_left = static_cast<double>(order.size() - k);
    running = std::max(running, std::min(1.0, m_left * p[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

double percentile(std::span<const double> sorted, double q) {
  if (sorted.empty()) throw std::invalid_argument("percentile: no values");
  q = std::clamp(q, 0.0, 1.0);
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace headroom::measurement::stats
