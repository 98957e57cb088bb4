#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "forecast/robust.hpp"

using namespace headroom::forecast;

namespace {

// Deterministic values with many ties, zeros, negatives and a wide range,
// like a year of daily outflows or a label's amounts.
std::vector<double> sample(int n, std::uint64_t seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto r = seed >> 33;
    switch (r % 5) {
      case 0: x = 0.0; break;
      case 1: x = static_cast<double>(r % 7) * 100.0; break;
      case 2: x = -static_cast<double>(r % 100000); break;
      default: x = static_cast<double>(r % 1000000) * 0.37; break;
    }
  }
  return v;
}

double sorted_median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST(Robust, MediansAndMadsAreTheSortedValuesBitForBit) {
  std::vector<int> sizes;
  for (int n = 1; n <= 700; n += (n < 80 ? 1 : 37)) sizes.push_back(n);
  for (int n : {4095, 4096, 4097, 9000}) sizes.push_back(n);
  for (int n : sizes) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      const std::vector<double> v = sample(n, seed * 1000 + static_cast<std::uint64_t>(n));
      SCOPED_TRACE(::testing::Message() << n << " values, seed " << seed);
      const double med = median_of(v);
      EXPECT_TRUE(same_bits(med, sorted_median(v))) << med << " vs " << sorted_median(v);
      std::vector<double> dev(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - med);
      EXPECT_TRUE(same_bits(mad_of(v, med), 1.4826 * sorted_median(dev)));
      std::vector<double> copy = v;
      EXPECT_TRUE(same_bits(median_inplace(copy), med));
    }
  }
}

TEST(Robust, BinnedSelectionGivesTheQuickselectsValues) {
  const int sizes[] = {1, 2, 17, 31, 32, 33, 100, 256, 366, 1000};
  for (int n : sizes) {
    std::vector<double> v = sample(n, static_cast<std::uint64_t>(n) * 7);
    if (n > 40) v[5] = std::numeric_limits<double>::infinity(), v[6] = -std::numeric_limits<double>::infinity();
    for (int variant = 0; variant < 2; ++variant) {
      const bool avx2 = variant == 1 && cpu_has_avx2();
      int ranks[3] = {n / 10, n / 2, (9 * n) / 10};
      double binned[3], quick[3];
      std::vector<double> values(4 * static_cast<std::size_t>(n));
      std::vector<int> bin_of(static_cast<std::size_t>(n));
      std::vector<std::uint8_t> bytes((static_cast<std::size_t>(n) + 31) / 32 * 32);
      select_ranks_binned(v.data(), n, ranks, 3, binned, values.data(), bin_of.data(), bytes.data(), avx2);
      std::vector<double> data = v, scratch(v.size());
      int quick_ranks[3] = {ranks[0], ranks[1], ranks[2]};
      select_ranks(data.data(), scratch.data(), n, quick_ranks, 3, quick);
      for (int r = 0; r < 3; ++r) EXPECT_EQ(binned[r], quick[r]) << n << " values, rank " << ranks[r] << ", avx2 " << avx2;
    }
  }
}
