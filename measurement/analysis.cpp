// analyze_experiment(): intention-to-treat effects with delta-method and
// bootstrap intervals, CUPED, sample-ratio check, segments, variants, the
// targeted comparison, the funnel and forecast health. docs/analysis.md
// explains every estimate and its assumptions; stats.hpp holds the formulas.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "measurement/calibration.hpp"
#include "measurement/experiment.hpp"
#include "measurement/stats.hpp"
#include "measurement/truth.hpp"

namespace headroom::measurement {

namespace {

// Normal intervals and the two-sided p-value of a difference of arm means,
// and the relative change's interval from the same test (Fieller).
struct DifferenceSummary {
  double se = 0;
  Interval absolute_ci;
  Interval relative_ci;
  double p_value = 1;
};

DifferenceSummary summarize(const stats::Estimate& t, const stats::Estimate& h, const stats::Difference& d,
                            double z) {
  DifferenceSummary s;
  s.se = std::sqrt(d.absolute_variance);
  s.absolute_ci = {d.absolute - z * s.se, d.absolute + z * s.se};
  // Every metric is a mean of nonnegative values; CUPED-adjusted means
  // could in principle dip below 0, and are then not cut at 0.
  if (d.relative_defined) {
    const stats::RatioBounds r = stats::ratio_interval(t, h, z, t.value >= 0 && h.value > 0);
    s.relative_ci = {r.low - 1, r.high - 1};
  }
  s.p_value = s.se > 0 ? stats::two_sided_p_value(d.absolute / s.se) : (d.absolute == 0 ? 1.0 : 0.0);
  return s;
}

// Arms smaller than this give intervals whose normal approximation is shaky.
constexpr std::size_t kSmallArmAccounts = 100;
// Fewer weeks than this and a single payday cycle or bill month dominates.
constexpr int kShortPeriodWeeks = 4;

std::string format(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::string percent(double share) { return format("%.1f%%", 100.0 * share); }

// One metric's per-account values for one arm. `denominator` is empty for a
// plain per-account mean; for a ratio of sums it holds each account's weeks.
struct ArmValues {
  std::vector<double> numerator;
  std::vector<double> denominator;
  std::vector<double> covariate;  // CUPED: the account's pre-period value
};

struct MetricSpec {
  const char* metric;
  const char* unit;
  bool ratio;
};

constexpr MetricSpec kIncidence{"overdraft_incidence", "share of account-weeks", true};
constexpr MetricSpec kDays{"overdraft_days", "days per account", false};
constexpr MetricSpec kOverdraftFees{"overdraft_fees", "cents per account", false};
constexpr MetricSpec kTotalFees{"total_fees", "cents per account", false};

// The value an account contributes to a metric, as a mean: the ratio metric
// is linearized (stats::linearize_ratio) so that every metric is a mean.
std::vector<double> as_mean_values(const ArmValues& v, bool ratio) {
  return ratio ? stats::linearize_ratio(v.numerator, v.denominator) : v.numerator;
}

double raw_estimate(const std::vector<double>& num, const std::vector<double>& den, bool ratio) {
  double s = 0;
  for (double v : num) s += v;
  if (!ratio) return s / static_cast<double>(num.size());
  double d = 0;
  for (double v : den) d += v;
  return d > 0 ? s / d : 0.0;
}

// Percentile bootstrap of the absolute effect: accounts (the randomization
// unit) resampled with replacement within each arm.
Interval bootstrap_interval(const ArmValues& t, const ArmValues& h, bool ratio, int resamples, std::uint64_t seed,
                            double alpha) {
  stats::SplitMix64 rng(seed);
  std::vector<double> effects;
  effects.reserve(static_cast<std::size_t>(resamples));
  std::vector<double> num;
  std::vector<double> den;
  auto resampled = [&](const ArmValues& v) {
    const std::size_t n = v.numerator.size();
    num.resize(n);
    den.resize(ratio ? n : 0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = rng.below(n);
      num[i] = v.numerator[k];
      if (ratio) den[i] = v.denominator[k];
    }
    return raw_estimate(num, den, ratio);
  };
  for (int b = 0; b < resamples; ++b) {
    const double et = resampled(t);
    const double eh = resampled(h);
    effects.push_back(et - eh);
  }
  std::sort(effects.begin(), effects.end());
  return {stats::percentile(effects, alpha / 2), stats::percentile(effects, 1 - alpha / 2)};
}

Effect estimate_effect(const MetricSpec& spec, const ArmValues& t, const ArmValues& h, const AnalysisOptions& options,
                       bool with_bootstrap) {
  const double z = stats::normal_quantile(1 - options.alpha / 2);
  Effect e;
  e.metric = spec.metric;
  e.unit = spec.unit;

  const std::vector<double> yt = as_mean_values(t, spec.ratio);
  const std::vector<double> yh = as_mean_values(h, spec.ratio);
  const stats::Estimate et = stats::mean_estimate(yt);
  const stats::Estimate eh = stats::mean_estimate(yh);
  const stats::Difference d = stats::difference(et, eh);
  const DifferenceSummary plain = summarize(et, eh, d, z);
  e.treatment = et.value;
  e.holdout = eh.value;
  e.absolute = d.absolute;
  e.absolute_ci = plain.absolute_ci;
  e.relative = d.relative;
  e.relative_ci = plain.relative_ci;
  e.p_value = plain.p_value;
  e.mde_absolute = stats::minimum_detectable_effect(plain.se, options.alpha, options.power);
  e.absolute_se = plain.se;

  // CUPED: pooled within-arm theta, covariate centred on the pooled mean so
  // both arms move by the same reference and the effect stays unbiased.
  const double theta = stats::cuped_theta(yt, t.covariate, yh, h.covariate);
  double x_sum = 0;
  for (double v : t.covariate) x_sum += v;
  for (double v : h.covariate) x_sum += v;
  const double x_center = x_sum / static_cast<double>(t.covariate.size() + h.covariate.size());
  const stats::Estimate ct = stats::mean_estimate(stats::cuped_adjust(yt, t.covariate, theta, x_center));
  const stats::Estimate ch = stats::mean_estimate(stats::cuped_adjust(yh, h.covariate, theta, x_center));
  const stats::Difference c = stats::difference(ct, ch);
  const DifferenceSummary cuped = summarize(ct, ch, c, z);
  e.cuped_absolute = c.absolute;
  e.cuped_absolute_ci = cuped.absolute_ci;
  e.cuped_relative = c.relative;
  e.cuped_relative_ci = cuped.relative_ci;
  e.cuped_p_value = cuped.p_value;
  e.cuped_absolute_se = cuped.se;
  e.variance_reduction = d.absolute_variance > 0 ? 1.0 - c.absolute_variance / d.absolute_variance : 0.0;

  if (with_bootstrap && options.bootstrap_resamples > 0)
    e.absolute_ci_bootstrap =
        bootstrap_interval(t, h, spec.ratio, options.bootstrap_resamples, options.bootstrap_seed, options.alpha);
  return e;
}

// CUPED's covariates, by account position in `all`. An account observed in
// fewer than `min_weeks` weeks of the pre-period gets the average covariate
// of the others: no information, so it is in effect compared unadjusted. The
// rule reads pre-experiment data only and treats both arms alike, so the
// adjustment stays unbiased.
struct Covariates {
  std::vector<double> incidence;  // linearized pre-period incidence (Deng et al. 2018)
  std::vector<double> days;       // pre-period overdraft days, scaled to the whole window
  std::size_t usable = 0;         // accounts with at least min_weeks observed pre-period weeks
};

bool has_pre_period(const AccountOutcome& a, int min_weeks) { return a.pre_weeks > 0 && a.pre_weeks >= min_weeks; }

Covariates pre_period_covariates(const std::vector<const AccountOutcome*>& all, int window_weeks, int min_weeks) {
  Covariates c;
  c.incidence.assign(all.size(), 0.0);
  c.days.assign(all.size(), 0.0);
  double sy = 0, sx = 0, sd = 0;
  for (const AccountOutcome* a : all) {
    if (!has_pre_period(*a, min_weeks)) continue;
    ++c.usable;
    sy += a->pre_overdraft_weeks;
    sx += a->pre_weeks;
    sd += static_cast<double>(a->pre_overdraft_days) * window_weeks / a->pre_weeks;
  }
  if (c.usable == 0) return c;
  // Incidence: the linearized ratio against the pooled pre-period rate R,
  // whose mean over the usable accounts is R itself.
  const double r = sy / sx;
  const double mean_x = sx / static_cast<double>(c.usable);
  const double mean_days = sd / static_cast<double>(c.usable);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const AccountOutcome& a = *all[i];
    const bool usable = has_pre_period(a, min_weeks);
    c.incidence[i] = usable ? r + (a.pre_overdraft_weeks - r * a.pre_weeks) / mean_x : r;
    // Days as a rate over the observed weeks, so a part-observed window
    // does not read as a quiet one.
    c.days[i] = usable ? static_cast<double>(a.pre_overdraft_days) * window_weeks / a.pre_weeks : mean_days;
  }
  return c;
}

// Per-account values of every metric for a set of accounts; the covariates
// are looked up by account position.
struct MetricTable {
  ArmValues incidence, days, overdraft_fees, total_fees;
};

MetricTable metric_table(const std::vector<std::size_t>& members, const std::vector<const AccountOutcome*>& all,
                         const Covariates& cov) {
  MetricTable m;
  for (std::size_t i : members) {
    const AccountOutcome& a = *all[i];
    m.incidence.numerator.push_back(a.overdraft_weeks);
    m.incidence.denominator.push_back(a.weeks);
    m.incidence.covariate.push_back(cov.incidence[i]);
    // Days and fees share the pre-period overdraft days as covariate: the
    // history the issue names, and fees follow overdraft days one for one
    // until the monthly cap.
    m.days.numerator.push_back(a.overdraft_days);
    m.days.covariate.push_back(cov.days[i]);
    m.overdraft_fees.numerator.push_back(static_cast<double>(a.overdraft_fee_cents));
    m.overdraft_fees.covariate.push_back(cov.days[i]);
    m.total_fees.numerator.push_back(static_cast<double>(a.total_fee_cents));
    m.total_fees.covariate.push_back(cov.days[i]);
  }
  return m;
}

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

void validate(const std::vector<AccountOutcome>& accounts, const std::vector<ForecastOutcome>& forecasts,
              const AnalysisOptions& options) {
  if (options.to <= options.from)
    throw std::invalid_argument("analyze_experiment: the experiment period is empty (to <= from)");
  if (!(options.holdout_share > 0 && options.holdout_share < 1))
    throw std::invalid_argument("analyze_experiment: holdout_share must be in (0, 1)");
  if (!(options.alpha > 0 && options.alpha < 1))
    throw std::invalid_argument("analyze_experiment: alpha must be in (0, 1)");
  if (!(options.power > 0 && options.power < 1))
    throw std::invalid_argument("analyze_experiment: power must be in (0, 1)");
  if (options.bootstrap_resamples < 0)
    throw std::invalid_argument("analyze_experiment: bootstrap_resamples must be >= 0");
  if (options.calibration_bins < 1) throw std::invalid_argument("analyze_experiment: calibration_bins must be >= 1");
  if (options.planned_weeks < 0) throw std::invalid_argument("analyze_experiment: planned_weeks must be >= 0");
  if (options.pre_period.to < options.pre_period.from)
    throw std::invalid_argument("analyze_experiment: the pre-period ends before it starts");
  const int pre_period_weeks = week_count(options.pre_period.from, options.pre_period.to);
  for (const AccountOutcome& a : accounts) {
    const std::string who = "analyze_experiment: account '" + a.account_id + "': ";
    if (a.weeks < 0 || a.overdraft_weeks < 0 || a.overdraft_days < 0 || a.pre_weeks < 0 ||
        a.pre_overdraft_weeks < 0 || a.pre_overdraft_days < 0 || a.overdraft_fee_cents < 0 || a.total_fee_cents < 0)
      throw std::invalid_argument(who + "counts and fees must be >= 0");
    if (a.overdraft_weeks > a.weeks) throw std::invalid_argument(who + "overdraft_weeks exceeds weeks");
    if (a.pre_overdraft_weeks > a.pre_weeks) throw std::invalid_argument(who + "pre_overdraft_weeks exceeds pre_weeks");
    if (a.pre_weeks > pre_period_weeks)
      throw std::invalid_argument(who + "pre_weeks exceeds the " + std::to_string(pre_period_weeks) +
                                  " weeks of the pre-period (options.pre_period)");
    if (a.overdraft_fee_cents > a.total_fee_cents)
      throw std::invalid_argument(who + "overdraft_fee_cents exceeds total_fee_cents (total includes overdraft fees)");
  }
  for (const ForecastOutcome& f : forecasts)
    if (!(f.p_window >= 0 && f.p_window <= 1))
      throw std::invalid_argument("analyze_experiment: a forecast as of " + forecast::to_iso_string(f.as_of) +
                                  " has p_window outside [0, 1]");
}

void require_arm(std::size_t n, const char* arm) {
  if (n == 0) throw std::invalid_argument(std::string("analyze_experiment: no accounts in the ") + arm + " arm");
  if (n < 2)
    throw std::invalid_argument(std::string("analyze_experiment: the ") + arm +
                                " arm needs at least 2 accounts for a variance, got 1");
}

std::vector<CalibrationBin> calibration_bins(const std::vector<const ForecastOutcome*>& fs, int bins) {
  std::vector<CalibrationBin> out(static_cast<std::size_t>(bins));
  std::vector<double> observed(out.size(), 0.0);
  for (std::size_t b = 0; b < out.size(); ++b) {
    out[b].p_low = static_cast<double>(b) / bins;
    out[b].p_high = static_cast<double>(b + 1) / bins;
  }
  for (const ForecastOutcome* f : fs) {
    const auto b = calibration_bin_index(f->p_window, bins);
    ++out[b].forecasts;
    out[b].mean_predicted += f->p_window;
    observed[b] += f->overdrawn ? 1.0 : 0.0;
  }
  std::vector<CalibrationBin> nonempty;
  for (std::size_t b = 0; b < out.size(); ++b) {
    if (out[b].forecasts == 0) continue;
    const auto n = static_cast<double>(out[b].forecasts);
    out[b].mean_predicted /= n;
    out[b].observed_rate = observed[b] / n;
    nonempty.push_back(out[b]);
  }
  return nonempty;
}

}  // namespace

ForecastHealth forecast_health(const std::vector<ForecastOutcome>& forecasts, forecast::Date week_origin,
                               int calibration_bins_count) {
  if (calibration_bins_count < 1) throw std::invalid_argument("forecast_health: calibration_bins must be >= 1");
  ForecastHealth h;
  h.forecasts = forecasts.size();
  if (forecasts.empty()) return h;
  std::vector<const ForecastOutcome*> all;
  std::map<int, std::vector<const ForecastOutcome*>> by_week;
  double brier = 0;
  double base = 0;
  for (const ForecastOutcome& f : forecasts) {
    if (!(f.p_window >= 0 && f.p_window <= 1))
      throw std::invalid_argument("forecast_health: a forecast as of " + forecast::to_iso_string(f.as_of) +
                                  " has p_window outside [0, 1]");
    all.push_back(&f);
    const double o = f.overdrawn ? 1.0 : 0.0;
    brier += (f.p_window - o) * (f.p_window - o);
    base += o;
    const int days = forecast::days_between(week_origin, f.as_of);
    // Floor division: forecasts before the origin fall into earlier weeks.
    const int week = days >= 0 ? days / 7 : -((-days + 6) / 7);
    by_week[week].push_back(&f);
  }
  const auto n = static_cast<double>(forecasts.size());
  h.brier = brier / n;
  base /= n;
  const double base_brier = base * (1 - base);
  h.brier_skill = base_brier > 0 ? 1 - h.brier / base_brier : 0.0;
  h.calibration = calibration_bins(all, calibration_bins_count);
  h.expected_calibration_error = expected_calibration_error(h.calibration, forecasts.size());
  for (const auto& [week, fs] : by_week) {
    WeeklyForecastHealth w;
    w.week_start = week_origin + std::chrono::days{7 * week};
    w.forecasts = fs.size();
    double p = 0;
    double o = 0;
    double b = 0;
    for (const ForecastOutcome* f : fs) {
      const double y = f->overdrawn ? 1.0 : 0.0;
      p += f->p_window;
      o += y;
      b += (f->p_window - y) * (f->p_window - y);
    }
    const auto m = static_cast<double>(fs.size());
    w.mean_predicted = p / m;
    w.observed_rate = o / m;
    w.brier = b / m;
    w.expected_calibration_error =
        expected_calibration_error(calibration_bins(fs, calibration_bins_count), fs.size());
    h.weekly.push_back(w);
  }
  return h;
}

namespace {

CupedCovariate cuped_covariate(const AnalysisOptions& options, const std::vector<const AccountOutcome*>& all) {
  CupedCovariate c;
  c.experiment_start = options.experiment_start;
  c.window = options.pre_period;
  c.before_start = options.pre_period.to <= options.experiment_start;
  c.window_weeks = week_count(options.pre_period.from, options.pre_period.to);
  // Half the window: enough weeks for the account's own rate to say more
  // than the average does, few enough that a customer who joined a little
  // before the experiment still counts.
  c.min_weeks = (c.window_weeks + 1) / 2;
  for (const AccountOutcome* a : all) c.accounts_short += has_pre_period(*a, c.min_weeks) ? 0 : 1;
  return c;
}

// The experiment's accounts and each arm as positions into `all`, with the
// covariates by position that every subgroup estimate shares.
struct Arms {
  std::vector<const AccountOutcome*> all;
  std::vector<std::size_t> treatment;
  std::vector<std::size_t> holdout;
  Covariates covariates;

