#include "forecast/robust.hpp"

#include <algorithm>
#include <cmath>

namespace headroom::forecast {
namespace {

// Scratch doubles on the stack for the sizes fit() sees (a label's amounts, a
// year of days), on the heap beyond: the medians are called a few dozen times
// per fit and an allocation each would cost more than the selection.
class Scratch {
 public:
  explicit Scratch(std::size_t n) {
    if (n > kInline) heap_.resize(n);
    data_ = n > kInline ? heap_.data() : inline_;
  }
  double* data() { return data_; }

 private:
  static constexpr std::size_t kInline = 1024;
  double inline_[kInline];
  std::vector<double> heap_;
  double* data_;
};

// Median of data[0, n) (n ≥ 1) by select_ranks; `work` holds 2n doubles
// whose first n are the values (clobbered).
double median_of_work(double* work, int n) {
  const int mid = n / 2;
  if (n % 2 == 1) {
    int rank[1] = {mid};
    double out;
    select_ranks(work, work + n, n, rank, 1, &out);
    return out;
  }
  // The mean of the two middle values, in the same order as before (lower + upper).
  int ranks[2] = {mid - 1, mid};
  double out[2];
  select_ranks(work, work + n, n, ranks, 2, out);
  return 0.5 * (out[0] + out[1]);
}

}  // namespace

void select_ranks(double* data, double* scratch, int n, int* ranks, int n_ranks, double* out) {
  if (n_ranks <= 0) return;
  if (n <= 16) {
    // Insertion sort: a handful of elements left.
    for (int i = 1; i < n; ++i) {
      const double x = data[i];
      int j = i;
      while (j > 0 && x < data[j - 1]) data[j] = data[j - 1], --j;
      data[j] = x;
    }
    for (int r = 0; r < n_ranks; ++r) out[r] = data[ranks[r]];
    return;
  }
  const double a = data[0], b = data[n / 2], c = data[n - 1];
  const double pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));
  int nl = 0, nr = 0;
  for (int i = 0; i < n; ++i) {
    const double x = data[i];
    scratch[nl] = x;
    scratch[n - 1 - nr] = x;
    nl += x < pivot;
    nr += x > pivot;
  }
  const int ne = n - nl - nr;
  // Split the ranks: [0, split_lo) go left, [split_lo, split_hi) are the pivot, the rest go right.
  int split_lo = 0;
  while (split_lo < n_ranks && ranks[split_lo] < nl) ++split_lo;
  int split_hi = split_lo;
  while (split_hi < n_ranks && ranks[split_hi] < nl + ne) out[split_hi++] = pivot;
  // Right part: scratch[n - nr, n), its scratch is data[n - nr, n).
  if (split_hi < n_ranks) {
    for (int r = split_hi; r < n_ranks; ++r) ranks[r] -= nl + ne;
    select_ranks(scratch + (n - nr), data + (n - nr), nr, ranks + split_hi, n_ranks - split_hi, out + split_hi);
  }
  // Left part: scratch[0, nl), its scratch is data[0, nl).
  select_ranks(scratch, data, nl, ranks, split_lo, out);
}


double median_inplace(std::span<double> v) { return median_of(v); }

double median_of(std::span<const double> values) {
  if (values.empty()) return 0.0;
  Scratch work(2 * values.size());
  std::copy(values.begin(), values.end(), work.data());
  return median_of_work(work.data(), static_cast<int>(values.size()));
}

double mad_of(std::span<const double> values, double center) {
  if (values.empty()) return 0.0;
  Scratch work(2 * values.size());
  double* dev = work.data();
  for (std::size_t i = 0; i < values.size(); ++i) dev[i] = std::fabs(values[i] - center);
  return 1.4826 * median_of_work(dev, static_cast<int>(values.size()));
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
