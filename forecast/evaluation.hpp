#pragma once
// Scores for probabilistic binary predictions (p_overdraft vs realized
// overdraft in the window). Pure; empty or one-class input gives NaN-free
// zeros with n/positives telling the caller why.

#include <cstdint>
#include <span>

namespace headroom::forecast {

struct BinaryScores {
  std::int64_t n = 0;
  std::int64_t positives = 0;
  double base_rate = 0;
  double roc_auc = 0;            // rank-based (Mann–Whitney), ties count half; 0.5 when one class
  double pr_auc = 0;             // average precision (step-wise, ties grouped)
  double brier = 0;              // mean (p − y)²
  double brier_skill = 0;        // 1 − brier / (base_rate·(1 − base_rate)); 0 when one class
  double ece = 0;                // expected calibration error, 10 equal-width bins, weighted by count
  double recall_at_budget = 0;   // share of positives among the top budget_share of predictions
  double budget_share = 0;
  double mean_prediction = 0;
};

BinaryScores score_predictions(std::span<const double> p, std::span<const std::uint8_t> outcome, double budget_share = 0.1);

}  // namespace headroom::forecast
