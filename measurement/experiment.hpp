#pragma once
// Experiment analysis: what a nudge experiment did to overdrafts, measured
// against its randomized holdout (docs/analysis.md). Pure: plain values in,
// plain values out; no I/O, no clock. outcomes.hpp builds the inputs from the
// rows db/experiment_store.hpp reads; the report (measurement/report_*.hpp)
// renders the outputs; the measurement tests build them from the simulator.
//
// Units: money in cents (int64), rates as fractions in [0, 1], effects as
// treatment minus holdout (negative = fewer overdrafts). Intervals are 95%.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "nudges/assignment.hpp"

namespace headroom::measurement {

// The planner's arm (nudges/assignment.hpp), named here for the analysis code.
using nudges::Arm;

// One account assigned to the experiment (intention to treat: every assigned
// account counts, whether it was ever nudged or not).
struct AccountOutcome {
  std::string account_id;
  Arm arm = Arm::kTreatment;
  // The copy variant the assignment hash gives the account under the
  // experiment's policy (outcomes.hpp), decided or not: in the holdout, the
  // one it would have been shown. Empty: unknown, and left out of the
  // variant comparisons.
  std::string variant;

  // Segments: observable at the experiment start, never outcomes.
  std::string income_pattern;  // "monthly", "semi-monthly", "biweekly", "weekly", "irregular", "none"
  std::string balance_band;    // pre-period average end-of-day balance band, e.g. "<0", "0-500", "500-2k", "2k+"
  std::string tenure_band;     // history length at the start, e.g. "<6m", "6-12m", "1y+"

  // Pre-period (the CUPED covariates): same definitions as the outcomes below,
  // over AnalysisOptions::pre_period (the weeks before the experiment's start).
  int pre_weeks = 0;  // weeks of the pre-period with history (the account may be newer)
  int pre_overdraft_weeks = 0;
  int pre_overdraft_days = 0;

  // Experiment period [from, to).
  int weeks = 0;                       // account-weeks observed
  int overdraft_weeks = 0;             // weeks with at least one end-of-day balance < 0
  int overdraft_days = 0;              // days with an end-of-day balance < 0
  std::int64_t overdraft_fee_cents = 0;  // overdraft fees charged (positive number)
  std::int64_t total_fee_cents = 0;      // fees of every kind, overdraft included (positive number)
  // Per experiment week (index 0 = the week starting at `from`): 1 when overdrawn that week.
  std::vector<std::uint8_t> weekly_overdrawn;

