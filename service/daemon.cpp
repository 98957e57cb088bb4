#include "service/daemon.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/transaction>
#include <spdlog/spdlog.h>

#include "db/forecast_store.hpp"
#include "db/nudge_store.hpp"
#include "db/transaction_watermark.hpp"
#include "nudges/unsubscribe.hpp"
#include "edge/http_server.hpp"
#include "edge/metrics.hpp"

namespace headroom::service {
namespace {

forecast::Date today_utc(const DaemonSettings& s) { return std::chrono::floor<std::chrono::days>(wall_now(s.now)); }

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): spreads reconnects of many replicas after an outage.
std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds cap, std::mt19937_64& rng) {
  const auto ceiling = std::min<long long>(cap.count(), 100LL << std::min(attempt, 16));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(ceiling / 2, ceiling)(rng));
}

// The calibration gauges follow the tracker (a copy: scrapes never wait on it).
void publish_calibration(const DaemonSettings& s, edge::Metrics& metrics) {
  if (s.scoring.calibration) metrics.set_forecast_calibration(s.scoring.calibration->summary());
}

class Stopper {
 public:
  void stop() {
    { std::lock_guard l(m_); stopped_ = true; }
    flag_ = true;
    cv_.notify_all();
  }
  // Ends the current wait_for() early without stopping (SIGHUP: work now).
  void wake() {
    { std::lock_guard l(m_); woken_ = true; }
    cv_.notify_all();
  }
  // Sleeps up to `d` or until woken; true when stopped.
  template <class D> bool wait_for(D d) {
    std::unique_lock l(m_);
    cv_.wait_for(l, d, [&] { return stopped_ || woken_; });
    woken_ = false;
    return stopped_;
  }
  const std::atomic<bool>& flag() const { return flag_; }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool woken_ = false;
  std::atomic<bool> flag_{false};
};

// Runs `session` until the stop flag is set, opening it again after any
// failure with exponential backoff. `session(connected)` opens its own
// connections, calls connected() once they are up (which resets the backoff)
// and returns only when stopped; `sleep(d)` waits up to d, true when stopped.
template <class Session, class Sleep>
void run_reconnecting(const char* name, const DaemonSettings& s, edge::Metrics& metrics, const Stopper& stopper,
                      Sleep&& sleep, Session&& session) {
  std::mt19937_64 rng{std::random_device{}()};
  int failures = 0;
  while (!stopper.flag().load()) {
    try {
      session([&] { failures = 0; });
    } catch (const std::exception& e) {
      ++metrics.database_errors;
      const auto wait = backoff(failures++, s.max_backoff, rng);
      spdlog::warn("[daemon] {}: database error ({}); retrying in {} ms", name, e.what(), wait.count());
      if (sleep(wait)) return;
    }
  }
}

class DatabaseBackend : public edge::ApiBackend {
 public:
  DatabaseBackend(const DaemonSettings& s, edge::Metrics& m, std::atomic<bool>& db_ok) : s_(s), metrics_(m), db_ok_(db_ok) {}

  edge::Readiness readiness() override {
    edge::Readiness r;
    r.database_reachable = db_ok_.load();
    const double finished = metrics_.last_cycle_finished_unix.load();
    if (finished > 0) r.last_cycle_age_seconds = unix_seconds(wall_now(s_.now)) - finished;
    const auto max_age = s_.max_cycle_age.count() > 0 ? s_.max_cycle_age : 2 * s_.cycle_interval;
    r.max_cycle_age_seconds = static_cast<double>(max_age.count());
    // Before the first cycle completes the daemon is starting, not stale.
    if (!r.last_cycle_age_seconds) r.max_cycle_age_seconds = 0;
    return r;
  }
  std::string metrics_text() override { return metrics_.render(); }
  std::optional<forecast::StoredForecast> stored_forecast(std::string_view account_id) override {
    return with_db([&](pqxx::connection& c) {
      pqxx::read_transaction tx{c};
      return db::read_forecast(tx, account_id);
    });
  }
  std::optional<std::string> nudge_feed_json(std::string_view account_id) override {
    return with_db([&](pqxx::connection& c) {
      pqxx::read_transaction tx{c};
      return db::read_nudge_feed_json(tx, account_id);
    });
  }
  std::optional<edge::AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id, edge::AckStatus status) override {
    return with_db([&](pqxx::connection& c) -> std::optional<edge::AckOutcome> {
      pqxx::work tx{c};
      const auto r = db::ack_nudge(tx, account_id, nudge_id, status == edge::AckStatus::kSeen ? "seen" : "dismissed");
      if (r == db::AckResult::kUnknownNudge && !db::read_nudge_feed_json(tx, account_id)) return std::nullopt;
      tx.commit();
      return r == db::AckResult::kUpdated ? edge::AckOutcome::kUpdated : edge::AckOutcome::kUnknownNudge;
    });
  }
  // One-click opt-out (RFC 8058): the signed token names the account.
  edge::UnsubscribeOutcome unsubscribe(std::string_view token) override {
    const std::string& secret = s_.scoring.nudges.unsubscribe_secret;
    if (secret.empty()) return edge::UnsubscribeOutcome::kInvalidToken;
    const auto account = nudges::verify_unsubscribe_token(secret, token);
    if (!account) return edge::UnsubscribeOutcome::kInvalidToken;
    with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      db::record_opt_out(tx, *account);
      tx.commit();
      return 0;
    });
    spdlog::info("[daemon] account {} opted out of nudges", *account);
    return edge::UnsubscribeOutcome::kRecorded;
  }

 private:
  template <class F> auto with_db(F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    try {
      pqxx::connection conn{s_.database_url};
      return f(conn);
    } catch (const pqxx::broken_connection&) {
      ++metrics_.database_errors;
      throw;
    }
  }
  const DaemonSettings& s_;
  edge::Metrics& metrics_;
  std::atomic<bool>& db_ok_;
};

