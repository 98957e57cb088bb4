#include "measurement/report_format.hpp"

#include <cmath>
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
  return format_number(interval.low, style) + " to " + format_number(interval.high, style);
}

std::string headline(const ExperimentAnalysis& analysis) {
  const Effect* incidence = nullptr;
  for (const auto& e : analysis.effects)
    if (e.metric == "overdraft_incidence") incidence = &e;
  if (incidence == nullptr) return "No overdraft incidence estimate: the analysis produced no incidence effect.";
  const std::string level = format_number(kConfidenceLevel, NumberStyle::kPercent);
  // The analysis reports relative effects as 0 (with a caveat) when the
  // holdout had no overdrafts; a percentage of nothing is not a headline.
  if (!std::isfinite(incidence->relative) || incidence->holdout == 0)
    return "Overdraft incidence was " + format_number(incidence->treatment, NumberStyle::kPercent) +
           " with nudges versus " + format_number(incidence->holdout, NumberStyle::kPercent) +
           " in the holdout; a relative change cannot be given because the holdout had no overdrafts.";
  const bool reduced = incidence->relative < 0;
  // Said as a reduction when it is one: "reduced by 12%" reads better than
  // "changed by -12%"; the interval is turned around with it.
  const double size = reduced ? -incidence->relative : incidence->relative;
  const Interval ci = reduced ? Interval{-incidence->relative_ci.high, -incidence->relative_ci.low}
                              : incidence->relative_ci;
  std::string text = std::string("Nudges ") + (reduced ? "reduced" : "increased") + " overdraft incidence by " +
                     format_number(size, NumberStyle::kPercent) + " (" + level + " CI " +
                     format_interval(ci, NumberStyle::kPercent) + ") versus holdout";
  const bool excludes_zero = incidence->relative_ci.low > 0 || incidence->relative_ci.high < 0;
  if (incidence->relative == 0) {
    text = "Nudges did not change overdraft incidence (" + level + " CI " +
           format_interval(incidence->relative_ci, NumberStyle::kPercent) + ") versus holdout";
  }
  text += excludes_zero ? "." : "; the interval includes no effect, so this could be chance.";
  return text;
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
