#pragma once
// Deterministic assignment of accounts to the holdout and to copy variants.
//
// hash = splitmix64_mix(FNV-1a-64(salt ‖ 0x1F ‖ experiment ‖ 0x1F ‖ account_id))
// over the raw UTF-8 bytes; splitmix64_mix is SplitMix64's finaliser
// (forecast/rng.hpp). FNV-1a is byte-wise and endianness-free, so the value
// is identical on every platform, compiler and replica; the finaliser spreads FNV's weak high bits so that nearby ids ("acct-1",
// "acct-2") land far apart. The fraction is the top 53 bits / 2^53, in [0, 1).
//
// Two salts keep the draws independent: "holdout" decides the arm
// (holdout iff fraction < holdout_share), "variant" picks the copy variant by
// cumulative weight. Changing an experiment name reshuffles everyone; changing
// the holdout share moves only the accounts between the old and new share.

#include <cstdint>
#include <span>
#include <string_view>

namespace headroom::nudges {

// The arm an account is assigned to; the planner records it on every
// decision and the experiment analysis (measurement/) compares the two.
enum class Arm { kTreatment, kHoldout };

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t state = 0xcbf29ce484222325ULL);
std::uint64_t assignment_hash(std::string_view salt, std::string_view experiment, std::string_view account_id);
// Top 53 bits of `hash` as a double in [0, 1).
double hash_fraction(std::uint64_t hash);

bool in_holdout(std::string_view experiment, std::string_view account_id, double holdout_share);

// Index into `weights` chosen by cumulative weight; weights must be >= 0 with a
// positive sum (Policy validation guarantees it). Returns 0 for an empty span.
std::size_t choose_variant(std::string_view experiment, std::string_view account_id,
                           std::span<const double> weights);

}  // namespace headroom::nudges
