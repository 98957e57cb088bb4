#pragma once
// The one place numbers become text in the experiment report. The HTML, the
// JSON and the CSV renderers all go through here, so a number an analyst
// reads in index.html is the display form of a value that report.json holds
// (tests/measurement/report_html_test.cpp checks exactly that).
//
// Display rules (ASCII only, so text is greppable):
//   percent   fraction 0.1234 -> "12.3%", 0.12 -> "12%" (one decimal, ".0" dropped)
//   points    fraction difference -0.0123 -> "-1.23 pp" (two decimals, ".00" dropped)
//   count     1234 -> "1,234"; a fractional count 12.26 -> "12.3"
//   decimal   0.1234 -> "0.123" (three decimals)
//   dollars   cents 12345 -> "$123.45", -120 -> "-$1.20"
//   p_value   0.0312 -> "0.031", below 0.001 -> "<0.001"
// Non-finite values print as "n/a". Negative zero prints as zero.
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "measurement/experiment.hpp"

namespace headroom::measurement {

enum class NumberStyle { kPercent, kPoints, kCount, kDecimal, kDollars, kPValue };

std::string format_number(double value, NumberStyle style);

// How a metric's arm means and absolute effects are shown ("overdraft_incidence"
// is a share: percent and points; "overdraft_days" a decimal; fees dollars).
NumberStyle value_style(std::string_view metric);
NumberStyle absolute_style(std::string_view metric);
// "overdraft_incidence" -> "Overdraft incidence"; unknown names pass through.
std::string metric_label(std::string_view metric);

// A formatted interval "a to b" in one style.
std::string format_interval(const Interval& interval, NumberStyle style);

// The headline in plain words, e.g. "Nudges reduced overdraft incidence by
// 12.3% (95% CI 5.1% to 19.8%) versus holdout." and whether the interval
// excludes no effect. Built from effects[metric == "overdraft_incidence"].
std::string headline(const ExperimentAnalysis& analysis);

// The sample-ratio check in plain words ("Sample ratio OK: ...").
std::string sample_ratio_summary(const SampleRatio& sample_ratio);

// Confidence level shown next to every interval (experiment.hpp: 95%).
inline constexpr double kConfidenceLevel = 0.95;

}  // namespace headroom::measurement
