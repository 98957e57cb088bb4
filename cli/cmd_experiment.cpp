// headroom experiment: a nudge experiment on a simulated population, run
// through the daemon's own code path day by day (docs/results.md).
//
//   warm-up   the simulator plays `--warmup-days` days with no nudges; the
//             rows are imported in bulk (the history the engine needs);
//   each day  the simulator posts day d's transactions, which are imported;
//             a full scoring cycle as of d + 1 forecasts every account and
//             decides nudges (treatment and logged holdout alike); the
//             delivery worker makes in-app nudges available and sends emails
//             over SMTP; every nudge that went out reaches the simulated
//             customer before day d + 1 is played;
//   at the end the simulator's truth (each treatment account's same future
//             without nudges) gives the true effect, written to --truth-out
//             for comparison with `headroom report`, which never reads it.
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "db/accounts.hpp"
#include "db/database.hpp"
#include "db/import.hpp"
#include "db/migrations.hpp"
#include "db/nudge_store.hpp"
#include "db/reset.hpp"
#include "measurement/truth.hpp"
#include "nudges/assignment.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"
#include "service/nudge_delivery.hpp"
#include "service/nudge_planning.hpp"
#include "service/scoring.hpp"
#include "sim/csv.hpp"
#include "sim/simulation.hpp"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;
using forecast::Date;

struct ExperimentFlags {
  std::uint32_t accounts = 20000;
  int warmup_days = 120;
  int days = 90;
  std::string start = "2025-01-01";
  std::uint64_t seed = 42;
  std::string experiment = "default";
  int horizon_days = 30;
  unsigned threads = 0;
  int accounts_per_chunk = 1000;
  bool reset = false;
  std::string truth_out;
  std::string work_dir;
  std::string config_path;
};

// Writes rows as a source-contract CSV and imports it through `headroom
// import`'s code path (all or nothing).
void import_rows(pqxx::connection& conn, const sim::Simulation& simulation, const std::vector<sim::SimTxn>& rows,
                 const std::vector<std::uint32_t>& owner, const fs::path& file, std::string& buffer,
                 const std::string& source) {
  buffer.assign(sim::kTransactionsHeader);
  for (std::size_t r = 0; r < rows.size(); ++r)
    sim::append_transaction_row(buffer, simulation.account(owner[r]).profile().account_id, rows[r]);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
  }
  db::ImportOptions options;
  options.source = source;
  db::import_transactions_csv(conn, file.string(), options);
}

std::vector<Date> dates_in(const std::vector<Date>& dates, Date from, Date to) {
  std::vector<Date> out;
  for (Date d : dates)
    if (d >= from && d < to) out.push_back(d);
  return out;
}

// The truth is written after the whole run: a path that cannot be written
// is refused now, not after the experiment's minutes are spent.
void refuse_unwritable_truth_out(const std::string& truth_out) {
  const fs::path path(truth_out);
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError("experiment: --truth-out " + truth_out + " is a directory");
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path& probe = fs::exists(path, ec) ? path : dir;
  if (::access(probe.c_str(), W_OK) != 0)
    throw UsageError("experiment: cannot write --truth-out " + truth_out + ": " + std::strerror(errno));
}

// Checks the schema (created by `headroom migrate` only); a database that
// already holds transactions is refused unless --reset empties it.
void prepare_database(pqxx::connection& conn, bool reset) {
  db::require_current_schema(conn);
  {
    pqxx::read_transaction tx(conn);
    const bool empty = tx.exec1("SELECT NOT EXISTS (SELECT 1 FROM headroom.transactions)")[0].as<bool>();
    if (!empty && !reset)
      throw UsageError(
          "experiment: the database already holds transactions; run it on a private database with --reset");
  }
  if (reset) db::delete_all_data(conn);
}

