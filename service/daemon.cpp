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

#include "db/connection_pool.hpp"
#include "db/reconnect_backoff.hpp"
#include "db/transaction_watermark.hpp"
#include "edge/http_server.hpp"
#include "edge/metrics.hpp"
#include "service/api_backend.hpp"
#include "service/async_read_pool.hpp"
#include "service/readiness_probe.hpp"

namespace headroom::service {
namespace {

forecast::Date today_utc(const DaemonSettings& s) { return std::chrono::floor<std::chrono::days>(wall_now(s.now)); }

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
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
      const auto wait = db::reconnect_backoff(failures++, s.max_backoff, rng);
      spdlog::warn("[daemon] {}: database error ({}); retrying in {} ms", name, e.what(), wait.count());
      if (sleep(wait)) return;
    }
  }
}

void scoring_loop(const DaemonSettings& s, edge::Metrics& metrics, Stopper& stopper,
                  std::atomic<bool>& reload_requested) {
  const auto sleep = [&](std::chrono::milliseconds d) { return stopper.wait_for(d); };
  run_reconnecting("scoring", s, metrics, stopper, sleep, [&](const auto& connected) {
    pqxx::connection conn{s.database_url};
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

// The worker threads of run_daemon, stopped and joined when this guard ends,
// on every path out of it (a return, an exception). A worker whose loop
// throws (none should: each catches its database errors) is logged and
// stops the whole daemon with exit code 1, so a supervisor restarts it
// rather than keeping a process that no longer scores or delivers.
class WorkerThreads {
 public:
  WorkerThreads(Stopper& stopper, ReadinessProbe& probe, boost::asio::io_context& io)
      : stopper_(stopper), probe_(probe), io_(io) {}
  ~WorkerThreads() {
    stopper_.stop();
    probe_.stop();
    for (auto& t : threads_) t.join();
  }
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;

  template <class F> void spawn(const char* name, F body) {
    threads_.emplace_back([this, name, body = std::move(body)]() mutable {
      try {
        body();
      } catch (const std::exception& e) {
        fail(name, e.what());
      } catch (...) {
        fail(name, "unknown exception");
      }
    });
  }
  int exit_code() const { return failed_.load() ? 1 : 0; }

 private:
  void fail(const char* name, const char* what) {
    spdlog::critical("[daemon] {} thread ended: {}; stopping", name, what);
    failed_ = true;
    stopper_.stop();
    io_.stop();
  }
  Stopper& stopper_;
  ReadinessProbe& probe_;
  boost::asio::io_context& io_;
  std::vector<std::thread> threads_;
  std::atomic<bool> failed_{false};
};

// Boost.Asio's pattern for a server that must not die of one handler: an
// exception out of a handler ends run(), which is then called again; run()
// returns normally only once the context is stopped.
void run_io(boost::asio::io_context& io) {
  while (true) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("[daemon] HTTP handler failed: {}; serving on", e.what());
    } catch (...) {
      spdlog::error("[daemon] HTTP handler failed with an unknown exception; serving on");
    }
  }
}

unsigned api_thread_count(const DaemonSettings& s) {
  return s.api_threads > 0 ? s.api_threads : std::max(1u, std::thread::hardware_concurrency());
}

// One connection per backend thread: a request never waits for another's.
db::ConnectionPoolSettings api_pool_settings(const DaemonSettings& s) {
  db::ConnectionPoolSettings p;
  p.url = s.database_url;
  p.size = api_thread_count(s);
  p.statement_timeout = s.statement_timeout;
  p.connect_timeout = std::chrono::seconds(2);  // a request waits at most this for a new connection
  p.application_name = "headroom-api";
  p.max_backoff = s.max_backoff;
  return p;
}

// The reads' connections: two per backend thread (per core by default), the
// statements in flight at once, all driven by the I/O thread. Two per core
// keep the server busy while replies travel: 6,730 requests/s against
// 5,621 with one per core (scripts/bench.sh api, docs/performance.md).
AsyncReadPoolSettings api_read_pool_settings(const DaemonSettings& s) {
  AsyncReadPoolSettings r;
  r.url = s.database_url;
  r.connections = 2 * api_thread_count(s);
  r.statement_timeout = s.statement_timeout;
  r.max_backoff = s.max_backoff;
  r.application_name = "headroom-api";
  return r;
}

edge::HttpServerSettings http_server_settings(const DaemonSettings& s) {
  edge::HttpServerSettings h;
  h.address = s.http_address;
  h.port = s.http_port;
  h.backend_threads = api_thread_count(s);
  h.max_connections = s.http_max_connections;
  return h;
}

ApiBackendSettings api_backend_settings(const DaemonSettings& s) {
  ApiBackendSettings b;
  b.unsubscribe_secret = s.scoring.nudges.unsubscribe_secret;
  b.max_cycle_age = s.max_cycle_age.count() > 0 ? s.max_cycle_age : 2 * s.cycle_interval;
  b.now = s.now;
  return b;
}

// The polling mark comes before the first cycle (see daemon.hpp); if the
// database is unreachable now, the first successful poll takes it.
std::optional<db::TransactionWatermark> initial_mark(const DaemonSettings& s, edge::Metrics& metrics) {
  if (s.poll_interval.count() <= 0) return std::nullopt;
  try {
    pqxx::connection conn{s.database_url};
    return db::current_watermark(conn);
  } catch (const std::exception& e) {
    ++metrics.database_errors;
    spdlog::warn("[daemon] polling mark not read at start ({}); it starts at the first poll", e.what());
    return std::nullopt;
  }
}

// The settings as the daemon's parts use them: one wall clock (daemon.hpp),
// the metrics the planner counts into, the calibration tracker.
DaemonSettings resolved(const DaemonSettings& daemon_settings, edge::Metrics& metrics) {
  DaemonSettings settings = daemon_settings;
  settings.scoring.nudges.metrics = &metrics;  // nudges decided, counted by the planner
  if (!settings.scoring.clock) settings.scoring.clock = settings.now;
  if (!settings.delivery.clock) settings.delivery.clock = settings.now;
  // Forecast calibration on /metrics: every forecast this process makes is
  // followed until its outcome is known (memory: measurement/calibration.hpp).
  if (!settings.scoring.calibration) {
    measurement::CalibrationSettings calibration;
    calibration.horizon_days = std::clamp(settings.scoring.forecast.projection.horizon_days, 1, 366);
    settings.scoring.calibration = std::make_shared<measurement::CalibrationTracker>(calibration);
  }
  return settings;
}

}  // namespace

