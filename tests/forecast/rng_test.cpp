#include <gtest/gtest.h>

#include <cmath>

#include "forecast/rng.hpp"

using namespace headroom::forecast;

TEST(PathRng, OneDrawNormalHasStandardMomentsAndTails) {
  PathRng rng(0x48656164726f6f6dULL, 3);
  constexpr int kDraws = 1'000'000;
  double sum = 0, sum2 = 0, lo = 0, hi = 0;
  int below_196 = 0, above_196 = 0, below_3 = 0, below_1 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = rng.normal_one_draw();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum2 += z * z;
    lo = std::min(lo, z);
    hi = std::max(hi, z);
    below_196 += z < -1.959964;
    above_196 += z > 1.959964;
    below_3 += z < -3.0;
    below_1 += z < -1.0;
  }
  const double mean = sum / kDraws, sd = std::sqrt(sum2 / kDraws - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.004);
  EXPECT_NEAR(sd, 1.0, 0.004);
  // Φ(−1.96) = 0.025, Φ(−3) = 0.00135, Φ(−1) = 0.1587; binomial sd ≈ 0.00016, 0.000037, 0.00037.
  EXPECT_NEAR(below_196 / double(kDraws), 0.025, 0.0008);
  EXPECT_NEAR(above_196 / double(kDraws), 0.025, 0.0008);
  EXPECT_NEAR(below_3 / double(kDraws), 0.00135, 0.0002);
  EXPECT_NEAR(below_1 / double(kDraws), 0.158655, 0.0015);
  // A million draws reach past ±4.5 σ on both sides (the tails are not cut off).
  EXPECT_LT(lo, -4.5);
  EXPECT_GT(hi, 4.5);
}

TEST(PathRng, OneDrawNormalUsesExactlyOneDrawAndIsDeterministic) {
  PathRng a(7, 11), b(7, 11);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.normal_one_draw(), b.normal_one_draw());
    b.next();
    a.next();
  }
  PathRng c(7, 11), d(7, 11);
  c.normal_one_draw();
  d.next();
  EXPECT_EQ(c.next(), d.next());
}

TEST(SplitMix64, IsTheReferenceSequence) {
  // First outputs of splitmix64 seeded with 0 (Vigna's reference implementation).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.state(), 2 * kSplitMix64Gamma);
  static_assert(splitmix64_mix(kSplitMix64Gamma) == 0xe220a8397b1dcdafULL);
  SplitMix64 small(7);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(small.below(3), 3u);
}

TEST(PathRng, SeededStreamsArePinned) {
  // Values of the generator before it was built on the shared SplitMix64:
  // every seeded forecast depends on them.
  PathRng rng(0x48656164726f6f6dULL, 3);
  EXPECT_EQ(rng.next(), 0xfc041cf9515a926aULL);
  EXPECT_EQ(rng.next(), 0xa2cb09ba0fce876bULL);
  EXPECT_EQ(rng.next(), 0xf80eba88e49a1fdeULL);
  PathRng zero(0, 0);
  EXPECT_EQ(zero.state(), 0x88ce4b48a6765bfcULL);
  EXPECT_EQ(zero.next(), 0x050881f5ff8af325ULL);
}
