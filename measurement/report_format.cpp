#include "measurement/report_format.hpp"

#include <cctype>
#include <cmath>
#include <optional>
#include <cstdio>
#include <string>

#include "forecast/thousands.hpp"

namespace headroom::measurement {
namespace {

// Fixed decimals with a trailing all-zero fraction dropped ("12.0" -> "12").
std::string fixed(double value, int decimals, bool drop_zero_fraction) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  if (drop_zero_fraction) {
    const auto dot = s.find('.');
    if (dot != std::string::npos && s.find_first_not_of('0', dot + 1) == std::string::npos) s.erase(dot);
  }
  // "-0" and "-0.00" read as a sign where there is none.
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

}  // namespace

std::string format_number(double value, NumberStyle style) {
  if (!std::isfinite(value)) return "n/a";
  switch (style) {
    case NumberStyle::kPercent:
      return fixed(value * 100.0, 1, true) + "%";
    case NumberStyle::kPoints:
      return fixed(value * 100.0, 2, true) + " pp";
    case NumberStyle::kCount:
      return forecast::group_thousands(value == std::floor(value) ? fixed(value, 0, false) : fixed(value, 1, false));
    case NumberStyle::kDecimal:
      return fixed(value, 3, false);
    case NumberStyle::kDollars: {
      const std::string s = forecast::group_thousands(fixed(std::abs(value) / 100.0, 2, false));
      return (value < 0 && s.find_first_not_of("0.,") != std::string::npos ? "-$" : "$") + s;
    }
    case NumberStyle::kPValue:
      return value < 0.001 ? "<0.001" : fixed(value, 3, false);
  }
  return "n/a";
}

NumberStyle value_style(std::string_view metric) {
  if (metric == "overdraft_incidence") return NumberStyle::kPercent;
  if (metric == "overdraft_fees" || metric == "total_fees") return NumberStyle::kDollars;
  return NumberStyle::kDecimal;
}

NumberStyle absolute_style(std::string_view metric) {
  return metric == "overdraft_incidence" ? NumberStyle::kPoints : value_style(metric);
}

std::string metric_label(std::string_view metric) {
  if (metric == "overdraft_incidence") return "Overdraft incidence";
  if (metric == "overdraft_days") return "Overdraft days";
  if (metric == "overdraft_fees") return "Overdraft fees";
  if (metric == "total_fees") return "Total fees";
  return std::string(metric);
}

std::string format_interval(const Interval& interval, NumberStyle style) {
  const bool open_low = std::isinf(interval.low) && interval.low < 0 && std::isfinite(interval.high);
  const bool open_high = std::isinf(interval.high) && interval.high > 0 && std::isfinite(interval.low);
  if (open_high) return format_number(interval.low, style) + " or more";
  if (open_low) return format_number(interval.high, style) + " or less";
  return format_number(interval.low, style) + " to " + format_number(interval.high, style);
}

EffectReading read_effect(const Effect& e, bool cuped) {
  EffectReading r;
  r.cuped = cuped;
  r.absolute = cuped ? e.cuped_absolute : e.absolute;
  r.absolute_ci = cuped ? e.cuped_absolute_ci : e.absolute_ci;
  r.relative = cuped ? e.cuped_relative : e.relative;
  r.relative_ci = cuped ? e.cuped_relative_ci : e.relative_ci;
  r.p_value = cuped ? e.cuped_p_value : e.p_value;
  r.significant = r.absolute_ci.low > 0 || r.absolute_ci.high < 0;
  return r;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kNoEstimate: return "no_estimate";
    case Verdict::kNoNudgesSent: return "no_nudges_sent";
    case Verdict::kNoHoldoutOverdrafts: return "no_holdout_overdrafts";
    case Verdict::kInconclusive: return "inconclusive";
    case Verdict::kReduced: return "reduced";
    case Verdict::kIncreased: return "increased";
  }
  return "no_estimate";
}

