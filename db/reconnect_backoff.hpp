#pragma once
// The wait before the next attempt to reach the database after `attempt`
// failures in a row (0 = after the first): exponential from 100 ms, capped,
// with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"),
// so that the replicas of a fleet spread their reconnects after an outage
// instead of arriving together. Shared by the API's connection pool and the
// daemon's reconnecting loops.

#include <algorithm>
#include <chrono>
#include <random>

namespace headroom::db {

inline std::chrono::milliseconds reconnect_backoff(int attempt, std::chrono::milliseconds cap, std::mt19937_64& rng) {
  const long long ceiling = std::max<long long>(1, std::min<long long>(cap.count(), 100LL << std::clamp(attempt, 0, 16)));
  // At least 1 ms: a wait of 0 would be no backoff at all.
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(1, ceiling)(rng));
}

}  // namespace headroom::db
