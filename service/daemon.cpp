#include "service/daemon.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/transaction>
#include <spdlog/spdlog.h>

#include "db/forecast_store.hpp"
#include "db/nudge_store.hpp"
#include "nudges/unsubscribe.hpp"
#include "service/http_server.hpp"
#include "service/metrics.hpp"

namespace headroom::service {
namespace {

forecast::Date today_utc(const DaemonSettings& s) { return std::chrono::floor<std::chrono::days>(s.now()); }

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): spreads reconnects of many replicas after an outage.
std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds cap, std::mt19937_64& rng) {
  const auto ceiling = std::min<long long>(cap.count(), 100LL << std::min(attempt, 16));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(ceiling / 2, ceiling)(rng));
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
void run_reconnecting(const char* name, const DaemonSettings& s, Metrics& metrics, const Stopper& stopper,
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

class DatabaseBackend : public ApiBackend {
 public:
  DatabaseBackend(const DaemonSettings& s, Metrics& m, std::atomic<bool>& db_ok) : s_(s), metrics_(m), db_ok_(db_ok) {}

  Readiness readiness() override {
    Readiness r;
    r.database_reachable = db_ok_.load();
    const double finished = metrics_.last_cycle_finished_unix.load();
    if (finished > 0) r.last_cycle_age_seconds = unix_seconds(s_.now()) - finished;
    const auto max_age = s_.max_cycle_age.count() > 0 ? s_.max_cycle_age : 2 * s_.cycle_interval;
    r.max_cycle_age_seconds = static_cast<double>(max_age.count());
    // Before the first cycle completes the daemon is starting, not stale.
    if (!r.last_cycle_age_seconds) r.max_cycle_age_seconds = 0;
    return r;
  }
  std::string metrics_text() override { return metrics_.render(); }
  std::optional<std::string> forecast_json(std::string_view account_id) override {
    return with_db([&](pqxx::connection& c) {
      pqxx::read_transaction tx{c};
      return db::read_forecast_json(tx, account_id);
    });
  }
  std::optional<std::string> nudge_feed_json(std::string_view account_id) override {
    return with_db([&](pqxx::connection& c) {
      pqxx::read_transaction tx{c};
      return db::read_nudge_feed_json(tx, account_id);
    });
  }
  std::optional<AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id, AckStatus status) override {
    return with_db([&](pqxx::connection& c) -> std::optional<AckOutcome> {
      pqxx::work tx{c};
      const auto r = db::ack_nudge(tx, account_id, nudge_id, status == AckStatus::seen ? "seen" : "dismissed");
      if (r == db::AckResult::unknown_nudge && !db::read_nudge_feed_json(tx, account_id)) return std::nullopt;
      tx.commit();
      return r == db::AckResult::updated ? AckOutcome::updated : AckOutcome::unknown_nudge;
    });
  }
  // One-click opt-out (RFC 8058): the signed token names the account.
  UnsubscribeOutcome unsubscribe(std::string_view token) override {
    const std::string& secret = s_.scoring.nudges.unsubscribe_secret;
    if (secret.empty()) return UnsubscribeOutcome::invalid_token;
    const auto account = nudges::verify_unsubscribe_token(secret, token);
    if (!account) return UnsubscribeOutcome::invalid_token;
    with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      db::record_opt_out(tx, *account);
      tx.commit();
      return 0;
    });
    spdlog::info("[daemon] account {} opted out of nudges", *account);
    return UnsubscribeOutcome::recorded;
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
  Metrics& metrics_;
  std::atomic<bool>& db_ok_;
};

void scoring_loop(const DaemonSettings& s, Metrics& metrics, std::atomic<bool>& db_ok, Stopper& stopper,
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
        metrics.accounts_scored += result.accounts_scored;
        metrics.chunks_lost += result.chunks_lost;
        metrics.undecodable_rows += result.undecodable_rows;
        if (result.finished) {
          ++metrics.cycles_completed;
          metrics.last_cycle_seconds = result.seconds;
          metrics.last_cycle_finished_unix = unix_seconds(s.now());
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

// Collects notified account ids and re-forecasts them. Notifications arriving
// while a rescore runs are batched into the next round.
class TransactionListener : public pqxx::notification_receiver {
 public:
  TransactionListener(pqxx::connection& c, std::set<std::string>& pending)
      : pqxx::notification_receiver(c, "headroom_transactions"), pending_(pending) {}
  void operator()(const std::string& payload, int) override { pending_.insert(payload); }

 private:
  std::set<std::string>& pending_;
};

void listener_loop(const DaemonSettings& s, Metrics& metrics, Stopper& stopper) {
  const auto sleep = [&](std::chrono::milliseconds d) { return stopper.wait_for(d); };
  run_reconnecting("listener", s, metrics, stopper, sleep, [&](const auto& connected) {
    pqxx::connection listen_conn{s.database_url};
    pqxx::connection work_conn{s.database_url};
    std::set<std::string> pending;
    TransactionListener listener{listen_conn, pending};
    connected();
    while (!stopper.flag().load()) {
      listen_conn.await_notification(0, 250'000);  // bounded, so a stop is noticed quickly
      listen_conn.get_notifs();
      if (pending.empty()) continue;
      std::set<std::string> batch;
      batch.swap(pending);
      for (const auto& account : batch) {
        if (rescore_account(work_conn, account, today_utc(s), s.scoring)) ++metrics.incremental_rescores;
      }
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

void delivery_loop(const DaemonSettings& s, Metrics& metrics, Stopper& stopper) {
  const auto wait_or_stop = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopper.flag().load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return stopper.flag().load();
  };
  std::unique_ptr<Mailer> mailer;
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
      if (stats.total() > 0) continue;
      for (int i = 0; i < 4 && !stopper.flag().load(); ++i)
        if (conn.await_notification(0, 250'000) > 0) break;
    }
  });
}

}  // namespace

int run_daemon(const DaemonSettings& settings) {
  Metrics metrics;
  std::atomic<bool> db_ok{false};
  Stopper stopper;
  boost::asio::io_context io;
  DatabaseBackend backend{settings, metrics, db_ok};
  HttpServer http{io, settings.http_address, settings.http_port, backend, ApiAuth{settings.api_token}};
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

  std::thread scorer([&] { scoring_loop(settings, metrics, db_ok, stopper, reload_requested); });
  std::thread listener([&] { listener_loop(settings, metrics, stopper); });
  std::thread deliverer([&] { delivery_loop(settings, metrics, stopper); });
  io.run();
  stopper.stop();
  scorer.join();
  listener.join();
  deliverer.join();
  spdlog::info("[daemon] stopped");
  return 0;
}

}  // namespace headroom::service
