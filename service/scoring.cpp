#include "service/scoring.hpp"

#include <condition_variable>
#include <future>
#include <optional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <pqxx/transaction>
#include <spdlog/spdlog.h>

#include "db/forecast_store.hpp"
#include "db/nudge_store.hpp"
#include "db/scoring_cycle.hpp"
#include "nudges/forecast_buffer.hpp"

namespace headroom::service {
namespace {

unsigned pool_size(const ScoringSettings& s) {
  if (s.worker_threads > 0) return s.worker_threads;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

// Forecasts every account `read` hands over: the read streams on this
// thread (read(post) calls post once per account) while the pool fits and
// projects the accounts already read. Results are in the order read.
template <class Read>
std::vector<forecast::AccountForecast> score_streamed(Read&& read, forecast::Date as_of,
                                                      const ScoringSettings& settings, boost::asio::thread_pool& pool) {
  std::vector<forecast::AccountForecast> results;
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t posted = 0;
  std::size_t completed = 0;
  // Posts one account; `history` (and `payee_hashes`, empty or one per row)
  // stays valid until the task ran: it lives in the cache, or in `owner`
  // when it was read for this call.
  const auto post = [&](std::shared_ptr<const std::vector<forecast::Transaction>> owner,
                        std::span<const forecast::Transaction> history,
                        std::span<const std::uint64_t> payee_hashes = {}) {
    std::size_t slot;
    {
      std::lock_guard lock(mutex);
      slot = posted++;
      results.resize(posted);
    }
    boost::asio::post(pool, [&, slot, owner = std::move(owner), history, payee_hashes]() {
      // forecast_account() in two steps, so the calibration tracker sees the
      // history the forecast is made from (no second build).
      const forecast::AccountHistory built = forecast::build_history(history, as_of, payee_hashes);
      auto scored = forecast::forecast_history(built, as_of, settings.forecast);
      if (settings.calibration && !built.account_id.empty())
        settings.calibration->record(built.account_id, built, scored.forecast.p_overdraft_window);
      std::lock_guard lock(mutex);
      results[slot] = std::move(scored);
      if (++completed == posted) all_done.notify_one();
    });
  };
  // A read that throws must not leave tasks referring to this frame.
  const auto wait_all = [&] {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return completed == posted; });
  };
  try {
    read(post);
  } catch (...) {
    wait_all();
    throw;
  }
  // The pool is shared across chunks, so wait for this call's tasks by count.
  wait_all();
  return results;
}

// Scores every account of one chunk (from the history cache, or streamed).
std::vector<forecast::AccountForecast> score_range(pqxx::connection& conn, const std::string& first,
                                                   const std::string& last, forecast::Date as_of,
                                                   const ScoringSettings& settings, boost::asio::thread_pool& pool,
                                                   std::size_t& undecodable) {
  return score_streamed(
      [&](const auto& post) {
        if (settings.history_cache) {
          settings.history_cache->for_each_in_range(
              first, last,
              [&](const std::string&, std::span<const forecast::Transaction> history,
                  std::span<const std::uint64_t> payee_hashes) { post(nullptr, history, payee_hashes); });
        } else {
          undecodable += db::read_account_histories(
              conn, first, last, [&](std::string_view, std::vector<forecast::Transaction>&& history) {
                auto owner = std::make_shared<const std::vector<forecast::Transaction>>(std::move(history));
                post(owner, *owner);
              });
        }
      },
      as_of, settings, pool);
}

}  // namespace

std::string default_replica_id() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

ScoringSettings with_policy_buffer(pqxx::connection& conn, const ScoringSettings& configured, forecast::Date as_of,
                                   bool log_unserved) {
  ScoringSettings s = configured;
  if (!s.nudges.enabled) return s;
  std::vector<nudges::Policy> policies;
  {
    pqxx::read_transaction tx{conn};
    for (auto& stored : db::load_active_policies(tx).policies) policies.push_back(std::move(stored.policy));
  }
  const auto choice = nudges::choose_forecast_buffer(policies, planning_time(as_of, wall_now(configured.clock)));
  s.forecast.projection.buffer = choice.buffer;
  if (log_unserved && !choice.unserved.empty()) {
    std::string names;
    for (const auto& name : choice.unserved) names += (names.empty() ? "" : ", ") + name;
    spdlog::warn("[scoring] forecasts are made against the buffer {} that most policies in force name; {} other "
                 "polic{} ({}) decide buffer_mismatch until their buffers agree",
                 choice.buffer.to_decimal_string(), choice.unserved.size(),
                 choice.unserved.size() == 1 ? "y" : "ies", names);
  }
  return s;
}

