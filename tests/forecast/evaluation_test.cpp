#include <gtest/gtest.h>

#include "forecast/evaluation.hpp"

using namespace headroom::forecast;

TEST(Evaluation, PerfectRankingHasUnitAucsAndFullRecallAtBudget) {
  const std::vector<double> p = {0.9, 0.8, 0.1, 0.2, 0.05};
  const std::vector<std::uint8_t> y = {1, 1, 0, 0, 0};
  const auto s = score_predictions(p, y, 0.4);
  EXPECT_DOUBLE_EQ(s.roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(s.pr_auc, 1.0);
  EXPECT_DOUBLE_EQ(s.recall_at_budget, 1.0);
  EXPECT_NEAR(s.brier, (0.01 + 0.04 + 0.01 + 0.04 + 0.0025) / 5, 1e-12);
  EXPECT_DOUBLE_EQ(s.base_rate, 0.4);
}

TEST(Evaluation, TiedScoresCountHalfAndConstantPredictionHasZeroSkill) {
  const std::vector<double> p = {0.5, 0.5, 0.5, 0.5};
  const std::vector<std::uint8_t> y = {1, 0, 1, 0};
  const auto s = score_predictions(p, y);
  EXPECT_DOUBLE_EQ(s.roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(s.pr_auc, 0.5);
  EXPECT_DOUBLE_EQ(s.brier_skill, 0.0);
  EXPECT_DOUBLE_EQ(s.ece, 0.0);
}

TEST(Evaluation, CalibrationErrorWeighsBinsByCount) {
  const std::vector<double> p = {0.15, 0.15, 0.15, 0.15, 0.95};
  const std::vector<std::uint8_t> y = {0, 0, 0, 0, 1};
  // Bin [0.1,0.2): |0.6 − 0| / 5; bin [0.9,1): |0.95 − 1| / 5.
  EXPECT_NEAR(score_predictions(p, y).ece, (0.6 + 0.05) / 5, 1e-12);
}

TEST(Evaluation, EmptyInputIsZerosNotNaN) {
  const auto s = score_predictions({}, {});
  EXPECT_EQ(s.n, 0);
  EXPECT_EQ(s.brier, 0.0);
}
