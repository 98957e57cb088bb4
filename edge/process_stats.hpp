#pragma once
// This process's resource use, read from /proc/self (Linux) for the process_*
// series of /metrics (metrics.hpp). Each field is nullopt when it cannot be
// read now: at the file-descriptor limit opening /proc fails too, and a scrape
// then leaves those series out rather than failing.

#include <cstdint>
#include <optional>

namespace headroom::edge {

struct ProcessStats {
  std::optional<double> cpu_seconds;                  // user + system since start
  std::optional<std::uint64_t> resident_memory_bytes;
  std::optional<std::uint64_t> virtual_memory_bytes;
  std::optional<std::uint64_t> open_fds;              // including the one used to count them
  std::optional<std::uint64_t> max_fds;               // soft RLIMIT_NOFILE
  std::optional<double> start_time_seconds;           // Unix time, to the clock tick
};

// Thread-safe; a few small reads of /proc.
ProcessStats read_process_stats();

}  // namespace headroom::edge
