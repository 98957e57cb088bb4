#include "nudges/retry.hpp"

#include <algorithm>
#include <cmath>

#include "nudges/assignment.hpp"

namespace headroom::nudges {

RetryStep next_retry(const RetryPolicy& policy, int failed_attempts, std::chrono::sys_seconds first_attempt_at,
                     std::chrono::sys_seconds now, std::uint64_t jitter_seed) {
  const auto deadline_at = first_attempt_at + policy.deadline;
  if (now >= deadline_at) return {true, {}};
  const int n = std::max(failed_attempts, 1);
  const double base = static_cast<double>(policy.initial_backoff.count());
  const double cap = static_cast<double>(policy.max_backoff.count());
  // pow overflows to inf for huge n; min() keeps the cap.
  const double delay = std::min(cap, base * std::pow(std::max(policy.multiplier, 1.0), n - 1));
  // FNV-1a over the seed's and n's bytes (little-endian order, platform-free).
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 8; ++i) h = (h ^ ((jitter_seed >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  for (int i = 0; i < 4; ++i) h = (h ^ ((static_cast<std::uint32_t>(n) >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double u = hash_fraction(h * 0x9e3779b97f4a7c15ULL ^ (h >> 29));
  const double wait = delay * (1.0 - jitter) + delay * jitter * u;
  const auto wait_s = std::chrono::seconds{static_cast<std::int64_t>(std::llround(wait))};
  return {false, std::min(now + wait_s, deadline_at)};
}

}  // namespace headroom::nudges
