// `headroom simulate`: synthetic population to CSV files (or, later, Postgres),
// a summary of its overdraft statistics, or a day-by-day stepped run.
// The model lives in sim/; this file only parses flags and writes files.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

#include "db/accounts.hpp"
#include "db/database.hpp"
#include "db/import.hpp"
#include "db/migrations.hpp"
#include "forecast/date.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"
#include "sim/csv.hpp"
#include "sim/population.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"

namespace headroom::cli {
namespace {

struct SimulateFlags {
  std::uint32_t accounts = 10000;
  int days = 365;
  std::string start = "2025-01-01";
  std::uint64_t seed = 1;
  std::string csv;
  std::string accounts_csv;
  std::string truth_csv;
  std::string step_csv_dir;
  bool db = false;
  bool summary = false;
  int threads = 0;
  std::string config_path;
};

// An output file written with large fwrite()s; errors name the file.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) throw std::runtime_error("cannot open " + path + " for writing");
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (file_) std::fclose(file_);
  }
  void write(std::string_view text) {
    if (!text.empty() && std::fwrite(text.data(), 1, text.size(), file_) != text.size())
      throw std::runtime_error("write failed on " + path_);
  }
  void close() {
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw std::runtime_error("write failed on " + path_);
  }

 private:
  std::string path_;
  std::FILE* file_;
};

int run_batch(const SimulateFlags& f, const sim::SimParams& params, forecast::Date start) {
  sim::PopulationOptions o;
  o.accounts = f.accounts;
  o.days = f.days;
  o.start = start;
  o.seed = f.seed;
  o.threads = f.threads;
  o.transactions = !f.csv.empty();
  o.accounts_table = !f.accounts_csv.empty();
  o.truth_table = !f.truth_csv.empty();

  std::unique_ptr<OutputFile> txns, accounts, truth;
  if (o.transactions) {
    txns = std::make_unique<OutputFile>(f.csv);
    txns->write(sim::kTransactionsHeader);
  }
  if (o.accounts_table) {
    accounts = std::make_unique<OutputFile>(f.accounts_csv);
    accounts->write(sim::kAccountsHeader);
  }
  if (o.truth_table) {
    truth = std::make_unique<OutputFile>(f.truth_csv);
    truth->write(sim::kTruthHeader);
  }
  const sim::PopulationSummary summary = sim::simulate_population(params, o, [&](const sim::ChunkOutput& c) {
    if (txns) txns->write(c.transactions);
    if (accounts) accounts->write(c.accounts);
    if (truth) truth->write(c.truth);
  });
  if (txns) txns->close();
  if (accounts) accounts->close();
  if (truth) truth->close();
  if (f.summary) std::fputs(sim::format_summary(summary, o).c_str(), stdout);
  return kExitOk;
}

