// headroom evaluate: scores a backtest's predictions against what happened.
// Outcome of (account, origin): some end-of-day balance < 0 in
// [origin, origin + horizon − 1], from all of the account's transactions.
// Origins whose window runs past the account's last posted date are skipped
// (counted). Strata: all origins, and origins whose end-of-day balance the day
// before is ≥ 0 (the ones a nudge can still help).
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forecast/account_book.hpp"
#include "forecast/evaluation.hpp"
#include "forecast/history.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/transactions_csv.hpp"
#include "cli/command.hpp"

namespace headroom::cli {
namespace {

struct EvaluateFlags {
  std::string predictions;
  std::string transactions;
  int horizon = 14;
  double budget = 0.1;
  std::string label;
  std::string json_out;
};

struct Prediction {
  std::string account_id;
  forecast::Date origin{};
  double p = 0;
};

std::vector<Prediction> read_predictions(const std::string& path) {
  ingest::CsvRecordReader reader(path);
  ingest::CsvRecord rec;
  std::vector<Prediction> out;
  if (!reader.next(rec) || rec.fields.size() < 3 || rec.fields[0] != "account_id" || rec.fields[1] != "origin" ||
      rec.fields[2] != "p_overdraft")
    throw std::runtime_error(path + ":1: header: must start with account_id,origin,p_overdraft");
  while (reader.next(rec)) {
    if (rec.raw.empty()) continue;
    const std::string where = path + ":" + std::to_string(rec.line) + ": ";
    if (!rec.error.empty()) throw std::runtime_error(where + "record: " + std::string(rec.error));
    if (rec.fields.size() < 3) throw std::runtime_error(where + "p_overdraft: missing");
    const auto origin = forecast::parse_iso_date(rec.fields[1]);
    if (!origin) throw std::runtime_error(where + "origin: not a YYYY-MM-DD date");
    double p = 0;
    try {
      std::size_t used = 0;
      p = std::stod(std::string(rec.fields[2]), &used);
      if (used != rec.fields[2].size() || !(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("range");
    } catch (const std::exception&) {
      throw std::runtime_error(where + "p_overdraft: not a probability in [0, 1]");
    }
    out.push_back(Prediction{std::string(rec.fields[0]), *origin, p});
  }
  return out;
}

nlohmann::json to_json(const forecast::BinaryScores& s) {
  return {{"n", s.n},           {"positives", s.positives}, {"base_rate", s.base_rate},
          {"roc_auc", s.roc_auc}, {"pr_auc", s.pr_auc},     {"brier", s.brier},
          {"brier_skill", s.brier_skill}, {"ece", s.ece},   {"recall_at_budget", s.recall_at_budget},
          {"budget_share", s.budget_share}, {"mean_prediction", s.mean_prediction}};
}

void print_row(const char* stratum, const forecast::BinaryScores& s) {
  std::printf("%-8s %8lld %7lld %6.4f %7.4f %7.4f %7.4f %8.4f %7.4f %8.4f %7.4f\n", stratum, static_cast<long long>(s.n),
              static_cast<long long>(s.positives), s.base_rate, s.roc_auc, s.pr_auc, s.brier, s.brier_skill, s.ece,
              s.recall_at_budget, s.mean_prediction);
}

int run_evaluate(const EvaluateFlags& flags) {
  const auto preds = read_predictions(flags.predictions);
  const forecast::AccountBook book = forecast::group_by_account(ingest::read_transactions_csv(flags.transactions));

  // One full history per account (all rows visible), reused for every origin.
  struct Realized {
    forecast::AccountHistory history;
    forecast::Date last{};
  };
  std::unordered_map<std::string, Realized> realized;
  for (const auto& id : book.order) {
    const auto rows = book.all(id);
    Realized r;
    r.last = rows.back().posted_at;
    r.history = forecast::build_history(rows, r.last + forecast::Days{1});
    realized.emplace(id, std::move(r));
  }

  std::vector<double> p_all, p_nonneg;
  std::vector<std::uint8_t> y_all, y_nonneg;
  std::size_t unresolved = 0, unknown = 0;
  for (const auto& pr : preds) {
    const auto it = realized.find(pr.account_id);
    if (it == realized.end()) {
      ++unknown;
      continue;
    }
    const auto& h = it->second.history;
    const forecast::Date window_end = pr.origin + forecast::Days{flags.horizon - 1};
    if (window_end > it->second.last) {
      ++unresolved;
      continue;
    }
    const int first = forecast::days_between(h.first_date, pr.origin);
    bool overdraft = false;
    for (int d = std::max(first, 0); d <= first + flags.horizon - 1; ++d)
      overdraft |= h.end_of_day_balance[static_cast<std::size_t>(d)].cents() < 0;
    // Before the first row the balance is the opening one (the first day's balance minus its flow).
    const std::int64_t current = first >= 1 ? h.end_of_day_balance[static_cast<std::size_t>(first - 1)].cents() : 0;
    p_all.push_back(pr.p);
    y_all.push_back(overdraft);
    if (current >= 0) {
      p_nonneg.push_back(pr.p);
      y_nonneg.push_back(overdraft);
    }
  }
  const auto all = forecast::score_predictions(p_all, y_all, flags.budget);
  const auto nonneg = forecast::score_predictions(p_nonneg, y_nonneg, flags.budget);
  std::printf("# %s horizon=%d budget=%.0f%% skipped: %zu window past data, %zu unknown account\n",
              flags.label.empty() ? flags.predictions.c_str() : flags.label.c_str(), flags.horizon, flags.budget * 100,
              unresolved, unknown);
  std::printf("%-8s %8s %7s %6s %7s %7s %7s %8s %7s %8s %7s\n", "stratum", "n", "pos", "base", "roc_auc", "pr_auc",
              "brier", "skill", "ece", "recall@b", "mean_p");
  print_row("all", all);
  print_row("nonneg", nonneg);
  if (!flags.json_out.empty()) {
    nlohmann::json j = {{"label", flags.label}, {"predictions", flags.predictions}, {"horizon", flags.horizon},
                        {"skipped_past_data", unresolved}, {"skipped_unknown_account", unknown},
                        {"all", to_json(all)}, {"nonneg", to_json(nonneg)}};
    std::ofstream out(flags.json_out, std::ios::trunc);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + flags.json_out);
  }
  return kExitOk;
}

}  // namespace

CommandRunner add_evaluate_command(CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  auto* cmd = app.add_subcommand(
      "evaluate", "Score backtest predictions: ROC AUC, PR AUC, Brier (+skill), ECE, recall at a nudge budget");
  cmd->add_option("--predictions", flags->predictions, "Backtest output: account_id,origin,p_overdraft[,…]")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--transactions", flags->transactions, "The transactions CSV the outcomes come from")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--horizon", flags->horizon, "Window length in days (as given to backtest)")
      ->capture_default_str()
      ->check(CLI::Range(1, 366));
  cmd->add_option("--budget", flags->budget, "Nudge budget: share of origins nudged, highest p first")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--label", flags->label, "Name printed with the scores (e.g. the model)");
  cmd->add_option("--json", flags->json_out, "Also write the scores as JSON here");
  return [flags] { return run_evaluate(*flags); };
}

}  // namespace headroom::cli