int run_daemon(const DaemonSettings& daemon_settings) {
  edge::Metrics metrics;
  const DaemonSettings settings = resolved(daemon_settings, metrics);
  publish_calibration(settings, metrics);  // resolved 0 from the first scrape
  // The I/O context first: the read pool's sockets and timers belong to it.
  // The pools before the server, so they outlive its backend threads.
  boost::asio::io_context io;
  AsyncReadPool reads{io, api_read_pool_settings(settings), DatabaseBackend::read_statements()};
  db::ConnectionPool pool{api_pool_settings(settings)};
  ReadinessProbe probe{ReadinessProbeSettings{.database_url = settings.database_url}};
  DatabaseBackend backend{api_backend_settings(settings), metrics, reads, pool, probe};
  Stopper stopper;
  edge::HttpServer http{io, http_server_settings(settings), backend, edge::ApiAuth{settings.api_token}};
  spdlog::info("[daemon] replica {} listening on {}:{} ({} API threads)", settings.scoring.replica_id,
               settings.http_address, http.port(), api_thread_count(settings));

  boost::asio::signal_set hangup{io, SIGHUP};
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("[daemon] signal {}: finishing the chunk in flight, then exiting", signo);
    stopper.stop();
    http.stop();
    reads.stop();
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

  int exit_code = 0;
  {
    auto mark = initial_mark(settings, metrics);  // before the scorer starts its first cycle
    WorkerThreads workers{stopper, probe, io};
    probe.start();
    workers.spawn("scoring", [&] { scoring_loop(settings, metrics, stopper, reload_requested); });
    workers.spawn("incremental", [&, mark = std::move(mark)]() mutable {
      incremental_loop(settings, metrics, stopper, std::move(mark));
    });
    workers.spawn("delivery", [&] { delivery_loop(settings, metrics, stopper); });
    run_io(io);
    exit_code = workers.exit_code();
  }  // stops and joins the workers
  spdlog::info("[daemon] stopped");
  return exit_code;
}

}  // namespace headroom::service
