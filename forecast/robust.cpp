#include "forecast/robust.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

// The build targets baseline x86-64; the binned selection also has AVX2
// parts, chosen at run time when the CPU has it (function-level target
// attributes). They give the same values as the portable code (tests compare).
#if defined(__x86_64__) && defined(__GNUC__)
#define HEADROOM_FORECAST_AVX2 1
#include <immintrin.h>
#else
#define HEADROOM_FORECAST_AVX2 0
#endif

namespace headroom::forecast {

bool cpu_has_avx2() {
#if HEADROOM_FORECAST_AVX2
  // A property of the machine, not state: read once.
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

namespace {

constexpr int kBins = 256;

// (kBins − 0.01) / width keeps the top value in the last bin; a zero or
// infinite width puts everything in bin 0.
double bin_scale(double lo, double hi) {
  const double width = hi - lo;
  return width > 0 && std::isfinite(width) ? (kBins - 0.01) / width : 0.0;
}

// The bin of one value. Through unsigned: a NaN's conversion result (INT_MIN)
// clamps to the last bin instead of indexing out of range.
int bin_of_value(double x, double lo, double scale) {
  return static_cast<int>(std::min(static_cast<unsigned>(static_cast<int>((x - lo) * scale)), unsigned{kBins - 1}));
}

// Each value's bin among kBins equal-width bins between the day's minimum and
// maximum (n ≥ 1).
void bin_day(const double* col, int n, int* bin_of) {
  // Four running minima and maxima in two 2-wide vectors (lanes = the four
  // accumulators i % 4, so the result is the same as four scalar chains);
  // `x < lo ? x : lo` is std::min(lo, x) lane by lane.
  using V2 = double __attribute__((vector_size(16)));
  V2 lo01 = {col[0], col[0]}, lo23 = lo01, hi01 = lo01, hi23 = lo01;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    V2 a, b;
    __builtin_memcpy(&a, col + i, sizeof a);
    __builtin_memcpy(&b, col + i + 2, sizeof b);
    lo01 = a < lo01 ? a : lo01;
    lo23 = b < lo23 ? b : lo23;
    hi01 = hi01 < a ? a : hi01;
    hi23 = hi23 < b ? b : hi23;
  }
  double lo4[4] = {lo01[0], lo01[1], lo23[0], lo23[1]}, hi4[4] = {hi01[0], hi01[1], hi23[0], hi23[1]};
  for (; i < n; ++i) {
    lo4[0] = std::min(lo4[0], col[i]);
    hi4[0] = std::max(hi4[0], col[i]);
  }
  const double lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
  const double hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
  const double scale = bin_scale(lo, hi);
  for (i = 0; i < n; ++i) bin_of[i] = bin_of_value(col[i], lo, scale);
}

#if HEADROOM_FORECAST_AVX2
// bin_day() four values per instruction. The minimum and maximum are the
// same values whatever the order they are taken in (a +0 / −0 tie can pick
// the other zero, which lands every value in the same bin), and the bin of
// a value is the same subtract, multiply and truncation, so the bins are
// identical. Writes each bin as a byte to `bin_bytes`, padded with 255 up to
// a multiple of 32 (for locate_ranks_avx2 and gather_bins_avx2).
__attribute__((target("avx2"))) void bin_day_avx2(const double* col, int n, std::uint8_t* bin_bytes) {
  __m256d lo_a = _mm256_set1_pd(col[0]), lo_b = lo_a, hi_a = lo_a, hi_b = lo_a;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d a = _mm256_loadu_pd(col + i), b = _mm256_loadu_pd(col + i + 4);
    // min_pd(x, acc) is `x < acc ? x : acc`: a NaN value leaves the accumulator alone, as std::min(acc, x) does.
    lo_a = _mm256_min_pd(a, lo_a);
    lo_b = _mm256_min_pd(b, lo_b);
    hi_a = _mm256_max_pd(a, hi_a);
    hi_b = _mm256_max_pd(b, hi_b);
  }
  alignas(32) double lo8[8], hi8[8];
  _mm256_store_pd(lo8, lo_a);
  _mm256_store_pd(lo8 + 4, lo_b);
  _mm256_store_pd(hi8, hi_a);
  _mm256_store_pd(hi8 + 4, hi_b);
  double lo = lo8[0], hi = hi8[0];
  for (int k = 1; k < 8; ++k) lo = std::min(lo, lo8[k]), hi = std::max(hi, hi8[k]);
  for (int k = i; k < n; ++k) lo = std::min(lo, col[k]), hi = std::max(hi, col[k]);
  const double scale = bin_scale(lo, hi);
  const __m256d lo4 = _mm256_set1_pd(lo), scale4 = _mm256_set1_pd(scale);
  const __m128i last = _mm_set1_epi32(kBins - 1);
  for (i = 0; i + 4 <= n; i += 4) {
    // cvttpd2dq gives INT_MIN for a NaN, which the unsigned minimum clamps like bin_of_value().
    const __m128i b = _mm_min_epu32(
        _mm256_cvttpd_epi32(_mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(col + i), lo4), scale4)), last);
    const __m128i b16 = _mm_packus_epi32(b, b);
    const int bytes = _mm_cvtsi128_si32(_mm_packus_epi16(b16, b16));
    __builtin_memcpy(bin_bytes + i, &bytes, sizeof bytes);
  }
  for (; i < n; ++i) bin_bytes[i] = static_cast<std::uint8_t>(bin_of_value(col[i], lo, scale));
  for (; i % 32 != 0; ++i) bin_bytes[i] = kBins - 1;
}

