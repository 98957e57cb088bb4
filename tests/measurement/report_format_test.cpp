// The one formatting function the HTML, JSON and CSV renderers share, and the
// plain-language sentences built with it.
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/report_format.hpp"
#include "tests/measurement/report_fixture.hpp"

namespace headroom::measurement {
namespace {

using ::testing::HasSubstr;

struct FormatCase {
  double value;
  NumberStyle style;
  const char* expected;
};

TEST(ReportFormat, FormatsEachStyleAsDocumented) {
  const FormatCase cases[] = {
      {0.1234, NumberStyle::kPercent, "12.3%"},   {0.12, NumberStyle::kPercent, "12%"},
      {-0.0567, NumberStyle::kPercent, "-5.7%"},  {0.95, NumberStyle::kPercent, "95%"},
      {-0.00001, NumberStyle::kPercent, "0%"},    {-0.0123, NumberStyle::kPoints, "-1.23 pp"},
      {0.02, NumberStyle::kPoints, "2 pp"},       {1234, NumberStyle::kCount, "1,234"},
      {1234567, NumberStyle::kCount, "1,234,567"}, {12.26, NumberStyle::kCount, "12.3"},
      {999, NumberStyle::kCount, "999"},          {0.1234, NumberStyle::kDecimal, "0.123"},
      {12345, NumberStyle::kDollars, "$123.45"},  {-120, NumberStyle::kDollars, "-$1.20"},
      {123456789, NumberStyle::kDollars, "$1,234,567.89"}, {-0.2, NumberStyle::kDollars, "$0.00"},
      {0.0312, NumberStyle::kPValue, "0.031"},   {0.0004, NumberStyle::kPValue, "<0.001"},
      {1, NumberStyle::kPValue, "1.000"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_number(c.value, c.style), c.expected) << c.value;
}

TEST(ReportFormat, NonFiniteValuesPrintAsNotAvailable) {
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN(), NumberStyle::kPercent), "n/a");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity(), NumberStyle::kDollars), "n/a");
}

TEST(ReportFormat, MetricsPickTheirStyles) {
  EXPECT_EQ(value_style("overdraft_incidence"), NumberStyle::kPercent);
  EXPECT_EQ(absolute_style("overdraft_incidence"), NumberStyle::kPoints);
  EXPECT_EQ(value_style("overdraft_fees"), NumberStyle::kDollars);
  EXPECT_EQ(absolute_style("total_fees"), NumberStyle::kDollars);
  EXPECT_EQ(value_style("overdraft_days"), NumberStyle::kDecimal);
}

// The fixture's incidence effect, read by CUPED (the primary analysis):
// set its difference, interval and relative change.
void set_cuped(Effect& e, double absolute, Interval absolute_ci, double relative, Interval relative_ci) {
  e.cuped_absolute = absolute;
  e.cuped_absolute_ci = absolute_ci;
  e.cuped_relative = relative;
  e.cuped_relative_ci = relative_ci;
}

TEST(Headline, SaysASignificantReductionOfThePrimaryAnalysisWithItsIntervalTurnedAround) {
  auto a = testing::sample_analysis();
  set_cuped(a.effects[0], -0.0213, {-0.0341, -0.0085}, -0.2061, {-0.3295, -0.0828});
  EXPECT_EQ(headline(a),
            "Nudges reduced overdraft incidence by 20.6% (95% CI 8.3% to 33%) versus holdout, CUPED-adjusted.");
  EXPECT_EQ(primary_result(a).verdict, Verdict::kReduced);
}

// The unadjusted estimate leads only when CUPED's covariate is not valid.
TEST(Headline, UsesTheUnadjustedEstimateWhenCupedDoesNotLead) {
  auto a = testing::sample_analysis();
  a.cuped_primary = false;
  auto& e = a.effects[0];
  e.absolute_ci = {-0.0341, -0.0085};
  e.relative = -0.2061;
  e.relative_ci = {-0.3295, -0.0828};
  set_cuped(e, 0.001, {-0.01, 0.012}, 0.01, {-0.1, 0.12});  // would be inconclusive
  EXPECT_EQ(headline(a), "Nudges reduced overdraft incidence by 20.6% (95% CI 8.3% to 33%) versus holdout.");
}

TEST(Headline, SaysInconclusiveWhenThePrimaryIntervalIncludesNoEffect) {
  auto a = testing::sample_analysis();
  set_cuped(a.effects[0], -0.0052, {-0.0124, 0.0021}, -0.05, {-0.12, 0.02});
  a.effects[0].absolute_ci = {-0.0301, -0.0093};  // the unadjusted interval excludes 0, but CUPED leads
  EXPECT_EQ(headline(a),
            "Inconclusive: overdraft incidence changed by -5% with nudges (95% CI -12% to 2%) versus holdout, "
            "CUPED-adjusted; the interval includes no effect, so this could be chance.");
  EXPECT_EQ(primary_result(a).verdict, Verdict::kInconclusive);
}

