#pragma once
// The delivery retry schedule, pure: exponential backoff with jitter, bounded
// by a deadline counted from the first attempt.
//
//   delay(n) = min(max_backoff, initial_backoff * multiplier^(n-1))     n = failed attempts so far (>= 1)
//   wait     = delay * (1 - jitter) + delay * jitter * u,  u in [0, 1) from hash(jitter_seed, n)
//   next     = min(now + wait, first_attempt_at + deadline)
// and give up once now >= first_attempt_at + deadline. The jitter is a
// deterministic function of the seed (use the outbox row id or the dedupe key
// hash), so replicas agree and tests are exact, yet rows failing together
// spread out instead of retrying in lock-step against a recovering server.
// Only transient failures (SMTP 4xx, connection errors) are retried; 5xx is
// permanent and never reaches this function.

#include <chrono>
#include <cstdint>

namespace headroom::nudges {

struct RetryPolicy {
  std::chrono::seconds initial_backoff{30};
  double multiplier = 2.0;
  std::chrono::seconds max_backoff{std::chrono::hours{1}};
  std::chrono::seconds deadline{std::chrono::hours{24}};
  double jitter = 0.5;  // share of each delay that is randomised, in [0, 1]
};

struct RetryStep {
  bool give_up = false;
  std::chrono::sys_seconds next_attempt_at{};  // meaningful when !give_up
};

RetryStep next_retry(const RetryPolicy& policy, int failed_attempts, std::chrono::sys_seconds first_attempt_at,
                     std::chrono::sys_seconds now, std::uint64_t jitter_seed);

}  // namespace headroom::nudges
