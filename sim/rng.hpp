#pragma once
// Counter-based random numbers for the simulator.
//
// Every draw is a pure function of (seed, account index, stream, day, draw number):
// Rng::at(seed, account, Stream::kCard, day) starts a fresh splitmix64 sequence
// for that key. Two consequences the simulator relies on:
//  * output is independent of thread count and of the order accounts are stepped;
//  * common random numbers: the nudged and the un-nudged path of one account
//    draw exactly the same numbers for the same (stream, day), so they differ
//    only through the response to a nudge (Stream::kResponse).
// std::*_distribution is not used: its output is implementation-defined.
// Transcendental functions (log, exp, cos) come from the platform libm, so the
// bytes are reproducible for one build on one platform.
//
// This splitmix64 is the simulator's own copy, kept apart ON PURPOSE from the
// one the engine, nudges and measurement share (forecast/rng.hpp): the
// simulator's stream must stay fixed independently of the engine, so a seeded
// population never changes when the engine's helpers change. Do not replace
// it with forecast::splitmix64_mix; tests/sim pins its output.

#include <cmath>
#include <cstdint>

namespace headroom::sim {

// One independent stream per behaviour, so adding draws to one behaviour never
// shifts the numbers another behaviour sees.
enum class Stream : std::uint32_t {
  kProfile = 1,
  kShocks,
  kIncome,
  kBills,
  kCard,
  kOneOff,
  kSavings,
  kResponse,
  kDescription,  // text noise only; never changes an amount
};

constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit constexpr Rng(std::uint64_t state) : state_(state) {}

  // `slot` is the day index for daily streams, or any other counter.
  static constexpr Rng at(std::uint64_t seed, std::uint64_t account, Stream stream, std::int64_t slot) {
    std::uint64_t k = splitmix64_mix(seed + 0x9E3779B97F4A7C15ULL);
    k = splitmix64_mix(k ^ (account * 0xD1B54A32D192ED03ULL));
    k = splitmix64_mix(k ^ (static_cast<std::uint64_t>(stream) << 40) ^ static_cast<std::uint64_t>(slot));
    return Rng(k);
  }

  constexpr std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return splitmix64_mix(state_);
  }
  // Uniform in [0, 1).
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1): safe under log().
  constexpr double uniform_open() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [0, n), n > 0. The multiply-shift bias is below 2^-32 for the n used here.
  constexpr std::uint32_t below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  int between(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::uint32_t>(hi - lo + 1))); }
  constexpr bool bernoulli(double p) { return uniform() < p; }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    const double u1 = uniform_open();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  // Pareto(xmin, alpha): heavy tail for large purchases.
  double pareto(double xmin, double alpha) { return xmin * std::pow(uniform_open(), -1.0 / alpha); }
  // Poisson by inversion; fine for the small means used here (< 30).
  int poisson(double mean) {
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    double product = uniform_open();
    int k = 0;
    while (product > limit && k < 200) {
      product *= uniform_open();
      ++k;
    }
    return k;
  }

 private:
  std::uint64_t state_;
};

}  // namespace headroom::sim
