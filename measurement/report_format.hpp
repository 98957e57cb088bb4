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

// A formatted interval "a to b" in one style; "a or more" when b is
// +infinity (an unbounded relative interval), "b or less" when a is -infinity.
std::string format_interval(const Interval& interval, NumberStyle style);

// One effect as one analysis (unadjusted or CUPED) reads it. Significant:
// the absolute interval excludes 0, i.e. p < 1 - kConfidenceLevel; the
// relative interval (Fieller, stats.hpp) excludes 0 exactly then too.
struct EffectReading {
  bool cuped = false;
  double absolute = 0;
  Interval absolute_ci;
  double relative = 0;
  Interval relative_ci;
  double p_value = 1;
  bool significant = false;
};
EffectReading read_effect(const Effect& effect, bool cuped);

// What the headline can say, decided in this order.
enum class Verdict {
  kNoEstimate,           // no effect of the primary metric
  kNoNudgesSent,         // the funnel's "sent" step is 0 in treatment: nothing to measure
  kNoHoldoutOverdrafts,  // the holdout's rate is 0: no relative change
  kInconclusive,         // the interval includes no effect
  kReduced,              // significant, lower with nudges
  kIncreased,            // significant, higher with nudges
};
// "no_estimate", "no_nudges_sent", "no_holdout_overdrafts", "inconclusive", "reduced", "increased".
const char* verdict_name(Verdict verdict);

// The experiment's primary metric (analysis.primary_metric) in its primary
// analysis (CUPED when analysis.cuped_primary), and the verdict on it.
struct PrimaryResult {
  const Effect* effect = nullptr;  // into the analysis; nullptr with kNoEstimate
  EffectReading reading;
  Verdict verdict = Verdict::kNoEstimate;
};
PrimaryResult primary_result(const ExperimentAnalysis& analysis);

// The headline in plain words, from primary_result: e.g. "Nudges reduced
// overdraft incidence by 12.3% (95% CI 5.1% to 19.8%) versus holdout,
// CUPED-adjusted.", "Inconclusive: ...", "No nudges were sent ...".
std::string headline(const ExperimentAnalysis& analysis);

// The sample-ratio check in plain words ("Sample ratio OK: ...").
std::string sample_ratio_summary(const SampleRatio& sample_ratio);

// Confidence level shown next to every interval (experiment.hpp: 95%).
inline constexpr double kConfidenceLevel = 0.95;

}  // namespace headroom::measurement
