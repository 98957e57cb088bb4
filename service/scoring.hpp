#pragma once
// Runs full scoring cycles and incremental re-forecasts against PostgreSQL.
// A full cycle reads each chunk with one COPY stream on a second connection
// of its own while the previous chunk commits on the caller's; fitting and
// projecting run on a worker pool sized to the cores, overlapping with the
// read; each chunk's results commit in one transaction (db/scoring_cycle.hpp).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "db/scoring_cycle.hpp"
#include "forecast/date.hpp"
#include "forecast/forecast.hpp"
#include "measurement/calibration.hpp"
#include "service/clock.hpp"
#include "service/history_cache.hpp"
#include "service/nudge_planning.hpp"

namespace headroom::service {

struct ScoringSettings {
  std::string replica_id;                      // unique per process; default host:pid
  int accounts_per_chunk = 1000;               // accounts per leased chunk (one transaction)
  std::chrono::seconds lease{60};              // chunk lease; a dead replica's chunks are retaken after it
  unsigned worker_threads = 0;                 // 0: one per core
  forecast::ForecastParams forecast;           // horizon, buffer, paths, seed
  NudgeSettings nudges;                        // decisions + outbox written with each chunk's forecasts
  // Histories kept in memory across cycles (service/history_cache.hpp);
  // null (the default): each chunk streams its accounts' histories.
  std::shared_ptr<HistoryCache> history_cache;
  // Follows each scored account's window probability until its outcome is
  // known (measurement/calibration.hpp), fed by the worker threads from the
  // history each forecast is made from; null (the default): not followed.
  // Its horizon must be the forecast's (forecast.projection.horizon_days).
  std::shared_ptr<measurement::CalibrationTracker> calibration;
  // The planner's wall clock (planning_time of each cycle or round, and the
  // policies in force for the forecast buffer); empty (the default): the
  // system clock. A lockstep experiment passes its simulated instant. The
  // cycle's timings (CycleResult seconds) and its wait for other replicas'
  // chunks are durations, measured on steady_clock.
  Clock clock;
  // What `clock` is, recorded with each cycle this replica creates so the
  // report can say whether its nudges went out in real time.
  db::CycleClock clock_kind = db::CycleClock::wall;
};

struct CycleResult {
  std::int64_t cycle_id = 0;
  bool finished = false;          // every chunk of the cycle is done (by anyone)
  std::size_t chunks_scored = 0;  // by this replica
  std::size_t accounts_scored = 0;
  std::size_t chunks_lost = 0;    // lease taken over before commit: discarded
  std::size_t undecodable_rows = 0;
  double seconds = 0;
  // Wall time waiting for forecasts (reading them too, without a cache) and
  // committing chunks, summed over chunks. The next chunk is read and
  // forecast while one commits, so the forecast wait is only what committing
  // did not hide.
  double forecast_seconds = 0;
  double write_seconds = 0;
};

// The settings of one full cycle or incremental round: `configured`, with
// forecasts made against the buffer that most policies in force name
// (nudges/forecast_buffer.hpp), read from headroom.nudge_policies in a short
// transaction of its own, so a policy's new buffer applies from the next cycle
// or round. With nudges off, `configured` as is. `log_unserved` warns, naming
// the policies whose buffer is not served (they decide buffer_mismatch).
ScoringSettings with_policy_buffer(pqxx::connection& conn, const ScoringSettings& configured, forecast::Date as_of,
                                   bool log_unserved);

// Takes part in the cycle for `as_of` until no chunk is left to lease or
// `stop` becomes true (checked between chunks: a chunk in flight completes,
// so a stop never leaves a partial batch). When `wait_for_others` is set it
// then waits (polling, bounded by two lease periods) for chunks leased by
// other replicas, retaking those whose lease expires.
CycleResult run_scoring_cycle(pqxx::connection& conn, forecast::Date as_of, const ScoringSettings& settings,
                              const std::atomic<bool>& stop, bool wait_for_others = true);

// Re-forecasts one account now (incremental path) and stores it; false when
// the account has no transactions. Unlike a full cycle these take `settings`
// as given: the caller resolves them once per round (with_policy_buffer).
bool rescore_account(pqxx::connection& conn, const std::string& account_id, forecast::Date as_of,
                     const ScoringSettings& settings);

// The same for several accounts at once: one read of all their histories,
// and their forecasts and nudge decisions committed in one transaction, so
// the per-round costs (statements, temp tables, commit) are paid once per
// batch rather than once per account. Returns the number of accounts
// re-forecast (those with transactions). Any error leaves nothing written.
std::size_t rescore_accounts(pqxx::connection& conn, const std::vector<std::string>& account_ids,
                             forecast::Date as_of, const ScoringSettings& settings);

std::string default_replica_id();

}  // namespace headroom::service
