#pragma once
// The HTTP API's view of the daemon (edge::ApiBackend): the hot reads as
// asynchronous statements on the I/O thread (service/async_read_pool.hpp),
// the writes through the blocking connection pool on the HTTP server's
// backend threads, readiness and metrics from memory.
//
// Database faults that may pass (db/database_faults.hpp: a lost or refused
// connection, the pool out of connections or backing off, a statement
// timeout, the server shutting down or starting, out of disk or
// connections, a serialization failure or deadlock) are thrown as
// edge::BackendUnavailable, which the route answers 503 with Retry-After;
// any other error keeps its type (a 500). Each counts in
// headroom_database_errors_total.
//
// Thread safety: the writes run on the HTTP server's backend threads,
// several at once (each holds one pooled connection while it runs); the
// reads, readiness() and metrics_text() on the I/O thread.

#include <chrono>
#include <span>
#include <string>

#include "db/connection_pool.hpp"
#include "edge/http_api.hpp"
#include "edge/metrics.hpp"
#include "service/async_read_pool.hpp"
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
  DatabaseBackend(ApiBackendSettings settings, edge::Metrics& metrics, AsyncReadPool& reads,
                  db::ConnectionPool& pool, const ReadinessProbe& probe);

  // What reads need prepared on every connection of the AsyncReadPool.
  static std::span<const db::PreparedStatement> read_statements();

  edge::Readiness readiness() override;
  std::string metrics_text() override;
  void read_forecast(std::string account_id, edge::BackendDone<forecast::StoredForecast> done) override;
  void read_nudge_feed(std::string account_id, edge::BackendDone<std::string> done) override;
  std::optional<edge::AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id,
                                            edge::AckStatus status) override;
  // One-click opt-out (RFC 8058): the signed token names the account.
  edge::UnsubscribeOutcome unsubscribe(std::string_view token) override;
  // db::erase_account, logged by account id and counts.
  std::optional<edge::ErasureOutcome> forget_account(std::string_view account_id) override;

 private:
  template <class F> decltype(auto) with_db(const char* operation, F&& f);

  const ApiBackendSettings settings_;
  edge::Metrics& metrics_;
  AsyncReadPool& reads_;
  db::ConnectionPool& pool_;
  const ReadinessProbe& probe_;
};

}  // namespace headroom::service
