#pragma once
// Robust location and scale estimators used where a plain mean would be pulled
// by one windfall or one large bill. All take values by copy or scratch span and
// return 0 for empty input (never NaN).

#include <cstdint>
#include <span>
#include <vector>

namespace headroom::forecast {

// Median; may reorder `values`.
double median_inplace(std::span<double> values);
double median_of(std::span<const double> values);
// Median absolute deviation around `center`, scaled by 1.4826 (σ for normal data).
double mad_of(std::span<const double> values, double center);
// Huber M-estimate of location (k = 1.345 σ), a few IRLS steps from the median.
double huber_location(std::span<const double> values, double k = 1.345);

// Exact order statistics of a few ranks at once: out[r] = the ranks[r]-th
// smallest of data[0, n) (0-based), the value std::nth_element would put
// there. A quickselect whose partition is branch-free and out of place: each
// element is written to both ends of the scratch area and the cursor of its
// side advances, so the cost does not depend on how well branches predict
// (std::nth_element's Hoare partition mispredicts about once per element on
// unordered data). Elements equal to the pivot are counted, not moved, so
// runs of equal values end at once. `ranks` ascending, each < n (rewritten);
// `data` and `scratch` hold n values and are both clobbered (not a
// permutation of the input afterwards).
void select_ranks(double* data, double* scratch, int n, int* ranks, int n_ranks, double* out);

// select_ranks() for larger n, cheaper: the values go into 256 bins of equal
// width between their minimum and maximum, and only the bins holding a wanted
// rank are searched with select_ranks(). The same values as select_ranks()
// for data without NaN (an equal value is the same value, except that a zero
// may come back with the other sign). `col` is not modified; `ranks`
// ascending, each < n (at most 3); `values` holds 4 * n doubles; `bin_of`
// n ints (portable code) and `bin_bytes` n rounded up to a multiple of 32
// (AVX2 code, `avx2` true only if cpu_has_avx2() and n ≤ 4096: byte counters).
void select_ranks_binned(const double* col, int n, const int* ranks, int n_ranks, double* out, double* values,
                         int* bin_of, std::uint8_t* bin_bytes, bool avx2);

// Whether this CPU runs the library's AVX2 code (read once).
bool cpu_has_avx2();

}  // namespace headroom::forecast