void scoring_loop(const DaemonSettings& s, edge::Metrics& metrics, std::atomic<bool>& db_ok, Stopper& stopper,
                  std::atomic<bool>& reload_requested) {
  const auto sleep = [&](std::chrono::milliseconds d) { return stopper.wait_for(d); };
  run_reconnecting("scoring", s, metrics, stopper, sleep, [&](const auto& connected) {
    try {
      pqxx::connection conn{s.database_url};
      db_ok = true;
      connected();
      while (!stopper.flag().load()) {
        if (reload_requested.exchange(false) && s.reload) {
          // A bad file is reported and the policies in force stay.
          try {
            s.reload(conn);
          } catch (const pqxx::broken_connection&) {
            throw;
          } catch (const std::exception& e) {
            spdlog::error("[daemon] SIGHUP: configuration not reloaded: {}", e.what());
          }
        }
        const auto result = run_scoring_cycle(conn, today_utc(s), s.scoring, stopper.flag());
        publish_calibration(s, metrics);
        metrics.accounts_scored += result.accounts_scored;
        metrics.chunks_lost += result.chunks_lost;
        metrics.undecodable_rows += result.undecodable_rows;
        if (result.finished) {
          metrics.cycle_seconds_sum += result.seconds;
          ++metrics.cycles_completed;
          metrics.last_cycle_seconds = result.seconds;
          metrics.last_cycle_finished_unix = unix_seconds(wall_now(s.now));
          spdlog::info("[daemon] cycle {} done: {} accounts scored here in {:.2f} s", result.cycle_id,
                       result.accounts_scored, result.seconds);
        }
        if (stopper.wait_for(s.cycle_interval)) return;
      }
    } catch (...) {
      db_ok = false;  // /readyz reports not ready until the next connection
      throw;
    }
  });
}

// Collects notified account ids into the pending set.
class TransactionListener : public pqxx::notification_receiver {
 public:
  TransactionListener(pqxx::connection& c, std::set<std::string>& pending)
      : pqxx::notification_receiver(c, "headroom_transactions"), pending_(pending) {}
  void operator()(const std::string& payload, int) override { pending_.insert(payload); }

 private:
  std::set<std::string>& pending_;
};

// A lost connection, a serialization failure or a deadlock: the session
// reconnects (after a backoff) or retries, with the accounts still pending.
bool keeps_accounts_pending(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
         dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
         dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr;
}

// Re-forecasts pending accounts (in batches; one by one when a batch fails)
// until none is left or a stop is requested. An account leaves the set only
// once handled, so a lost connection, a deadlock or a serialization failure
// (rethrown: the session reconnects after a backoff) keeps it pending. Any
// other error is taken as deterministic for that account (or, in doubt, not
// to be repeated): it is logged and the account dropped, left to the next
// full cycle, rather than retried forever ahead of the others.
void rescore_pending(const DaemonSettings& s, edge::Metrics& metrics, const Stopper& stopper, pqxx::connection& conn,
                     std::set<std::string>& pending) {
  // First in batches (one read, one commit per batch: under a steady insert
  // load one account at a time cannot keep up, scripts/bench.sh
  // incremental). If a batch fails for a reason other than those three,
  // the accounts go one by one below, so a bad account holds back no other.
  constexpr std::size_t kBatch = 500;
  if (pending.empty()) return;
  const ScoringSettings this_round = with_policy_buffer(conn, s.scoring, today_utc(s), false);
  while (pending.size() > 1 && !stopper.flag().load()) {
    auto end = pending.begin();
    std::advance(end, static_cast<std::ptrdiff_t>(std::min(kBatch, pending.size())));
    const std::vector<std::string> batch(pending.begin(), end);
    try {
      metrics.incremental_rescores += rescore_accounts(conn, batch, today_utc(s), this_round);
    } catch (const std::exception& e) {
      if (keeps_accounts_pending(e)) throw;
      spdlog::warn("[daemon] incremental: batch of {} accounts failed ({}); one by one instead", batch.size(), e.what());
      break;
    }
    pending.erase(pending.begin(), end);
  }
  while (!pending.empty() && !stopper.flag().load()) {
    const std::string& account = *pending.begin();
    try {
      if (rescore_account(conn, account, today_utc(s), this_round)) ++metrics.incremental_rescores;
    } catch (const std::exception& e) {
      if (keeps_accounts_pending(e)) throw;
      ++metrics.database_errors;
      spdlog::error("[daemon] incremental: account {} not re-forecast: {}", account, e.what());
    }
    pending.erase(pending.begin());
  }
}