  // Funnel. at_risk: some forecast in the period crossed the policy threshold.
  // decided: a send (treatment) or would-have-sent (holdout) decision exists.
  bool at_risk = false;
  bool decided = false;
  bool sent = false;  // at least one nudge delivered (in-app available or email accepted by SMTP)
  bool seen = false;  // at least one in-app nudge acknowledged as seen or dismissed
};

// A past window probability next to what happened: forecast health.
struct ForecastOutcome {
  forecast::Date as_of;
  double p_window = 0;  // P(end-of-day balance < 0 on some day of the window)
  bool overdrawn = false;  // it happened within the window
};

// Days [from, to).
struct DateRange {
  forecast::Date from{};
  forecast::Date to{};
};

struct AnalysisOptions {
  forecast::Date from;  // experiment period, [from, to)
  forecast::Date to;
  // The experiment's start: its first decision's as_of (which `from` may be
  // later than), and the days the accounts' pre_* covariates were measured
  // over. CUPED leads the report only when the covariates were measured
  // before the start: measured after it, they carry part of the effect
  // (outcomes.hpp measures them over the weeks just before the start).
  forecast::Date experiment_start;
  DateRange pre_period;
  double holdout_share = 0.10;   // expected share, for the sample-ratio check
  int bootstrap_resamples = 0;   // 0 = delta method only; > 0 adds percentile bootstrap intervals
  std::uint64_t bootstrap_seed = 1;
  double alpha = 0.05;           // two-sided
  double power = 0.80;           // for the minimum detectable effect
  int calibration_bins = 10;
  // The experiment's planned length, which the confidence sequence's mixing
  // is tuned to (docs/analysis.md, "Looking every day"): fix it before the
  // first look. 0 = the period's own length, which tunes the sequence to
  // this look; right for a report read once at the end.
  int planned_weeks = 0;
};

struct Interval {
  double low = 0;
  double high = 0;
};

// One metric, treatment versus holdout.
struct Effect {
  std::string metric;       // "overdraft_incidence", "overdraft_days", "overdraft_fees", "total_fees"
  std::string unit;         // "share of account-weeks", "days per account", "cents per account"
  double treatment = 0;     // arm means (incidence: ratio of sums)
  double holdout = 0;
  double absolute = 0;      // treatment - holdout
  Interval absolute_ci;     // delta method
  double relative = 0;      // treatment / holdout - 1
  Interval relative_ci;     // Fieller (stats::ratio_interval): excludes 0 exactly when p_value < alpha;
                            // never below -1; high = +infinity when the holdout mean is not
                            // significantly above 0
  double p_value = 1;
  std::optional<Interval> absolute_ci_bootstrap;
  // CUPED on the account's pre-period value of the same metric.
  double cuped_absolute = 0;
  Interval cuped_absolute_ci;
  double cuped_relative = 0;
  Interval cuped_relative_ci;  // Fieller on the CUPED-adjusted arm means, as relative_ci
  double cuped_p_value = 1;
  double variance_reduction = 0;  // 1 - var(CUPED) / var(unadjusted); ~0 (can dip just below) when the
                                  // pre-period says nothing about the outcome
  double mde_absolute = 0;        // minimum detectable |absolute| at alpha, power, current sample
  double absolute_se = 0;         // delta-method standard errors of absolute and cuped_absolute
  double cuped_absolute_se = 0;
};

// The primary metric's always-valid interval: a confidence sequence, valid
// however often the report is looked at as the data grow, where the fixed-
// horizon interval is valid for one look decided in advance
// (stats::confidence_sequence_half_width; docs/analysis.md, "Looking every day").
struct SequentialEstimate {
  std::string metric;        // ExperimentAnalysis::primary_metric
  std::string analysis;      // "cuped" or "unadjusted": the primary estimate it surrounds
  double absolute = 0;       // that estimate (treatment - holdout)
  Interval absolute_ci;      // the confidence sequence at this look, at AnalysisOptions::alpha
  double p_value = 1;        // always-valid p-value of this look (< alpha exactly when the sequence excludes 0)
  bool significant = false;  // the sequence excludes 0
  int planned_weeks = 0;     // the horizon the mixing was tuned to
  int elapsed_days = 0;      // to - from: days of data at this look
  double rho = 0;            // mixing standard deviation, in the metric's units
};

struct SampleRatio {
  std::size_t treatment = 0;
  std::size_t holdout = 0;
  double expected_holdout_share = 0;
  double chi_square = 0;
  double p_value = 1;
  bool mismatch = false;  // p < 0.001
};

struct SegmentEffect {
  std::string dimension;  // "income_pattern", "balance_band", "tenure_band"
  std::string segment;
  std::size_t treatment_accounts = 0;
  std::size_t holdout_accounts = 0;
  Effect incidence;       // overdraft incidence within the segment
};

// Intention to treat by variant: every treatment account assigned to the
// variant, nudged or not, versus the whole holdout (who see no copy).
struct VariantEffect {
  std::string variant;
  std::size_t accounts = 0;  // treatment accounts assigned to the variant
  Effect incidence;
  double p_holm = 1;  // incidence.p_value, Holm-adjusted over the variant family (ExperimentAnalysis)
};

// Two variants' assigned accounts against each other: incidence's
// "treatment" side is `variant`, its "holdout" side `other`.
struct VariantPair {
  std::string variant;
  std::string other;
  std::size_t accounts = 0;
  std::size_t other_accounts = 0;
  Effect incidence;
  double p_holm = 1;  // as VariantEffect::p_holm
};

// Treatment accounts that were nudged versus holdout accounts that would have
// been: the same targeting, so a like-for-like (but not randomized-in-full) view.
struct TargetedComparison {
  std::size_t nudged_accounts = 0;
  std::size_t would_have_been_nudged_accounts = 0;
  Effect incidence;
};

struct FunnelStep {
  std::string step;  // "assigned", "at_risk", "decided", "sent", "seen", "overdraft_avoided"
  double treatment = 0;  // accounts (overdraft_avoided: estimated accounts, may be fractional)
  double holdout = 0;
};

struct WeeklyRate {
  forecast::Date week_start;
  double treatment = 0;  // share of the arm's accounts overdrawn that week
  double holdout = 0;
};

// Equal-width bins of p_window over [0, 1] (the last bin includes 1); only
// bins holding forecasts are listed, in ascending order.
struct CalibrationBin {
  double p_low = 0;
  double p_high = 0;
  std::size_t forecasts = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
};

struct WeeklyForecastHealth {
  forecast::Date week_start;
  std::size_t forecasts = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
  double brier = 0;
  double expected_calibration_error = 0;
};

struct ForecastHealth {
  std::size_t forecasts = 0;
  double brier = 0;
  double brier_skill = 0;  // 1 - brier / brier of the base rate
  double expected_calibration_error = 0;
  std::vector<CalibrationBin> calibration;
  std::vector<WeeklyForecastHealth> weekly;
};

// CUPED's covariate: where it was measured and who had too little of it.
struct CupedCovariate {
  forecast::Date experiment_start;
  DateRange window;              // AnalysisOptions::pre_period
  bool before_start = true;      // window.to <= experiment_start: a valid, pre-experiment covariate
  int window_weeks = 0;          // weeks in the window (a partial one counts)
  int min_weeks = 0;             // observed pre-period weeks an account needs: half the window, rounded up
  std::size_t accounts_short = 0;  // accounts with fewer: given the average covariate, i.e. not adjusted
};

struct ExperimentAnalysis {
  std::string experiment;
  forecast::Date from;
  forecast::Date to;
  // The metric decided before the experiment that the headline reports, and
  // whether its CUPED estimate leads (covariate valid and held by someone)
  // or the unadjusted one.
  std::string primary_metric = "overdraft_incidence";
  bool cuped_primary = true;
  CupedCovariate cuped;
  SampleRatio sample_ratio;
  std::vector<Effect> effects;  // incidence, days, overdraft fees, total fees, in that order
  SequentialEstimate sequential;  // the primary metric's confidence sequence
  // The variant family: each variant against the holdout, and each pair of
  // variants (names in order) against each other; every unadjusted p-value of
  // the family goes through one Holm adjustment (stats::holm_adjust).
  std::vector<VariantEffect> variants;
  std::vector<VariantPair> variant_pairs;
  std::size_t variant_comparisons = 0;  // variants.size() + variant_pairs.size(): Holm's m
  std::vector<SegmentEffect> segments;
  TargetedComparison targeted;
  std::vector<FunnelStep> funnel;
  std::vector<WeeklyRate> weekly;
  ForecastHealth forecast_health;
  std::vector<std::string> caveats;  // plain-language warnings (SRM, small samples, short period, fees moved)
  std::vector<std::string> clocks;   // ExperimentInputs::clocks: the clocks the period's cycles ran on
};

// Throws std::invalid_argument for unusable input, naming what is wrong: no
// accounts (or only one) in an arm, no account-weeks in an arm, to <= from,
// options out of range, negative counts, overdraft_weeks > weeks, an
// overdraft fee above the total fee, pre_weeks above the pre-period's weeks
// or a pre-period ending before it starts, p_window outside [0, 1].
ExperimentAnalysis analyze_experiment(const std::string& experiment, const std::vector<AccountOutcome>& accounts,
                                      const std::vector<ForecastOutcome>& forecasts, const AnalysisOptions& options);

// Forecast health alone (also part of analyze_experiment): Brier score, skill,
// calibration bins and by-week figures, weeks starting at week_origin + 7k
// (k may be negative for forecasts before the origin). Throws
// std::invalid_argument for calibration_bins < 1 or p_window outside [0, 1].
ForecastHealth forecast_health(const std::vector<ForecastOutcome>& forecasts, forecast::Date week_origin,
                               int calibration_bins);

}  // namespace headroom::measurement
