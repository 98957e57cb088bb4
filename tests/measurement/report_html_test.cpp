// index.html: self-contained, the key sections present, and every number on
// the page the display form of a value in report.json.
#include <limits>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/report_format.hpp"
#include "measurement/report_html.hpp"
#include "measurement/report_json.hpp"
#include "tests/measurement/report_fixture.hpp"
#include "tests/measurement/report_numbers.hpp"

namespace headroom::measurement {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(ReportHtml, EveryNumberOnThePageIsAValueOfTheJson) {
  const auto a = testing::sample_analysis();
  std::size_t checked = 0;
  const auto missing =
      testing::numbers_missing_from_json(render_report_html(a), report_json(a), &checked);
  EXPECT_THAT(missing, IsEmpty());
  EXPECT_GT(checked, 200u);  // the check saw the tables and charts, not an empty page
}

TEST(ReportHtml, TheNumberCheckCatchesANumberThatIsNotInTheJson) {
  const auto a = testing::sample_analysis();
  std::string html = render_report_html(a);
  html.insert(html.find("</body>"), "<p>Overdrafts fell 42.42% overall.</p>");
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), ::testing::ElementsAre("42.42%"));
}

TEST(ReportHtml, HasEverySectionTheAnalystNeeds) {
  const std::string html = render_report_html(testing::sample_analysis());
  for (const char* id : {"id=\"headline\"", "id=\"sample-ratio\"", "id=\"caveats\"", "id=\"effects\"",
                         "id=\"effect-chart\"", "id=\"weekly-chart\"", "id=\"funnel-chart\"", "id=\"targeted\"",
                         "id=\"segment-table\"", "id=\"variant-table\"", "id=\"calibration-chart\""})
    EXPECT_THAT(html, HasSubstr(id)) << id;
  EXPECT_THAT(html, HasSubstr("class=\"srm-ok\""));
  EXPECT_THAT(html, HasSubstr(html_escape(headline(testing::sample_analysis()))));
  EXPECT_THAT(html, HasSubstr("The holdout is small (1,004 accounts): intervals are wide."));
}

TEST(ReportHtml, VariantsShowTheirHolmAdjustedPAndThePairsAgainstEachOther) {
  const auto a = testing::sample_analysis();
  const std::string html = render_report_html(a);
  const auto start = html.find("<section id=\"variants\">");
  ASSERT_NE(start, std::string::npos);
  const std::string section = html.substr(start, html.find("</section>", start) - start);
  EXPECT_THAT(section, HasSubstr("Intention to treat"));
  EXPECT_THAT(section, HasSubstr("adjusted for the 3 comparisons in these tables (Holm's method)"));
  EXPECT_THAT(section, HasSubstr("id=\"variant-pair-table\""));
  EXPECT_THAT(section, HasSubstr("<td>0.043</td></tr>"));  // urgent's p (Holm)
  EXPECT_THAT(section, HasSubstr("<tr><td>gentle</td><td>urgent</td><td>4,512</td><td>4,501</td>"));
  EXPECT_THAT(section, HasSubstr("<td>0.618</td></tr>"));  // the pair's p (Holm)
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

TEST(ReportHtml, ShowsTheConfidenceSequenceBesideTheFixedHorizonInterval) {
  auto a = testing::sample_analysis();
  std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("id=\"sequential\" data-significant=\"true\""));
  EXPECT_THAT(html, HasSubstr("confidence sequence " + html_escape(format_interval(a.sequential.absolute_ci,
                                                                                     NumberStyle::kPoints))));
  EXPECT_THAT(html, HasSubstr("84 days into a 12-week plan"));
  a.sequential.significant = false;
  a.sequential.absolute_ci = {-0.031, 0.0012};
  html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("data-significant=\"false\""));
  EXPECT_THAT(html, HasSubstr("It includes zero: not yet evidence of an effect"));
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

TEST(ReportHtml, ChartsHaveOneMarkPerDataPoint) {
  const auto a = testing::sample_analysis();
  const std::string html = render_report_html(a);
  const auto section = [&](const std::string& id) {
    const auto start = html.find("<svg id=\"" + id + "\"");
    return html.substr(start, html.find("</svg>", start) - start);
  };
  const auto count = [](const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(section("weekly-chart"), "<circle"), 2 * a.weekly.size());
  EXPECT_EQ(count(section("weekly-chart"), "<polyline"), 2u);
  EXPECT_EQ(count(section("funnel-chart"), "<rect"), 2 * a.funnel.size());
  EXPECT_EQ(count(section("effect-chart"), "<circle"), a.effects.size());
  EXPECT_EQ(count(section("calibration-chart"), "<circle"), a.forecast_health.calibration.size());
}

TEST(ReportHtml, IsSelfContainedWithoutScripts) {
  const std::string html = render_report_html(testing::sample_analysis());
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_FALSE(std::regex_search(html, std::regex("href=\"https?:")));
}

