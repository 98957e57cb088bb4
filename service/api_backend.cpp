#include "service/api_backend.hpp"

#include <array>
#include <exception>
#include <stdexcept>

#include <pqxx/transaction>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "db/database_faults.hpp"
#include "db/erasure.hpp"
#include "db/forecast_store.hpp"
#include "db/nudge_store.hpp"
#include "nudges/unsubscribe.hpp"

namespace headroom::service {

namespace {

const std::array<db::PreparedStatement, 2> kReadStatements{db::kReadForecast, db::kReadNudgeFeed};

}  // namespace

DatabaseBackend::DatabaseBackend(ApiBackendSettings settings, edge::Metrics& metrics, AsyncReadPool& reads,
                                 db::ConnectionPool& pool, const ReadinessProbe& probe)
    : settings_(std::move(settings)), metrics_(metrics), reads_(reads), pool_(pool), probe_(probe) {}

std::span<const db::PreparedStatement> DatabaseBackend::read_statements() { return kReadStatements; }

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

std::string DatabaseBackend::metrics_text() {
  const AsyncReadPoolStats r = reads_.stats();
  return metrics_.render() +
         fmt::format(
             "# HELP headroom_api_read_connections The API's read connections, by state.\n"
             "# TYPE headroom_api_read_connections gauge\n"
             "headroom_api_read_connections{{state=\"open\"}} {}\n"
             "headroom_api_read_connections{{state=\"running\"}} {}\n"
             "# HELP headroom_api_reads_waiting Reads queued for a busy read connection.\n"
             "# TYPE headroom_api_reads_waiting gauge\n"
             "headroom_api_reads_waiting {}\n"
             "# HELP headroom_api_read_connects_total Connection attempts of the API's read pool, by outcome.\n"
             "# TYPE headroom_api_read_connects_total counter\n"
             "headroom_api_read_connects_total{{outcome=\"attempted\"}} {}\n"
             "headroom_api_read_connects_total{{outcome=\"failed\"}} {}\n",
             r.open, r.running, r.waiting, r.connects, r.connect_failures);
}

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

// Each read is one statement outside a transaction block: one round trip,
// the statement its own snapshot. A failed read counts as a database error
// (the pool's error says whether it may pass).
void DatabaseBackend::read_forecast(std::string account_id, edge::BackendDone<forecast::StoredForecast> done) {
  reads_.read(db::kReadForecast.name, {std::move(account_id)},
              [this, done = std::move(done)](db::PqReply reply, std::exception_ptr error) {
                if (error) {
                  ++metrics_.database_errors;
                  return done(std::nullopt, error);
                }
                if (reply.rows() == 0) return done(std::nullopt, nullptr);
                std::optional<forecast::StoredForecast> stored;
                try {
                  std::array<const char*, db::kReadForecastColumns> fields{};
                  if (reply.columns() != static_cast<int>(fields.size()))
                    throw std::runtime_error("reading a forecast: unexpected columns");
                  for (std::size_t i = 0; i < fields.size(); ++i) fields[i] = reply.value(0, static_cast<int>(i));
                  stored = db::forecast_from_row(fields);
                } catch (...) {
                  return done(std::nullopt, std::current_exception());
                }
                done(std::move(stored), nullptr);
              });
}

void DatabaseBackend::read_nudge_feed(std::string account_id, edge::BackendDone<std::string> done) {
  reads_.read(db::kReadNudgeFeed.name, {std::move(account_id)},
              [this, done = std::move(done)](db::PqReply reply, std::exception_ptr error) {
                if (error) {
                  ++metrics_.database_errors;
                  return done(std::nullopt, error);
                }
                if (reply.rows() == 0 || !reply.value(0, 0)) return done(std::nullopt, nullptr);
                done(std::string(reply.value(0, 0)), nullptr);
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

std::optional<edge::ErasureOutcome> DatabaseBackend::forget_account(std::string_view account_id) {
  const db::ErasureReport r = with_db("erasing an account", [&](pqxx::connection& c) {
    return db::erase_account(c, account_id, db::ErasureSource::kApi);
  });
  spdlog::info("[api] {}", db::describe_erasure(account_id, r));
  if (!r.known) return std::nullopt;
  return edge::ErasureOutcome{r.already_erased,      r.erased_at,          r.email_erased,
                              r.deliveries_cancelled, r.deliveries_claimed, r.outbox_rows_erased,
                              r.nudges_erased,        r.quarantined_deleted};
}

}  // namespace headroom::service
