// Is the estimate honest? One hundred seeded simulated experiments, each run
// through the simulator, the real forecast engine and the real planner, then
// analysed like the bank's data (factual paths only) and compared with the
// simulator's truth. docs/analysis.md, "How the estimates are checked".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/measurement/simulated_experiment.hpp"

namespace headroom::measurement::testing {
namespace {

constexpr int kRuns = 100;
// Both cores of the project machine (more where there are more); results do
// not depend on it.
const unsigned kThreads = std::max(2u, std::thread::hardware_concurrency());

ExperimentSetup honesty_setup(std::uint64_t seed) {
  ExperimentSetup s;
  s.seed = seed;
  s.accounts = 1000;
  s.holdout_share = 0.5;
  s.forecast_every_days = 7;
  s.forecast_holdout = false;  // holdout forecasts change no outcome; they only feed the funnel
  // Also analysed from 28 days in, as `headroom report --from` a day inside
  // the experiment: CUPED's covariate must still predate the nudges.
  s.late_from_days = 28;
  return s;
}

double width(const Interval& i) { return i.high - i.low; }
bool covers(const Interval& i, double v) { return i.low <= v && v <= i.high; }

// One test, so that the hundred experiments are simulated once (CTest runs
// each test in its own process).
TEST(Honesty, IntervalsCoverTheTrueEffectAAFindsLittleAndCupedNarrowsOverOneHundredSeededExperiments) {
  std::vector<ExperimentSetup> setups;
  for (int k = 1; k <= kRuns; ++k) setups.push_back(honesty_setup(static_cast<std::uint64_t>(k)));
  const std::vector<SimulatedExperiment> runs = run_simulated_experiments(setups, kThreads);

  int covered = 0, cuped_covered = 0, bootstrap_covered = 0;
  int aa_significant = 0, aa_cuped_significant = 0;
  int cuped_narrower = 0;
  int late_covered = 0, late_cuped_covered = 0, late_cuped_primary = 0, late_aa_cuped_significant = 0;
  double sum_late_truth = 0, sum_late_estimate = 0, sum_late_cuped_estimate = 0, sum_late_cuped_moved = 0;
  double sum_width = 0, sum_cuped_width = 0, sum_truth = 0, sum_estimate = 0, sum_reduction = 0;
  std::size_t delivered = 0, acted = 0;
  for (const SimulatedExperiment& r : runs) {
    AnalysisOptions options = r.options;
    options.bootstrap_resamples = 400;
    options.bootstrap_seed = 7;
    const ExperimentAnalysis a = analyze_experiment("honesty", r.accounts, {}, options);
    const Effect& e = a.effects.at(0);
    ASSERT_EQ(e.metric, "overdraft_incidence");
    ASSERT_FALSE(a.sample_ratio.mismatch);
    covered += covers(e.absolute_ci, r.truth.absolute) ? 1 : 0;
    cuped_covered += covers(e.cuped_absolute_ci, r.truth.absolute) ? 1 : 0;
    bootstrap_covered += covers(*e.absolute_ci_bootstrap, r.truth.absolute) ? 1 : 0;
    cuped_narrower += width(e.cuped_absolute_ci) < width(e.absolute_ci) ? 1 : 0;
    sum_width += width(e.absolute_ci);
    sum_cuped_width += width(e.cuped_absolute_ci);
    sum_truth += r.truth.absolute;
    sum_estimate += e.absolute;
    sum_reduction += e.variance_reduction;
    delivered += r.nudges_delivered;
    acted += r.nudges_acted_on;

    // A/A: the same accounts and assignment on their never-nudged paths,
    // which is what a run with forced_probability = 0 produces (checked below).
    const ExperimentAnalysis aa = analyze_experiment("honesty-aa", r.never_nudged, {}, r.options);
    aa_significant += aa.effects.at(0).p_value < 0.05 ? 1 : 0;
    aa_cuped_significant += aa.effects.at(0).cuped_p_value < 0.05 ? 1 : 0;

    // From 28 days in: the covariate is still the weeks before the start.
    const AnalysedPeriod& late = r.late.value();
    const ExperimentAnalysis l = analyze_experiment("honesty-late", late.accounts, {}, late.options);
    const Effect& le = l.effects.at(0);
    late_covered += covers(le.absolute_ci, late.truth.absolute) ? 1 : 0;
    late_cuped_covered += covers(le.cuped_absolute_ci, late.truth.absolute) ? 1 : 0;
    late_cuped_primary += l.cuped_primary ? 1 : 0;
    sum_late_truth += late.truth.absolute;
    sum_late_estimate += le.absolute;
    sum_late_cuped_estimate += le.cuped_absolute;
    const ExperimentAnalysis late_aa = analyze_experiment("honesty-late-aa", late.never_nudged, {}, late.options);
    late_aa_cuped_significant += late_aa.effects.at(0).cuped_p_value < 0.05 ? 1 : 0;
    // The same accounts with and without the nudges: how far the CUPED
    // estimate moves with them, nearly free of sampling noise (the holdout
    // and the pre-period are the same in both). A covariate that felt the
    // nudges takes part of the move away.
    sum_late_cuped_moved += le.cuped_absolute - late_aa.effects.at(0).cuped_absolute;
  }
  std::printf(
      "honesty over %d runs: coverage %d (CUPED %d, bootstrap %d); A/A significant %d (CUPED %d); CUPED narrower in "
      "%d, mean width %.5f vs %.5f, mean variance reduction %.3f; mean true effect %.5f, mean estimate %.5f; "
      "nudges delivered %zu, acted on %zu\n",
      kRuns, covered, cuped_covered, bootstrap_covered, aa_significant, aa_cuped_significant, cuped_narrower,
      sum_cuped_width / kRuns, sum_width / kRuns, sum_reduction / kRuns, sum_truth / kRuns, sum_estimate / kRuns,
      delivered, acted);
  std::printf(
      "from 28 days in: coverage %d (CUPED %d, CUPED primary in %d); A/A significant with CUPED %d; mean true "
      "effect %.5f, mean estimate %.5f (CUPED %.5f); CUPED moved with the nudges by %.5f on average\n",
      late_covered, late_cuped_covered, late_cuped_primary, late_aa_cuped_significant, sum_late_truth / kRuns,
      sum_late_estimate / kRuns, sum_late_cuped_estimate / kRuns, sum_late_cuped_moved / kRuns);
  EXPECT_LT(sum_truth, 0) << "the nudges should have a true effect to cover";
  EXPECT_GE(covered, 90);
  EXPECT_GE(cuped_covered, 90);
  EXPECT_LE(aa_significant, 10);
  EXPECT_LE(aa_cuped_significant, 10);
  EXPECT_LT(sum_cuped_width, sum_width);
  EXPECT_GE(cuped_narrower, 90);
  EXPECT_LT(sum_late_truth, 0);
  EXPECT_GE(late_covered, 90);
  EXPECT_GE(late_cuped_covered, 90) << "a covariate measured after the nudges began absorbs part of their effect";
  EXPECT_EQ(late_cuped_primary, kRuns) << "the pre-experiment covariate is valid, so CUPED leads";
  EXPECT_LE(late_aa_cuped_significant, 10);
  EXPECT_NEAR(sum_late_cuped_moved, sum_late_truth, 0.1 * std::fabs(sum_late_truth))
      << "CUPED from 28 days in should move by the whole true effect, not be pulled toward no effect";
}

// The A/A above reads the never-nudged paths. This checks that they are
// exactly what an experiment whose nudges are never acted on
// (forced_probability = 0) shows the bank, account by account, and runs that
// experiment through every part of the analysis with holdout forecasts and
// logged would-have-sent decisions.
TEST(Honesty, NudgesNeverActedOnGiveTheNeverNudgedPathsAndFillEveryPartOfTheAnalysis) {
  ExperimentSetup a_b = honesty_setup(1);
  ExperimentSetup a_a = honesty_setup(1);
  a_a.forced_probability = 0.0;
  a_a.forecast_holdout = true;
  const std::vector<SimulatedExperiment> runs = run_simulated_experiments({a_b, a_a}, kThreads);
  const SimulatedExperiment& nudged = runs[0];
  const SimulatedExperiment& inert = runs[1];

  EXPECT_GT(inert.nudges_delivered, 0u);
  EXPECT_EQ(inert.nudges_acted_on, 0u);
  EXPECT_EQ(inert.truth.absolute, 0.0);
  ASSERT_EQ(inert.accounts.size(), nudged.never_nudged.size());
  for (std::size_t i = 0; i < inert.accounts.size(); ++i) {
    const AccountOutcome& x = inert.accounts[i];
    const AccountOutcome& y = nudged.never_nudged[i];
    ASSERT_EQ(x.account_id, y.account_id);
    EXPECT_EQ(x.arm, y.arm) << x.account_id;
    EXPECT_EQ(x.pre_overdraft_weeks, y.pre_overdraft_weeks) << x.account_id;
    EXPECT_EQ(x.pre_overdraft_days, y.pre_overdraft_days) << x.account_id;
    EXPECT_EQ(x.weekly_overdrawn, y.weekly_overdrawn) << x.account_id;
    EXPECT_EQ(x.overdraft_days, y.overdraft_days) << x.account_id;
    EXPECT_EQ(x.total_fee_cents, y.total_fee_cents) << x.account_id;
    EXPECT_EQ(x.balance_band, y.balance_band) << x.account_id;
  }

  const ExperimentAnalysis a = analyze_experiment("inert", inert.accounts, inert.forecasts, inert.options);
  EXPECT_FALSE(a.sample_ratio.mismatch);
  ASSERT_EQ(a.effects.size(), 4u);
  ASSERT_EQ(a.funnel.size(), 6u);
  EXPECT_EQ(a.funnel[0].treatment + a.funnel[0].holdout, 1000.0);
  EXPECT_GT(a.funnel[1].holdout, 0) << "holdout accounts are forecast too";
  EXPECT_GT(a.funnel[2].holdout, 0) << "would-have-sent decisions are logged";
  EXPECT_GT(a.funnel[3].treatment, 0);
  EXPECT_EQ(a.funnel[3].holdout, 0) << "the holdout is never sent anything";
  EXPECT_GT(a.targeted.nudged_accounts, 0u);
  EXPECT_GT(a.targeted.would_have_been_nudged_accounts, 0u);
  // Targeted accounts overdraw far more often than the average account.
  EXPECT_GT(a.targeted.incidence.holdout, a.effects[0].holdout);
  EXPECT_EQ(a.weekly.size(), 8u);
  EXPECT_FALSE(a.segments.empty());
  ASSERT_GT(a.forecast_health.forecasts, 0u);
  EXPECT_FALSE(a.forecast_health.calibration.empty());
  EXPECT_FALSE(a.forecast_health.weekly.empty());
  EXPECT_GT(a.forecast_health.brier_skill, 0) << "the engine beats the base rate";
  for (const std::string& c : a.caveats) {
    EXPECT_EQ(c.find("Sample ratio"), std::string::npos) << c;
    EXPECT_EQ(c.find("Small sample"), std::string::npos) << c;
    EXPECT_EQ(c.find("Short period"), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace headroom::measurement::testing