TEST(ReportHtml, EscapesNamesFromTheDatabase) {
  auto a = testing::sample_analysis();
  a.experiment = "<b>x</b>&";
  a.segments[0].segment = "\"quoted\"";
  const std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;x&lt;/b&gt;&amp;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>x</b>")));
  EXPECT_THAT(html, HasSubstr("&quot;quoted&quot;"));
}

TEST(ReportHtml, SampleRatioMismatchIsShownAsSuch) {
  auto a = testing::sample_analysis();
  a.sample_ratio = {9500, 500, 0.10, 278.0, 1e-9, true};
  const std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("class=\"srm-mismatch\""));
  EXPECT_THAT(html, HasSubstr("Sample ratio MISMATCH"));
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

TEST(ReportHtml, RendersAnAnalysisWithEmptyListsAndUndefinedRatios) {
  auto a = testing::sample_analysis();
  a.weekly.clear();
  a.segments.clear();
  a.variants.clear();
  a.variant_pairs.clear();
  a.variant_comparisons = 0;
  a.caveats.clear();
  a.forecast_health = {};
  a.effects[2].relative = std::numeric_limits<double>::quiet_NaN();
  const std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("id=\"weekly-chart\""));
  EXPECT_THAT(html, HasSubstr("No caveats"));
  EXPECT_THAT(html, Not(HasSubstr("nan")));
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

// The effect chart's mark colour for one metric.
std::string chart_colour(const std::string& html, const std::string& label) {
  const auto start = html.find("<g class=\"effect\"><title>" + label + ":");
  const auto fill = html.find("fill=\"", html.find("<circle", start)) + 6;
  return html.substr(fill, 7);
}

// The reviewer's case: overdraft days' absolute interval includes 0 (p =
// 0.051) while a relative interval built another way excluded it, and the
// chart coloured it green. Colours follow the absolute test of the
// analysis the chart draws.
TEST(ReportHtml, EffectChartColoursFollowTheSignificanceOfTheTestItDraws) {
  auto a = testing::sample_analysis();
  a.cuped_primary = false;
  Effect& days = a.effects[1];
  days.absolute_ci = {-0.91, 0.004};
  days.p_value = 0.051;
  days.relative_ci = {-0.25, -0.01};
  a.effects[0].absolute_ci = {-0.0301, -0.0093};  // significantly fewer
  a.effects[3].absolute = 120;
  a.effects[3].absolute_ci = {20, 220};  // significantly more
  const std::string html = render_report_html(a);
  EXPECT_EQ(chart_colour(html, "Overdraft days"), "#1f6fb2");  // blue: not significant
  EXPECT_EQ(chart_colour(html, "Overdraft incidence"), "#2e8540");
  EXPECT_EQ(chart_colour(html, "Total fees"), "#b3261e");
  // With CUPED leading, the chart draws and colours CUPED's figures.
  a.cuped_primary = true;
  a.effects[0].cuped_absolute_ci = {-0.012, 0.001};
  const std::string cuped = render_report_html(a);
  EXPECT_EQ(chart_colour(cuped, "Overdraft incidence"), "#1f6fb2");
  EXPECT_THAT(cuped, HasSubstr("Relative change with nudges, CUPED-adjusted"));
}

TEST(ReportHtml, SaysWhichEstimateLeadsAndWhereCupedsCovariateWasMeasured) {
  auto a = testing::sample_analysis();
  std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("CUPED uses each account's overdrafts in the 8 weeks before the experiment started on "
                              "2026-03-02 (2026-01-05 up to 2026-03-02); 37 accounts observed in fewer than 4 of "
                              "those weeks are not adjusted. The headline and the chart use the CUPED estimates."));
  EXPECT_THAT(html, HasSubstr("data-verdict=\"reduced\""));
  a.cuped_primary = false;
  a.cuped.before_start = false;
  a.cuped.experiment_start = forecast::make_date(2026, 2, 2);
  html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr("CUPED's covariate was measured from 2026-01-05 up to 2026-03-02, after the experiment "
                              "started on 2026-02-02"));
  EXPECT_THAT(html, HasSubstr("The headline and the chart use the unadjusted estimates (see the caveats)."));
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

TEST(ReportHtml, RendersARelativeIntervalWithoutAnUpperEnd) {
  auto a = testing::sample_analysis();
  a.effects[2].cuped_relative_ci.high = std::numeric_limits<double>::infinity();
  const std::string html = render_report_html(a);
  EXPECT_THAT(html, HasSubstr(" or more)"));
  EXPECT_THAT(html, Not(HasSubstr("inf")));
  EXPECT_THAT(html, Not(HasSubstr("nan")));
  EXPECT_THAT(testing::numbers_missing_from_json(html, report_json(a)), IsEmpty());
}

}  // namespace
}  // namespace headroom::measurement
