#pragma once
// The long-running `headroom run`: one io_context for the HTTP API and
// signals; a scoring thread running full cycles on an interval; an
// incremental thread that re-forecasts accounts with new transactions, heard
// of by LISTEN headroom_transactions and/or found by polling a high-water
// mark (db/transaction_watermark.hpp); a delivery thread that releases in-app
// nudges and sends due emails from the outbox (service/nudge_delivery.hpp).
// The API's database work runs on the HTTP server's backend threads through
// a bounded connection pool (db/connection_pool.hpp, one connection per
// thread, statement_timeout on each); /readyz follows a probe thread's
// SELECT 1 every second on a connection of its own (service/readiness_probe.hpp).
// SIGINT/SIGTERM finish the chunk in flight and exit cleanly; a lost database
// connection is retried with exponential backoff and jitter while /readyz
// reports not ready. Every way out of run_daemon stops and joins the
// threads; a handler's exception never ends the I/O loop.
//
// The polling mark is taken before the first full cycle starts, so a
// transaction committed at any time after start-up is either read by that
// cycle or found by a poll; it lives in memory across reconnects, so an
// outage loses nothing either. Accounts waiting to be re-forecast also
// survive a reconnect.

#include <chrono>
#include <functional>
#include <string>

#include <pqxx/connection>

#include "db/database.hpp"
#include "service/clock.hpp"
#include "service/nudge_delivery.hpp"
#include "service/scoring.hpp"
#include "edge/smtp_mailer.hpp"

namespace headroom::service {

struct DaemonSettings {
  std::string database_url;                        // libpq string (resolved: never empty here)
  std::string http_address = "127.0.0.1";          // HEADROOM_HTTP_ADDRESS
  unsigned short http_port = 8080;                 // HEADROOM_HTTP_PORT; 0 = any free port
  std::string api_token;                           // HEADROOM_API_TOKEN(_FILE); empty: /v1 refuses all
  unsigned api_threads = 0;                        // HEADROOM_API_THREADS: backend threads = pooled connections; 0 = one per core
  unsigned http_max_connections = 512;             // HEADROOM_HTTP_MAX_CONNECTIONS: open HTTP connections at most
  std::chrono::milliseconds statement_timeout{5000};  // HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS: the API's statements; 0 = none
  std::chrono::seconds cycle_interval{3600};       // time between full cycles
  std::chrono::seconds max_cycle_age{0};           // HEADROOM_READY_MAX_CYCLE_AGE_SECONDS: /readyz fails when the
                                                   // last cycle is older; 0 = 2 × interval
  std::chrono::milliseconds max_backoff{30000};    // cap of the reconnect backoff (the loops' and the pool's)
  bool listen = true;                              // LISTEN headroom_transactions (HEADROOM_LISTEN)
  std::chrono::seconds poll_interval{0};           // HEADROOM_POLL_INTERVAL_SECONDS; 0 = no polling
  ScoringSettings scoring;                         // also nudge planning (scoring.nudges: unsubscribe secret)
  DeliverySettings delivery;                       // the delivery thread
  edge::SmtpSettings smtp;                               // HEADROOM_SMTP_*; url empty: email channel off
  // SIGHUP: called on the scoring thread before the next cycle, to re-read
  // the configuration and store its policies. Null: SIGHUP only starts a cycle.
  std::function<void(pqxx::connection&)> reload;
  // Injected wall clock: the business date of a cycle is today (UTC) by it,
  // and the age of the last cycle on /readyz and /metrics; it is also the
  // scorer's and the delivery worker's clock unless those have their own.
  // Empty: the system clock. The cycle interval, reconnect backoff, poll
  // schedule and idle waits are durations, on steady_clock and the
  // condition variable's own clock.
  Clock now;
};

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_daemon(const DaemonSettings& settings);

}  // namespace headroom::service