  MetricTable table(const std::vector<std::size_t>& members) const { return metric_table(members, all, covariates); }
};

Arms split_by_arm(const std::vector<AccountOutcome>& accounts) {
  Arms arms;
  for (const AccountOutcome& a : accounts) {
    (a.arm == Arm::kTreatment ? arms.treatment : arms.holdout).push_back(arms.all.size());
    arms.all.push_back(&a);
  }
  return arms;
}

// A subgroup comparison needs 2 accounts in each group and observed weeks in both.
bool estimable(const std::vector<std::size_t>& t, const std::vector<std::size_t>& h,
               const std::vector<const AccountOutcome*>& accs) {
  if (t.size() < 2 || h.size() < 2) return false;
  double wt = 0;
  double wh = 0;
  for (std::size_t i : t) wt += accs[i]->weeks;
  for (std::size_t i : h) wh += accs[i]->weeks;
  return wt > 0 && wh > 0;
}

// Variants, by intention to treat: each variant's assigned treatment
// accounts against the whole holdout, then each pair against each other.
// Every account of the arm has its variant from the assignment hash, so each
// group is a randomized subset of the arm and each comparison unbiased.
struct VariantGroups {
  std::map<std::string, std::vector<std::size_t>> members;  // by name: the estimable ones
};

VariantGroups variant_groups(const Arms& arms, std::vector<std::string>& skipped) {
  VariantGroups g;
  std::map<std::string, std::vector<std::size_t>> by_variant;
  for (std::size_t i : arms.treatment)
    if (!arms.all[i]->variant.empty()) by_variant[arms.all[i]->variant].push_back(i);
  for (auto& [name, members] : by_variant) {
    if (!estimable(members, arms.holdout, arms.all)) {
      skipped.push_back("variant " + name);
      continue;
    }
    g.members.emplace(name, std::move(members));
  }
  return g;
}

// The Holm adjustment over the whole family, in table order: variants first, then pairs.
void adjust_variant_family(ExperimentAnalysis& out) {
  std::vector<double> p;
  for (const VariantEffect& v : out.variants) p.push_back(v.incidence.p_value);
  for (const VariantPair& v : out.variant_pairs) p.push_back(v.incidence.p_value);
  const std::vector<double> adjusted = stats::holm_adjust(p);
  std::size_t k = 0;
  for (VariantEffect& v : out.variants) v.p_holm = adjusted[k++];
  for (VariantPair& v : out.variant_pairs) v.p_holm = adjusted[k++];
  out.variant_comparisons = p.size();
}

void variant_effects(const Arms& arms, const ArmValues& holdout_incidence, const AnalysisOptions& options,
                     std::vector<std::string>& skipped, ExperimentAnalysis& out) {
  const VariantGroups g = variant_groups(arms, skipped);
  std::map<std::string, ArmValues> incidence;
  for (const auto& [name, members] : g.members) incidence.emplace(name, arms.table(members).incidence);
  for (const auto& [name, members] : g.members) {
    VariantEffect v;
    v.variant = name;
    v.accounts = members.size();
    v.incidence = estimate_effect(kIncidence, incidence.at(name), holdout_incidence, options, false);
    out.variants.push_back(std::move(v));
  }
  for (auto a = g.members.begin(); a != g.members.end(); ++a)
    for (auto b = std::next(a); b != g.members.end(); ++b) {
      VariantPair v;
      v.variant = a->first;
      v.other = b->first;
      v.accounts = a->second.size();
      v.other_accounts = b->second.size();
      v.incidence = estimate_effect(kIncidence, incidence.at(a->first), incidence.at(b->first), options, false);
      out.variant_pairs.push_back(std::move(v));
    }
  adjust_variant_family(out);
}

// Segments: observable at the start, so both arms are comparable within each.
std::vector<SegmentEffect> segment_effects(const Arms& arms, const AnalysisOptions& options,
                                           std::vector<std::string>& skipped) {
  struct Dimension {
    const char* name;
    const std::string AccountOutcome::*field;
  };
  constexpr Dimension kDimensions[] = {{"income_pattern", &AccountOutcome::income_pattern},
                                       {"balance_band", &AccountOutcome::balance_band},
                                       {"tenure_band", &AccountOutcome::tenure_band}};
  std::vector<SegmentEffect> out;
  for (const Dimension& dim : kDimensions) {
    std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> groups;
    for (std::size_t i = 0; i < arms.all.size(); ++i) {
      const std::string& value = arms.all[i]->*dim.field;
      auto& g = groups[value.empty() ? "unknown" : value];
      (arms.all[i]->arm == Arm::kTreatment ? g.first : g.second).push_back(i);
    }
    for (const auto& [value, members] : groups) {
      if (!estimable(members.first, members.second, arms.all)) {
        skipped.push_back(std::string(dim.name) + " = " + value);
        continue;
      }
      SegmentEffect s;
      s.dimension = dim.name;
      s.segment = value;
      s.treatment_accounts = members.first.size();
      s.holdout_accounts = members.second.size();
      s.incidence = estimate_effect(kIncidence, arms.table(members.first).incidence,
                                    arms.table(members.second).incidence, options, false);
      out.push_back(std::move(s));
    }
  }
  return out;
}

// Nudged versus would-have-been-nudged: the same decision rule in both
// arms (decided), so the groups are comparable as long as the nudge does
// not change who gets decided later.
TargetedComparison targeted_comparison(const Arms& arms, const AnalysisOptions& options,
                                       std::vector<std::string>& caveats) {
  TargetedComparison out;
  std::vector<std::size_t> t;
  std::vector<std::size_t> h;
  for (std::size_t i : arms.treatment)
    if (arms.all[i]->decided) t.push_back(i);
  for (std::size_t i : arms.holdout)
    if (arms.all[i]->decided) h.push_back(i);
  out.nudged_accounts = t.size();
  out.would_have_been_nudged_accounts = h.size();
  if (estimable(t, h, arms.all)) {
    out.incidence = estimate_effect(kIncidence, arms.table(t).incidence, arms.table(h).incidence, options, false);
  } else {
    out.incidence.metric = kIncidence.metric;
    out.incidence.unit = kIncidence.unit;
    caveats.push_back(
        "Nudged versus would-have-been-nudged: too few decided accounts in an arm (needs 2 with observed weeks); "
        "no estimate.");
  }
  return out;
}

std::vector<FunnelStep> funnel(const Arms& arms) {
  const auto& all = arms.all;
  const auto& treatment = arms.treatment;
  const auto& holdout = arms.holdout;
  auto count = [&](const std::vector<std::size_t>& arm, bool AccountOutcome::*flag) {
    double n = 0;
    for (std::size_t i : arm) n += all[i]->*flag ? 1 : 0;
    return n;
  };
  auto any_overdraft_share = [&](const std::vector<std::size_t>& arm) {
    double n = 0;
    for (std::size_t i : arm) n += all[i]->overdraft_weeks > 0 ? 1 : 0;
    return n / static_cast<double>(arm.size());
  };
  std::vector<FunnelStep> out;
  out.push_back({"assigned", static_cast<double>(treatment.size()), static_cast<double>(holdout.size())});
  out.push_back({"at_risk", count(treatment, &AccountOutcome::at_risk), count(holdout, &AccountOutcome::at_risk)});
  out.push_back({"decided", count(treatment, &AccountOutcome::decided), count(holdout, &AccountOutcome::decided)});
  out.push_back({"sent", count(treatment, &AccountOutcome::sent), count(holdout, &AccountOutcome::sent)});
  out.push_back({"seen", count(treatment, &AccountOutcome::seen), count(holdout, &AccountOutcome::seen)});
  // Accounts that had no overdraft week thanks to the nudge, estimated from
  // the randomized difference in the share of accounts ever overdrawn.
  const double avoided =
      -(any_overdraft_share(treatment) - any_overdraft_share(holdout)) * static_cast<double>(treatment.size());
  out.push_back({"overdraft_avoided", avoided, 0.0});
  return out;
}

// Weekly overdraft rate by arm.
std::vector<WeeklyRate> weekly_rates(const Arms& arms, const AnalysisOptions& options) {
  std::vector<WeeklyRate> out;
  const int weeks = week_count(options.from, options.to);
  for (int w = 0; w < weeks; ++w) {
    auto rate = [&](const std::vector<std::size_t>& arm) {
      double observed = 0;
      double overdrawn = 0;
      for (std::size_t i : arm) {
        const auto& flags = arms.all[i]->weekly_overdrawn;
        if (static_cast<std::size_t>(w) >= flags.size()) continue;
        ++observed;
        overdrawn += flags[static_cast<std::size_t>(w)] ? 1 : 0;
      }
      return observed > 0 ? overdrawn / observed : 0.0;
    };
    out.push_back({options.from + std::chrono::days{7 * w}, rate(arms.treatment), rate(arms.holdout)});
  }
  return out;
}

std::string iso(forecast::Date d) { return forecast::to_iso_string(d); }

// What CUPED's covariate lacks: measured after the start, or missing for some accounts.
std::vector<std::string> cuped_caveats(const CupedCovariate& c, std::size_t accounts) {
  std::vector<std::string> cv;
  const std::string window = "the weeks " + iso(c.window.from) + " up to " + iso(c.window.to);
  if (!c.before_start)
    cv.push_back("CUPED's covariates were measured over " + window + ", after the experiment started on " +
                 iso(c.experiment_start) + ": they carry part of the nudges' effect, so the CUPED estimates are "
                 "biased toward no effect. The headline uses the unadjusted estimate.");
  if (c.accounts_short == accounts) {
    cv.push_back("No pre-period history: no account was observed in at least " + std::to_string(c.min_weeks) +
                 " of the " + std::to_string(c.window_weeks) + " weeks before the experiment started (" + window +
                 "); CUPED cannot reduce variance, its estimates equal the unadjusted ones and the headline uses "
                 "the unadjusted estimate.");
  } else if (c.accounts_short > 0) {
    cv.push_back("Short pre-period history: " + std::to_string(c.accounts_short) + " of " +
                 std::to_string(accounts) + " accounts (" +
                 percent(static_cast<double>(c.accounts_short) / static_cast<double>(accounts)) +
                 ") were observed in fewer than " + std::to_string(c.min_weeks) + " of the " +
                 std::to_string(c.window_weeks) + " weeks before the experiment started (" + window +
                 "); CUPED gives them the average covariate, so they are compared unadjusted.");
  }
  return cv;
}

// Caveats about the whole experiment, most serious first.
std::vector<std::string> experiment_caveats(const ExperimentAnalysis& out, const Arms& arms,
                                            const AnalysisOptions& options, const stats::SampleRatioTest& srm,
                                            const std::vector<std::string>& skipped, bool no_forecasts) {
  const auto& treatment = arms.treatment;
  const auto& holdout = arms.holdout;
  std::vector<std::string> cv;
  if (out.sample_ratio.mismatch)
    cv.push_back("Sample ratio mismatch: " + std::to_string(holdout.size()) + " of " +
                 std::to_string(arms.all.size()) + " accounts in the holdout, expected " +
                 percent(options.holdout_share) + format(" (chi-square %.1f, ", srm.chi_square) +
                 format("p = %.2g < 0.001). ", srm.p_value) +
                 "Assignment or data collection is broken; do not trust the effects until it is explained.");
  if (treatment.size() < kSmallArmAccounts || holdout.size() < kSmallArmAccounts)
    cv.push_back("Small sample: " + std::to_string(treatment.size()) + " treatment and " +
                 std::to_string(holdout.size()) + " holdout accounts (under " + std::to_string(kSmallArmAccounts) +
                 " in an arm); the normal approximation behind the intervals is rough.");
  if (week_count(options.from, options.to) < kShortPeriodWeeks)
    cv.push_back("Short period: " + std::to_string(week_count(options.from, options.to)) +
                 " weeks (under " + std::to_string(kShortPeriodWeeks) +
                 "); a single payday cycle or billing month can dominate.");
  const Effect& od_fees = out.effects[2];
  const Effect& all_fees = out.effects[3];
  if (od_fees.absolute_ci.high < 0 && !(all_fees.absolute_ci.high < 0))
    cv.push_back("Fees moved: overdraft fees are significantly lower but total fees are not; the nudge may be "
                 "shifting charges (e.g. to transfer or late fees) rather than saving customers money.");
  if (out.effects[0].holdout == 0)
    cv.push_back("No overdrafts in the holdout: relative effects are undefined and shown as 0.");
  for (std::string& c : cuped_caveats(out.cuped, arms.all.size())) cv.push_back(std::move(c));
  if (!skipped.empty()) {
    std::string list;
    for (const std::string& s : skipped) list += (list.empty() ? "" : ", ") + s;
    cv.push_back("Not estimated (fewer than 2 accounts with observed weeks in an arm): " + list + ".");
  }
  if (no_forecasts) cv.push_back("No matured forecasts: forecast health is empty.");
  return cv;
}

// The primary estimate's confidence sequence. The mixing variance is tuned
// to make the sequence narrowest at the planned end: rho^2 = r * V_planned,
// with V_planned extrapolated from this look as V * elapsed / planned (the
// variance of an estimate over account-weeks shrinks about as 1 / weeks).
// This is Waudby-Smith et al.'s tuning of their asymptotic sequence (rho
// fixed on the standardized scale, the variance estimated at each look).
SequentialEstimate sequential_estimate(const ExperimentAnalysis& out, const AnalysisOptions& options) {
  SequentialEstimate s;
  s.metric = out.primary_metric;
  s.analysis = out.cuped_primary ? "cuped" : "unadjusted";
  const auto primary = std::find_if(out.effects.begin(), out.effects.end(),
                                    [&](const Effect& e) { return e.metric == out.primary_metric; });
  if (primary == out.effects.end()) return s;
  s.absolute = out.cuped_primary ? primary->cuped_absolute : primary->absolute;
  const double se = out.cuped_primary ? primary->cuped_absolute_se : primary->absolute_se;
  s.elapsed_days = static_cast<int>((options.to - options.from).count());
  s.planned_weeks = options.planned_weeks > 0 ? options.planned_weeks : (s.elapsed_days + 6) / 7;
  const double variance = se * se;
  if (!(variance > 0)) {
    s.absolute_ci = {s.absolute, s.absolute};
    s.significant = s.absolute != 0;
    s.p_value = s.significant ? 0.0 : 1.0;
    return s;
  }
  const double planned_variance = variance * s.elapsed_days / (7.0 * s.planned_weeks);
  const double rho_squared = stats::mixture_tuning_ratio(options.alpha) * planned_variance;
  s.rho = std::sqrt(rho_squared);
  const double half = stats::confidence_sequence_half_width(variance, rho_squared, options.alpha);
  s.absolute_ci = {s.absolute - half, s.absolute + half};
  s.significant = s.absolute_ci.low > 0 || s.absolute_ci.high < 0;
  s.p_value = stats::mixture_p_value(s.absolute, variance, rho_squared);
  return s;
}

}  // namespace

ExperimentAnalysis analyze_experiment(const std::string& experiment, const std::vector<AccountOutcome>& accounts,
                                      const std::vector<ForecastOutcome>& forecasts, const AnalysisOptions& options) {
  validate(accounts, forecasts, options);
  ExperimentAnalysis out;
  out.experiment = experiment;
  out.from = options.from;
  out.to = options.to;

  Arms arms = split_by_arm(accounts);
  require_arm(arms.treatment.size(), "treatment");
  require_arm(arms.holdout.size(), "holdout");

  // Sample ratio.
  const stats::SampleRatioTest srm =
      stats::sample_ratio_test(arms.treatment.size(), arms.holdout.size(), options.holdout_share);
  out.sample_ratio = {arms.treatment.size(), arms.holdout.size(), options.holdout_share, srm.chi_square, srm.p_value,
                      srm.p_value < 0.001};

  out.cuped = cuped_covariate(options, arms.all);
  arms.covariates = pre_period_covariates(arms.all, out.cuped.window_weeks, out.cuped.min_weeks);
  // CUPED leads when its covariate is a pre-experiment one that someone has.
  out.cuped_primary = out.cuped.before_start && arms.covariates.usable > 0;
  const MetricTable mt = arms.table(arms.treatment);
  const MetricTable mh = arms.table(arms.holdout);
  if (!(sum_of(mt.incidence.denominator) > 0))
    throw std::invalid_argument("analyze_experiment: no account-weeks observed in the treatment arm");
  if (!(sum_of(mh.incidence.denominator) > 0))
    throw std::invalid_argument("analyze_experiment: no account-weeks observed in the holdout arm");

  out.effects.push_back(estimate_effect(kIncidence, mt.incidence, mh.incidence, options, true));
  out.effects.push_back(estimate_effect(kDays, mt.days, mh.days, options, true));
  out.effects.push_back(estimate_effect(kOverdraftFees, mt.overdraft_fees, mh.overdraft_fees, options, true));
  out.effects.push_back(estimate_effect(kTotalFees, mt.total_fees, mh.total_fees, options, true));
  out.sequential = sequential_estimate(out, options);

  std::vector<std::string> skipped;
  variant_effects(arms, mh.incidence, options, skipped, out);
  out.segments = segment_effects(arms, options, skipped);
  out.targeted = targeted_comparison(arms, options, out.caveats);
  out.funnel = funnel(arms);
  out.weekly = weekly_rates(arms, options);
  out.forecast_health = forecast_health(forecasts, options.from, options.calibration_bins);

  // Caveats, most serious first.
  std::vector<std::string> late = std::move(out.caveats);
  out.caveats = experiment_caveats(out, arms, options, srm, skipped, forecasts.empty());
  for (std::string& s : late) out.caveats.push_back(std::move(s));
  return out;
}

}  // namespace headroom::measurement
