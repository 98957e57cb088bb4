#pragma once
// Process metrics rendered in the Prometheus text format (GET /metrics).
// Counters only grow; all fields are safe to update from any thread.

#include <atomic>
#include <cstdint>
#include <string>

namespace headroom::service {

struct Metrics {
  std::atomic<std::uint64_t> cycles_completed{0};
  std::atomic<std::uint64_t> accounts_scored{0};
  std::atomic<std::uint64_t> incremental_rescores{0};
  std::atomic<std::uint64_t> chunks_lost{0};
  std::atomic<std::uint64_t> undecodable_rows{0};
  std::atomic<std::uint64_t> database_errors{0};
  std::atomic<std::uint64_t> smtp_errors{0};
  std::atomic<double> last_cycle_seconds{0};
  std::atomic<double> last_cycle_finished_unix{0};  // 0: no cycle yet

  std::string render() const;
};

}  // namespace headroom::service
