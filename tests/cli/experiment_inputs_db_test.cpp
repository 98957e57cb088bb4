// An experiment's analysis inputs from PostgreSQL, end to end: the rows db/
// reads folded by measurement's rules (cli/experiment_inputs.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/experiment_inputs.hpp"
#include "db/experiment_store.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/db/experiment_seed.hpp"

namespace headroom::testing {
namespace {

using forecast::make_date;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ReportInputs : public MigratedDatabase {
 protected:
  measurement::ExperimentInputs load(std::optional<forecast::Date> from = make_date(2026, 3, 2),
                                     std::optional<forecast::Date> to = make_date(2026, 3, 16)) {
    cli::ExperimentRequest q;
    q.experiment = kSeedExperiment;
    q.from = from;
    q.to = to;
    q.rules.horizon_days = 3;
    return cli::load_experiment_inputs(*conn_, q);
  }
  const measurement::AccountOutcome& account(const measurement::ExperimentInputs& in, const std::string& id) {
    for (const auto& a : in.accounts)
      if (a.account_id == id) return a;
    throw std::runtime_error("no account " + id);
  }
};

TEST_F(ReportInputs, CountsOverdraftWeeksDaysAndFeesFromEndOfDayBalances) {
  const auto w = seed_worked_example(*conn_);
  const auto in = load();
  ASSERT_EQ(in.accounts.size(), 2u);
  const auto& o = account(in, w.overdrawn);
  EXPECT_EQ(o.arm, nudges::Arm::kTreatment);
  EXPECT_EQ(o.weeks, 2);
  EXPECT_EQ(o.overdraft_weeks, 1);
  EXPECT_EQ(o.overdraft_days, 2);  // 03-03 and 03-04; back above zero on 03-05
  EXPECT_THAT(o.weekly_overdrawn, ElementsAre(1, 0));
  EXPECT_EQ(o.overdraft_fee_cents, 3500);
  EXPECT_EQ(o.total_fee_cents, 4000);  // kind "Fee" matches "fee" whatever the case
  EXPECT_EQ(o.pre_weeks, 8);
  EXPECT_EQ(o.pre_overdraft_weeks, 1);
  EXPECT_EQ(o.pre_overdraft_days, 2);
  EXPECT_EQ(o.balance_band, "0-500");
  EXPECT_EQ(o.tenure_band, "<6m");
  EXPECT_EQ(o.variant, "gentle");

  const auto& s = account(in, w.steady);
  EXPECT_EQ(s.arm, nudges::Arm::kHoldout);
  EXPECT_EQ(s.weeks, 2);
  EXPECT_EQ(s.overdraft_weeks, 0);
  EXPECT_EQ(s.total_fee_cents, 0);
  EXPECT_EQ(s.balance_band, "500-2k");
  EXPECT_EQ(s.tenure_band, "1y+");
  EXPECT_EQ(s.income_pattern, "none");
}

TEST_F(ReportInputs, FunnelFlagsComeFromDecisionsAndDeliveries) {
  const auto w = seed_worked_example(*conn_);
  const auto in = load();
  const auto& o = account(in, w.overdrawn);
  EXPECT_TRUE(o.at_risk);  // 0.7 >= the policy's 0.4
  EXPECT_TRUE(o.decided);
  EXPECT_TRUE(o.sent);
  EXPECT_TRUE(o.seen);
  const auto& s = account(in, w.steady);
  EXPECT_TRUE(s.at_risk);   // 0.45 >= 0.4
  EXPECT_TRUE(s.decided);   // would have sent
  EXPECT_FALSE(s.sent);
  EXPECT_FALSE(s.seen);
}

TEST_F(ReportInputs, ForecastOutcomesAreOnePerAccountAndDayWithAFullyObservedWindow) {
  const auto w = seed_worked_example(*conn_);
  const auto in = load();
  // overdrawn: 03-02 (two channels, one outcome; window 03-02..03-04 holds
  // the overdraft), 03-09 (clean window); 03-14's window ends on 03-16,
  // after the period. steady: 03-02, clean.
  ASSERT_EQ(in.forecasts.size(), 3u);
  EXPECT_EQ(in.forecasts_dropped, 1u);
  std::size_t overdrawn = 0;
  for (const auto& f : in.forecasts) overdrawn += f.overdrawn;
  EXPECT_EQ(overdrawn, 1u);
  for (const auto& f : in.forecasts)
    if (f.overdrawn) {
      EXPECT_EQ(f.as_of, make_date(2026, 3, 2));
      EXPECT_DOUBLE_EQ(f.p_window, 0.7);
    }
  (void)w;
}

TEST_F(ReportInputs, DefaultPeriodRunsFromTheFirstToTheDayAfterTheLastDecision) {
  seed_worked_example(*conn_);
  const auto in = load(std::nullopt, std::nullopt);
  EXPECT_EQ(in.from, make_date(2026, 3, 2));
  EXPECT_EQ(in.to, make_date(2026, 3, 15));
  EXPECT_DOUBLE_EQ(in.holdout_share, 0.5);
  EXPECT_THAT(in.policies, ElementsAre("exp-policy"));
}

TEST_F(ReportInputs, AccountsScoredOnlyOutsideThePeriodAreNotAssigned) {
  const auto w = seed_worked_example(*conn_);
  const auto in = load(make_date(2026, 3, 9), make_date(2026, 3, 16));
  ASSERT_EQ(in.accounts.size(), 1u);
  EXPECT_EQ(in.accounts[0].account_id, w.overdrawn);
  EXPECT_FALSE(in.accounts[0].at_risk);  // only the 0.2 and 0.3 forecasts are in the period
}

TEST_F(ReportInputs, ArmsThatContradictTheAssignmentHashAreCountedAndNoted) {
  seed_worked_example(*conn_);
  const std::string wrong = ids_in_arm(false, 1, "other-").front();  // the hash says treatment
  seed_decision(*conn_, wrong, "holdout", "holdout", "2026-03-03", 0.9);
  const auto in = load();
  EXPECT_EQ(in.arm_disagreements, 1u);
  EXPECT_EQ(in.accounts_without_history, 1u);
  ASSERT_FALSE(in.notes.empty());
  EXPECT_THAT(in.notes[0], HasSubstr("differs from the assignment hash"));
}

TEST_F(ReportInputs, DecisionsAgainstAnotherBufferAreLeftOutOfForecastHealth) {
  const auto w = seed_worked_example(*conn_);
  seed_decision(*conn_, w.steady, "holdout", "suppressed", "2026-03-04", 0.99, "in_app", 10000);
  const auto in = load();
  EXPECT_EQ(in.forecasts.size(), 3u);
}

TEST_F(ReportInputs, AnUnknownExperimentIsTheStoresError) {
  seed_worked_example(*conn_);
  cli::ExperimentRequest q;
  q.experiment = "nope";
  EXPECT_THROW(cli::load_experiment_inputs(*conn_, q), db::UnknownExperiment);
}

TEST_F(ReportInputs, AnEmptyPeriodIsRefused) {
  seed_worked_example(*conn_);
  const auto error_of = [&](forecast::Date from, forecast::Date to) {
    try {
      load(from, to);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(make_date(2026, 4, 1), make_date(2026, 4, 8)),
            "experiment 'exp-a' has no decisions in [2026-04-01, 2026-04-08)");
  EXPECT_EQ(error_of(make_date(2026, 3, 9), make_date(2026, 3, 9)),
            "the period is empty: --to 2026-03-09 is not after --from 2026-03-09");
}

}  // namespace
}  // namespace headroom::testing
