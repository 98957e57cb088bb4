// headroom backtest: offline forecast quality run (docs/DESIGN.md, "CLI").
// For each (account_id, origin) task: fit on the account's rows with
// posted_at < origin only, project `horizon` days, write
// account_id,origin,p_overdraft[,extra task columns].
// Tasks are spread over a thread pool; every task uses the same seed, so the
// output is byte-identical for any thread count.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "forecast/account_book.hpp"
#include "forecast/forecast.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/csv_writer.hpp"
#include "ingest/transactions_csv.hpp"
#include "cli/command.hpp"

namespace headroom::cli {
namespace {

using forecast::AccountBook;

// The raw text after the first `n` fields of a record, quotes respected.
std::string_view raw_after_fields(std::string_view raw, std::size_t n) {
  bool quoted = false;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted && ++seen == n) return raw.substr(i + 1);
  }
  return {};
}

struct BacktestFlags {
  std::string transactions;
  std::string tasks;
  std::string out;
  int horizon = 14;
  unsigned threads = 0;
  std::string model = "engine";
  int paths = 256;
  std::uint64_t seed = forecast::ProjectionParams{}.seed;
};

struct Task {
  std::string account_id;
  forecast::Date origin{};
  std::string extra;  // raw extra columns, passed through
};

std::vector<Task> read_tasks(const std::string& path, std::string& extra_header) {
  ingest::CsvRecordReader reader(path);
  ingest::CsvRecord rec;
  std::vector<Task> tasks;
  if (!reader.next(rec)) throw std::runtime_error(path + ":1: header: file is empty");
  if (!rec.error.empty() || rec.fields.size() < 2 || rec.fields[0] != "account_id" || rec.fields[1] != "origin")
    throw std::runtime_error(path + ":1: header: must start with account_id,origin");
  extra_header = std::string(raw_after_fields(rec.raw, 2));
  while (reader.next(rec)) {
    if (rec.raw.empty()) continue;
    const std::string where = path + ":" + std::to_string(rec.line) + ": ";
    if (!rec.error.empty()) throw std::runtime_error(where + "record: " + std::string(rec.error));
    if (rec.fields.size() < 2 || rec.fields[0].empty()) throw std::runtime_error(where + "account_id: missing");
    const auto origin = forecast::parse_iso_date(rec.fields[1]);
    if (!origin) throw std::runtime_error(where + "origin: not a YYYY-MM-DD date: '" + std::string(rec.fields[1]) + "'");
    tasks.push_back(Task{std::string(rec.fields[0]), *origin, std::string(raw_after_fields(rec.raw, 2))});
  }
  return tasks;
}

// Every 7 days from the account's first date + 90 to its last date − horizon.
std::vector<Task> default_tasks(const AccountBook& book, int horizon) {
  std::vector<Task> tasks;
  for (const auto& id : book.order) {
    const auto rows = book.all(id);
    if (rows.empty()) continue;
    const forecast::Date first = rows.front().posted_at, last = rows.back().posted_at;
    for (forecast::Date o = first + forecast::Days{90}; o <= last - forecast::Days{horizon}; o += forecast::Days{7})
      tasks.push_back(Task{id, o, {}});
  }
  return tasks;
}

forecast::ModelChoice parse_model(const std::string& name) {
  if (name == "engine") return forecast::ModelChoice::kEngine;
  if (name == "drift") return forecast::ModelChoice::kDrift;
  if (name == "seasonal") return forecast::ModelChoice::kSeasonalNaive;
  throw UsageError("--model must be engine, drift or seasonal, not '" + name + "'");
}

