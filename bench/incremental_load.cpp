// incremental_load: the load generator of `scripts/bench.sh incremental`.
// Inserts transactions into headroom.transactions at a steady rate, each in
// its own committed transaction (autocommit) on a random account, and times
// each insert's commit to the commit of that account's updated forecast row.
//
// How "forecast row committed" is observed: the benchmark script puts a
// row trigger on headroom.forecasts in its throwaway cluster that sends
// NOTIFY bench_forecast with the account id. PostgreSQL delivers a
// notification only when the sending transaction commits, so the moment
// this process receives it is an upper bound on the forecast's commit (plus
// sub-millisecond local delivery), and the moment the INSERT statement
// returns is an upper bound on the insert's commit. Both instants come from
// one steady clock in this process.
//
// Matching an insert to its forecast: an account is never given a second
// insert while its first still waits for a forecast, and the daemon is idle
// (first full cycle done, next one a week away) before the load starts. So
// the first forecast notification for a pending account after its insert
// returned is the re-forecast that the insert's own notification caused,
// whose history read began after the insert committed. Notifications for
// accounts not pending are counted as "unexpected" (there should be none).
//
// Usage: incremental_load --url URL [--rate 200] [--seconds 60]
//        [--settle-seconds 10] [--posted YYYY-MM-DD] [--seed 1] [--latencies FILE]
// Prints one summary line on stdout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/result>
#include <pqxx/row>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  double rate = 200;
  double seconds = 60;
  double settle_seconds = 10;
  std::string posted;  // empty: today (UTC)
  unsigned seed = 1;
  std::string latencies_path;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "incremental_load: %s\nusage: incremental_load --url URL [--rate N] [--seconds S] "
               "[--settle-seconds S] [--posted YYYY-MM-DD] [--seed N] [--latencies FILE]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    if (a == "--url") o.url = v;
    else if (a == "--rate") o.rate = std::atof(v);
    else if (a == "--seconds") o.seconds = std::atof(v);
    else if (a == "--settle-seconds") o.settle_seconds = std::atof(v);
    else if (a == "--posted") o.posted = v;
    else if (a == "--seed") o.seed = static_cast<unsigned>(std::atoi(v));
    else if (a == "--latencies") o.latencies_path = v;
    else usage(("unknown option " + a).c_str());
  }
  if (o.url.empty()) usage("--url is required");
  if (o.rate <= 0 || o.seconds <= 0 || o.settle_seconds < 0) usage("rate and seconds must be positive");
  return o;
}

struct Insert {
  std::string account;
  Clock::time_point committed;             // the INSERT returned
  std::optional<Clock::time_point> updated;  // the forecast notification arrived
};

// Shared between the inserting thread and the listening thread. Accounts
// are indices into `accounts`; an account is either free (in `free`) or
// pending (in `pending`, with the index of its insert).
struct Ledger {
  std::mutex mutex;
  std::condition_variable drained;
  std::vector<std::string> accounts;
  std::unordered_map<std::string, std::uint32_t> index;   // account -> position in accounts
  std::vector<std::uint32_t> free;
  std::unordered_map<std::uint32_t, std::size_t> pending;  // account -> index in inserts
  std::vector<Insert> inserts;
  std::size_t unexpected = 0;                              // notifications of accounts not pending
};

class ForecastListener : public pqxx::notification_receiver {
 public:
  ForecastListener(pqxx::connection& c, Ledger& ledger) : pqxx::notification_receiver(c, "bench_forecast"), ledger_(ledger) {}
  void operator()(const std::string& account, int) override {
    const auto now = Clock::now();
    std::lock_guard lock(ledger_.mutex);
    const auto known = ledger_.index.find(account);
    const auto it = known == ledger_.index.end() ? ledger_.pending.end() : ledger_.pending.find(known->second);
    if (it == ledger_.pending.end()) {
      ++ledger_.unexpected;
      return;
    }
    ledger_.inserts[it->second].updated = now;
    ledger_.free.push_back(it->first);
    ledger_.pending.erase(it);
    if (ledger_.pending.empty()) ledger_.drained.notify_all();
  }