// The incremental thread. Notified accounts (when listening) and accounts a
// poll finds (when polling) join one pending set and are re-forecast the
// same way. `mark` is the polling high-water mark (nullopt until the first
// successful read); it and `pending` outlive each connection.
void incremental_loop(const DaemonSettings& s, edge::Metrics& metrics, Stopper& stopper,
                      std::optional<db::TransactionWatermark> mark) {
  using Clock = std::chrono::steady_clock;
  const bool polling = s.poll_interval.count() > 0;
  if (!s.listen && !polling) {
    spdlog::warn("[daemon] incremental re-forecasts off (no LISTEN, no polling): full cycles only");
    return;
  }
  spdlog::info("[daemon] incremental: LISTEN {}, polling {}", s.listen ? "on" : "off",
               polling ? "every " + std::to_string(s.poll_interval.count()) + " s" : std::string("off"));
  std::set<std::string> pending;
  const auto sleep = [&](std::chrono::milliseconds d) { return stopper.wait_for(d); };
  run_reconnecting("incremental", s, metrics, stopper, sleep, [&](const auto& connected) {
    pqxx::connection work_conn{s.database_url};
    std::optional<pqxx::connection> listen_conn;
    std::optional<TransactionListener> listener;
    if (s.listen) {
      listen_conn.emplace(s.database_url);
      listener.emplace(*listen_conn, pending);
    }
    // Without LISTEN, waiting for a notification that never comes is the
    // bounded idle wait.
    pqxx::connection& wait_conn = listen_conn ? *listen_conn : work_conn;
    connected();
    auto next_poll = Clock::now();
    while (!stopper.flag().load()) {
      if (polling && Clock::now() >= next_poll) {
        next_poll = Clock::now() + s.poll_interval;
        if (!mark) {
          mark = db::current_watermark(work_conn);  // start-up read failed: from now on
        } else {
          auto changed = db::accounts_changed_since(work_conn, *mark);
          ++metrics.transaction_polls;
          metrics.polled_accounts += changed.accounts.size();
          // The accounts join the set before the mark moves past them.
          pending.insert(std::make_move_iterator(changed.accounts.begin()),
                         std::make_move_iterator(changed.accounts.end()));
          mark = std::move(changed.next);
        }
      }
      const std::uint64_t rescored = metrics.incremental_rescores.load();
      rescore_pending(s, metrics, stopper, work_conn, pending);
      if (metrics.incremental_rescores.load() != rescored) publish_calibration(s, metrics);
      // Bounded, so a stop or the next poll is noticed within 250 ms.
      auto wait = std::chrono::microseconds(250'000);
      if (polling)
        wait = std::clamp(std::chrono::duration_cast<std::chrono::microseconds>(next_poll - Clock::now()),
                          std::chrono::microseconds(0), wait);
      wait_conn.await_notification(0, static_cast<long>(wait.count()));
      wait_conn.get_notifs();
    }
  });
}

// Delivers due nudges (in-app and email), woken by NOTIFY headroom_outbox
// and otherwise every second, since quiet hours and retries fall due by time.
// Its own Stopper wait would swallow the scorer's SIGHUP wake-up, so idle and
// backoff waits poll the stop flag instead.
class OutboxListener : public pqxx::notification_receiver {
 public:
  explicit OutboxListener(pqxx::connection& c) : pqxx::notification_receiver(c, "headroom_outbox") {}
  void operator()(const std::string&, int) override {}
};

void delivery_loop(const DaemonSettings& s, edge::Metrics& metrics, Stopper& stopper) {
  const auto wait_or_stop = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopper.flag().load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return stopper.flag().load();
  };
  std::unique_ptr<edge::Mailer> mailer;
  try {
    mailer = make_mailer(s.smtp);
  } catch (const std::exception& e) {
    spdlog::error("[daemon] delivery: email channel off: {}", e.what());
  }
  DeliveryWorker worker{s.delivery, std::move(mailer), s.smtp.from};
  spdlog::info("[daemon] delivery: in-app on, email {}", worker.email_enabled() ? "on" : "off (no HEADROOM_SMTP_URL)");
  run_reconnecting("delivery", s, metrics, stopper, wait_or_stop, [&](const auto& connected) {
    pqxx::connection conn{s.database_url};
    OutboxListener wake{conn};
    connected();
    while (!stopper.flag().load()) {
      const auto stats = worker.deliver_due(conn, stopper.flag());
      metrics.smtp_errors += stats.emails_retried + stats.emails_failed;
      metrics.nudges_sent.add(nudges::Channel::kInApp, stats.in_app_released);
      metrics.nudges_sent.add(nudges::Channel::kEmail, stats.emails_sent);
      metrics.nudges_failed.add(nudges::Channel::kEmail, stats.emails_failed);
      metrics.nudges_retried.add(nudges::Channel::kEmail, stats.emails_retried);
      metrics.nudges_cancelled.add(nudges::Channel::kInApp, stats.in_app_cancelled);
      metrics.nudges_cancelled.add(nudges::Channel::kEmail, stats.emails_cancelled);
      if (stats.total() > 0) continue;
      for (int i = 0; i < 4 && !stopper.flag().load(); ++i)
        if (conn.await_notification(0, 250'000) > 0) break;
    }
  });
}

}  // namespace

int run_daemon(const DaemonSettings& daemon_settings) {
  edge::Metrics metrics;
  DaemonSettings settings = daemon_settings;
  settings.scoring.nudges.metrics = &metrics;  // nudges decided, counted by the planner
  // One wall clock for the whole daemon (daemon.hpp).
  if (!settings.scoring.clock) settings.scoring.clock = settings.now;
  if (!settings.delivery.clock) settings.delivery.clock = settings.now;
  // Forecast calibration on /metrics: every forecast this process makes is
  // followed until its outcome is known (memory: measurement/calibration.hpp).
  if (!settings.scoring.calibration) {
    measurement::CalibrationSettings calibration;
    calibration.horizon_days = std::clamp(settings.scoring.forecast.projection.horizon_days, 1, 366);
    settings.scoring.calibration = std::make_shared<measurement::CalibrationTracker>(calibration);
  }
  publish_calibration(settings, metrics);  // resolved 0 from the first scrape
  std::atomic<bool> db_ok{false};
  Stopper stopper;
  boost::asio::io_context io;
  DatabaseBackend backend{settings, metrics, db_ok};
  edge::HttpServerSettings http_settings;
  http_settings.address = settings.http_address;
  http_settings.port = settings.http_port;
  edge::HttpServer http{io, http_settings, backend, edge::ApiAuth{settings.api_token}};
  spdlog::info("[daemon] replica {} listening on {}:{}", settings.scoring.replica_id, settings.http_address, http.port());

  boost::asio::signal_set hangup{io, SIGHUP};
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("[daemon] signal {}: finishing the chunk in flight, then exiting", signo);
    stopper.stop();
    http.stop();
    hangup.cancel();
    io.stop();
  });

  // SIGHUP: re-read the configuration's policies and start a cycle now (a
  // cycle re-reads the policy table at every chunk).
  std::atomic<bool> reload_requested{false};
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      spdlog::info("[daemon] SIGHUP: reloading policies and starting a cycle now");
      reload_requested = true;
      stopper.wake();
      await_hangup();
    });
  };
  await_hangup();

  // The polling mark comes before the first cycle (see daemon.hpp); if the
  // database is unreachable now, the first successful poll takes it.
  std::optional<db::TransactionWatermark> mark;
  if (settings.poll_interval.count() > 0) {
    try {
      pqxx::connection conn{settings.database_url};
      mark = db::current_watermark(conn);
    } catch (const std::exception& e) {
      ++metrics.database_errors;
      spdlog::warn("[daemon] polling mark not read at start ({}); it starts at the first poll", e.what());
    }
  }
  std::thread scorer([&] { scoring_loop(settings, metrics, db_ok, stopper, reload_requested); });
  std::thread incremental([&] { incremental_loop(settings, metrics, stopper, std::move(mark)); });
  std::thread deliverer([&] { delivery_loop(settings, metrics, stopper); });
  io.run();
  stopper.stop();
  scorer.join();
  incremental.join();
  deliverer.join();
  spdlog::info("[daemon] stopped");
  return 0;
}

}  // namespace headroom::service