int run_backtest(const BacktestFlags& flags) {
  forecast::ForecastParams params;
  params.model = parse_model(flags.model);
  params.projection.horizon_days = flags.horizon;
  params.projection.paths = flags.paths;
  params.projection.seed = flags.seed;
  params.projection.quantiles = false;
  params.projection.explain = false;

  const auto t_read = std::chrono::steady_clock::now();
  const AccountBook book = forecast::group_by_account(ingest::read_transactions_csv(flags.transactions));
  const auto t_start = std::chrono::steady_clock::now();
  // Process CPU time (all threads): on a shared machine it says what the
  // forecasts cost, where wall time also says how busy the neighbours were.
  const std::clock_t cpu_start = std::clock();
  std::string extra_header;
  std::vector<Task> tasks = flags.tasks.empty() ? default_tasks(book, flags.horizon) : read_tasks(flags.tasks, extra_header);

  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned n_threads = std::max(1u, std::min<unsigned>(flags.threads == 0 ? hw : flags.threads,
                                                              static_cast<unsigned>(std::max<std::size_t>(1, tasks.size() / 64))));
  std::vector<double> p(tasks.size(), 0.0);
  std::atomic<std::size_t> next{0}, done{0};
  const std::size_t total = tasks.size();
  const std::size_t report_every = total >= 20000 ? total / 10 : 0;
  constexpr std::size_t kChunk = 32;
  auto worker = [&] {
    // Per thread: the account being worked on, prepared once (dedup, labels)
    // for all its origins in a chunk, and the projection's scratch memory.
    // Neither changes a result, so the output stays independent of threads.
    forecast::ProjectionWorkspace workspace;
    forecast::PreparedAccount prepared;
    const std::string* prepared_id = nullptr;
    for (;;) {
      const std::size_t begin = next.fetch_add(kChunk);
      if (begin >= total) return;
      const std::size_t end = std::min(total, begin + kChunk);
      for (std::size_t i = begin; i < end; ++i) {
        const Task& t = tasks[i];
        if (prepared_id == nullptr || *prepared_id != t.account_id) {
          const auto rows = book.all(t.account_id);
          prepared = forecast::prepare_account(rows, book.hashes_of(rows));
          prepared_id = &t.account_id;
        }
        const forecast::AccountHistory history = forecast::history_as_of(prepared, t.origin);
        p[i] = forecast::forecast_history(history, t.origin, params, workspace).forecast.p_overdraft_window;
      }
      const std::size_t before = done.fetch_add(end - begin);
      if (report_every > 0 && (before + end - begin) / report_every != before / report_every)
        std::fprintf(stderr, "[backtest] %zu/%zu tasks\n", before + end - begin, total);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n_threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  const auto t_end = std::chrono::steady_clock::now();
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  std::ofstream out(flags.out, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + flags.out);
  out << "account_id,origin,p_overdraft";
  if (!flags.tasks.empty() && !extra_header.empty()) out << ',' << extra_header;
  out << '\n';
  char buf[32];
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.6f", p[i]);
    out << ingest::csv_field(tasks[i].account_id) << ',' << forecast::to_iso_string(tasks[i].origin) << ',' << buf;
    if (!flags.tasks.empty() && !extra_header.empty()) out << ',' << tasks[i].extra;
    out << '\n';
  }
  out.flush();
  if (!out) throw std::runtime_error("write failed: " + flags.out);
  const double read_s = std::chrono::duration<double>(t_start - t_read).count();
  const double run_s = std::chrono::duration<double>(t_end - t_start).count();
  std::fprintf(stderr,
               "[backtest] %zu tasks, %zu accounts, model %s, %u threads -> %s; read %.2f s, forecasts %.2f s "
               "(%.0f tasks/s), CPU %.2f s (%.0f tasks per CPU-second)\n",
               tasks.size(), book.accounts.size(), flags.model.c_str(), n_threads, flags.out.c_str(), read_s, run_s,
               run_s > 0 ? static_cast<double>(tasks.size()) / run_s : 0.0, cpu_s,
               cpu_s > 0 ? static_cast<double>(tasks.size()) / cpu_s : 0.0);
  return kExitOk;
}

}  // namespace

CommandRunner add_backtest_command(CLI::App& app) {
  auto flags = std::make_shared<BacktestFlags>();
  auto* cmd = app.add_subcommand("backtest", "Offline forecast backtest: p_overdraft per (account, origin) from a CSV");
  cmd->add_option("--transactions", flags->transactions, "Transactions CSV (source contract), sorted by account_id, posted_at")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--tasks", flags->tasks,
                  "Tasks CSV with header account_id,origin[,extra…]; extra columns are copied to the output. "
                  "Default: every 7 days from each account's first date + 90 to its last date − horizon")
      ->check(CLI::ExistingFile);
  cmd->add_option("--horizon", flags->horizon, "Window length in days: p_overdraft = P(any end-of-day balance < 0 in [origin, origin+horizon-1])")
      ->capture_default_str()
      ->check(CLI::Range(1, 366));
  cmd->add_option("--out", flags->out, "Output CSV: account_id,origin,p_overdraft[,extra…]")->required();
  cmd->add_option("--threads", flags->threads, "Worker threads (default: all cores); the output does not depend on it");
  cmd->add_option("--model", flags->model, "engine (default), or a baseline: drift, seasonal")->capture_default_str();
  cmd->add_option("--paths", flags->paths, "Monte Carlo paths per forecast")->capture_default_str()->check(CLI::Range(16, 4096));
  cmd->add_option("--seed", flags->seed, "Monte Carlo seed (same for every task: common random numbers)")->capture_default_str();
  return [flags] { return run_backtest(*flags); };
}

}  // namespace headroom::cli