// A relative interval alone cannot make a claim: significance is the absolute test's.
TEST(Headline, FollowsTheAbsoluteTestWhateverTheRelativeIntervalSays) {
  auto a = testing::sample_analysis();
  set_cuped(a.effects[0], -0.0102, {-0.0205, 0.0001}, -0.0986, {-0.19, -0.01});
  EXPECT_THAT(headline(a), ::testing::StartsWith("Inconclusive: "));
  EXPECT_FALSE(primary_result(a).reading.significant);
}

TEST(Headline, SaysASignificantIncrease) {
  auto a = testing::sample_analysis();
  set_cuped(a.effects[0], 0.0103, {0.0031, 0.0176}, 0.1, {0.03, 0.17});
  EXPECT_EQ(headline(a),
            "Nudges increased overdraft incidence by 10% (95% CI 3% to 17%) versus holdout, CUPED-adjusted.");
  EXPECT_EQ(primary_result(a).verdict, Verdict::kIncreased);
  // Against a holdout rate not clearly above zero, the interval has no upper end.
  a.effects[0].cuped_relative_ci = {0.4, std::numeric_limits<double>::infinity()};
  EXPECT_EQ(headline(a),
            "Nudges increased overdraft incidence by 10% (95% CI 40% or more) versus holdout, CUPED-adjusted.");
}

TEST(Headline, SaysNoNudgesWereSentWhenNoneWere) {
  auto a = testing::sample_analysis();
  set_cuped(a.effects[0], 0.0212, {0.0101, 0.0323}, 0.312, {0.14, 0.49});  // a "significant increase"
  for (auto& step : a.funnel)
    if (step.step == "sent" || step.step == "seen") step.treatment = 0;
  EXPECT_EQ(headline(a),
            "No nudges were sent in this period, so it cannot show an effect of nudges: overdraft incidence was "
            "8.2% in the treatment arm and 10.3% in the holdout.");
  EXPECT_EQ(primary_result(a).verdict, Verdict::kNoNudgesSent);
  EXPECT_STREQ(verdict_name(Verdict::kNoNudgesSent), "no_nudges_sent");
}

TEST(Headline, UnboundedIntervalsReadAsOneSided) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(format_interval({0.4, inf}, NumberStyle::kPercent), "40% or more");
  EXPECT_EQ(format_interval({-inf, -0.2}, NumberStyle::kPercent), "-20% or less");
  EXPECT_EQ(format_interval({-inf, inf}, NumberStyle::kPercent), "n/a to n/a");
}

TEST(ReportFormat, HeadlineWithoutARelativeChangeGivesBothRates) {
  auto a = testing::sample_analysis();
  a.effects[0].treatment = 0.01;
  a.effects[0].holdout = 0;
  a.effects[0].relative = 0;  // what the analysis reports then (docs/analysis.md)
  const std::string expected =
      "Overdraft incidence was 1% with nudges versus 0% in the holdout; a relative change cannot be given "
      "because the holdout had no overdrafts.";
  EXPECT_EQ(headline(a), expected);
  a.effects[0].relative = a.effects[0].cuped_relative = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(headline(a), expected);
}

TEST(ReportFormat, HeadlineWithoutAnIncidenceEffectSaysSo) {
  ExperimentAnalysis a;
  EXPECT_THAT(headline(a), HasSubstr("No overdraft incidence estimate"));
  EXPECT_EQ(primary_result(a).verdict, Verdict::kNoEstimate);
}

TEST(ReportFormat, SampleRatioSummaryNamesCountsAndStatus) {
  SampleRatio ok{9013, 1004, 0.10, 0.0123, 0.9117, false};
  EXPECT_EQ(sample_ratio_summary(ok),
            "Sample ratio OK: 9,013 treatment and 1,004 holdout accounts (holdout share 10%, expected 10%; "
            "p = 0.912), consistent with the policy's holdout share.");
  SampleRatio bad{9500, 500, 0.10, 278.0, 1e-9, true};
  EXPECT_THAT(sample_ratio_summary(bad), HasSubstr("Sample ratio MISMATCH: 9,500 treatment and 500 holdout"));
  EXPECT_THAT(sample_ratio_summary(bad), HasSubstr("p = <0.001"));
  EXPECT_THAT(sample_ratio_summary(bad), HasSubstr("do not trust the effects"));
}

}  // namespace
}  // namespace headroom::measurement
