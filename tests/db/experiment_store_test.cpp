// What db/experiment_store.hpp reads about an experiment: the rows as stored,
// mapped to measurement's plain types (the rules applied to them are tested
// in tests/measurement/outcomes_test.cpp and, end to end, in
// tests/cli/experiment_inputs_db_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "db/experiment_store.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/db/experiment_seed.hpp"

namespace headroom::testing {
namespace {

using forecast::make_date;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A decision row copied out of the reader's buffer.
struct StoredDecision {
  std::string account_id;
  forecast::Date as_of;
  nudges::Arm arm;
  std::string policy, outcome, reason;
  std::optional<std::string> variant;
  double p = 0;
  std::int64_t buffer_cents = 0;
  bool operator<(const StoredDecision& o) const {
    return std::tie(account_id, as_of, outcome) < std::tie(o.account_id, o.as_of, o.outcome);
  }
};

class ExperimentStore : public MigratedDatabase {
 protected:
  std::vector<StoredDecision> decisions(forecast::Date from, forecast::Date to, std::size_t* undecodable = nullptr) {
    std::vector<StoredDecision> out;
    const std::size_t bad = db::read_decisions(*conn_, kSeedExperiment, {from, to}, [&](const auto& r) {
      out.push_back({std::string(r.account_id), r.as_of, r.arm, std::string(r.policy), std::string(r.outcome),
                     std::string(r.reason), r.variant ? std::optional<std::string>(*r.variant) : std::nullopt,
                     r.window_probability, r.buffer.cents()});
    });
    if (undecodable) *undecodable = bad;
    std::sort(out.begin(), out.end());
    return out;
  }
  void exec(const std::string& sql) {
    pqxx::work tx{*conn_};
    tx.exec(sql);
    tx.commit();
  }
};

TEST_F(ExperimentStore, TheSpanRunsFromTheFirstToTheLastDecisionsAsOf) {
  seed_worked_example(*conn_);
  const db::DecisionSpan span = db::read_decision_span(*conn_, kSeedExperiment);
  EXPECT_EQ(span.first_as_of, make_date(2026, 3, 2));
  EXPECT_EQ(span.last_as_of, make_date(2026, 3, 14));
}

TEST_F(ExperimentStore, UnknownExperimentListsTheKnownOnes) {
  seed_worked_example(*conn_);
  try {
    db::read_decision_span(*conn_, "nope");
    FAIL() << "expected UnknownExperiment";
  } catch (const db::UnknownExperiment& e) {
    EXPECT_THAT(e.known, ElementsAre("default", "exp-a"));
    EXPECT_THAT(e.what(), HasSubstr("unknown experiment 'nope'"));
    EXPECT_THAT(e.what(), HasSubstr("Known experiments: default, exp-a"));
  }
}

TEST_F(ExperimentStore, DecisionRowsComeAsStoredForThePeriodOnly) {
  const auto w = seed_worked_example(*conn_);
  std::size_t undecodable = 99;
  const auto all = decisions(make_date(2026, 3, 2), make_date(2026, 3, 16), &undecodable);
  EXPECT_EQ(undecodable, 0u);
  ASSERT_EQ(all.size(), 5u);
  const auto steady = std::find_if(all.begin(), all.end(), [&](const auto& d) { return d.account_id == w.steady; });
  ASSERT_NE(steady, all.end());
  EXPECT_EQ(steady->as_of, make_date(2026, 3, 2));
  EXPECT_EQ(steady->arm, nudges::Arm::kHoldout);
  EXPECT_EQ(steady->policy, "exp-policy");
  EXPECT_EQ(steady->outcome, "holdout");
  EXPECT_EQ(steady->reason, "none");
  EXPECT_EQ(steady->variant, "gentle");
  EXPECT_DOUBLE_EQ(steady->p, 0.45);
  EXPECT_EQ(steady->buffer_cents, 0);

  const auto later = decisions(make_date(2026, 3, 9), make_date(2026, 3, 16));
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].account_id, w.overdrawn);
  EXPECT_EQ(later[0].arm, nudges::Arm::kTreatment);
  EXPECT_EQ(later[0].outcome, "suppressed");
  EXPECT_EQ(later[0].reason, "below_threshold");
}

TEST_F(ExperimentStore, ANullVariantAndAnotherBufferAreMappedAsStored) {
  const auto w = seed_worked_example(*conn_);
  seed_decision(*conn_, w.steady, "holdout", "suppressed", "2026-03-04", 0.99, "in_app", 10000);
  exec("UPDATE headroom.nudge_decisions SET variant = NULL WHERE as_of = '2026-03-04'");
  const auto rows = decisions(make_date(2026, 3, 4), make_date(2026, 3, 5));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].variant, std::nullopt);
  EXPECT_EQ(rows[0].buffer_cents, 10000);
}

TEST_F(ExperimentStore, EveryPolicyRowIsReadAndAnUnreadableOneSaysWhy) {
  seed_worked_example(*conn_);
  exec("INSERT INTO headroom.nudge_policies (name, active, definition) VALUES "
       "('broken', false, '{\"risk_threshold\": \"high\"}')");
  const auto records = db::read_policy_records(*conn_);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].name, "broken");
  EXPECT_FALSE(records[0].definition);
  EXPECT_THAT(records[0].error, HasSubstr("risk_threshold"));
  EXPECT_EQ(records[1].name, "default");
  ASSERT_TRUE(records[1].definition);
  EXPECT_EQ(records[1].definition->experiment, "default");
  EXPECT_EQ(records[2].name, "exp-policy");
  ASSERT_TRUE(records[2].definition);
  EXPECT_EQ(records[2].definition->experiment, "exp-a");
  EXPECT_DOUBLE_EQ(records[2].definition->risk_threshold, 0.4);
  EXPECT_DOUBLE_EQ(records[2].definition->holdout_share, 0.5);
}

TEST_F(ExperimentStore, DeliveriesAreOneRowPerAccountWithAnOutboxRow) {
  const auto w = seed_worked_example(*conn_);
  const auto rows = db::read_deliveries(*conn_, kSeedExperiment, {make_date(2026, 3, 2), make_date(2026, 3, 16)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].account_id, w.overdrawn);
  EXPECT_TRUE(rows[0].sent);
  EXPECT_TRUE(rows[0].seen);
  EXPECT_TRUE(db::read_deliveries(*conn_, kSeedExperiment, {make_date(2026, 3, 3), make_date(2026, 3, 16)}).empty());
}

}  // namespace
}  // namespace headroom::testing