// The sum of the 32 byte counters of `count`.
__attribute__((target("avx2"))) inline int byte_total(__m256i count) {
  const __m256i sums = _mm256_sad_epu8(count, _mm256_setzero_si256());
  const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
  return static_cast<int>(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
}

// A bin byte b with its top bit flipped compares as a signed byte: b < m
// (m in 1 … 255) is (b ^ 0x80) < m − 128, one compare instead of an
// unsigned minimum and an equality.
__attribute__((target("avx2"))) inline __m256i signed_bins(const std::uint8_t* bin_bytes) {
  return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bin_bytes)),
                          _mm256_set1_epi8(static_cast<char>(0x80)));
}

// For each of R ranks (< n, ascending): the bin holding the ranks[r]-th
// smallest value (rank_bin[r]) and how many values lie in lower bins
// (rank_below[r]). A bisection over the bin index: each step counts the
// values below a bin, 32 bytes per compare, for the R ranks at once — 8 steps
// instead of a histogram's read-modify-write per value. The first step's
// bin (128) is the same for every rank: counted once.
template <int R>
__attribute__((target("avx2"))) void locate_ranks_avx2(const std::uint8_t* bin_bytes, int n, const int* ranks,
                                                       int* rank_bin, int* rank_below) {
  static_assert(kBins == 256, "bins are bytes");
  const int n_vectors = (n + 31) / 32;
  int lo[R], hi[R], below_lo[R];
  // Each byte lane counts at most n_vectors ≤ 128 values (n ≤ 4096): no overflow.
  __m256i half_count = _mm256_setzero_si256();
  for (int v = 0; v < n_vectors; ++v)
    half_count = _mm256_sub_epi8(half_count, _mm256_cmpgt_epi8(_mm256_setzero_si256(), signed_bins(bin_bytes + 32 * v)));
  const int below_half = byte_total(half_count);
  for (int r = 0; r < R; ++r) {
    const bool up = below_half <= ranks[r];
    lo[r] = up ? kBins / 2 : 0;
    below_lo[r] = up ? below_half : 0;
    hi[r] = up ? kBins - 1 : kBins / 2 - 1;
  }
  for (int step = 1; step < 8; ++step) {
    // Count the values in bins < mid for each rank (the padding, 255, never counts: mid ≤ 255).
    __m256i limit[R], count[R];
    int mid[R];
    for (int r = 0; r < R; ++r) {
      mid[r] = (lo[r] + hi[r] + 1) >> 1;
      limit[r] = _mm256_set1_epi8(static_cast<char>(mid[r] - 128));
      count[r] = _mm256_setzero_si256();
    }
    for (int v = 0; v < n_vectors; ++v) {
      const __m256i b = signed_bins(bin_bytes + 32 * v);
      for (int r = 0; r < R; ++r) count[r] = _mm256_sub_epi8(count[r], _mm256_cmpgt_epi8(limit[r], b));
    }
    for (int r = 0; r < R; ++r) {
      const int below = byte_total(count[r]);
      // The answer is the largest bin with at most ranks[r] values below it.
      const bool up = below <= ranks[r];
      lo[r] = up ? mid[r] : lo[r];
      below_lo[r] = up ? below : below_lo[r];
      hi[r] = up ? hi[r] : mid[r] - 1;
    }
  }
  for (int r = 0; r < R; ++r) rank_bin[r] = lo[r], rank_below[r] = below_lo[r];
}