// Day-by-day through the stepping API: one transactions file per day, as the
// engine would receive them in lockstep, then the accounts and truth tables.
int run_stepped(const SimulateFlags& f, const sim::SimParams& params, forecast::Date start) {
  namespace fs = std::filesystem;
  fs::create_directories(f.step_csv_dir);
  sim::Simulation simulation(params, f.seed, f.accounts, start);
  std::vector<std::uint32_t> owner;
  std::string buffer;
  for (int d = 0; d < f.days; ++d) {
    const forecast::Date day = simulation.current_day();
    const auto& rows = simulation.advance_day_raw(&owner);
    buffer.assign(sim::kTransactionsHeader);
    for (std::size_t r = 0; r < rows.size(); ++r)
      sim::append_transaction_row(buffer, simulation.account(owner[r]).profile().account_id, rows[r]);
    OutputFile out((fs::path(f.step_csv_dir) / ("transactions-" + forecast::to_iso_string(day) + ".csv")).string());
    out.write(buffer);
    out.close();
  }
  buffer.assign(sim::kAccountsHeader);
  for (std::size_t i = 0; i < simulation.size(); ++i) sim::append_account_row(buffer, simulation.account(i).profile());
  OutputFile accounts((fs::path(f.step_csv_dir) / "accounts.csv").string());
  accounts.write(buffer);
  accounts.close();
  buffer.assign(sim::kTruthHeader);
  for (std::size_t i = 0; i < simulation.size(); ++i) sim::append_truth_row(buffer, simulation.account(i));
  OutputFile truth((fs::path(f.step_csv_dir) / "truth.csv").string());
  truth.write(buffer);
  truth.close();
  if (f.summary) {
    sim::PopulationSummary summary;
    for (std::size_t i = 0; i < simulation.size(); ++i) summary.add(simulation.account(i));
    sim::PopulationOptions o;
    o.accounts = f.accounts;
    o.days = f.days;
    o.start = start;
    o.seed = f.seed;
    std::fputs(sim::format_summary(summary, o).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

CommandRunner add_simulate_command(CLI::App& app) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Generate a synthetic bank population (transactions in the source-contract CSV format, accounts, ground "
      "truth) and print its overdraft statistics. Parameters: sim/params.hpp; docs/simulator.md.");
  cmd->add_option("--accounts", flags->accounts, "Number of accounts")->check(CLI::Range(1u, 100000000u))
      ->capture_default_str();
  cmd->add_option("--days", flags->days, "Number of days to simulate")->check(CLI::Range(1, 36600))
      ->capture_default_str();
  cmd->add_option("--start", flags->start, "First simulated date, YYYY-MM-DD")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Random seed; same seed, same bytes")->capture_default_str();
  cmd->add_option("--csv", flags->csv, "Write transactions here (sorted by account_id, posted_at)");
  cmd->add_option("--accounts-csv", flags->accounts_csv,
                  "Write the accounts table here (time zone, currency, email on example.test, segment labels)");
  cmd->add_option("--truth-csv", flags->truth_csv,
                  "Write ground truth here (overdraft days and fees with/without nudges, shocks); the engine never "
                  "reads it");
  cmd->add_flag("--db", flags->db,
                "Import the transactions into headroom.transactions (HEADROOM_DATABASE_URL or the embedded "
                "cluster) instead of --csv; --accounts-csv/--truth-csv still write files");
  add_config_option(*cmd, flags->config_path);
  cmd->add_option("--step-csv-dir", flags->step_csv_dir,
                  "Step day by day through the lockstep API, writing transactions-YYYY-MM-DD.csv per day plus "
                  "accounts.csv and truth.csv into this folder");
  cmd->add_flag("--summary", flags->summary,
                "Print overdraft statistics: share of accounts overdrawn, overdraft days per account-month, fees, "
                "income-pattern mix, overdrafts by days since payday");
  cmd->add_option("--threads", flags->threads, "Worker threads (default: all cores); output does not depend on it")
      ->check(CLI::Range(0, 256));

  return [flags]() -> int {
    const SimulateFlags& f = *flags;
    const auto start = forecast::parse_iso_date(f.start);
    if (!start) throw UsageError("simulate: --start must be a date YYYY-MM-DD, got '" + f.start + "'");
    const bool csv = !f.csv.empty() || !f.accounts_csv.empty() || !f.truth_csv.empty();
    if (!csv && !f.db && f.step_csv_dir.empty() && !f.summary)
      throw UsageError("simulate: give --csv FILE, --db, --step-csv-dir DIR or --summary");
    if (f.db && (!f.csv.empty() || !f.step_csv_dir.empty()))
      throw UsageError("simulate: --db cannot be combined with --csv or --step-csv-dir");
    if (!f.step_csv_dir.empty() && csv)
      throw UsageError("simulate: --step-csv-dir writes its own files; drop --csv/--accounts-csv/--truth-csv");
    SimulateFlags effective = f;
    if (effective.threads <= 0) effective.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    sim::SimParams params;
    params.horizon_days = f.days;
    if (!f.step_csv_dir.empty()) return run_stepped(effective, params, *start);
    if (!f.db) return run_batch(effective, params, *start);

    // --db: the same bytes as --csv, through a temporary file and `headroom import`'s code path.
    const Config config = load_config(f.config_path);
    db::DatabaseSession session(database_options(config.database));
    auto conn = session.connect();
    db::require_current_schema(*conn);
    const auto temp = std::filesystem::temp_directory_path() /
                      ("headroom-simulate-" + std::to_string(f.seed) + "-" + std::to_string(::getpid()) + ".csv");
    effective.csv = temp.string();
    struct Remove {
      std::filesystem::path path;
      ~Remove() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
    } remove{temp};
    run_batch(effective, params, *start);
    db::ImportOptions options;
    options.source = "headroom simulate --seed " + std::to_string(f.seed);
    const auto summary = db::import_transactions_csv(*conn, effective.csv, options);
    std::printf("simulate: %s\n", db::format_summary(effective.csv, summary).c_str());
    // The accounts table gets what --accounts-csv writes (time zone, USD,
    // email on .test); profiles are a pure function of (seed, index), so they
    // are drawn again rather than kept from the run. Simulated customers have
    // consented to email: the simulator models their response to email nudges.
    std::vector<db::AccountRecord> accounts;
    accounts.reserve(f.accounts);
    for (std::uint32_t i = 0; i < f.accounts; ++i) {
      const sim::AccountProfile p = sim::draw_profile(params, f.seed, i, *start);
      accounts.push_back({p.account_id, p.time_zone, "USD", std::nullopt, p.email, true});
    }
    const std::size_t written = db::upsert_accounts(*conn, accounts);
    std::printf("simulate: headroom.accounts: %zu accounts written\n", written);
    return kExitOk;
  };
}

}  // namespace headroom::cli
