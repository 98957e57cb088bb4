#pragma once
// The wall clock the service reads "now" from. Every wall-clock read in
// service/ goes through one, injected in the settings, so a simulation or a
// test can drive the daemon's loops on its own time.
// steady_clock reads that only measure durations (timing stats, bounded
// waits, poll schedules) are not wall time and stay direct.

#include <chrono>
#include <functional>

namespace headroom::service {

// Empty: the system clock.
using Clock = std::function<std::chrono::system_clock::time_point()>;

// `clock`'s time, or the system clock's when none was injected.
inline std::chrono::system_clock::time_point wall_now(const Clock& clock) {
  return clock ? clock() : std::chrono::system_clock::now();
}

}  // namespace headroom::service
