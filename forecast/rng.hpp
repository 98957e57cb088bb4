#pragma once
// Small deterministic generator (SplitMix64) for Monte Carlo paths. Hand-rolled
// rather than <random> distributions, whose output differs between standard
// libraries: a forecast must be bit-identical for a given seed everywhere.

#include <cmath>
#include <cstdint>

#include "forecast/inverse_normal.hpp"

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
  // Puts the generator where a vectorized loop left its lane (state() there).
  void set_state(std::uint64_t state) { state_ = state; }
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
    // p = (k + ½) / 2⁵² for a 52-bit k: exact, in [2⁻⁵³, 1 − 2⁻⁵³], and 1 − p
    // is exact too, so neither tail takes the log of 0.
    return acklam_inverse_normal((static_cast<double>(next() >> 12) + 0.5) * 0x1.0p-52);
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