// The experiment's policy: its holdout share decides who is treated.
double experiment_holdout_share(pqxx::connection& conn, const std::string& experiment) {
  double holdout_share = -1;
  bool live = false;
  {
    pqxx::read_transaction tx(conn);
    for (const auto& p : db::load_active_policies(tx).policies)
      if (p.policy.experiment == experiment) {
        holdout_share = p.policy.holdout_share;
        live = live || !p.policy.shadow;
      }
  }
  if (holdout_share < 0)
    throw UsageError("experiment: no active nudge policy runs experiment '" + experiment + "'");
  // A fresh install ships the default policy in shadow mode (migration 0014).
  if (!live)
    spdlog::warn("[experiment] every policy of experiment '{}' is in shadow mode: nothing will be sent and the "
                 "effect measured is zero by construction; set shadow = false (e.g. in a [[policies]] table of "
                 "--config) to test the nudges",
                 experiment);
  return holdout_share;
}

// The folder of the daily import files: --work-dir, or a temporary one.
fs::path experiment_work_dir(const std::string& work_dir) {
  const fs::path work = work_dir.empty()
                            ? fs::temp_directory_path() / ("headroom-experiment-" + std::to_string(::getpid()))
                            : fs::path(work_dir);
  fs::create_directories(work);
  return work;
}

void register_accounts(pqxx::connection& conn, const sim::Simulation& simulation) {
  std::vector<db::AccountRecord> accounts;
  accounts.reserve(simulation.size());
  for (std::size_t i = 0; i < simulation.size(); ++i) {
    const auto& p = simulation.account(i).profile();
    // Simulated customers have consented to email: the simulator models
    // their response to it. Addresses are on the reserved .test domain.
    accounts.push_back({p.account_id, p.time_zone, "USD", std::nullopt, p.email, true});
  }
  db::upsert_accounts(conn, accounts);
}

