#pragma once
// Process metrics rendered in the Prometheus text format (GET /metrics).
// Every series counts what this process did, so a fleet's total is the sum
// over replicas. Counters only grow; all fields are safe to update from any
// thread.
//
// Nudges, per channel (label channel="in_app" | "email"):
//   decided    nudges scheduled for delivery: outbox rows written by the
//              planner, once per nudge (account, policy, risky day, channel);
//              a later cycle repeating the decision adds nothing. Counted
//              when written into the scoring transaction, so a chunk whose
//              commit then fails (a database error) is counted, and counted
//              again when scored anew. Holdout and suppressed decisions are
//              not nudges: headroom.nudge_decisions has them.
//   sent       in-app: made available in the feed; email: accepted by the
//              SMTP server.
//   failed     email only (in-app cannot fail): permanent refusal, or the
//              retry deadline passed.
//   retried    email only: a transient failure, rescheduled.
//   cancelled  opted out, no contact, or expired before it was due.
// Delivery counts come from each delivery round's totals; a round cut short
// by a database error is not counted (the error is).
//
// Forecast calibration, gauges over the forecasts this process scored whose
// outcome became known in the trailing window (measurement::CalibrationTracker:
// forecasts as of D resolved once the account is scored again on or after
// D + horizon, outcomes known in the last 28 days; one forecast per account
// and day, the first):
//   resolved_windows   how many; 0 until the first outcome is known
//   pending_windows    forecasts waiting for their window to end
//   brier_score, calibration_error (10 bins, as `headroom report`),
//   mean_predicted, observed_rate
//              absent while resolved_windows is 0: undefined, and a 0 would
//              read as a perfect score.
// Kept in memory, so a restart starts empty, and per replica: each replica
// follows the accounts it scored. Across replicas, sum the counts and compare
// (or count-weight) the Brier scores; an account scored by several replicas
// (chunks are leased anew each cycle) counts at each, from its own forecasts.
//
// Process, in the Prometheus client convention, read from /proc/self at each
// scrape (a series is left out when it cannot be read, say at the
// file-descriptor limit): process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds (the soft
// RLIMIT_NOFILE), process_cpu_seconds_total (user + system),
// process_start_time_seconds (Unix time). And headroom_build_info{version,
// commit} 1: the CMake project version and the git commit at configure time
// (edge/build_info.hpp).
//
// HTTP, counted by the server (HttpMetrics below) and added by it to the
// text of every /metrics it serves, so a process without a listener has none:
//   headroom_http_requests_total{route,method,status}  responses given.
//              route is the template of api_routes()
//              ("/v1/accounts/{account_id}/forecast") or "other"; method the
//              verb or "other"; so the label set stays small and holds no
//              account id. Refusals by the server itself (queue full: 503
//              "busy"; size limits: 413, 431) count under their route too.
//   headroom_http_request_duration_seconds{route}  histogram, buckets
//              .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10: from the
//              request read in full to its response ready, waiting for a
//              backend thread included, writing to the client not.
//   headroom_http_connections_open     gauge: connections being served.
//   headroom_http_backend_requests     gauge: requests admitted to the
//              backend threads, running or waiting for one (at most
//              backend_threads + backend_queue; beyond: 503 "busy").
//   headroom_http_connections_refused_total  connections beyond
//              max_connections, answered 503 and closed.
//   headroom_http_accept_errors_total{reason}  failed accepts, each followed
//              by a backoff: reason="fd_limit" (EMFILE, ENFILE) or "other".

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "measurement/calibration.hpp"
#include "nudges/policy.hpp"

namespace headroom::edge {

// One counter per delivery channel, indexed by nudges::Channel.
class ChannelCounter {
 public:
  void add(nudges::Channel channel, std::uint64_t n) { counts_[static_cast<std::size_t>(channel)] += n; }
  std::uint64_t get(nudges::Channel channel) const { return counts_[static_cast<std::size_t>(channel)].load(); }

 private:
  std::array<std::atomic<std::uint64_t>, 2> counts_{};
};

struct Metrics {
  // Full cycles.
  std::atomic<std::uint64_t> cycles_completed{0};
  std::atomic<double> cycle_seconds_sum{0};           // this replica's wall time over completed cycles
  std::atomic<std::uint64_t> accounts_scored{0};
  std::atomic<std::uint64_t> chunks_lost{0};
  std::atomic<std::uint64_t> undecodable_rows{0};     // quarantined: skipped by the reader
  std::atomic<double> last_cycle_seconds{0};
  std::atomic<double> last_cycle_finished_unix{0};    // 0: no cycle yet
  // Incremental re-forecasts (NOTIFY or polling).
  std::atomic<std::uint64_t> incremental_rescores{0};
  std::atomic<std::uint64_t> transaction_polls{0};     // high-water-mark reads
  std::atomic<std::uint64_t> polled_accounts{0};       // accounts those reads found changed
  // Errors.
  std::atomic<std::uint64_t> database_errors{0};
  std::atomic<std::uint64_t> smtp_errors{0};           // email sends retried or failed
  // Nudges (see above).
  ChannelCounter nudges_decided;
  ChannelCounter nudges_sent;
  ChannelCounter nudges_failed;
  ChannelCounter nudges_retried;
  ChannelCounter nudges_cancelled;

  // Forecast calibration (see above): the scoring threads publish the
  // tracker's summary after each cycle and each incremental round, so a
  // scrape reads a copy and never waits on the tracker.
  void set_forecast_calibration(const measurement::CalibrationSummary& summary);
  // Nullopt: calibration not followed (the series are not rendered at all).
  std::optional<measurement::CalibrationSummary> forecast_calibration() const;

  std::string render() const;

 private:
  mutable std::mutex calibration_mutex_;
  std::optional<measurement::CalibrationSummary> calibration_;
};

enum class AcceptError { kFdLimit, kOther };

// The HTTP server's series (see above). Thread-safe: counters are atomics,
// the per-route series a small map under a mutex held only to add a sample
// or copy it out.
class HttpMetrics {
 public:
  static constexpr std::array<double, 13> kDurationBucketsSeconds{.001, .0025, .005, .01, .025, .05, .1,
                                                                 .25,  .5,    1,    2.5, 5,    10};

  void count_request(std::string_view route, std::string_view method, unsigned status, double seconds);
  void connection_opened() { ++connections_open_; }
  void connection_closed() { --connections_open_; }
  void connection_refused() { ++connections_refused_; }
  void backend_request_started() { ++backend_requests_; }
  void backend_request_finished() { --backend_requests_; }
  void accept_failed(AcceptError reason);
  std::int64_t connections_open() const { return connections_open_.load(); }

  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kDurationBucketsSeconds.size()> in_bucket{};  // not cumulative; beyond the last: +Inf only
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  using RequestKey = std::tuple<std::string, std::string, unsigned>;  // route, method, status

  mutable std::mutex mutex_;
  std::map<RequestKey, std::uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> durations_;
  std::atomic<std::int64_t> connections_open_{0};
  std::atomic<std::uint64_t> connections_refused_{0};
  std::atomic<std::int64_t> backend_requests_{0};
  std::atomic<std::uint64_t> accept_errors_fd_limit_{0};
  std::atomic<std::uint64_t> accept_errors_other_{0};
};

}  // namespace headroom::edge
