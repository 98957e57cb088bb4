#pragma once
// Robust location and scale estimators used where a plain mean would be pulled
// by one windfall or one large bill. All take values by copy or scratch span and
// return 0 for empty input (never NaN).

#include <span>
#include <vector>

namespace headroom::forecast {

// Median; reorders `values`.
double median_inplace(std::span<double> values);
double median_of(std::span<const double> values);
// Median absolute deviation around `center`, scaled by 1.4826 (σ for normal data).
double mad_of(std::span<const double> values, double center);
// Huber M-estimate of location (k = 1.345 σ), a few IRLS steps from the median.
double huber_location(std::span<const double> values, double k = 1.345);

}  // namespace headroom::forecast
