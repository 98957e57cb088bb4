#include "nudges/assignment.hpp"

#include "forecast/rng.hpp"

namespace headroom::nudges {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t state) {
  for (unsigned char c : bytes) {
    state ^= c;
    state *= 0x100000001b3ULL;
  }
  return state;
}

std::uint64_t assignment_hash(std::string_view salt, std::string_view experiment, std::string_view account_id) {
  std::uint64_t h = fnv1a64(salt);
  h = fnv1a64("\x1f", h);
  h = fnv1a64(experiment, h);
  h = fnv1a64("\x1f", h);
  h = fnv1a64(account_id, h);
  return forecast::splitmix64_mix(h);  // the splitmix64 finaliser
}

double hash_fraction(std::uint64_t hash) {
  return static_cast<double>(hash >> 11) * 0x1.0p-53;
}

bool in_holdout(std::string_view experiment, std::string_view account_id, double holdout_share) {
  return hash_fraction(assignment_hash("holdout", experiment, account_id)) < holdout_share;
}

std::size_t choose_variant(std::string_view experiment, std::string_view account_id,
                           std::span<const double> weights) {
  if (weights.size() <= 1) return 0;
  double total = 0;
  for (double w : weights) total += w;
  const double target = hash_fraction(assignment_hash("variant", experiment, account_id)) * total;
  double cumulative = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    cumulative += weights[i];
    if (target < cumulative) return i;
  }
  // Rounding can leave target == total; the last positive weight takes it.
  for (std::size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) return i;
  }
  return 0;
}

}  // namespace headroom::nudges
