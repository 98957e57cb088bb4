#pragma once
// Keeps /readyz's "is the database reachable?" true to the moment: a thread
// of its own runs db::DatabaseProbe (SELECT 1 on its own connection, bounded
// on the client side) every `interval`, and records the steady-clock time of
// the last success. database_reachable() reads that from memory, so /readyz
// never waits on the database; it holds only while the last check succeeded
// (a refused connection or a failed query turns it false at once, within one
// interval of a stop) and that success is at most `max_age` old, which is
// what turns it false when a check hangs (a server that does not answer).
// Changes of state are logged once each, with libpq's reason.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace headroom::service {

struct ReadinessProbeSettings {
  std::string database_url;                    // libpq key=value or URI
  std::chrono::milliseconds interval{1000};    // from the start of one check to the next
  std::chrono::milliseconds timeout{1500};     // one check, connecting included
  std::chrono::milliseconds max_age{2500};     // of the last success, for database_reachable()
};

class ReadinessProbe {
 public:
  explicit ReadinessProbe(ReadinessProbeSettings settings);
  // Stops and joins the thread.
  ~ReadinessProbe();
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  void start();
  // Ends the thread within one check's timeout; idempotent.
  void stop();
  // The last check succeeded at most max_age ago. Thread-safe, never blocks.
  bool database_reachable() const;

 private:
  void run();

  const ReadinessProbeSettings settings_;
  // steady_clock::time_point::rep of the last success; min(): none yet.
  std::atomic<bool> last_check_ok_{false};
  std::atomic<std::chrono::steady_clock::rep> last_success_{std::chrono::steady_clock::time_point::min().time_since_epoch().count()};
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace headroom::service
