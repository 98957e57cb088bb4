// The CSV tables for analysts' own tools.
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/report_csv.hpp"
#include "tests/measurement/report_fixture.hpp"

namespace headroom::measurement {
namespace {

using ::testing::StartsWith;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t fields(const std::string& line) { return static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1; }

TEST(ReportCsv, EveryTableHasAHeaderAndOneRowPerItemOfEqualWidth) {
  const auto a = testing::sample_analysis();
  const struct {
    std::string text;
    std::size_t rows;
    const char* header_start;
  } tables[] = {{effects_csv(a), a.effects.size(), "metric,unit,treatment,holdout,absolute,"},
                {segments_csv(a), a.segments.size(), "dimension,segment,treatment_accounts,holdout_accounts,"},
                {variants_csv(a), a.variants.size(), "variant,accounts,treatment,"},
                {variant_pairs_csv(a), a.variant_pairs.size(), "variant,other,accounts,other_accounts,treatment,"},
                {weekly_csv(a), a.weekly.size(), "week_start,treatment,holdout"},
                {funnel_csv(a), a.funnel.size(), "step,treatment,holdout"},
                {calibration_csv(a), a.forecast_health.calibration.size(), "p_low,p_high,forecasts,"}};
  for (const auto& t : tables) {
    const auto ls = lines(t.text);
    ASSERT_EQ(ls.size(), t.rows + 1) << t.header_start;
    EXPECT_THAT(ls[0], StartsWith(t.header_start));
    for (const auto& l : ls) EXPECT_EQ(fields(l), fields(ls[0])) << l;
  }
}

TEST(ReportCsv, NumbersAreUnroundedAndReadBackExactly) {
  const auto a = testing::sample_analysis();
  const auto ls = lines(effects_csv(a));
  EXPECT_THAT(ls[1], StartsWith("overdraft_incidence,share of account-weeks,0.08215,0.10347,"));
  for (double v : {0.1, 1e-05, 0.08215 - 0.10347, 3532.77, 1.0 / 3.0})
    EXPECT_EQ(std::stod(csv_number(v)), v) << csv_number(v);
  EXPECT_EQ(csv_number(-0.0), "0");
  EXPECT_EQ(csv_number(std::numeric_limits<double>::quiet_NaN()), "");
}

TEST(ReportCsv, BootstrapColumnsAreEmptyWithoutABootstrap) {
  const auto ls = lines(effects_csv(testing::sample_analysis()));
  EXPECT_THAT(ls[1], ::testing::HasSubstr(",-0.0301,-0.0122,"));
  EXPECT_THAT(ls[2], ::testing::HasSubstr(",,"));
}

TEST(ReportCsv, TextFieldsWithCommasOrQuotesAreQuoted) {
  auto a = testing::sample_analysis();
  a.segments[0].segment = "0-500, weekly";
  EXPECT_THAT(lines(segments_csv(a))[1], StartsWith("balance_band,\"0-500, weekly\",2253,251,"));
}

TEST(ReportCsv, AccountsTableHasOutcomesArmAndSegmentsButNoContactDetails) {
  AccountOutcome o;
  o.account_id = "acct-7";
  o.arm = Arm::kHoldout;
  o.variant = "gentle";
  o.income_pattern = "biweekly";
  o.balance_band = "0-500";
  o.tenure_band = "1y+";
  o.pre_weeks = 8;
  o.pre_overdraft_weeks = 2;
  o.pre_overdraft_days = 5;
  o.weeks = 12;
  o.overdraft_weeks = 3;
  o.overdraft_days = 7;
  o.overdraft_fee_cents = 10500;
  o.total_fee_cents = 11700;
  o.at_risk = true;
  o.decided = true;
  const auto ls = lines(accounts_csv({o}));
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0],
            "account_id,arm,variant,income_pattern,balance_band,tenure_band,pre_weeks,pre_overdraft_weeks,"
            "pre_overdraft_days,weeks,overdraft_weeks,overdraft_days,overdraft_fee_cents,total_fee_cents,at_risk,"
            "decided,sent,seen");
  EXPECT_EQ(ls[1], "acct-7,holdout,gentle,biweekly,0-500,1y+,8,2,5,12,3,7,10500,11700,1,1,0,0");
}

}  // namespace
}  // namespace headroom::measurement
