#pragma once
// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014; Vigna's reference splitmix64.c), the one copy
// every folder but sim/ uses: the forecast's Monte Carlo paths (PathRng), the
// holdout and variant assignment hash (nudges/assignment.cpp) and the
// bootstrap (measurement/stats.hpp). sim/rng.hpp keeps its own on purpose, so
// a seeded population never changes when these helpers do.
// Hand-rolled rather than <random> distributions, whose output differs between
// standard libraries: a forecast must be bit-identical for a given seed everywhere.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "forecast/inverse_normal.hpp"

namespace headroom::forecast {

inline constexpr std::uint64_t kSplitMix64Gamma = 0x9e3779b97f4a7c15ULL;  // added to the state per draw
inline constexpr std::uint64_t kSplitMix64Mul1 = 0xbf58476d1ce4e5b9ULL;
inline constexpr std::uint64_t kSplitMix64Mul2 = 0x94d049bb133111ebULL;

// SplitMix64's output function: a bijection on 64 bits that spreads every
// input bit over the output, also used alone as a hash finaliser.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * kSplitMix64Mul1;
  z = (z ^ (z >> 27)) * kSplitMix64Mul2;
  return z ^ (z >> 31);
}

// The generator: each draw adds kSplitMix64Gamma to the state and mixes the
// sum. Seeded with 0 its first outputs are 0xe220a8397b1dcdaf,
// 0x6e789e6aa1b965f4 (the reference implementation's).
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t state = 0) : state_(state) {}
  constexpr std::uint64_t next() { return splitmix64_mix(state_ += kSplitMix64Gamma); }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  constexpr std::size_t below(std::size_t n) {
    const unsigned __int128 m = static_cast<unsigned __int128>(next()) * static_cast<unsigned __int128>(n);
    return static_cast<std::size_t>(m >> 64);
  }
  // The position: next() adds kSplitMix64Gamma to it and mixes the sum.
  constexpr std::uint64_t state() const { return state_; }
  constexpr void set_state(std::uint64_t state) { state_ = state; }

 private:
  std::uint64_t state_;
};

// Monte Carlo path generator: SplitMix64 seeded from (seed, path), with the
// draws the projection needs.
class PathRng {
 public:
  // SplitMix64's constants, public so a vectorized path loop can run the
  // same generator on several lanes (forecast/projection.cpp).
  static constexpr std::uint64_t kGamma = kSplitMix64Gamma;
  static constexpr std::uint64_t kMul1 = kSplitMix64Mul1;
  static constexpr std::uint64_t kMul2 = kSplitMix64Mul2;

  PathRng() = default;  // a placeholder, to be assigned a seeded generator
  explicit PathRng(std::uint64_t seed, std::uint64_t stream) : gen_(mix(seed ^ mix(stream + 0x632be59bd9b4e019ULL))) {}
  std::uint64_t next() { return gen_.next(); }
  // The generator's position: next() adds kGamma to it and mixes the sum.
  std::uint64_t state() const { return gen_.state(); }
  // Puts the generator where a vectorized loop left its lane (state() there).
  void set_state(std::uint64_t state) { gen_.set_state(state); }
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
  // The seed derivation: one SplitMix64 draw from state z.
  static constexpr std::uint64_t mix(std::uint64_t z) { return splitmix64_mix(z + kGamma); }
  SplitMix64 gen_;
};

}  // namespace headroom::forecast
