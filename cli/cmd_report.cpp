// headroom report --experiment NAME --out DIR [--from --to]: the
// counterfactual report of a nudge experiment (docs/DESIGN.md, "Measurement").
// Loads the inputs (cli/experiment_inputs.hpp), analyses them
// (measurement/experiment.hpp) and writes index.html, report.json and the CSV
// tables into DIR. Nothing is written to the database.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/experiment_store.hpp"
#include "db/migrations.hpp"
#include "measurement/experiment.hpp"
#include "measurement/outcomes.hpp"
#include "measurement/report_csv.hpp"
#include "measurement/report_format.hpp"
#include "measurement/report_html.hpp"
#include "measurement/report_json.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"
#include "cli/experiment_inputs.hpp"

namespace headroom::cli {
namespace {

struct ReportFlags {
  std::string experiment;
  std::string from;
  std::string to;
  std::string out;
  int bootstrap = 0;
  std::uint64_t seed = 1;
  int horizon_days = 30;
  int pre_weeks = 8;
  int planned_weeks = 0;
  std::string fee_kinds = "fee";
  std::string overdraft_words = "overdraft,insufficient funds,nsf,od fee";
  std::string config_path;
};

std::optional<forecast::Date> date_flag(const std::string& name, const std::string& value) {
  if (value.empty()) return std::nullopt;
  const auto d = forecast::parse_iso_date(value);
  if (!d) throw UsageError(name + ": expected a date YYYY-MM-DD, got '" + value + "'");
  return d;
}

std::vector<std::string> comma_list(const std::string& name, const std::string& value) {
  std::vector<std::string> out;
  std::stringstream in(value);
  for (std::string item; std::getline(in, item, ',');) {
    const auto a = item.find_first_not_of(' ');
    const auto b = item.find_last_not_of(' ');
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  if (out.empty()) throw UsageError(name + ": expected a comma-separated list, got '" + value + "'");
  return out;
}

// Written beside and renamed into place: a reader never sees half a file.
void write_file(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open " + tmp + " for writing");
    out << content;
    out.close();
    if (!out) throw std::runtime_error("write failed on " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

CommandRunner add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report", "Counterfactual report of a nudge experiment: index.html, report.json and CSV tables");
  auto f = std::make_shared<ReportFlags>();
  add_config_option(*cmd, f->config_path);
  cmd->add_option("--experiment", f->experiment, "Experiment name (the policies' \"experiment\")")->required();
  cmd->add_option("--out", f->out, "Folder to write index.html, report.json and the CSV files into (created)")
      ->required();
  cmd->add_option("--from", f->from, "First day of the period, YYYY-MM-DD (default: first decision's as_of)");
  cmd->add_option("--to", f->to, "Day after the period, YYYY-MM-DD (default: last decision's as_of + 1)");
  cmd->add_option("--bootstrap", f->bootstrap, "Percentile bootstrap resamples on top of the delta method (0 = none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of the bootstrap resampling")->capture_default_str();
  cmd->add_option("--horizon", f->horizon_days, "The forecasts' window in days (as given to headroom run)")
      ->check(CLI::Range(1, 366))
      ->capture_default_str();
  cmd->add_option("--pre-weeks", f->pre_weeks, "Weeks before the experiment's first decision used as the CUPED pre-period")
      ->check(CLI::Range(0, 104))
      ->capture_default_str();
  cmd->add_option("--planned-weeks", f->planned_weeks,
                  "The experiment's planned length, fixed before the first look: the always-valid interval is "
                  "narrowest there (0 = the period's own length; docs/analysis.md, \"Looking every day\")")
      ->check(CLI::Range(0, 520))
      ->capture_default_str();
  cmd->add_option("--fee-kinds", f->fee_kinds, "Comma-separated transaction kinds that are fees (case-insensitive)")
      ->capture_default_str();
  cmd->add_option("--overdraft-words", f->overdraft_words,
                  "Comma-separated words that make a fee's description an overdraft fee (case-insensitive)")
      ->capture_default_str();
  return [f] {
    ExperimentRequest query;
    query.experiment = f->experiment;
    query.from = date_flag("--from", f->from);
    query.to = date_flag("--to", f->to);
    if (query.from && query.to && *query.to <= *query.from)
      throw UsageError("--to " + f->to + " must be after --from " + f->from);
    query.rules.horizon_days = f->horizon_days;
    query.rules.pre_period_weeks = f->pre_weeks;
    query.rules.fees.fee_kinds = comma_list("--fee-kinds", f->fee_kinds);
    query.rules.fees.overdraft_words = comma_list("--overdraft-words", f->overdraft_words);

    const Config config = load_config(f->config_path);
    db::DatabaseSession session{database_options(config.database)};
    auto conn = session.connect();
    db::require_current_schema(*conn);
    measurement::ExperimentInputs inputs;
    try {
      inputs = load_experiment_inputs(*conn, query);
    } catch (const db::UnknownExperiment& e) {
      std::fprintf(stderr, "headroom report: %s\n", e.what());
      return kExitRuntimeFailure;
    }

    measurement::AnalysisOptions options;
    options.from = inputs.from;
    options.to = inputs.to;
    options.experiment_start = inputs.experiment_start;
    options.pre_period = inputs.pre_period;
    options.holdout_share = inputs.holdout_share;
    options.bootstrap_resamples = f->bootstrap;
    options.bootstrap_seed = f->seed;
    options.planned_weeks = f->planned_weeks;
    measurement::ExperimentAnalysis analysis;
    try {
      analysis = measurement::analyze_experiment(f->experiment, inputs.accounts, inputs.forecasts, options);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "headroom report: experiment '%s' from %s to %s cannot be analysed: %s\n",
                   f->experiment.c_str(), forecast::to_iso_string(inputs.from).c_str(),
                   forecast::to_iso_string(inputs.to).c_str(), e.what());
      return kExitRuntimeFailure;
    }
    for (const auto& note : inputs.notes) analysis.caveats.push_back(note);
    analysis.clocks = inputs.clocks;

    const std::filesystem::path dir = f->out;
    std::filesystem::create_directories(dir);
    write_file(dir / "index.html", measurement::render_report_html(analysis));
    write_file(dir / "report.json", measurement::render_report_json(analysis));
    write_file(dir / "effects.csv", measurement::effects_csv(analysis));
    write_file(dir / "segments.csv", measurement::segments_csv(analysis));
    write_file(dir / "variants.csv", measurement::variants_csv(analysis));
    write_file(dir / "variant_pairs.csv", measurement::variant_pairs_csv(analysis));
    write_file(dir / "weekly.csv", measurement::weekly_csv(analysis));
    write_file(dir / "funnel.csv", measurement::funnel_csv(analysis));
    write_file(dir / "calibration.csv", measurement::calibration_csv(analysis));
    write_file(dir / "accounts.csv", measurement::accounts_csv(inputs.accounts));

    std::printf("experiment %s, %s to %s (exclusive): %zu accounts (%zu treatment, %zu holdout), %zu forecasts\n",
                f->experiment.c_str(), forecast::to_iso_string(inputs.from).c_str(),
                forecast::to_iso_string(inputs.to).c_str(), inputs.accounts.size(), analysis.sample_ratio.treatment,
                analysis.sample_ratio.holdout, inputs.forecasts.size());
    std::printf("%s\n", measurement::headline(analysis).c_str());
    std::printf("%s\n", measurement::sample_ratio_summary(analysis.sample_ratio).c_str());
    std::printf("wrote %s: index.html, report.json, effects.csv, segments.csv, variants.csv, variant_pairs.csv, "
                "weekly.csv, funnel.csv, calibration.csv, accounts.csv\n",
                dir.string().c_str());
    return kExitOk;
  };
}

}  // namespace headroom::cli
