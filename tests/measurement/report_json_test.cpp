// report.json: every analysis value, unrounded, plus the texts the page shows.
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "measurement/report_format.hpp"
#include "measurement/report_json.hpp"
#include "tests/measurement/report_fixture.hpp"

namespace headroom::measurement {
namespace {

TEST(ReportJson, HoldsEveryValueUnrounded) {
  const auto a = testing::sample_analysis();
  const auto j = nlohmann::json::parse(render_report_json(a));
  EXPECT_EQ(j["experiment"], "spring-nudges_2");
  EXPECT_EQ(j["from"], "2026-03-02");
  EXPECT_EQ(j["to"], "2026-05-25");
  ASSERT_EQ(j["effects"].size(), 4u);
  EXPECT_EQ(j["effects"][0]["metric"], "overdraft_incidence");
  EXPECT_EQ(j["effects"][0]["treatment"].get<double>(), a.effects[0].treatment);
  EXPECT_EQ(j["effects"][0]["relative_ci"]["low"].get<double>(), a.effects[0].relative_ci.low);
  EXPECT_EQ(j["effects"][0]["absolute_ci_bootstrap"]["high"].get<double>(), -0.0122);
  EXPECT_TRUE(j["effects"][1]["absolute_ci_bootstrap"].is_null());
  EXPECT_EQ(j["effects"][2]["cuped_p_value"].get<double>(), a.effects[2].cuped_p_value);
  EXPECT_EQ(j["segments"].size(), a.segments.size());
  EXPECT_EQ(j["segments"][0]["segment"], "<0");
  EXPECT_EQ(j["segments"][0]["treatment_accounts"], 2253);
  EXPECT_EQ(j["variants"][1]["variant"], "urgent");
  EXPECT_EQ(j["variants"][1]["p_holm"].get<double>(), 0.0426);
  ASSERT_EQ(j["variant_pairs"].size(), 1u);
  EXPECT_EQ(j["variant_pairs"][0]["variant"], "gentle");
  EXPECT_EQ(j["variant_pairs"][0]["other"], "urgent");
  EXPECT_EQ(j["variant_pairs"][0]["other_accounts"], 4501);
  EXPECT_EQ(j["variant_pairs"][0]["incidence"]["holdout"].get<double>(), 0.0844);
  EXPECT_EQ(j["variant_pairs"][0]["p_holm"].get<double>(), 0.6182);
  EXPECT_EQ(j["variant_correction"]["method"], "holm");
  EXPECT_EQ(j["variant_correction"]["comparisons"], 3);
  EXPECT_EQ(j["targeted"]["nudged_accounts"], 3120);
  EXPECT_EQ(j["weekly"].size(), 12u);
  EXPECT_EQ(j["weekly"][1]["week_start"], "2026-03-09");
  EXPECT_EQ(j["forecast_health"]["forecasts"], 512345);
  EXPECT_EQ(j["forecast_health"]["calibration"].size(), 10u);
  EXPECT_EQ(j["forecast_health"]["weekly"][0]["brier"].get<double>(), 0.0712);
  EXPECT_EQ(j["caveats"].size(), 2u);
}

TEST(ReportJson, CarriesTheTextsAndDerivedSharesThePageShows) {
  const auto a = testing::sample_analysis();
  const auto j = report_json(a);
  EXPECT_EQ(j["headline"], headline(a));
  EXPECT_EQ(j["sample_ratio"]["summary"], sample_ratio_summary(a.sample_ratio));
  EXPECT_EQ(j["sample_ratio"]["status"], "ok");
  EXPECT_DOUBLE_EQ(j["sample_ratio"]["observed_holdout_share"].get<double>(), 1004.0 / 10017.0);
  EXPECT_EQ(j["funnel"][3]["step"], "sent");
  EXPECT_DOUBLE_EQ(j["funnel"][3]["treatment_share"].get<double>(), 2987.0 / 9013.0);
  EXPECT_DOUBLE_EQ(j["funnel"][0]["holdout_share"].get<double>(), 1.0);
  EXPECT_EQ(j["confidence_level"].get<double>(), 0.95);
}

TEST(ReportJson, NamesThePrimaryAnalysisItsVerdictAndCupedsCovariate) {
  auto a = testing::sample_analysis();
  auto j = report_json(a);
  EXPECT_EQ(j["primary"]["metric"], "overdraft_incidence");
  EXPECT_EQ(j["primary"]["analysis"], "cuped");
  EXPECT_EQ(j["primary"]["verdict"], "reduced");
  EXPECT_EQ(j["primary"]["significant"], true);
  EXPECT_EQ(j["cuped"]["experiment_start"], "2026-03-02");
  EXPECT_EQ(j["cuped"]["from"], "2026-01-05");
  EXPECT_EQ(j["cuped"]["to"], "2026-03-02");
  EXPECT_EQ(j["cuped"]["before_start"], true);
  EXPECT_EQ(j["cuped"]["window_weeks"], 8);
  EXPECT_EQ(j["cuped"]["min_weeks"], 4);
  EXPECT_EQ(j["cuped"]["accounts_short"], 37);
  a.cuped_primary = false;
  a.effects[0].absolute_ci = {-0.01, 0.002};
  j = report_json(a);
  EXPECT_EQ(j["primary"]["analysis"], "unadjusted");
  EXPECT_EQ(j["primary"]["verdict"], "inconclusive");
  EXPECT_EQ(j["primary"]["significant"], false);
}

// No upper end (stats::ratio_interval): null, as JSON has no infinity.
TEST(ReportJson, CarriesThePrimaryMetricsConfidenceSequence) {
  const auto j = report_json(testing::sample_analysis());
  const auto& q = j["sequential"];
  EXPECT_EQ(q["metric"], "overdraft_incidence");
  EXPECT_EQ(q["analysis"], "cuped");
  EXPECT_DOUBLE_EQ(q["absolute"].get<double>(), -0.02113);
  EXPECT_DOUBLE_EQ(q["absolute_ci"]["low"].get<double>(), -0.03291);
  EXPECT_DOUBLE_EQ(q["absolute_ci"]["high"].get<double>(), -0.00935);
  EXPECT_DOUBLE_EQ(q["p_value"].get<double>(), 0.01377);
  EXPECT_EQ(q["significant"], true);
  EXPECT_EQ(q["planned_weeks"], 12);
  EXPECT_EQ(q["elapsed_days"], 84);
  EXPECT_DOUBLE_EQ(q["rho"].get<double>(), 0.01614);
}

TEST(ReportJson, AnUnboundedIntervalEndIsNull) {
  auto a = testing::sample_analysis();
  a.effects[1].relative_ci.high = std::numeric_limits<double>::infinity();
  const auto j = nlohmann::json::parse(render_report_json(a));
  EXPECT_TRUE(j["effects"][1]["relative_ci"]["high"].is_null());
  EXPECT_EQ(j["effects"][1]["relative_ci"]["low"].get<double>(), a.effects[1].relative_ci.low);
}

TEST(ReportJson, MismatchedSampleRatioIsFlagged) {
  auto a = testing::sample_analysis();
  a.sample_ratio.mismatch = true;
  EXPECT_EQ(report_json(a)["sample_ratio"]["status"], "mismatch");
}

}  // namespace
}  // namespace headroom::measurement
