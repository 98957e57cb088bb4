// CUPED's covariate: measured before the experiment's start or not trusted,
// and accounts with too little pre-experiment history handled explicitly
// (docs/analysis.md, "CUPED").
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/experiment.hpp"

namespace headroom::measurement {
namespace {

using forecast::make_date;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Four experiment weeks from 2025-03-03, which is also the start; a
// four-week pre-period before it.
AnalysisOptions options() {
  AnalysisOptions o;
  o.from = make_date(2025, 3, 3);
  o.to = make_date(2025, 3, 31);
  o.holdout_share = 0.5;
  o.experiment_start = o.from;
  o.pre_period = {make_date(2025, 2, 3), o.from};
  return o;
}

// Twenty accounts whose pre-period tracks their outcome, alternating arms.
std::vector<AccountOutcome> accounts() {
  std::vector<AccountOutcome> out;
  for (int i = 0; i < 20; ++i) {
    AccountOutcome a;
    a.account_id = "a" + std::to_string(i);
    a.arm = i % 2 ? Arm::kTreatment : Arm::kHoldout;
    a.weeks = 4;
    a.overdraft_weeks = i % 5;
    a.overdraft_days = 2 * a.overdraft_weeks + i % 3;
    a.overdraft_fee_cents = 3500 * a.overdraft_weeks;
    a.total_fee_cents = a.overdraft_fee_cents;
    a.pre_weeks = 4;
    a.pre_overdraft_weeks = std::min(4, i % 5 + (i % 3 == 0 ? 1 : 0));
    a.pre_overdraft_days = 2 * a.pre_overdraft_weeks;
    out.push_back(a);
  }
  return out;
}

bool same_cuped(const Effect& a, const Effect& b) {
  return a.cuped_absolute == b.cuped_absolute && a.cuped_absolute_ci.low == b.cuped_absolute_ci.low &&
         a.cuped_absolute_ci.high == b.cuped_absolute_ci.high;
}

TEST(Cuped, APrePeriodBeforeTheStartLeadsAndIsNotCaveated) {
  const ExperimentAnalysis a = analyze_experiment("x", accounts(), {}, options());
  EXPECT_TRUE(a.cuped.before_start);
  EXPECT_TRUE(a.cuped_primary);
  EXPECT_EQ(a.cuped.window_weeks, 4);
  EXPECT_EQ(a.cuped.min_weeks, 2);
  EXPECT_EQ(a.cuped.accounts_short, 0u);
  EXPECT_EQ(a.cuped.experiment_start, make_date(2025, 3, 3));
  EXPECT_GT(a.effects[0].variance_reduction, 0.1);
  EXPECT_THAT(a.caveats, Not(Contains(HasSubstr("CUPED"))));
}

// As `--from` later than the start measured it before: the weeks before
// `from`, two of which were nudged.
TEST(Cuped, ACovariateMeasuredAfterTheStartIsCaveatedAndDoesNotLead) {
  AnalysisOptions o = options();
  o.experiment_start = make_date(2025, 2, 17);
  const ExperimentAnalysis a = analyze_experiment("x", accounts(), {}, o);
  EXPECT_FALSE(a.cuped.before_start);
  EXPECT_FALSE(a.cuped_primary);
  EXPECT_THAT(a.caveats, Contains(HasSubstr("CUPED's covariates were measured over the weeks 2025-02-03 up to "
                                            "2025-03-03, after the experiment started on 2025-02-17")));
}

// Accounts observed in fewer than half the pre-period's weeks get the
// average covariate: what their one week said does not move the estimate.
TEST(Cuped, AccountsWithTooLittlePrePeriodGetTheAverageCovariateAndAreCounted) {
  std::vector<AccountOutcome> quiet = accounts();
  for (int i : {3, 8}) quiet[i].pre_weeks = 1, quiet[i].pre_overdraft_weeks = 0, quiet[i].pre_overdraft_days = 0;
  std::vector<AccountOutcome> loud = quiet;
  for (int i : {3, 8}) loud[i].pre_overdraft_weeks = 1, loud[i].pre_overdraft_days = 7;
  const ExperimentAnalysis a = analyze_experiment("x", quiet, {}, options());
  const ExperimentAnalysis b = analyze_experiment("x", loud, {}, options());
  EXPECT_EQ(a.cuped.accounts_short, 2u);
  EXPECT_TRUE(a.cuped_primary);
  for (std::size_t m = 0; m < a.effects.size(); ++m) EXPECT_TRUE(same_cuped(a.effects[m], b.effects[m])) << m;
  EXPECT_THAT(a.caveats, Contains(HasSubstr("Short pre-period history: 2 of 20 accounts (10.0%) were observed in "
                                            "fewer than 2 of the 4 weeks before the experiment started")));
  // With two weeks they count, and then what they said matters.
  for (int i : {3, 8}) quiet[i].pre_weeks = loud[i].pre_weeks = 2;
  const ExperimentAnalysis c = analyze_experiment("x", quiet, {}, options());
  const ExperimentAnalysis d = analyze_experiment("x", loud, {}, options());
  EXPECT_EQ(c.cuped.accounts_short, 0u);
  EXPECT_FALSE(same_cuped(c.effects[0], d.effects[0]));
}

// Overdraft days before the start are a rate over the weeks observed: two
// days in two of four weeks is four days in four.
TEST(Cuped, PrePeriodDaysAreScaledToTheWholeWindow) {
  std::vector<AccountOutcome> half = accounts();
  std::vector<AccountOutcome> whole = accounts();
  half[5].pre_weeks = 2, half[5].pre_overdraft_weeks = 1, half[5].pre_overdraft_days = 2;
  whole[5].pre_weeks = 4, whole[5].pre_overdraft_weeks = 2, whole[5].pre_overdraft_days = 4;
  const ExperimentAnalysis a = analyze_experiment("x", half, {}, options());
  const ExperimentAnalysis b = analyze_experiment("x", whole, {}, options());
  for (std::size_t m = 1; m < a.effects.size(); ++m) {
    EXPECT_NEAR(a.effects[m].cuped_absolute, b.effects[m].cuped_absolute, 1e-9) << a.effects[m].metric;
    EXPECT_NEAR(a.effects[m].cuped_absolute_ci.low, b.effects[m].cuped_absolute_ci.low, 1e-9) << a.effects[m].metric;
  }
}

TEST(Cuped, WithoutAnyUsablePrePeriodTheUnadjustedEstimateLeads) {
  std::vector<AccountOutcome> none = accounts();
  for (AccountOutcome& a : none) a.pre_weeks = 1, a.pre_overdraft_weeks = 0, a.pre_overdraft_days = 0;
  const ExperimentAnalysis a = analyze_experiment("x", none, {}, options());
  EXPECT_EQ(a.cuped.accounts_short, 20u);
  EXPECT_FALSE(a.cuped_primary);
  EXPECT_EQ(a.effects[0].cuped_absolute, a.effects[0].absolute);
  EXPECT_THAT(a.caveats, Contains(HasSubstr("No pre-period history: no account was observed in at least 2 of the 4 "
                                            "weeks before the experiment started")));
  EXPECT_THAT(a.caveats, Not(Contains(HasSubstr("Short pre-period history"))));

  AnalysisOptions o = options();
  o.pre_period = {o.experiment_start, o.experiment_start};  // --pre-weeks 0
  for (AccountOutcome& acc : none) acc.pre_weeks = 0;
  const ExperimentAnalysis b = analyze_experiment("x", none, {}, o);
  EXPECT_FALSE(b.cuped_primary);
  EXPECT_THAT(b.caveats, Contains(HasSubstr("No pre-period history")));
}

TEST(Cuped, PrePeriodWeeksBeyondTheWindowOrAWindowEndingBeforeItStartsAreRefused) {
  std::vector<AccountOutcome> a = accounts();
  a[4].pre_weeks = 5;
  EXPECT_THAT([&] { analyze_experiment("x", a, {}, options()); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  HasSubstr("account 'a4': pre_weeks exceeds the 4 weeks of the pre-period")));
  AnalysisOptions o = options();
  o.pre_period = {o.from, make_date(2025, 2, 3)};
  EXPECT_THAT([&] { analyze_experiment("x", accounts(), {}, o); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("the pre-period ends before it starts")));
}

}  // namespace
}  // namespace headroom::measurement