__attribute__((target("avx2"))) void locate_ranks_avx2(const std::uint8_t* bin_bytes, int n, const int* ranks,
                                                       int n_ranks, int* rank_bin, int* rank_below) {
  switch (n_ranks) {
    case 1: return locate_ranks_avx2<1>(bin_bytes, n, ranks, rank_bin, rank_below);
    case 2: return locate_ranks_avx2<2>(bin_bytes, n, ranks, rank_bin, rank_below);
    default: return locate_ranks_avx2<3>(bin_bytes, n, ranks, rank_bin, rank_below);
  }
}
#endif

// The values of up to three bins (`targets`, −1 = unused), in day order:
// bin `targets[k]`'s values go to region[k], filled[k] of them.
void gather_bins(const double* col, const int* bin_of, int n, const int* targets, double* const* region,
                 int* filled) {
  for (int i = 0; i < n; ++i) {
    const int b = bin_of[i];
    // Few values are in a wanted bin: a branch that is rarely taken.
    if (b != targets[0] && b != targets[1] && b != targets[2]) continue;
    const int k = b == targets[0] ? 0 : b == targets[1] ? 1 : 2;
    region[k][filled[k]++] = col[i];
  }
}

#if HEADROOM_FORECAST_AVX2
// gather_bins() on the bins as bytes (bin_day_avx2), comparing 32 at a time;
// only the rare hits are handled one by one, in day order.
__attribute__((target("avx2"))) void gather_bins_avx2(const double* col, const std::uint8_t* bin_bytes, int n,
                                                      const int* targets, double* const* region, int* filled) {
  // An unused target (−1) compares as targets[0]: its hits go to region 0 anyway.
  const auto byte = [&](int k) { return static_cast<char>(targets[k] >= 0 ? targets[k] : targets[0]); };
  const __m256i t0 = _mm256_set1_epi8(byte(0)), t1 = _mm256_set1_epi8(byte(1)), t2 = _mm256_set1_epi8(byte(2));
  for (int i = 0; i < n; i += 32) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bin_bytes + i));
    const __m256i hit = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, t0), _mm256_cmpeq_epi8(b, t1)),
                                        _mm256_cmpeq_epi8(b, t2));
    auto mask = static_cast<unsigned>(_mm256_movemask_epi8(hit));
    if (n - i < 32) mask &= (1u << (n - i)) - 1;  // not the padding
    for (; mask != 0; mask &= mask - 1) {
      const int j = i + __builtin_ctz(mask);
      const int bin = bin_bytes[j];
      const int k = bin == targets[0] ? 0 : bin == targets[1] ? 1 : 2;
      region[k][filled[k]++] = col[j];
    }
  }
}
#endif

// For each rank: its bin and the number of values in lower bins, from a
// histogram (the portable version of locate_ranks_avx2).
void locate_ranks(const int* bin_of, int n, const int* ranks, int n_ranks, int* rank_bin, int* rank_below) {
  int count[kBins] = {};
  for (int i = 0; i < n; ++i) ++count[bin_of[i]];
  // The counts add up to n, so every rank < n is found before bin kBins.
  // Whole groups of eight bins are skipped first (their eight counts add up
  // independently, where a bin-by-bin walk is one long chain of dependent
  // adds and compares).
  int b = 0, cum = 0;
  for (int r = 0; r < n_ranks; ++r) {
    for (;;) {
      if (b % 8 == 0 && b + 8 <= kBins) {
        const int group = ((count[b] + count[b + 1]) + (count[b + 2] + count[b + 3])) +
                          ((count[b + 4] + count[b + 5]) + (count[b + 6] + count[b + 7]));
        if (cum + group <= ranks[r]) {
          cum += group;
          b += 8;
          continue;
        }
      }
      if (cum + count[b] > ranks[r]) break;
      cum += count[b++];
    }
    rank_bin[r] = b;
    rank_below[r] = cum;
  }
}

// select_ranks() for a whole day, cheaper: the values go into kBins bins of
// equal width between the day's minimum and maximum (bin_day), and only the
// bins holding a wanted rank are searched with select_ranks(). The bin index
// is a non-decreasing function of the value, so bins are ordered intervals
// and the result is exactly the k-th smallest value. `ranks` ascending, each
// < n (at most 3); `values` holds 4 * n doubles, `bin_of` n ints (portable code), `bin_bytes`
// n rounded up to a multiple of 32 (AVX2 code).
}  // namespace

