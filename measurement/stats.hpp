#pragma once
// The statistics under the experiment analysis (docs/analysis.md), exposed so
// tests can check each piece on hand-computed inputs. Pure, no state, no
// allocation beyond the returned values; thread-safe.
//
// Conventions: "variance" of an estimate is the variance of the estimator
// (already divided by the sample size), so SE = sqrt(variance). Sample
// variances use n - 1. Functions throw std::invalid_argument for inputs that
// cannot give an estimate (empty, mismatched sizes, zero denominators).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "forecast/rng.hpp"

namespace headroom::measurement::stats {

// Standard normal CDF via std::erfc (accurate in both tails).
double normal_cdf(double z);
// Inverse of normal_cdf for p in (0, 1): Acklam's rational approximation
// refined by one Halley step (|error| < 1e-12). Throws outside (0, 1).
double normal_quantile(double p);
// Two-sided p-value of a z statistic: 2 * (1 - Phi(|z|)).
double two_sided_p_value(double z);
// Upper tail of a chi-square with 1 degree of freedom: P(X >= x) = erfc(sqrt(x / 2)).
double chi_square_1df_p_value(double x);

// A mean (or ratio of means) and the variance of that estimate.
struct Estimate {
  double value = 0;
  double variance = 0;  // of the estimate: SE^2
  std::size_t n = 0;    // accounts
};

// Sample mean and var(y) / n. Needs n >= 2.
Estimate mean_estimate(std::span<const double> y);

// Ratio of sums R = sum(y) / sum(x) over accounts (account-weeks clustered in
// accounts), delta method: var(R) = var(y - R x) / (n * mean(x)^2).
// Needs n >= 2 and sum(x) > 0.
Estimate ratio_estimate(std::span<const double> y, std::span<const double> x);

// Per-account linearization of the ratio of sums: l_i = R + (y_i - R x_i) / mean(x).
// mean(l) = R and var(l) / n is the delta-method variance, so a ratio metric
// can go through the machinery of a plain mean (CUPED, Deng et al. 2018).
std::vector<double> linearize_ratio(std::span<const double> y, std::span<const double> x);

// CUPED coefficient from within-arm (pooled) covariance, so the treatment
// effect on the mean does not leak into theta:
//   theta = sum_arms sum_i (y_i - ybar_arm)(x_i - xbar_arm) / sum_arms sum_i (x_i - xbar_arm)^2.
// Returns 0 when the covariate does not vary within arms.
double cuped_theta(std::span<const double> y_a, std::span<const double> x_a, std::span<const double> y_b,
                   std::span<const double> x_b);
// y_i - theta * (x_i - x_center).
std::vector<double> cuped_adjust(std::span<const double> y, std::span<const double> x, double theta, double x_center);

// Difference a - b and relative difference a / b - 1 with delta-method
// variances for independent arms: var(a/b) = var(a)/b^2 + a^2 var(b)/b^4.
// The report does not build its relative intervals from relative_variance:
// relative ± z SE can pass -100% and disagree with the test of a - b
// (ratio_interval does neither).
struct Difference {
  double absolute = 0;
  double absolute_variance = 0;
  double relative = 0;           // 0 when b == 0
  double relative_variance = 0;  // 0 when b == 0
  bool relative_defined = false;
};
Difference difference(const Estimate& a, const Estimate& b);

// Fieller's interval for the ratio rho = E[a] / E[b] of two independent
// estimates: every rho the z-test of a - rho b = 0 does not reject,
//   (a - rho b)^2 <= z^2 (var(a) + rho^2 var(b)).
// At rho = 1 that is the test of a - b = 0, so the interval excludes 1
// exactly when the difference is significant at the same level. With
// `nonnegative` (a >= 0 and b > 0 are means of values that cannot be
// negative) it is cut at 0, so the relative change never passes -100%.
// Bounded when b is significantly above zero (b^2 > z^2 var(b)); otherwise
// high = +infinity, and low = the smallest ratio not rejected (-infinity
// without `nonnegative`).
struct RatioBounds {
  double low = 0;
  double high = 0;
};
RatioBounds ratio_interval(const Estimate& a, const Estimate& b, double z, bool nonnegative);

// Minimum detectable |effect| for a two-sided test at alpha with the given
// power: (z_{1 - alpha/2} + z_{power}) * se.
double minimum_detectable_effect(double se, double alpha, double power);

// Always-valid inference: the two-sided normal-mixture confidence sequence
// (mSPRT; Robbins 1970, Johari et al. 2017, Howard et al. 2021 eq. (14) in
// estimate units). For an estimate with variance V, mixing the likelihood
// ratio of effect theta over theta ~ N(0, rho_squared) and applying Ville's
// inequality gives, uniformly over every look, P(some look excludes the
// truth) <= alpha, with half width
//   sqrt( V (V + rho^2) / rho^2 * ( log((V + rho^2) / V) + 2 log(1 / alpha) ) ).
// docs/analysis.md ("Looking every day"). Needs variance >= 0 (0 gives 0),
// rho_squared > 0, alpha in (0, 1).
double confidence_sequence_half_width(double variance, double rho_squared, double alpha);

// The mixing ratio r = rho^2 / V that makes the half width smallest at a
// given V: the root of r = log(1 + r) + 2 log(1 / alpha) (about 8.2 at
// alpha = 0.05). Tuning rho^2 = r * V_planned puts the sequence's narrowest
// point at the planned end of the experiment.
double mixture_tuning_ratio(double alpha);

// The mixture likelihood ratio at this look, sqrt(V / (V + rho^2)) *
// exp(rho^2 x^2 / (2 V (V + rho^2))) for estimate x; min(1, 1 / it) is the
// always-valid p-value of this look (below alpha exactly when the sequence
// excludes 0). Needs variance > 0 and rho_squared > 0.
double mixture_p_value(double estimate, double variance, double rho_squared);

// Pearson chi-square (1 df) of observed arm sizes against the expected holdout share.
struct SampleRatioTest {
  double chi_square = 0;
  double p_value = 1;
};
SampleRatioTest sample_ratio_test(std::size_t treatment, std::size_t holdout, double expected_holdout_share);

// Holm's step-down adjustment of a family of p-values (Holm 1979), in the
// input order: sort ascending, adjusted p_(i) = max over j <= i of
// min(1, (m - j + 1) p_(j)). Rejecting where adjusted p < alpha keeps the
// chance of any false rejection in the family at most alpha, whatever the
// dependence between the tests (the variant comparisons share accounts).
std::vector<double> holm_adjust(std::span<const double> p_values);

// Percentile of sorted values, linear interpolation between order statistics
// (R type 7). q in [0, 1]; `sorted` non-empty.
double percentile(std::span<const double> sorted, double q);

// Deterministic generator for the bootstrap: the project's SplitMix64
// (forecast/rng.hpp). Same sequence on every platform and standard library.
using SplitMix64 = forecast::SplitMix64;

}  // namespace headroom::measurement::stats
