#include "forecast/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace headroom::forecast {

namespace {

// Expected calibration error over 10 equal-width bins of the prediction.
double calibration_error(std::span<const double> p, std::span<const std::uint8_t> y, std::size_t n) {
  double bin_p[10] = {}, bin_y[10] = {};
  std::int64_t bin_n[10] = {};
  for (std::size_t i = 0; i < n; ++i) {
    const int b = std::clamp(static_cast<int>(p[i] * 10), 0, 9);
    bin_p[b] += p[i];
    bin_y[b] += y[i] ? 1 : 0;
    ++bin_n[b];
  }
  double ece = 0;
  for (int b = 0; b < 10; ++b)
    if (bin_n[b] > 0) ece += std::fabs(bin_p[b] - bin_y[b]) / static_cast<double>(n);
  return ece;
}

// ROC AUC and average precision (PR AUC) from the indexes in descending
// order of prediction; tied predictions count as one group, so the order
// of equal scores does not matter.
void rank_scores(std::span<const double> p, std::span<const std::uint8_t> y, std::span<const std::size_t> order,
                 BinaryScores& s) {
  const std::size_t n = order.size();
  const double pos = static_cast<double>(s.positives), neg = static_cast<double>(s.n - s.positives);
  if (pos <= 0 || neg <= 0) {
    s.roc_auc = 0.5;
    s.pr_auc = pos > 0 ? 1.0 : 0.0;
    return;
  }
  double tp = 0, fp = 0, auc = 0, ap = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    double gtp = 0, gfp = 0;
    while (j < n && p[order[j]] == p[order[i]]) {
      (y[order[j]] ? gtp : gfp) += 1;
      ++j;
    }
    auc += gfp * (tp + 0.5 * gtp);
    tp += gtp;
    fp += gfp;
    if (gtp > 0) ap += (gtp / pos) * (tp / (tp + fp));
    i = j;
  }
  s.roc_auc = auc / (pos * neg);
  s.pr_auc = ap;
}

}  // namespace

BinaryScores score_predictions(std::span<const double> p, std::span<const std::uint8_t> y, double budget_share) {
  BinaryScores s;
  s.budget_share = budget_share;
  const std::size_t n = std::min(p.size(), y.size());
  s.n = static_cast<std::int64_t>(n);
  if (n == 0) return s;
  double brier = 0, sum_p = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s.positives += y[i] ? 1 : 0;
    brier += (p[i] - (y[i] ? 1.0 : 0.0)) * (p[i] - (y[i] ? 1.0 : 0.0));
    sum_p += p[i];
  }
  s.brier = brier / static_cast<double>(n);
  s.mean_prediction = sum_p / static_cast<double>(n);
  s.base_rate = static_cast<double>(s.positives) / static_cast<double>(n);
  const double ref = s.base_rate * (1 - s.base_rate);
  s.brier_skill = ref > 0 ? 1 - s.brier / ref : 0.0;
  s.ece = calibration_error(p, y, n);
  // Descending by prediction; ties keep input order (stable).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  rank_scores(p, y, order, s);
  // Nudge budget: the top k predictions (ties broken by input order, stable).
  const auto k = static_cast<std::size_t>(std::llround(budget_share * static_cast<double>(n)));
  double caught = 0;
  for (std::size_t i = 0; i < std::min(k, n); ++i) caught += y[order[i]] ? 1 : 0;
  const double pos = static_cast<double>(s.positives);
  s.recall_at_budget = pos > 0 ? caught / pos : 0.0;
  return s;
}

}  // namespace headroom::forecast