// Warm-up: history without nudges, imported in one go. `buffer` and `owner`
// are the day loop's, reused.
void import_warmup(pqxx::connection& conn, sim::Simulation& simulation, const ExperimentFlags& f,
                   const fs::path& file, std::string& buffer, std::vector<std::uint32_t>& owner) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<sim::SimTxn> rows;
  std::vector<std::uint32_t> owners;
  for (int d = 0; d < f.warmup_days; ++d) {
    const auto& day_rows = simulation.advance_day_raw(&owner);
    rows.insert(rows.end(), day_rows.begin(), day_rows.end());
    owners.insert(owners.end(), owner.begin(), owner.end());
  }
  import_rows(conn, simulation, rows, owners, file, buffer, "headroom experiment warm-up");
  std::printf("experiment: %u accounts, %d warm-up days (%s to %s): %zu transactions imported in %.1f s\n",
              f.accounts, f.warmup_days, f.start.c_str(),
              forecast::to_iso_string(simulation.current_day() - Date::duration(1)).c_str(), rows.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// Fees charged to each account so far, on the path it lives.
std::vector<std::int64_t> fees_charged(const sim::Simulation& simulation) {
  std::vector<std::int64_t> fee_cents(simulation.size());
  for (std::size_t i = 0; i < simulation.size(); ++i) fee_cents[i] = simulation.account(i).factual().fee_cents;
  return fee_cents;
}

service::ScoringSettings scoring_settings(const ExperimentFlags& f, const Config& config,
                                          const edge::SmtpSettings& smtp) {
  service::ScoringSettings scoring;
  scoring.replica_id = service::default_replica_id();
  scoring.worker_threads = f.threads;
  scoring.accounts_per_chunk = f.accounts_per_chunk;
  scoring.forecast.projection.horizon_days = f.horizon_days;
  scoring.history_cache = std::make_shared<service::HistoryCache>();
  scoring.nudges.from_address = smtp.from;
  scoring.nudges.unsubscribe_secret = config.http.unsubscribe_secret;
  scoring.nudges.unsubscribe_base_url = config.http.unsubscribe_base_url;
  scoring.nudges.bank_unsubscribe_url = config.http.bank_unsubscribe_url;
  return scoring;
}

// Nudges that reached simulated customers, and how many of them acted.
struct NudgeCounts {
  std::size_t in_app = 0;
  std::size_t email = 0;
  std::size_t acted = 0;
};

// Every nudge the worker marked sent since `since` reaches its simulated
// customer, sent at `sent_at`.
NudgeCounts hand_to_customers(pqxx::connection& conn, sim::Simulation& simulation, double since,
                              std::chrono::sys_seconds sent_at) {
  NudgeCounts counts;
  for (const auto& n : db::read_deliveries_since(conn, since)) {
    const auto index = simulation.find(n.account_id);
    if (!index) continue;
    sim::NudgeDelivery delivered;
    delivered.channel = n.channel == nudges::Channel::kEmail ? sim::Channel::kEmail : sim::Channel::kInApp;
    delivered.sent_at = sent_at;
    delivered.lead_time_days = n.lead_time_days;
    delivered.variant = n.variant;
    delivered.risky_day = n.risky_day;
    const auto outcome = simulation.deliver(*index, delivered);
    (n.channel == nudges::Channel::kEmail ? counts.email : counts.in_app) += 1;
    counts.acted += outcome.acted ? 1 : 0;
  }
  return counts;
}

// The truth, over the treatment arm: what happened versus the same
// accounts' futures without nudges, over [from, to).
struct TreatmentTruth {
  std::size_t accounts = 0;
  measurement::TrueEffect incidence;
  double fee_factual = 0;  // cents charged over [from, to), summed over the arm
  double fee_counterfactual = 0;
};

TreatmentTruth treatment_truth(const sim::Simulation& simulation, const ExperimentFlags& f, double holdout_share,
                               const std::vector<std::int64_t>& warmup_fee_cents, Date from, Date to) {
  std::vector<std::vector<Date>> factual, counterfactual;
  TreatmentTruth t;
  for (std::size_t i = 0; i < simulation.size(); ++i) {
    const auto& a = simulation.account(i);
    if (nudges::in_holdout(f.experiment, a.profile().account_id, holdout_share)) continue;
    ++t.accounts;
    const auto truth = simulation.truth(i);
    factual.push_back(dates_in(truth.factual.overdraft_dates, from, to));
    counterfactual.push_back(dates_in(truth.counterfactual.overdraft_dates, from, to));
    t.fee_factual += static_cast<double>(truth.factual.fee_cents - warmup_fee_cents[i]);
    t.fee_counterfactual += static_cast<double>(truth.counterfactual.fee_cents - warmup_fee_cents[i]);
  }
  t.incidence = measurement::true_incidence_effect(factual, counterfactual, from, to);
  return t;
}

nlohmann::json truth_json(const ExperimentFlags& f, Date from, Date to, const TreatmentTruth& t,
                          const NudgeCounts& delivered) {
  const auto& effect = t.incidence;
  const double n = t.accounts ? static_cast<double>(t.accounts) : 1.0;
  const double fee_factual = t.fee_factual;
  const double fee_counterfactual = t.fee_counterfactual;
  return {
      {"experiment", f.experiment},
      {"from", forecast::to_iso_string(from)},
      {"to", forecast::to_iso_string(to)},
      {"seed", f.seed},
      {"accounts", f.accounts},
      {"treatment_accounts", t.accounts},
      {"nudges_delivered", {{"in_app", delivered.in_app}, {"email", delivered.email}, {"acted_on", delivered.acted}}},
      {"overdraft_incidence",
       {{"with_nudges", effect.factual_incidence},
        {"without_nudges", effect.counterfactual_incidence},
        {"absolute", effect.absolute},
        {"relative", effect.relative}}},
      {"fees_cents_per_account",
       {{"with_nudges", fee_factual / n},
        {"without_nudges", fee_counterfactual / n},
        {"absolute", (fee_factual - fee_counterfactual) / n},
        {"relative", fee_counterfactual > 0 ? (fee_factual - fee_counterfactual) / fee_counterfactual : 0.0}}}};
}

void write_truth(const std::string& path, const nlohmann::json& truth) {
  std::ofstream out(path, std::ios::trunc);
  out << truth.dump(2) << '\n';
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

void print_truth(const TreatmentTruth& t, Date from, Date to) {
  const auto& effect = t.incidence;
  const double n = t.accounts ? static_cast<double>(t.accounts) : 1.0;
  const double fee_factual = t.fee_factual;
  const double fee_counterfactual = t.fee_counterfactual;
  std::printf("experiment: simulator's truth over the %zu treatment accounts, %s to %s: overdraft incidence %.4f "
              "with nudges vs %.4f without (%+.1f%%); fees %.2f vs %.2f per account (%+.1f%%)\n",
              t.accounts, forecast::to_iso_string(from).c_str(), forecast::to_iso_string(to).c_str(),
              effect.factual_incidence, effect.counterfactual_incidence, 100 * effect.relative, fee_factual / n / 100,
              fee_counterfactual / n / 100,
              fee_counterfactual > 0 ? 100 * (fee_factual - fee_counterfactual) / fee_counterfactual : 0.0);
}

int run_experiment(const ExperimentFlags& f) {
  const auto start = forecast::parse_iso_date(f.start);
  if (!start) throw UsageError("experiment: --start must be YYYY-MM-DD, got '" + f.start + "'");
  // Read (and validated, SMTP too) before anything touches the database: a
  // bad value is a usage error, not a failure after --reset emptied it.
  const Config config = load_config(f.config_path, ConfigAreas{.smtp = true});
  // Read (and validated) before anything touches the database: a bad value
  // is a usage error, not a failure after --reset emptied it.
  const edge::SmtpSettings smtp = mailer_settings(config.smtp);
  if (!f.truth_out.empty()) refuse_unwritable_truth_out(f.truth_out);
  db::DatabaseSession session(database_options(config.database));
  auto conn = session.connect();
  prepare_database(*conn, f.reset);
  // The configuration's policies, as `run` stores them at start.
  if (!config.policies.empty()) db::store_policies(*conn, config.policies);
  const double holdout_share = experiment_holdout_share(*conn, f.experiment);

  const fs::path work = experiment_work_dir(f.work_dir);
  const fs::path day_file = work / "day.csv";

  sim::SimParams params;
  sim::Simulation simulation(params, f.seed, f.accounts, *start);
  register_accounts(*conn, simulation);

  const auto t0 = std::chrono::steady_clock::now();
  std::string buffer;
  std::vector<std::uint32_t> owner;
  import_warmup(*conn, simulation, f, work / "warmup.csv", buffer, owner);
  const std::vector<std::int64_t> warmup_fee_cents = fees_charged(simulation);

  service::ScoringSettings scoring = scoring_settings(f, config, smtp);

  // The simulated instant of each day's planning and delivery.
  std::chrono::sys_seconds simulated_now{};
  service::DeliverySettings delivery;
  delivery.replica_id = scoring.replica_id;
  delivery.clock = [&simulated_now] { return std::chrono::system_clock::time_point(simulated_now); };
  // Planning reads the same instant: planning_time(as_of, simulated_now) is simulated_now.
  scoring.clock = delivery.clock;
  scoring.clock_kind = db::CycleClock::simulated;
  service::DeliveryWorker worker{delivery, service::make_mailer(smtp), smtp.from};

  const Date from = simulation.current_day() + Date::duration(1);  // the first as_of of the experiment
  std::printf("experiment '%s': %d days from %s, holdout share %.2f, email %s\n", f.experiment.c_str(), f.days,
              forecast::to_iso_string(from).c_str(), holdout_share,
              worker.email_enabled() ? "on (SMTP)" : "off (HEADROOM_SMTP_URL unset)");
  std::fflush(stdout);
  std::atomic<bool> stop{false};
  NudgeCounts total;
  const auto loop_start = std::chrono::steady_clock::now();
  for (int e = 0; e < f.days; ++e) {
    const auto day_start = std::chrono::steady_clock::now();
    const Date day = simulation.current_day();
    const auto& rows = simulation.advance_day_raw(&owner);
    import_rows(*conn, simulation, rows, owner, day_file, buffer, "headroom experiment " + forecast::to_iso_string(day));
    const auto imported = std::chrono::steady_clock::now();
    const Date as_of = day + Date::duration(1);
    simulated_now = service::planning_time(as_of, std::chrono::system_clock::now());
    const service::CycleResult cycle = service::run_scoring_cycle(*conn, as_of, scoring, stop, false);
    if (!cycle.finished) throw std::runtime_error("experiment: the cycle as of " + forecast::to_iso_string(as_of) + " did not finish");
    const auto scored = std::chrono::steady_clock::now();
    const double since = db::server_clock_seconds(*conn);
    worker.deliver_due(*conn, stop);
    const NudgeCounts day_nudges = hand_to_customers(*conn, simulation, since, simulated_now);
    total.in_app += day_nudges.in_app;
    total.email += day_nudges.email;
    total.acted += day_nudges.acted;
    if (e % 5 == 4 || e + 1 == f.days || e == 0) {
      const auto now = std::chrono::steady_clock::now();
      const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
      std::printf("  day %3d/%d  as of %s: %zu accounts scored, nudges out %zu in-app + %zu email, %zu acted on "
                  "(day %.1f s: import %.1f, forecasts %.1f, writes %.1f, delivery %.1f; %.0f s so far)\n",
                  e + 1, f.days, forecast::to_iso_string(as_of).c_str(), cycle.accounts_scored, day_nudges.in_app,
                  day_nudges.email, day_nudges.acted, secs(now - day_start), secs(imported - day_start),
                  cycle.forecast_seconds, cycle.write_seconds, secs(now - scored), secs(now - loop_start));
      std::fflush(stdout);
    }
  }
  const Date to = simulation.current_day() + Date::duration(1);  // the day after the last as_of

  const TreatmentTruth truth = treatment_truth(simulation, f, holdout_share, warmup_fee_cents, from, to);
  if (!f.truth_out.empty()) write_truth(f.truth_out, truth_json(f, from, to, truth, total));
  if (f.work_dir.empty()) fs::remove_all(work);
  std::printf("experiment: done in %.0f s; %zu in-app and %zu email nudges delivered, %zu acted on\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), total.in_app,
              total.email, total.acted);
  print_truth(truth, from, to);
  return kExitOk;
}

}  // namespace

CommandRunner add_experiment_command(CLI::App& app) {
  auto f = std::make_shared<ExperimentFlags>();
  auto* cmd = app.add_subcommand(
      "experiment",
      "Run a nudge experiment on a simulated population through the daemon's code path, one simulated day at a "
      "time (import, scoring cycle, decisions, in-app and SMTP delivery, customer responses), and write the "
      "simulator's true effect. Needs a private database (--reset empties it). Email goes out when "
      "HEADROOM_SMTP_URL is set.");
  add_config_option(*cmd, f->config_path);
  cmd->add_option("--accounts", f->accounts, "Simulated accounts")->check(CLI::Range(1u, 10'000'000u))->capture_default_str();
  cmd->add_option("--warmup-days", f->warmup_days, "Days of history before the experiment, without nudges")
      ->check(CLI::Range(1, 3660))->capture_default_str();
  cmd->add_option("--days", f->days, "Days of experiment")->check(CLI::Range(1, 3660))->capture_default_str();
  cmd->add_option("--start", f->start, "First simulated date, YYYY-MM-DD")->capture_default_str();
  cmd->add_option("--seed", f->seed, "Simulator seed; same seed, same population and responses")->capture_default_str();
  cmd->add_option("--experiment", f->experiment, "Experiment name of the active policy to run")->capture_default_str();
  cmd->add_option("--horizon", f->horizon_days, "Forecast horizon in days")->check(CLI::Range(1, 366))->capture_default_str();
  cmd->add_option("--threads", f->threads, "Scoring threads (default: one per core)");
  cmd->add_option("--accounts-per-chunk", f->accounts_per_chunk, "Accounts per scoring chunk (one transaction)")
      ->check(CLI::Range(1, 1'000'000))->capture_default_str();
  cmd->add_flag("--reset", f->reset, "Empty the database's accounts, transactions, forecasts and nudges first");
  cmd->add_option("--truth-out", f->truth_out, "Write the simulator's true effect here (JSON)");
  cmd->add_option("--work-dir", f->work_dir, "Folder for the daily import files (default: a temporary folder)");
  return [f] { return run_experiment(*f); };
}

}  // namespace headroom::cli
