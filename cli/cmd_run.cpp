// headroom run [--once] [--as-of DATE]: the daemon, or one full cycle.
#include <cstdio>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "db/database.hpp"
#include "db/migrations.hpp"
#include "db/nudge_store.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"
#include "service/daemon.hpp"
#include "service/nudge_delivery.hpp"
#include "service/nudge_planning.hpp"
#include "service/scoring.hpp"

namespace headroom::cli {
namespace {

struct RunOptions {
  bool once = false;
  std::string as_of;
  std::string replica_id;
  int accounts_per_chunk = 1000;
  int lease_seconds = 60;
  int interval_seconds = 3600;
  int horizon_days = 30;
  unsigned threads = 0;
  bool keep_db = false;
  bool history_cache = false;
  std::string config_path;
};

service::ScoringSettings scoring_settings(const RunOptions& o, const Config& config) {
  service::ScoringSettings scoring;
  scoring.replica_id = o.replica_id.empty() ? service::default_replica_id() : o.replica_id;
  scoring.accounts_per_chunk = o.accounts_per_chunk;
  scoring.lease = std::chrono::seconds(o.lease_seconds);
  scoring.worker_threads = o.threads;
  scoring.forecast.projection.horizon_days = o.horizon_days;
  if (o.history_cache) scoring.history_cache = std::make_shared<service::HistoryCache>();
  // Nudges: decisions are planned with every chunk; delivery follows.
  scoring.nudges.from_address = config.smtp.from;
  scoring.nudges.unsubscribe_secret = config.http.unsubscribe_secret;
  scoring.nudges.unsubscribe_base_url = config.http.unsubscribe_base_url;
  scoring.nudges.bank_unsubscribe_url = config.http.bank_unsubscribe_url;
  return scoring;
}

// --once --as-of a day other than today (UTC) replays that day: nudges are
// planned and delivered as of its planning time (16:00 UTC), so in-app
// nudges expire on the replayed day's clock, not the wall clock's, and are
// delivered rather than cancelled as long overdue.
void use_replay_clock(service::ScoringSettings& scoring, service::DeliverySettings& delivery, forecast::Date as_of) {
  const auto wall = std::chrono::system_clock::now();
  if (std::chrono::floor<std::chrono::days>(wall) == as_of) return;
  const std::chrono::system_clock::time_point replayed = service::planning_time(as_of, wall);
  scoring.clock = [replayed] { return replayed; };
  delivery.clock = scoring.clock;
  scoring.clock_kind = db::CycleClock::replay;
  spdlog::info("[scoring] replaying {} on its own clock: nudges are planned and delivered as of 16:00 UTC that day",
               forecast::to_iso_string(as_of));
}

service::DeliverySettings delivery_settings(const service::ScoringSettings& scoring, const Config& config) {
  service::DeliverySettings delivery;
  delivery.replica_id = scoring.replica_id;
  delivery.lease = scoring.lease;
  delivery.retry.deadline = config.smtp.retry_deadline;
  return delivery;
}

// --once: one full cycle, then delivery of what is due.
int run_once(db::DatabaseSession& session, forecast::Date as_of, const service::ScoringSettings& scoring,
             const service::DeliverySettings& delivery, const Config& config) {
  auto conn = session.connect();
  std::atomic<bool> stop{false};
  const auto r = service::run_scoring_cycle(*conn, as_of, scoring, stop);
  std::printf("cycle %lld as of %s: %zu accounts scored by this replica in %zu chunks, %.2f s%s\n",
              static_cast<long long>(r.cycle_id), forecast::to_iso_string(as_of).c_str(), r.accounts_scored,
              r.chunks_scored, r.seconds, r.finished ? "" : " (cycle not finished: other replicas still working)");
  // Then deliver what is due, taking over rows a dead sender left
  // claimed (bounded by two leases).
  service::DeliveryWorker worker{delivery, service::make_mailer(mailer_settings(config.smtp)), config.smtp.from};
  const auto d = worker.drain(*conn, stop, 2 * delivery.lease + std::chrono::seconds(5));
  std::printf("delivery: %zu in-app available, %zu emails sent, %zu retried, %zu failed, %zu cancelled%s\n",
              d.in_app_released, d.emails_sent, d.emails_retried, d.emails_failed,
              d.emails_cancelled + d.in_app_cancelled, worker.email_enabled() ? "" : " (email off)");
  return r.finished ? kExitOk : kExitRuntimeFailure;
}

service::DaemonSettings daemon_settings(const RunOptions& o, const Config& config, const std::string& database_url,
                                        service::ScoringSettings scoring, service::DeliverySettings delivery) {
  service::DaemonSettings d;
  d.database_url = database_url;
  d.http_address = config.http.address;
  d.http_port = config.http.port;
  d.api_token = config.http.api_token;
  d.api_threads = config.http.api_threads;
  d.http_max_connections = config.http.max_connections;
  d.statement_timeout = config.database.statement_timeout;
  d.cycle_interval = std::chrono::seconds(o.interval_seconds);
  d.max_cycle_age = config.http.ready_max_cycle_age;
  d.listen = config.incremental.listen;
  d.poll_interval = config.incremental.poll_interval;
  d.scoring = std::move(scoring);
  d.delivery = std::move(delivery);
  d.smtp = mailer_settings(config.smtp);
  d.reload = [file = config.file](pqxx::connection& conn) {
    const Config reloaded = reload_config(file);
    const std::size_t changed = db::store_policies(conn, reloaded.policies);
    spdlog::info("[config] reloaded: {} policies from the configuration file, {} stored or changed",
                 reloaded.policies.size(), changed);
  };
  return d;
}

}  // namespace

CommandRunner add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run the daemon: scoring cycles, incremental re-forecasts, HTTP API");
  auto o = std::make_shared<RunOptions>();
  add_config_option(*cmd, o->config_path);
  cmd->add_flag("--once", o->once, "Run one full scoring cycle (joining replicas already in it) and exit");
  cmd->add_option("--as-of", o->as_of, "Business date of the cycle, YYYY-MM-DD (default: today in UTC)");
  cmd->add_option("--replica-id", o->replica_id, "Name of this replica in leases and logs (default: host:pid)");
  cmd->add_option("--accounts-per-chunk", o->accounts_per_chunk, "Accounts per leased chunk and transaction")
      ->check(CLI::Range(1, 1'000'000))->capture_default_str();
  cmd->add_option("--lease-seconds", o->lease_seconds, "Chunk lease; a dead replica's chunks are retaken after it")
      ->check(CLI::Range(1, 86'400))->capture_default_str();
  cmd->add_option("--interval-seconds", o->interval_seconds, "Seconds between full cycles (daemon mode)")
      ->check(CLI::Range(1, 7 * 86'400))->capture_default_str();
  cmd->add_option("--horizon", o->horizon_days, "Forecast horizon in days")->check(CLI::Range(1, 366))->capture_default_str();
  cmd->add_option("--threads", o->threads, "Scoring threads (default: one per core)");
  cmd->add_flag("--keep-db", o->keep_db, "Leave the embedded PostgreSQL running on exit");
  cmd->add_flag("--history-cache", o->history_cache,
                "Keep account histories in memory between cycles and read only new rows (~200 bytes per row)");
  return [o] {
    // Settings errors are found before the database is touched: a bad value
    // exits 2 naming it, never 1 with a connection error or after starting
    // the embedded cluster.
    Config config = load_config(o->config_path, ConfigAreas{.smtp = true, .smtp_retry_deadline = true});
    config.database.keep_embedded = config.database.keep_embedded || o->keep_db;
    if (!o->once && !o->as_of.empty())
      throw UsageError("--as-of applies to --once only; the daemon follows its clock");
    const forecast::Date as_of = as_of_or_today(o->as_of);  // used by --once only
    db::DatabaseSession session{database_options(config.database)};
    {
      auto conn = session.connect();
      db::require_current_schema(*conn);
      if (!config.policies.empty()) {
        const std::size_t changed = db::store_policies(*conn, config.policies);
        spdlog::info("[config] {} policies from the configuration file, {} stored or changed", config.policies.size(),
                     changed);
      }
    }
    service::ScoringSettings scoring = scoring_settings(*o, config);
    service::DeliverySettings delivery = delivery_settings(scoring, config);
    if (o->once) {
      use_replay_clock(scoring, delivery, as_of);
      return run_once(session, as_of, scoring, delivery, config);
    }
    return service::run_daemon(daemon_settings(*o, config, session.url(), scoring, delivery));
  };
}

}  // namespace headroom::cli
