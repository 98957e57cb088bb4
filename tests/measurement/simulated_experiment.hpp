#pragma once
// A nudge experiment run fully in-process, for the honesty tests: the
// simulator plays a population day by day; during the experiment the real
// forecast engine (forecast_account on the history so far) and the real
// planner (nudges::plan) target the accounts, and the planned sends are
// delivered to the simulator. No database. docs/analysis.md ("How the
// estimates are checked") explains the sizes chosen here.
//
// Calendar (start = Monday 2025-01-06):
//   [start, pre_from)      warm-up: the engine needs history (min_history_days)
//   [pre_from, from)       pre-period: the CUPED covariates and the balance band
//   [from, to)             the experiment: forecasts, decisions, deliveries, outcomes
// and, with late_from_days > 0, a second analysis of [from + late_from_days,
// to) as `headroom report --from` a day inside the experiment gives it: the
// covariates where measurement/outcomes.hpp puts them (pre_period_window).
// Deterministic for a setup (the simulator, the engine and the assignment hash are).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forecast/date.hpp"
#include "measurement/experiment.hpp"
#include "measurement/truth.hpp"
#include "nudges/policy.hpp"

namespace headroom::measurement::testing {

struct ExperimentSetup {
  std::uint64_t seed = 1;
  std::uint32_t accounts = 2000;
  double holdout_share = 0.5;
  int warmup_days = 63;
  int pre_weeks = 3;
  int weeks = 8;
  int forecast_every_days = 7;   // forecast and plan as of from, from + k, from + 2k, ...
  bool forecast_holdout = true;  // holdout forecasts only feed the funnel and the targeted comparison
  int forecast_paths = 256;      // Monte Carlo paths of the projection (engine default)
  std::optional<double> forced_probability;  // ResponseParams::forced_probability
  int late_from_days = 0;  // 0: none; else a multiple of 7 below 7 * weeks
  // Copy variants, equal weights: (name, shift of the response's logit,
  // sim::ResponseParams::variant_logit). Empty: the default variant alone.
  std::vector<std::pair<std::string, double>> variants;
};

// One period of the experiment as the bank would analyse it.
struct AnalysedPeriod {
  AnalysisOptions options;
  std::vector<AccountOutcome> accounts;      // factual paths
  std::vector<AccountOutcome> never_nudged;  // counterfactual paths, same assignment
  TrueEffect truth;                          // over the treatment arm, in this period
};

struct SimulatedExperiment {
  AnalysisOptions options;
  nudges::Policy policy;  // the planner's; every account's variant is assigned_variant(policy, id)
  // What the bank sees: factual paths.
  std::vector<AccountOutcome> accounts;
  // The same accounts had nobody been nudged (counterfactual paths, same
  // assignment): an A/A experiment on the same population.
  std::vector<AccountOutcome> never_nudged;
  std::vector<ForecastOutcome> forecasts;  // forecasts whose window ended by `to`
  TrueEffect truth;                         // over the treatment arm
  std::size_t forecasts_made = 0;
  std::size_t nudges_delivered = 0;
  std::size_t nudges_acted_on = 0;
  std::optional<AnalysedPeriod> late;  // [from + late_from_days, to), when asked for
};

SimulatedExperiment run_simulated_experiment(const ExperimentSetup& setup);

// Runs setups on `threads` threads; results in setup order whatever the scheduling.
std::vector<SimulatedExperiment> run_simulated_experiments(const std::vector<ExperimentSetup>& setups,
                                                           unsigned threads);

}  // namespace headroom::measurement::testing
