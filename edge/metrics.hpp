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

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

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

}  // namespace headroom::edge
