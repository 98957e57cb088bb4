#include "service/api_backend.hpp"

#include <exception>

#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <spdlog/spdlog.h>

#include "db/database_faults.hpp"
#include "db/forecast_store.hpp"
#include "db/nudge_store.hpp"
#include "nudges/unsubscribe.hpp"

namespace headroom::service {

DatabaseBackend::DatabaseBackend(ApiBackendSettings settings, edge::Metrics& metrics, db::ConnectionPool& pool,
                                 const ReadinessProbe& probe)
    : settings_(std::move(settings)), metrics_(metrics), pool_(pool), probe_(probe) {}

edge::Readiness DatabaseBackend::readiness() {
  edge::Readiness r;
  r.database_reachable = probe_.database_reachable();
  const double finished = metrics_.last_cycle_finished_unix.load();
  if (finished > 0)
    r.last_cycle_age_seconds =
        std::chrono::duration<double>(wall_now(settings_.now).time_since_epoch()).count() - finished;
  // Before the first cycle completes the daemon is starting, not stale.
  r.max_cycle_age_seconds = r.last_cycle_age_seconds ? static_cast<double>(settings_.max_cycle_age.count()) : 0;
  return r;
}

std::string DatabaseBackend::metrics_text() { return metrics_.render(); }

// Runs f on a pooled connection; a fault that may pass becomes
// BackendUnavailable naming the operation (the edge logs it with the request id).
template <class F> decltype(auto) DatabaseBackend::with_db(const char* operation, F&& f) {
  try {
    return pool_.with_connection(std::forward<F>(f));
  } catch (const std::exception& e) {
    ++metrics_.database_errors;
    if (db::database_unavailable(e)) throw edge::BackendUnavailable(std::string(operation) + ": " + e.what());
    throw;
  }
}

// Single-statement reads run outside a transaction block: one round trip
// instead of BEGIN, SELECT, COMMIT; the statement is its own snapshot.
std::optional<forecast::StoredForecast> DatabaseBackend::stored_forecast(std::string_view account_id) {
  return with_db("reading a forecast", [&](pqxx::connection& c) {
    pqxx::nontransaction tx{c};
    return db::read_forecast(tx, account_id);
  });
}

std::optional<std::string> DatabaseBackend::nudge_feed_json(std::string_view account_id) {
  return with_db("reading the nudge feed", [&](pqxx::connection& c) {
    pqxx::nontransaction tx{c};
    return db::read_nudge_feed_json(tx, account_id);
  });
}

std::optional<edge::AckOutcome> DatabaseBackend::ack_nudge(std::string_view account_id, std::int64_t nudge_id,
                                                           edge::AckStatus status) {
  return with_db("acknowledging a nudge", [&](pqxx::connection& c) -> std::optional<edge::AckOutcome> {
    pqxx::work tx{c};
    const auto r = db::ack_nudge(tx, account_id, nudge_id, status == edge::AckStatus::kSeen ? "seen" : "dismissed");
    if (r == db::AckResult::kUnknownNudge && !db::read_nudge_feed_json(tx, account_id)) return std::nullopt;
    tx.commit();
    return r == db::AckResult::kUpdated ? edge::AckOutcome::kUpdated : edge::AckOutcome::kUnknownNudge;
  });
}

edge::UnsubscribeOutcome DatabaseBackend::unsubscribe(std::string_view token) {
  if (settings_.unsubscribe_secret.empty()) return edge::UnsubscribeOutcome::kInvalidToken;
  const auto account = nudges::verify_unsubscribe_token(settings_.unsubscribe_secret, token);
  if (!account) return edge::UnsubscribeOutcome::kInvalidToken;
  with_db("recording an opt-out", [&](pqxx::connection& c) {
    pqxx::work tx{c};
    db::record_opt_out(tx, *account);
    tx.commit();
  });
  spdlog::info("[api] account {} opted out of nudges", *account);
  return edge::UnsubscribeOutcome::kRecorded;
}

}  // namespace headroom::service