 private:
  Ledger& ledger_;
};

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double quantile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Ledger ledger;

  pqxx::connection insert_conn{o.url};
  std::vector<std::string>& accounts = ledger.accounts;
  std::string posted = o.posted;
  {
    pqxx::nontransaction tx{insert_conn};
    for (const auto& row : tx.exec("SELECT account_id FROM headroom.forecasts ORDER BY account_id"))
      accounts.push_back(row[0].as<std::string>());
    if (posted.empty()) posted = tx.exec("SELECT (now() AT TIME ZONE 'UTC')::date::text")[0][0].as<std::string>();
  }
  if (accounts.empty()) {
    std::fprintf(stderr, "incremental_load: no forecasts yet; run a full cycle first\n");
    return 1;
  }
  for (std::uint32_t i = 0; i < accounts.size(); ++i) {
    ledger.index.emplace(accounts[i], i);
    ledger.free.push_back(i);
  }
  insert_conn.prepare("bench_insert",
                      "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, description, kind) "
                      "VALUES ($1, $2, $3::date, $4::numeric, 'BENCH COFFEE SHOP', 'card')");

  // The listener runs until the inserts are done and drained (or the settle
  // time is over).
  std::atomic<bool> listening{true};
  std::thread listener([&] {
    pqxx::connection listen_conn{o.url};
    ForecastListener receiver{listen_conn, ledger};
    while (listening.load()) listen_conn.await_notification(0, 100'000);
  });
  // The LISTEN is registered by the receiver's constructor on the listener
  // thread; wait for it before the first insert.
  {
    pqxx::connection probe{o.url};
    for (int i = 0; i < 500; ++i) {
      pqxx::nontransaction tx{probe};
      const auto n = tx.exec("SELECT count(*) FROM pg_stat_activity "
                             "WHERE query LIKE 'LISTEN %bench_forecast%' AND pid <> pg_backend_pid()")[0][0]
                         .as<long>();
      if (n > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::mt19937_64 rng{o.seed};
  std::uniform_int_distribution<int> cents(100, 2500);
  const auto total = static_cast<std::size_t>(o.rate * o.seconds);
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  const std::string run_tag = std::to_string(::time(nullptr));
  std::size_t behind = 0;   // inserts sent later than 1 ms after their slot
  double max_lag_ms = 0;    // worst lateness of an insert against the schedule
  std::size_t skipped = 0;  // slots with every account still waiting for its forecast
  const auto start = Clock::now();
  for (std::size_t i = 0; i < total; ++i) {
    const auto slot = start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
    // Pacing the open-loop schedule, not synchronisation.
    std::this_thread::sleep_until(slot);
    const double lag = ms(Clock::now() - slot);
    max_lag_ms = std::max(max_lag_ms, lag);
    if (lag > 1.0) ++behind;
    std::string account;
    std::size_t seq;
    {
      std::lock_guard lock(ledger.mutex);
      if (ledger.free.empty()) {
        ++skipped;  // the daemon is that far behind: no account is free
        continue;
      }
      const auto k = std::uniform_int_distribution<std::size_t>(0, ledger.free.size() - 1)(rng);
      const std::uint32_t a = ledger.free[k];
      ledger.free[k] = ledger.free.back();
      ledger.free.pop_back();
      account = accounts[a];
      seq = ledger.inserts.size();
      // Pending before the INSERT is sent, so a notification arriving before
      // the INSERT returns still finds it.
      ledger.pending.emplace(a, seq);
      ledger.inserts.push_back(Insert{account, Clock::time_point{}, std::nullopt});
    }
    const int c = cents(rng);
    const std::string amount = "-" + std::to_string(c / 100) + "." + (c % 100 < 10 ? "0" : "") + std::to_string(c % 100);
    {
      pqxx::nontransaction tx{insert_conn};  // autocommit: the statement is its own transaction
      tx.exec_prepared("bench_insert", account, "bench-" + run_tag + "-" + std::to_string(seq), posted, amount);
    }
    const auto committed = Clock::now();
    std::lock_guard lock(ledger.mutex);
    ledger.inserts[seq].committed = committed;
  }
  const auto load_end = Clock::now();
  {
    std::unique_lock lock(ledger.mutex);
    ledger.drained.wait_for(lock, std::chrono::duration<double>(o.settle_seconds),
                            [&] { return ledger.pending.empty(); });
  }
  listening = false;
  listener.join();

  std::vector<double> latencies;
  std::size_t never = 0;
  std::FILE* out = o.latencies_path.empty() ? nullptr : std::fopen(o.latencies_path.c_str(), "w");
  if (out) std::fputs("seq,account_id,sent_offset_ms,latency_ms\n", out);
  for (std::size_t i = 0; i < ledger.inserts.size(); ++i) {
    const auto& in = ledger.inserts[i];
    if (!in.updated) {
      ++never;
      if (out) std::fprintf(out, "%zu,%s,%.3f,\n", i, in.account.c_str(), ms(in.committed - start));
      continue;
    }
    // A notification can only precede the INSERT's return by the time the
    // reply took to reach us; count that as zero.
    const double l = std::max(0.0, ms(*in.updated - in.committed));
    latencies.push_back(l);
    if (out) std::fprintf(out, "%zu,%s,%.3f,%.3f\n", i, in.account.c_str(), ms(in.committed - start), l);
  }
  if (out) std::fclose(out);
  std::sort(latencies.begin(), latencies.end());
  const std::size_t sent = ledger.inserts.size();
  const double achieved = static_cast<double>(sent) / std::chrono::duration<double>(load_end - start).count();
  std::printf(
      "incremental bench: %zu inserts over %zu accounts at %.1f/s (target %.0f/s, %.0f s; %zu sent >1 ms late, worst "
      "%.1f ms, %zu slots skipped with no account free); commit -> forecast committed: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; never updated %zu; "
      "unexpected forecast notifications %zu\n",
      sent, accounts.size(), achieved, o.rate, o.seconds, behind, max_lag_ms, skipped, quantile(latencies, 0.50),
      quantile(latencies, 0.90), quantile(latencies, 0.99), latencies.empty() ? 0.0 : latencies.back(), never,
      ledger.unexpected);
  return 0;
}
