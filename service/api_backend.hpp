#pragma once
// The HTTP API's view of the daemon (edge::ApiBackend): reads and writes
// through the API's connection pool, readiness and metrics from memory.
//
// Database faults that may pass (db/database_faults.hpp: a lost or refused
// connection, the pool out of connections or backing off, a statement
// timeout, the server shutting down or starting, out of disk or
// connections, a serialization failure or deadlock) are thrown as
// edge::BackendUnavailable, which the route answers 503 with Retry-After;
// any other error keeps its type (a 500). Each counts in
// headroom_database_errors_total.
//
// Thread safety: the blocking methods run on the HTTP server's backend
// threads, several at once (each holds one pooled connection while it
// runs); readiness() and metrics_text() on the I/O thread, from memory.

#include <chrono>
#include <string>

#include "db/connection_pool.hpp"
#include "edge/http_api.hpp"
#include "edge/metrics.hpp"
#include "service/clock.hpp"
#include "service/readiness_probe.hpp"

namespace headroom::service {

struct ApiBackendSettings {
  std::string unsubscribe_secret;          // empty: every unsubscribe token is invalid
  std::chrono::seconds max_cycle_age{0};   // /readyz fails when the last cycle is older; 0 = no limit
  Clock now;                               // wall clock of the cycle age; empty: the system clock
};

class DatabaseBackend : public edge::ApiBackend {
 public:
  DatabaseBackend(ApiBackendSettings settings, edge::Metrics& metrics, db::ConnectionPool& pool,
                  const ReadinessProbe& probe);

  edge::Readiness readiness() override;
  std::string metrics_text() override;
  std::optional<forecast::StoredForecast> stored_forecast(std::string_view account_id) override;
  std::optional<std::string> nudge_feed_json(std::string_view account_id) override;
  std::optional<edge::AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id,
                                            edge::AckStatus status) override;
  // One-click opt-out (RFC 8058): the signed token names the account.
  edge::UnsubscribeOutcome unsubscribe(std::string_view token) override;

 private:
  template <class F> decltype(auto) with_db(const char* operation, F&& f);

  const ApiBackendSettings settings_;
  edge::Metrics& metrics_;
  db::ConnectionPool& pool_;
  const ReadinessProbe& probe_;
};

}  // namespace headroom::service
