#pragma once
// The standard normal's inverse CDF by P. J. Acklam's rational approximation
// (relative error < 1.2e-9): two short polynomials and a division in the
// central 95 %, a log and a square root in the tails. Shared by the
// projection's one-draw normal (forecast/rng.hpp), whose random stream its
// exact operations define, and by the experiment statistics
// (measurement/stats.cpp), which refine it to machine precision.

#include <cmath>

namespace headroom::forecast {

// The approximation's coefficients and the edge of its central region,
// named so a vectorized version (forecast/projection.cpp) runs exactly the
// same operations.
namespace acklam {
inline constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
inline constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01,  -1.328068155288572e+01};
inline constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
inline constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
inline constexpr double kLow = 0.02425;  // p in [kLow, 1 − kLow]: the central region
}  // namespace acklam

// p in (0, 1). The upper tail takes log(1 - p): exact for the generator's
// p values, and the statistics' refinement step absorbs the rest.
inline double acklam_inverse_normal(double p) {
  using acklam::a, acklam::b, acklam::c, acklam::d, acklam::kLow;
  if (p >= kLow && p <= 1.0 - kLow) {
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  const double q = std::sqrt(-2.0 * std::log(p < kLow ? p : 1.0 - p));
  const double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                   ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  return p < kLow ? x : -x;
}

}  // namespace headroom::forecast