void select_ranks_binned(const double* col, int n, const int* ranks, int n_ranks, double* out, double* values,
                         int* bin_of, std::uint8_t* bin_bytes, bool avx2) {
  int rank_bin[3], rank_below[3];
#if HEADROOM_FORECAST_AVX2
  if (avx2) {
    bin_day_avx2(col, n, bin_bytes);
    locate_ranks_avx2(bin_bytes, n, ranks, n_ranks, rank_bin, rank_below);
  } else {
    bin_day(col, n, bin_of);
    locate_ranks(bin_of, n, ranks, n_ranks, rank_bin, rank_below);
  }
#else
  (void)avx2;
  (void)bin_bytes;
  bin_day(col, n, bin_of);
  locate_ranks(bin_of, n, ranks, n_ranks, rank_bin, rank_below);
#endif
  // Ranks in the same bin share one search.
  int targets[3] = {-1, -1, -1}, n_targets = 0;
  int local[3][3], n_local[3] = {0, 0, 0}, first_rank[3] = {0, 0, 0};
  for (int r = 0; r < n_ranks; ++r) {
    if (n_targets == 0 || targets[n_targets - 1] != rank_bin[r]) {
      targets[n_targets] = rank_bin[r];
      first_rank[n_targets++] = r;
    }
    const int t = n_targets - 1;
    local[t][n_local[t]++] = ranks[r] - rank_below[r];
  }
  // The wanted bins' values: region t is values[t·n, (t+1)·n); values[3n, 4n)
  // is select_ranks()'s scratch.
  double* region[3] = {values, values + n, values + 2 * n};
  int filled[3] = {0, 0, 0};
#if HEADROOM_FORECAST_AVX2
  if (avx2)
    gather_bins_avx2(col, bin_bytes, n, targets, region, filled);
  else
    gather_bins(col, bin_of, n, targets, region, filled);
#else
  gather_bins(col, bin_of, n, targets, region, filled);
#endif
  for (int t = 0; t < n_targets; ++t)
    select_ranks(region[t], values + 3 * n, filled[t], local[t], n_local[t], out + first_rank[t]);
}

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
  static constexpr std::size_t kInline = 3072;
  double inline_[kInline];
  std::vector<double> heap_;
  double* data_;
};

// From this many values on, a median is selected through bins under AVX2
// (select_ranks_binned): a few passes of 32-byte compares instead of the
// quickselect's partitions.
constexpr int kBinnedMin = 48;
// The AVX2 bins count up to 4096 values (one byte per lane).
constexpr int kBinnedMax = 4096;

// Doubles of scratch median_of_work() needs for n values.
std::size_t work_size(std::size_t n) {
  return (n >= std::size_t{kBinnedMin} && n <= std::size_t{kBinnedMax} ? 6 : 2) * n;
}

// Median of work[0, n) (n ≥ 1) by select_ranks; `work` holds work_size(n)
// doubles whose first n are the values (clobbered).
double median_of_work(double* work, int n) {
  const int mid = n / 2;
  int ranks[2] = {mid - 1, mid};
  const int n_ranks = n % 2 == 1 ? 1 : 2;
  int* const wanted = n % 2 == 1 ? ranks + 1 : ranks;
  double out[2];
  bool selected = false;
  if (n >= kBinnedMin && n <= kBinnedMax && cpu_has_avx2()) {
    // The bins give the very values the quickselect gives, but for a NaN among
    // the values or a zero result (whose sign may differ): those go to the quickselect.
    bool nan = false;
    for (int i = 0; i < n; ++i) nan |= work[i] != work[i];
    if (!nan) {
      select_ranks_binned(work, n, wanted, n_ranks, out, work + n, nullptr,
                          reinterpret_cast<std::uint8_t*>(work + 5 * static_cast<std::ptrdiff_t>(n)), true);
      selected = out[0] != 0 && out[n_ranks - 1] != 0;
    }
  }
  if (!selected) select_ranks(work, work + n, n, wanted, n_ranks, out);
  // Even n: the mean of the two middle values, in the same order as before (lower + upper).
  return n_ranks == 1 ? out[0] : 0.5 * (out[0] + out[1]);
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
  Scratch work(work_size(values.size()));
  std::copy(values.begin(), values.end(), work.data());
  return median_of_work(work.data(), static_cast<int>(values.size()));
}

double mad_of(std::span<const double> values, double center) {
  if (values.empty()) return 0.0;
  Scratch work(work_size(values.size()));
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
