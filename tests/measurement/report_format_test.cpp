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

TEST(ReportFormat, HeadlineSaysAReductionWithItsIntervalTurnedAround) {
  auto a = testing::sample_analysis();
  auto& e = a.effects[0];
  e.relative = -0.2061;
  e.relative_ci = {-0.3295, -0.0828};
  EXPECT_EQ(headline(a),
            "Nudges reduced overdraft incidence by 20.6% (95% CI 8.3% to 33%) versus holdout.");
}

TEST(ReportFormat, HeadlineWarnsWhenTheIntervalIncludesNoEffect) {
  auto a = testing::sample_analysis();
  a.effects[0].relative = -0.05;
  a.effects[0].relative_ci = {-0.12, 0.02};
  EXPECT_EQ(headline(a),
            "Nudges reduced overdraft incidence by 5% (95% CI -2% to 12%) versus holdout; the interval includes no "
            "effect, so this could be chance.");
}

TEST(ReportFormat, HeadlineSaysAnIncrease) {
  auto a = testing::sample_analysis();
  a.effects[0].relative = 0.1;
  a.effects[0].relative_ci = {0.03, 0.17};
  EXPECT_THAT(headline(a), HasSubstr("Nudges increased overdraft incidence by 10% (95% CI 3% to 17%)"));
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
  a.effects[0].relative = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(headline(a), expected);
}

TEST(ReportFormat, HeadlineWithoutAnIncidenceEffectSaysSo) {
  ExperimentAnalysis a;
  EXPECT_THAT(headline(a), HasSubstr("No overdraft incidence estimate"));
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