namespace {

// nullopt when the funnel has no "sent" step (an analysis without one).
std::optional<double> treatment_sent(const ExperimentAnalysis& a) {
  for (const auto& step : a.funnel)
    if (step.step == "sent") return step.treatment;
  return std::nullopt;
}

std::string lower_label(std::string_view metric) {
  std::string s = metric_label(metric);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

PrimaryResult primary_result(const ExperimentAnalysis& a) {
  PrimaryResult p;
  for (const auto& e : a.effects)
    if (e.metric == a.primary_metric) p.effect = &e;
  if (p.effect == nullptr) return p;
  p.reading = read_effect(*p.effect, a.cuped_primary);
  const auto sent = treatment_sent(a);
  if (sent && *sent == 0) p.verdict = Verdict::kNoNudgesSent;
  // The analysis reports relative effects as 0 (with a caveat) when the
  // holdout had none of the metric; a percentage of nothing is not a headline.
  else if (p.effect->holdout == 0 || !std::isfinite(p.reading.relative)) p.verdict = Verdict::kNoHoldoutOverdrafts;
  else if (!p.reading.significant) p.verdict = Verdict::kInconclusive;
  else p.verdict = p.reading.absolute < 0 ? Verdict::kReduced : Verdict::kIncreased;
  return p;
}

std::string headline(const ExperimentAnalysis& analysis) {
  const PrimaryResult p = primary_result(analysis);
  if (p.verdict == Verdict::kNoEstimate)
    return "No " + lower_label(analysis.primary_metric) + " estimate: the analysis produced no effect of the "
           "primary metric.";
  const Effect& e = *p.effect;
  const std::string metric = lower_label(e.metric);
  const NumberStyle vs = value_style(e.metric);
  const std::string level = format_number(kConfidenceLevel, NumberStyle::kPercent);
  const EffectReading& r = p.reading;
  const std::string adjusted = r.cuped ? " versus holdout, CUPED-adjusted" : " versus holdout";
  switch (p.verdict) {
    case Verdict::kNoNudgesSent:
      return "No nudges were sent in this period, so it cannot show an effect of nudges: " + metric + " was " +
             format_number(e.treatment, vs) + " in the treatment arm and " + format_number(e.holdout, vs) +
             " in the holdout.";
    case Verdict::kNoHoldoutOverdrafts:
      return metric_label(e.metric) + " was " + format_number(e.treatment, vs) + " with nudges versus " +
             format_number(e.holdout, vs) + " in the holdout; a relative change cannot be given because the " +
             "holdout had no overdrafts.";
    case Verdict::kInconclusive:
      return "Inconclusive: " + metric + " changed by " + format_number(r.relative, NumberStyle::kPercent) +
             " with nudges (" + level + " CI " + format_interval(r.relative_ci, NumberStyle::kPercent) + ")" +
             adjusted + "; the interval includes no effect, so this could be chance.";
    case Verdict::kReduced: {
      // "reduced by 12%" reads better than "changed by -12%"; the interval
      // is turned around with it.
      const Interval ci{-r.relative_ci.high, -r.relative_ci.low};
      return "Nudges reduced " + metric + " by " + format_number(-r.relative, NumberStyle::kPercent) + " (" + level +
             " CI " + format_interval(ci, NumberStyle::kPercent) + ")" + adjusted + ".";
    }
    case Verdict::kIncreased:
      return "Nudges increased " + metric + " by " + format_number(r.relative, NumberStyle::kPercent) + " (" +
             level + " CI " + format_interval(r.relative_ci, NumberStyle::kPercent) + ")" + adjusted + ".";
    case Verdict::kNoEstimate: break;
  }
  return "";
}

std::string sample_ratio_summary(const SampleRatio& s) {
  const double total = static_cast<double>(s.treatment + s.holdout);
  const std::string counts = format_number(static_cast<double>(s.treatment), NumberStyle::kCount) +
                             " treatment and " + format_number(static_cast<double>(s.holdout), NumberStyle::kCount) +
                             " holdout accounts (holdout share " +
                             format_number(total > 0 ? static_cast<double>(s.holdout) / total : 0,
                                           NumberStyle::kPercent) +
                             ", expected " + format_number(s.expected_holdout_share, NumberStyle::kPercent) +
                             "; p = " + format_number(s.p_value, NumberStyle::kPValue) + ")";
  if (s.mismatch)
    return "Sample ratio MISMATCH: " + counts +
           ". The split differs from the policy's holdout share by more than chance allows, so assignment or "
           "logging is broken somewhere; do not trust the effects until it is explained.";
  return "Sample ratio OK: " + counts + ", consistent with the policy's holdout share.";
}

}  // namespace headroom::measurement
