#pragma once
// Small deterministic generator (SplitMix64) for Monte Carlo paths. Hand-rolled
// rather than <random> distributions, whose output differs between standard
// libraries: a forecast must be bit-identical for a given seed everywhere.

#include <cmath>
#include <cstdint>

namespace headroom::forecast {

class PathRng {
 public:
  // SplitMix64's constants, public so a vectorized path loop can run the
  // same generator on several lanes (forecast/projection.cpp).
  static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
  static constexpr std::uint64_t kMul1 = 0xbf58476d1ce4e5b9ULL;
  static constexpr std::uint64_t kMul2 = 0x94d049bb133111ebULL;

  PathRng() = default;  // a placeholder, to be assigned a seeded generator
  explicit PathRng(std::uint64_t seed, std::uint64_t stream) : state_(mix(seed ^ mix(stream + 0x632be59bd9b4e019ULL))) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += kGamma);
    return mix_step(z);
  }
  // The generator's position: next() adds kGamma to it and mixes the sum.
  std::uint64_t state() const { return state_; }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (hi ≥ lo).
  int uniform_int(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo + 1);
    return lo + static_cast<int>((next() >> 32) * span >> 32);
  }
  // Standard normal (Box–Muller; one value per call keeps the stream simple).
  double normal() {
    const double u1 = (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Standard normal from one draw, by the inverse normal CDF (P. J. Acklam's
  // rational approximation, relative error < 1.2e-9): two short polynomials
  // and a division for 95 % of draws, a log and a square root only in the
  // 2.4 % tails — several times cheaper than normal(), whose log and cos
  // dominated the projection's scheduled-amount noise.
  double normal_one_draw() {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01,  -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                   3.754408661907416e+00};
    constexpr double kLow = 0.02425;
    // p = (k + ½) / 2⁵² for a 52-bit k: exact, in [2⁻⁵³, 1 − 2⁻⁵³], and 1 − p
    // is exact too, so neither tail takes the log of 0.
    const double p = (static_cast<double>(next() >> 12) + 0.5) * 0x1.0p-52;
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

 private:
  static std::uint64_t mix_step(std::uint64_t z) {
    z = (z ^ (z >> 30)) * kMul1;
    z = (z ^ (z >> 27)) * kMul2;
    return z ^ (z >> 31);
  }
  static std::uint64_t mix(std::uint64_t z) { return mix_step(z + kGamma); }
  std::uint64_t state_ = 0;
};

}  // namespace headroom::forecast