CycleResult run_scoring_cycle(pqxx::connection& conn, forecast::Date as_of, const ScoringSettings& configured,
                              const std::atomic<bool>& stop, bool wait_for_others) {
  const ScoringSettings settings = with_policy_buffer(conn, configured, as_of, true);
  const auto started = std::chrono::steady_clock::now();
  const std::string replica = settings.replica_id.empty() ? default_replica_id() : settings.replica_id;
  CycleResult result;
  const auto cycle = db::start_or_join_cycle(conn, as_of, settings.accounts_per_chunk, settings.clock_kind);
  result.cycle_id = cycle.cycle_id;
  spdlog::info("[scoring] cycle {} as of {}: {} accounts in {} chunks ({})", cycle.cycle_id,
               forecast::to_iso_string(as_of), cycle.accounts, cycle.chunks, cycle.created ? "started" : "joined");
  if (settings.history_cache) {
    const auto r = settings.history_cache->refresh(conn);
    result.undecodable_rows += r.undecodable;
    spdlog::info("[scoring] history cache {}: {} rows read, {} new; {} accounts, {} rows held",
                 r.full ? "loaded" : "refreshed", r.rows_read, r.rows_added, settings.history_cache->accounts(),
                 settings.history_cache->rows());
  }
  boost::asio::thread_pool pool(pool_size(settings));
  const auto deadline_wait = std::chrono::steady_clock::now() + 2 * settings.lease + std::chrono::seconds(5);
  // The next chunk is read and forecast while the current one commits, so
  // the database and the cores work at the same time. With the history cache
  // forecasting needs no connection; without it the reads go through a
  // second connection of their own (one read at a time: a chunk's read
  // starts only after the previous chunk's forecasts were collected).
  std::optional<pqxx::connection> reader;
  if (!settings.history_cache) reader.emplace(conn.options());
  pqxx::connection& read_conn = reader ? *reader : conn;
  struct Scored {
    std::vector<forecast::AccountForecast> forecasts;
    std::size_t undecodable = 0;
  };
  struct InFlight {
    db::ScoringChunk chunk;
    std::future<Scored> scored;
  };
  const auto start_scoring = [&](const db::ScoringChunk& chunk) {
    auto work = [&, chunk] {
      Scored s;
      s.forecasts =
          score_range(read_conn, chunk.first_account, chunk.last_account, as_of, settings, pool, s.undecodable);
      return s;
    };
    return InFlight{chunk, std::async(std::launch::async, std::move(work))};
  };
  std::optional<InFlight> next;
  while (next || !stop.load()) {
    std::optional<InFlight> current = std::move(next);
    next.reset();
    if (!current) {
      const auto chunk = db::lease_chunk(conn, cycle.cycle_id, replica, settings.lease);
      if (!chunk) {
        if (db::cycle_finished(conn, cycle.cycle_id)) {
          result.finished = true;
          break;
        }
        if (!wait_for_others || std::chrono::steady_clock::now() > deadline_wait) break;
        // Other replicas hold the remaining chunks; look again shortly and
        // retake any whose lease runs out.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      current = start_scoring(*chunk);
    }
    const auto wait_start = std::chrono::steady_clock::now();
    Scored scored = current->scored.get();
    const auto forecasts_ready = std::chrono::steady_clock::now();
    result.forecast_seconds += std::chrono::duration<double>(forecasts_ready - wait_start).count();
    result.undecodable_rows += scored.undecodable;
    // A chunk already leased is finished even after a stop: its forecasts
    // are in hand, and committing them is the in-flight batch.
    if (!stop.load()) {
      if (const auto chunk = db::lease_chunk(conn, cycle.cycle_id, replica, settings.lease)) next = start_scoring(*chunk);
    }
    // Policies are re-read inside each chunk's transaction (plan_nudges), so
    // a policy change applies from the next chunk.
    const auto plan = [&](pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts) {
      plan_nudges(tx, forecasts, settings.nudges, planning_time(as_of, wall_now(settings.clock)));
    };
    const bool completed = db::complete_chunk(conn, current->chunk, replica, scored.forecasts, plan);
    result.write_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - forecasts_ready).count();
    if (completed) {
      ++result.chunks_scored;
      result.accounts_scored += scored.forecasts.size();
    } else {
      ++result.chunks_lost;
      spdlog::warn("[scoring] cycle {} chunk {}: lease lost to another replica, results discarded",
                   current->chunk.cycle_id, current->chunk.chunk);
    }
  }
  pool.join();
  if (!result.finished) result.finished = db::cycle_finished(conn, cycle.cycle_id);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("[scoring] cycle {}: {} chunks here in {:.2f} s: waiting for forecasts {:.2f} s, writing {:.2f} s",
               result.cycle_id, result.chunks_scored, result.seconds, result.forecast_seconds, result.write_seconds);
  return result;
}

bool rescore_account(pqxx::connection& conn, const std::string& account_id, forecast::Date as_of,
                     const ScoringSettings& settings) {
  return rescore_accounts(conn, {account_id}, as_of, settings) > 0;
}

std::size_t rescore_accounts(pqxx::connection& conn, const std::vector<std::string>& account_ids,
                             forecast::Date as_of, const ScoringSettings& settings) {
  if (account_ids.empty()) return 0;
  // Forecasts overlap the read as in a full cycle; one account needs no pool.
  boost::asio::thread_pool pool(account_ids.size() > 1 ? pool_size(settings) : 1);
  auto results = score_streamed(
      [&](const auto& post) {
        db::read_histories_of(conn, account_ids, [&](std::string_view, std::vector<forecast::Transaction>&& history) {
          auto owner = std::make_shared<const std::vector<forecast::Transaction>>(std::move(history));
          post(owner, *owner);
        });
      },
      as_of, settings, pool);
  pool.join();
  if (results.empty()) return 0;
  pqxx::work tx{conn};
  db::write_forecasts(tx, results, std::nullopt);
  plan_nudges(tx, results, settings.nudges, planning_time(as_of, wall_now(settings.clock)));
  tx.commit();
  return results.size();
}

}  // namespace headroom::service
