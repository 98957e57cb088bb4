// The statistics of the experiment analysis on tiny inputs whose answers were
// worked out by hand (the arithmetic is in the comments), and the input errors.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/experiment.hpp"
#include "measurement/stats.hpp"
#include "measurement/truth.hpp"

namespace headroom::measurement {
namespace {

using forecast::make_date;
using ::testing::HasSubstr;

constexpr double kTight = 1e-12;

TEST(NormalDistribution, CdfAndQuantileMatchPublishedValues) {
  EXPECT_NEAR(stats::normal_cdf(0), 0.5, kTight);
  EXPECT_NEAR(stats::normal_cdf(1.96), 0.9750021048517795, kTight);
  EXPECT_NEAR(stats::normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(stats::normal_quantile(0.8), 0.8416212335729143, 1e-12);
  EXPECT_NEAR(stats::normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(stats::normal_quantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(stats::normal_quantile(1 - 1e-10), 6.361340902404056, 1e-6);
}

TEST(NormalDistribution, QuantileRefusesProbabilitiesOutsideTheOpenUnitInterval) {
  EXPECT_THROW(stats::normal_quantile(0), std::invalid_argument);
  EXPECT_THROW(stats::normal_quantile(1), std::invalid_argument);
}

TEST(NormalDistribution, TwoSidedPValueOfZ196IsFivePercent) {
  EXPECT_NEAR(stats::two_sided_p_value(1.959963984540054), 0.05, 1e-12);
  EXPECT_NEAR(stats::two_sided_p_value(-1.959963984540054), 0.05, 1e-12);
  EXPECT_NEAR(stats::two_sided_p_value(0), 1.0, kTight);
}

TEST(ChiSquare, OneDegreeOfFreedomPValuesMatchTheTableCriticalValues) {
  EXPECT_NEAR(stats::chi_square_1df_p_value(3.841458820694124), 0.05, 1e-12);
  EXPECT_NEAR(stats::chi_square_1df_p_value(10.827566170662733), 0.001, 1e-13);
  EXPECT_EQ(stats::chi_square_1df_p_value(0), 1.0);
}

TEST(SampleRatio, ExactSplitHasNoMismatch) {
  const auto t = stats::sample_ratio_test(900, 100, 0.10);
  EXPECT_NEAR(t.chi_square, 0, kTight);
  EXPECT_NEAR(t.p_value, 1, kTight);
}

TEST(SampleRatio, FiftyExtraHoldoutAccountsInAThousandIsAMismatch) {
  // Expected 100 / 900; observed 150 / 850: 50^2/100 + 50^2/900 = 25 + 2.7778.
  const auto t = stats::sample_ratio_test(850, 150, 0.10);
  EXPECT_NEAR(t.chi_square, 25.0 + 2500.0 / 900.0, 1e-12);
  EXPECT_NEAR(t.p_value, std::erfc(std::sqrt(t.chi_square / 2)), kTight);
  EXPECT_LT(t.p_value, 0.001);
}

TEST(DeltaMethod, RatioOfSumsVarianceOnAFourAccountExample) {
  // y = overdraft weeks, x = weeks. R = 4/12 = 1/3; residuals y - R x =
  // (1/3, -2/3, 2/3, -1/3), sum of squares 10/9; mean x = 3;
  // var = (10/9) / (n-1) / n / 3^2 = 10/972.
  const std::vector<double> y{1, 0, 2, 1};
  const std::vector<double> x{2, 2, 4, 4};
  const auto e = stats::ratio_estimate(y, x);
  EXPECT_NEAR(e.value, 1.0 / 3, kTight);
  EXPECT_NEAR(e.variance, 10.0 / 972, kTight);
  EXPECT_EQ(e.n, 4u);
}

TEST(DeltaMethod, LinearizedRatioHasTheRatioAsMeanAndTheDeltaVariance) {
  const std::vector<double> y{1, 0, 2, 1};
  const std::vector<double> x{2, 2, 4, 4};
  const auto m = stats::mean_estimate(stats::linearize_ratio(y, x));
  EXPECT_NEAR(m.value, 1.0 / 3, kTight);
  EXPECT_NEAR(m.variance, 10.0 / 972, kTight);
}

TEST(DeltaMethod, MeanEstimateUsesTheSampleVarianceOverN) {
  // mean 2.5, sample variance 5/3, over n = 4: 5/12.
  const std::vector<double> y{1, 2, 3, 4};
  const auto m = stats::mean_estimate(y);
  EXPECT_NEAR(m.value, 2.5, kTight);
  EXPECT_NEAR(m.variance, 5.0 / 12, kTight);
}

TEST(DeltaMethod, RelativeDifferenceVarianceCombinesBothArms) {
  // a = 0.25 (var 1/16), b = 0.75 (var 1/16):
  // relative = 1/3 - 1 = -2/3; var = (1/16)/0.75^2 + 0.25^2 (1/16) / 0.75^4.
  const auto d = stats::difference({0.25, 1.0 / 16, 2}, {0.75, 1.0 / 16, 2});
  EXPECT_NEAR(d.absolute, -0.5, kTight);
  EXPECT_NEAR(d.absolute_variance, 0.125, kTight);
  EXPECT_TRUE(d.relative_defined);
  EXPECT_NEAR(d.relative, -2.0 / 3, kTight);
  EXPECT_NEAR(d.relative_variance, (1.0 / 16) / 0.5625 + 0.0625 * (1.0 / 16) / (0.5625 * 0.5625), kTight);
}

TEST(DeltaMethod, RelativeDifferenceIsUndefinedAgainstAZeroHoldout) {
  const auto d = stats::difference({0.25, 0.01, 10}, {0.0, 0.0, 10});
  EXPECT_FALSE(d.relative_defined);
  EXPECT_EQ(d.relative, 0);
}

// a = 0.25 (var 1/16), b = 0.75 (var 1/16), z = 1.96: not rejected where
// (0.5625 - 0.2401) rho^2 - 2 (0.1875) rho + (0.0625 - 0.2401) <= 0.
TEST(StatsRatioInterval, FiellerIsTheRatiosTheTestDoesNotRejectCutAtZero) {
  const double qa = 0.5625 - 1.96 * 1.96 / 16, qb = 0.1875, qc = 0.0625 - 1.96 * 1.96 / 16;
  const double s = std::sqrt(qb * qb - qa * qc);
  const auto open = stats::ratio_interval({0.25, 1.0 / 16, 2}, {0.75, 1.0 / 16, 2}, 1.96, false);
  EXPECT_NEAR(open.low, (qb - s) / qa, kTight);  // about -0.361: a ratio of nonnegative means cannot be
  EXPECT_NEAR(open.high, (qb + s) / qa, kTight);
  const auto cut = stats::ratio_interval({0.25, 1.0 / 16, 2}, {0.75, 1.0 / 16, 2}, 1.96, true);
  EXPECT_EQ(cut.low, 0.0);
  EXPECT_NEAR(cut.high, (qb + s) / qa, kTight);
  // No sampling error: the ratio itself.
  const auto exact = stats::ratio_interval({0.3, 0, 2}, {0.6, 0, 2}, 1.96, true);
  EXPECT_NEAR(exact.low, 0.5, kTight);
  EXPECT_NEAR(exact.high, 0.5, kTight);
}

TEST(StatsRatioInterval, AHoldoutNotClearlyAboveZeroLeavesTheIntervalWithoutAnUpperEnd) {
  const double inf = std::numeric_limits<double>::infinity();
  // b / se(b) = 1 < 1.96; a far above b: every ratio from some point up.
  const auto up = stats::ratio_interval({0.5, 0.0001, 2}, {0.01, 0.0001, 2}, 1.96, true);
  EXPECT_EQ(up.high, inf);
  EXPECT_GT(up.low, 1.0) << "the difference is significant, so the interval excludes a ratio of 1";
  // a and b both indistinguishable from 0: anything goes.
  const auto any = stats::ratio_interval({0.01, 0.0001, 2}, {0.01, 0.0001, 2}, 1.96, true);
  EXPECT_EQ(any.low, 0.0);
  EXPECT_EQ(any.high, inf);
  EXPECT_EQ(stats::ratio_interval({0.01, 0.0001, 2}, {0.01, 0.0001, 2}, 1.96, false).low, -inf);
}

// The property the report relies on: over many random pairs of nonnegative
// estimates, the relative interval excludes 0 exactly when the z-test of
// the difference rejects, and never passes -100%.
TEST(StatsRatioInterval, ExcludesARatioOfOneExactlyWhenTheDifferenceIsSignificant) {
  stats::SplitMix64 rng(2026);
  auto uniform = [&] { return static_cast<double>(rng.below(1u << 30)) / (1u << 30); };
  const double z = 1.959963984540054;
  int significant = 0, unbounded = 0, checked = 0;
  for (int k = 0; k < 20000; ++k) {
    const double b = 0.001 + uniform();
    const double a = b * (0.2 + 1.6 * uniform());
    const double va = std::pow(a * uniform(), 2), vb = std::pow(b * 1.2 * uniform(), 2);
    const double zd = (a - b) / std::sqrt(va + vb);
    if (std::fabs(std::fabs(zd) - z) < 1e-9) continue;  // on the boundary, rounding decides
    ++checked;
    const auto r = stats::ratio_interval({a, va, 2}, {b, vb, 2}, z, true);
    const bool rejects = std::fabs(zd) > z;
    significant += rejects ? 1 : 0;
    unbounded += std::isinf(r.high) ? 1 : 0;
    EXPECT_EQ(!(r.low <= 1 && 1 <= r.high), rejects) << a << " " << va << " " << b << " " << vb;
    EXPECT_GE(r.low, 0.0);
    EXPECT_LE(r.low, a / b);
    EXPECT_GE(r.high, a / b);
  }
  // Both sides of the boundary, and unbounded intervals, were exercised.
  EXPECT_GT(significant, 1000);
  EXPECT_LT(significant, checked - 1000);
  EXPECT_GT(unbounded, 100);
}

TEST(DeltaMethod, EmptyOrSingleAccountArmsAreRefused) {
  const std::vector<double> one{1};
  EXPECT_THAT([&] { stats::mean_estimate(one); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("at least 2 accounts")));
  const std::vector<double> zeros{0, 0};
  EXPECT_THAT([&] { stats::ratio_estimate(zeros, zeros); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("denominator sums to zero")));
}

TEST(Cuped, ThetaUsesWithinArmCovarianceSoTheArmShiftDoesNotLeakIn) {
  // Arm a: y (1, 3), x (0, 2): sxy = 2, sxx = 2. Arm b: y (10, 10), x (5, 7):
  // sxy = 0, sxx = 2. Pooled theta = 2 / 4 = 0.5. (A pooled-over-everything
  // covariance would be dominated by the arms' different means.)
  const std::vector<double> ya{1, 3}, xa{0, 2}, yb{10, 10}, xb{5, 7};
  EXPECT_NEAR(stats::cuped_theta(ya, xa, yb, xb), 0.5, kTight);
}

TEST(Cuped, ConstantCovariateGivesThetaZero) {
  const std::vector<double> y{1, 2, 3}, x{4, 4, 4};
  EXPECT_EQ(stats::cuped_theta(y, x, y, x), 0.0);
}

TEST(Cuped, AdjustmentSubtractsThetaTimesTheCentredCovariate) {
  const std::vector<double> y{1, 3}, x{0, 2};
  EXPECT_EQ(stats::cuped_adjust(y, x, 0.5, 1.0), (std::vector<double>{1.5, 2.5}));
}

TEST(MinimumDetectableEffect, IsZAlphaPlusZPowerTimesTheStandardError) {
  EXPECT_NEAR(stats::minimum_detectable_effect(1.0, 0.05, 0.80), 1.959963984540054 + 0.8416212335729143, 1e-12);
  EXPECT_NEAR(stats::minimum_detectable_effect(0.01, 0.05, 0.80), 0.02801585218, 1e-10);
}

// V = 1, rho^2 = 1, alpha = 0.05: sqrt(1 * 2 / 1 * (log 2 + 2 log 20)) = sqrt(13.369224) = 3.6563949.
TEST(ConfidenceSequence, HalfWidthIsTheNormalMixtureBoundary) {
  EXPECT_NEAR(stats::confidence_sequence_half_width(1.0, 1.0, 0.05), 3.6563948713638483, kTight);
  // Scaling V and rho^2 together by c scales the half width by sqrt(c).
  EXPECT_NEAR(stats::confidence_sequence_half_width(1e-6, 1e-6, 0.05), 3.6563948713638483e-3, 1e-15);
  EXPECT_EQ(stats::confidence_sequence_half_width(0.0, 1.0, 0.05), 0.0);
  EXPECT_THROW(stats::confidence_sequence_half_width(-1.0, 1.0, 0.05), std::invalid_argument);
  EXPECT_THROW(stats::confidence_sequence_half_width(1.0, 0.0, 0.05), std::invalid_argument);
  EXPECT_THROW(stats::confidence_sequence_half_width(1.0, 1.0, 1.0), std::invalid_argument);
}

TEST(ConfidenceSequence, IsWiderThanTheFixedHorizonIntervalAtEveryVariance) {
  const double z = stats::normal_quantile(0.975);
  for (double v : {1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2})
    EXPECT_GT(stats::confidence_sequence_half_width(v, 1e-4, 0.05), z * std::sqrt(v)) << v;
}

// r = log(1 + r) + 2 log 20 has the root 8.2119681; there the half width is
// sqrt((1 + 1/r)(log(1 + r) + 2 log 20)) = 3.0351224 standard errors.
TEST(ConfidenceSequence, TuningRatioMakesTheHalfWidthSmallestAtThePlannedVariance) {
  const double r = stats::mixture_tuning_ratio(0.05);
  EXPECT_NEAR(r, 8.211968062068253, 1e-10);
  EXPECT_NEAR(stats::confidence_sequence_half_width(1.0, r, 0.05), 3.035122413028551, 1e-10);
  EXPECT_GT(stats::confidence_sequence_half_width(1.0, 0.9 * r, 0.05),
            stats::confidence_sequence_half_width(1.0, r, 0.05));
  EXPECT_GT(stats::confidence_sequence_half_width(1.0, 1.1 * r, 0.05),
            stats::confidence_sequence_half_width(1.0, r, 0.05));
  EXPECT_THROW(stats::mixture_tuning_ratio(0.0), std::invalid_argument);
}

// x = 2, V = 1, rho^2 = 1: 1 / ratio = sqrt(2) * exp(-1 * 4 / (2 * 2)) = 0.5202601.
TEST(ConfidenceSequence, MixturePValueIsBelowAlphaExactlyOutsideTheBoundary) {
  EXPECT_NEAR(stats::mixture_p_value(2.0, 1.0, 1.0), 0.520260095022889, kTight);
  EXPECT_EQ(stats::mixture_p_value(0.0, 1.0, 1.0), 1.0);
  const double w = stats::confidence_sequence_half_width(1e-4, 3e-4, 0.05);
  EXPECT_NEAR(stats::mixture_p_value(w, 1e-4, 3e-4), 0.05, 1e-12);
  EXPECT_GT(stats::mixture_p_value(0.99 * w, 1e-4, 3e-4), 0.05);
  EXPECT_LT(stats::mixture_p_value(-1.01 * w, 1e-4, 3e-4), 0.05);
  EXPECT_EQ(stats::mixture_p_value(1e6, 1e-4, 3e-4), 0.0) << "no overflow for a huge effect";
}

TEST(Bootstrap, SplitMixIsTheReferenceSequence) {
  // First outputs of splitmix64 seeded with 0 (Vigna's reference implementation).
  stats::SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  stats::SplitMix64 small(7);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(small.below(3), 3u);
}

TEST(Bootstrap, PercentileInterpolatesBetweenOrderStatistics) {
  const std::vector<double> v{1, 2, 3, 4, 5};
  EXPECT_NEAR(stats::percentile(v, 0.5), 3, kTight);
  EXPECT_NEAR(stats::percentile(v, 0.025), 1.1, kTight);
  EXPECT_NEAR(stats::percentile(v, 1.0), 5, kTight);
}

TEST(Weeks, PartialLastWeekCountsAsAWeek) {
  EXPECT_EQ(week_count(make_date(2025, 3, 3), make_date(2025, 3, 31)), 4);
  EXPECT_EQ(week_count(make_date(2025, 3, 3), make_date(2025, 4, 1)), 5);
  EXPECT_EQ(week_count(make_date(2025, 3, 3), make_date(2025, 3, 3)), 0);
}

TEST(Weeks, OverdraftDatesMarkTheirWeekOnceAndOutsideDatesAreIgnored) {
  const std::vector<forecast::Date> dates{make_date(2025, 3, 2), make_date(2025, 3, 4), make_date(2025, 3, 5),
                                          make_date(2025, 3, 17), make_date(2025, 3, 31)};
  EXPECT_EQ(weekly_overdrawn(dates, make_date(2025, 3, 3), make_date(2025, 3, 31)),
            (std::vector<std::uint8_t>{1, 0, 1, 0}));
}

TEST(Truth, TrueEffectIsFactualMinusCounterfactualIncidenceOverTheTreatedArm) {
  // Two accounts, 2 weeks each (4 account-weeks). Factual: one overdrawn week;
  // counterfactual: three. Absolute = 1/4 - 3/4; relative = -0.5 / 0.75.
  const forecast::Date from = make_date(2025, 3, 3), to = make_date(2025, 3, 17);
  const std::vector<std::vector<forecast::Date>> factual{{make_date(2025, 3, 4)}, {}};
  const std::vector<std::vector<forecast::Date>> counterfactual{
      {make_date(2025, 3, 4), make_date(2025, 3, 5), make_date(2025, 3, 11)}, {make_date(2025, 3, 16)}};
  const TrueEffect t = true_incidence_effect(factual, counterfactual, from, to);
  EXPECT_EQ(t.accounts, 2u);
  EXPECT_EQ(t.account_weeks, 4);
  EXPECT_NEAR(t.factual_incidence, 0.25, kTight);
  EXPECT_NEAR(t.counterfactual_incidence, 0.75, kTight);
  EXPECT_NEAR(t.absolute, -0.5, kTight);
  EXPECT_NEAR(t.relative, -2.0 / 3, kTight);
  EXPECT_THROW(true_incidence_effect({}, {}, from, to), std::invalid_argument);
}

// Forecast health on four forecasts, two calibration bins:
//   (0.2, no) (0.2, yes) in week 0; (0.8, yes) (1.0, yes) in week 1.
// Brier = (0.04 + 0.64 + 0.04 + 0) / 4 = 0.18; base rate 0.75, base-rate
// Brier 0.1875, skill 1 - 0.18 / 0.1875 = 0.04. Bins: [0, 0.5) mean 0.2
// observed 0.5; [0.5, 1] mean 0.9 observed 1. ECE = 0.5 * 0.3 + 0.5 * 0.1 = 0.2.
std::vector<ForecastOutcome> four_forecasts() {
  return {{make_date(2025, 3, 3), 0.2, false},
          {make_date(2025, 3, 5), 0.2, true},
          {make_date(2025, 3, 10), 0.8, true},
          {make_date(2025, 3, 16), 1.0, true}};
}

TEST(ForecastHealth, BrierScoreAndSkillAgainstTheBaseRate) {
  const ForecastHealth h = forecast_health(four_forecasts(), make_date(2025, 3, 3), 2);
  EXPECT_EQ(h.forecasts, 4u);
  EXPECT_NEAR(h.brier, 0.18, kTight);
  EXPECT_NEAR(h.brier_skill, 0.04, 1e-12);
  EXPECT_NEAR(h.expected_calibration_error, 0.2, 1e-12);
}

TEST(ForecastHealth, CalibrationBinsAreEqualWidthAndTheLastIncludesOne) {
  const ForecastHealth h = forecast_health(four_forecasts(), make_date(2025, 3, 3), 2);
  ASSERT_EQ(h.calibration.size(), 2u);
  EXPECT_EQ(h.calibration[0].p_low, 0.0);
  EXPECT_EQ(h.calibration[0].p_high, 0.5);
  EXPECT_EQ(h.calibration[0].forecasts, 2u);
  EXPECT_NEAR(h.calibration[0].mean_predicted, 0.2, kTight);
  EXPECT_NEAR(h.calibration[0].observed_rate, 0.5, kTight);
  EXPECT_EQ(h.calibration[1].forecasts, 2u);
  EXPECT_NEAR(h.calibration[1].mean_predicted, 0.9, kTight);
  EXPECT_NEAR(h.calibration[1].observed_rate, 1.0, kTight);
}

TEST(ForecastHealth, EmptyBinsAreLeftOut) {
  const ForecastHealth h = forecast_health(four_forecasts(), make_date(2025, 3, 3), 10);
  ASSERT_EQ(h.calibration.size(), 3u);  // bins [0.2, 0.3), [0.8, 0.9), [0.9, 1.0]
  EXPECT_NEAR(h.calibration[2].p_low, 0.9, kTight);
  EXPECT_EQ(h.calibration[2].forecasts, 1u);
}

TEST(ForecastHealth, WeeklyFiguresShowDriftWeekByWeekIncludingWeeksBeforeTheOrigin) {
  std::vector<ForecastOutcome> fs = four_forecasts();
  fs.push_back({make_date(2025, 2, 28), 0.5, false});  // the week starting Monday 24 February
  const ForecastHealth h = forecast_health(fs, make_date(2025, 3, 3), 2);
  ASSERT_EQ(h.weekly.size(), 3u);
  EXPECT_EQ(h.weekly[0].week_start, make_date(2025, 2, 24));
  EXPECT_NEAR(h.weekly[0].brier, 0.25, kTight);
  EXPECT_EQ(h.weekly[1].week_start, make_date(2025, 3, 3));
  EXPECT_EQ(h.weekly[1].forecasts, 2u);
  EXPECT_NEAR(h.weekly[1].mean_predicted, 0.2, kTight);
  EXPECT_NEAR(h.weekly[1].observed_rate, 0.5, kTight);
  EXPECT_NEAR(h.weekly[1].brier, 0.34, kTight);
  EXPECT_NEAR(h.weekly[1].expected_calibration_error, 0.3, kTight);
  EXPECT_EQ(h.weekly[2].week_start, make_date(2025, 3, 10));
  EXPECT_NEAR(h.weekly[2].brier, 0.02, kTight);
}

AccountOutcome account(const char* id, Arm arm, int weeks, int overdraft_weeks) {
  AccountOutcome a;
  a.account_id = id;
  a.arm = arm;
  a.weeks = weeks;
  a.overdraft_weeks = overdraft_weeks;
  a.overdraft_days = 2 * overdraft_weeks;
  a.overdraft_fee_cents = 3500 * overdraft_weeks;
  a.total_fee_cents = a.overdraft_fee_cents;
  a.weekly_overdrawn.assign(static_cast<std::size_t>(weeks), 0);
  for (int w = 0; w < overdraft_weeks; ++w) a.weekly_overdrawn[static_cast<std::size_t>(w)] = 1;
  return a;
}

AnalysisOptions four_weeks() {
  AnalysisOptions o;
  o.from = make_date(2025, 3, 3);
  o.to = make_date(2025, 3, 31);
  o.holdout_share = 0.5;
  o.experiment_start = o.from;
  o.pre_period = {make_date(2025, 2, 3), o.from};  // four weeks before the start
  return o;
}

// Treatment (4 weeks, 2 overdrawn), (4, 0): R = 0.25, residuals (1, -1),
// var = 2 / 1 / 2 / 16 = 1/16. Holdout (4, 2), (4, 4): R = 0.75, residuals
// (-1, 1), var 1/16. Effect -0.5, SE sqrt(1/8), CI -0.5 +- 1.95996 * 0.35355.
std::vector<AccountOutcome> four_accounts() {
  return {account("t1", Arm::kTreatment, 4, 2), account("t2", Arm::kTreatment, 4, 0),
          account("h1", Arm::kHoldout, 4, 2), account("h2", Arm::kHoldout, 4, 4)};
}

TEST(Analysis, IncidenceEffectOnFourAccountsMatchesTheHandComputedDeltaMethod) {
  const ExperimentAnalysis a = analyze_experiment("tiny", four_accounts(), {}, four_weeks());
  ASSERT_EQ(a.effects.size(), 4u);
  const Effect& e = a.effects[0];
  EXPECT_EQ(e.metric, "overdraft_incidence");
  EXPECT_NEAR(e.treatment, 0.25, kTight);
  EXPECT_NEAR(e.holdout, 0.75, kTight);
  EXPECT_NEAR(e.absolute, -0.5, kTight);
  const double half_width = 1.959963984540054 * std::sqrt(0.125);
  EXPECT_NEAR(e.absolute_ci.low, -0.5 - half_width, 1e-12);
  EXPECT_NEAR(e.absolute_ci.high, -0.5 + half_width, 1e-12);
  EXPECT_NEAR(e.relative, -2.0 / 3, kTight);
  // Fieller, cut at ratio 0: the delta method's -2/3 -+ 1.96 * 0.351 would
  // run from -135% (fewer than no overdrafts) to +2%.
  const double z = 1.959963984540054, qa = 0.5625 - z * z / 16, qb = 0.1875, qc = 0.0625 - z * z / 16;
  EXPECT_NEAR(e.relative_ci.low, -1.0, kTight);
  EXPECT_NEAR(e.relative_ci.high, (qb + std::sqrt(qb * qb - qa * qc)) / qa - 1, 1e-12);
  EXPECT_NEAR(e.p_value, stats::two_sided_p_value(-0.5 / std::sqrt(0.125)), kTight);
  EXPECT_NEAR(e.mde_absolute, (1.959963984540054 + 0.8416212335729143) * std::sqrt(0.125), 1e-12);
  // No pre-period: CUPED changes nothing.
  EXPECT_NEAR(e.cuped_absolute, e.absolute, kTight);
  EXPECT_NEAR(e.variance_reduction, 0, kTight);
  EXPECT_EQ(a.effects[1].metric, "overdraft_days");
  EXPECT_NEAR(a.effects[1].absolute, 2 - 6, kTight);
  EXPECT_EQ(a.effects[3].metric, "total_fees");
}

// The four accounts have no pre-period, so the unadjusted estimate leads:
// -0.5 with V = 1/8. Tuned to the period itself (planned_weeks = 0) the
// half width is 3.0351224 SE; to an 8-week plan after 4 weeks, rho^2 =
// 8.2119681 * V * 28 / 56, i.e. rho^2 / V = 4.1059840.
TEST(Analysis, ConfidenceSequenceSurroundsThePrimaryEstimateTunedToThePlannedLength) {
  const ExperimentAnalysis a = analyze_experiment("tiny", four_accounts(), {}, four_weeks());
  const SequentialEstimate& q = a.sequential;
  EXPECT_EQ(q.metric, "overdraft_incidence");
  EXPECT_EQ(q.analysis, "unadjusted");
  EXPECT_NEAR(q.absolute, -0.5, kTight);
  EXPECT_EQ(q.elapsed_days, 28);
  EXPECT_EQ(q.planned_weeks, 4);
  EXPECT_NEAR(q.absolute_ci.high, -0.5 + 3.035122413028551 * std::sqrt(0.125), 1e-10);
  EXPECT_NEAR(q.rho, std::sqrt(8.211968062068253 * 0.125), 1e-10);
  EXPECT_FALSE(q.significant);
  EXPECT_GT(q.p_value, a.effects[0].p_value) << "a look that may be one of many is weaker evidence";

  AnalysisOptions planned = four_weeks();
  planned.planned_weeks = 8;
  const SequentialEstimate p = analyze_experiment("tiny", four_accounts(), {}, planned).sequential;
  const double r = 8.211968062068253 * 28 / 56;
  const double half = std::sqrt(0.125 * (1 + 1 / r) * (std::log(1 + r) + 2 * std::log(20.0)));
  EXPECT_EQ(p.planned_weeks, 8);
  EXPECT_NEAR(p.absolute_ci.low, -0.5 - half, 1e-10);
  EXPECT_NEAR(p.absolute_ci.high, -0.5 + half, 1e-10);

  planned.planned_weeks = -1;
  EXPECT_THROW(analyze_experiment("tiny", four_accounts(), {}, planned), std::invalid_argument);
}

TEST(Analysis, FunnelEstimatesAccountsThatAvoidedAnyOverdraft) {
  // Share with any overdraft: treatment 1/2, holdout 2/2: -(0.5 - 1) * 2 = 1.
  const ExperimentAnalysis a = analyze_experiment("tiny", four_accounts(), {}, four_weeks());
  ASSERT_EQ(a.funnel.size(), 6u);
  EXPECT_EQ(a.funnel[0].step, "assigned");
  EXPECT_EQ(a.funnel[0].treatment, 2);
  EXPECT_EQ(a.funnel[5].step, "overdraft_avoided");
  EXPECT_NEAR(a.funnel[5].treatment, 1.0, kTight);
}

TEST(Analysis, WeeklyRatesAreSharesOfEachArmOverdrawnThatWeek) {
  const ExperimentAnalysis a = analyze_experiment("tiny", four_accounts(), {}, four_weeks());
  ASSERT_EQ(a.weekly.size(), 4u);
  EXPECT_EQ(a.weekly[0].week_start, make_date(2025, 3, 3));
  EXPECT_NEAR(a.weekly[0].treatment, 0.5, kTight);
  EXPECT_NEAR(a.weekly[0].holdout, 1.0, kTight);
  EXPECT_NEAR(a.weekly[3].treatment, 0.0, kTight);
  EXPECT_NEAR(a.weekly[3].holdout, 0.5, kTight);
}

TEST(Analysis, CupedWithAnInformativePreperiodNarrowsTheInterval) {
  // Pre-period overdraft weeks track the outcome closely: CUPED removes most
  // of the between-account spread.
  std::vector<AccountOutcome> accounts;
  const int outcome[] = {0, 1, 2, 3, 4, 0, 1, 3, 4, 4};
  for (int i = 0; i < 10; ++i) {
    AccountOutcome a = account(i < 5 ? "t" : "h", i < 5 ? Arm::kTreatment : Arm::kHoldout, 4, outcome[i]);
    a.account_id += std::to_string(i);
    a.pre_weeks = 4;
    a.pre_overdraft_weeks = outcome[i];
    a.pre_overdraft_days = 2 * outcome[i];
    accounts.push_back(a);
  }
  const ExperimentAnalysis r = analyze_experiment("pre", accounts, {}, four_weeks());
  for (const Effect& e : r.effects) {
    EXPECT_GT(e.variance_reduction, 0.9) << e.metric;
    EXPECT_LT(e.cuped_absolute_ci.high - e.cuped_absolute_ci.low, e.absolute_ci.high - e.absolute_ci.low)
        << e.metric;
  }
}

TEST(Analysis, BootstrapIntervalIsDeterministicForASeed) {
  std::vector<AccountOutcome> accounts;
  for (int i = 0; i < 40; ++i)
    accounts.push_back(account(("a" + std::to_string(i)).c_str(), i % 2 ? Arm::kTreatment : Arm::kHoldout, 4, i % 5));
  AnalysisOptions o = four_weeks();
  o.bootstrap_resamples = 500;
  o.bootstrap_seed = 42;
  const ExperimentAnalysis a = analyze_experiment("boot", accounts, {}, o);
  const ExperimentAnalysis b = analyze_experiment("boot", accounts, {}, o);
  ASSERT_TRUE(a.effects[0].absolute_ci_bootstrap);
  EXPECT_EQ(a.effects[0].absolute_ci_bootstrap->low, b.effects[0].absolute_ci_bootstrap->low);
  EXPECT_EQ(a.effects[0].absolute_ci_bootstrap->high, b.effects[0].absolute_ci_bootstrap->high);
  EXPECT_LT(a.effects[0].absolute_ci_bootstrap->low, a.effects[0].absolute);
  EXPECT_GT(a.effects[0].absolute_ci_bootstrap->high, a.effects[0].absolute);
  // Bootstrap and delta-method widths agree roughly on a balanced sample.
  const double boot = a.effects[0].absolute_ci_bootstrap->high - a.effects[0].absolute_ci_bootstrap->low;
  const double delta = a.effects[0].absolute_ci.high - a.effects[0].absolute_ci.low;
  EXPECT_NEAR(boot / delta, 1.0, 0.25);
}

TEST(Analysis, SampleRatioMismatchIsFlaggedAndLeadsTheCaveats) {
  std::vector<AccountOutcome> accounts;
  for (int i = 0; i < 300; ++i)
    accounts.push_back(account(("a" + std::to_string(i)).c_str(), i < 200 ? Arm::kTreatment : Arm::kHoldout, 4, i % 3));
  const ExperimentAnalysis a = analyze_experiment("srm", accounts, {}, four_weeks());
  EXPECT_TRUE(a.sample_ratio.mismatch);
  EXPECT_EQ(a.sample_ratio.treatment, 200u);
  EXPECT_EQ(a.sample_ratio.holdout, 100u);
  EXPECT_NEAR(a.sample_ratio.chi_square, 50.0 * 50 / 150 * 2, 1e-9);
  ASSERT_FALSE(a.caveats.empty());
  EXPECT_THAT(a.caveats[0], HasSubstr("Sample ratio mismatch"));
}

TEST(Analysis, SmallArmsAndShortPeriodsAreCaveated) {
  AnalysisOptions o = four_weeks();
  o.to = make_date(2025, 3, 17);
  const ExperimentAnalysis a = analyze_experiment("tiny", four_accounts(), {}, o);
  EXPECT_THAT(a.caveats, ::testing::Contains(HasSubstr("Small sample")));
  EXPECT_THAT(a.caveats, ::testing::Contains(HasSubstr("Short period")));
}

TEST(Analysis, LowerOverdraftFeesWithoutLowerTotalFeesAreCaveatedAsFeesMoved) {
  std::vector<AccountOutcome> accounts;
  for (int i = 0; i < 200; ++i) {
    const bool treated = i % 2 == 0;
    AccountOutcome a = account(("a" + std::to_string(i)).c_str(), treated ? Arm::kTreatment : Arm::kHoldout, 4, 0);
    a.overdraft_fee_cents = treated ? 1000 + i : 3500 + i;
    a.total_fee_cents = 5000 + i;  // the nudged pay the difference in other fees
    accounts.push_back(a);
  }
  const ExperimentAnalysis r = analyze_experiment("moved", accounts, {}, four_weeks());
  EXPECT_LT(r.effects[2].absolute_ci.high, 0);
  EXPECT_THAT(r.caveats, ::testing::Contains(HasSubstr("Fees moved")));
}

TEST(Stats, HolmAdjustsStepDownKeepsTheInputOrderAndCapsAtOne) {
  // Sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1: 0.04, 0.09, 0.08 (raised to
  // the 0.09 before it: adjusted values never fall), 0.5.
  EXPECT_THAT(stats::holm_adjust(std::vector<double>{0.01, 0.04, 0.03, 0.5}),
              ::testing::Pointwise(::testing::DoubleNear(1e-15), std::vector<double>{0.04, 0.09, 0.09, 0.5}));
  EXPECT_THAT(stats::holm_adjust(std::vector<double>{0.6, 0.7}), ::testing::ElementsAre(1.0, 1.0));
  EXPECT_THAT(stats::holm_adjust(std::vector<double>{0.02}), ::testing::ElementsAre(0.02));
  EXPECT_TRUE(stats::holm_adjust(std::vector<double>{}).empty());
}

TEST(Analysis, SegmentsVariantsAndTheTargetedComparisonAreEstimatedWherePossible) {
  std::vector<AccountOutcome> accounts;
  for (int i = 0; i < 40; ++i) {
    AccountOutcome a = account(("a" + std::to_string(i)).c_str(), i % 2 ? Arm::kTreatment : Arm::kHoldout, 4, i % 4);
    a.income_pattern = i < 20 ? "biweekly" : "weekly";
    a.balance_band = i == 1 ? "2k+" : "0-500";  // 2k+ has one treatment account only: skipped
    a.variant = i % 2 ? (i % 4 == 1 ? "plain" : "friendly") : "";
    a.decided = i % 3 == 0;
    accounts.push_back(a);
  }
  const ExperimentAnalysis r = analyze_experiment("seg", accounts, {}, four_weeks());
  std::vector<std::string> names;
  for (const SegmentEffect& s : r.segments) names.push_back(s.dimension + "=" + s.segment);
  EXPECT_THAT(names, ::testing::ElementsAre("income_pattern=biweekly", "income_pattern=weekly",
                                            "balance_band=0-500", "tenure_band=unknown"));
  EXPECT_THAT(r.caveats, ::testing::Contains(HasSubstr("balance_band = 2k+")));
  ASSERT_EQ(r.variants.size(), 2u);
  EXPECT_EQ(r.variants[0].variant, "friendly");
  EXPECT_EQ(r.variants[0].accounts, 10u);
  // The pair, and one Holm adjustment over the family of three.
  ASSERT_EQ(r.variant_pairs.size(), 1u);
  EXPECT_EQ(r.variant_pairs[0].variant, "friendly");
  EXPECT_EQ(r.variant_pairs[0].other, "plain");
  EXPECT_EQ(r.variant_pairs[0].accounts, 10u);
  EXPECT_EQ(r.variant_pairs[0].other_accounts, 10u);
  EXPECT_EQ(r.variant_pairs[0].incidence.treatment, r.variants[0].incidence.treatment);
  EXPECT_EQ(r.variant_pairs[0].incidence.holdout, r.variants[1].incidence.treatment);
  EXPECT_EQ(r.variant_comparisons, 3u);
  const std::vector<double> raw{r.variants[0].incidence.p_value, r.variants[1].incidence.p_value,
                                r.variant_pairs[0].incidence.p_value};
  const std::vector<double> holm = stats::holm_adjust(raw);
  EXPECT_EQ(r.variants[0].p_holm, holm[0]);
  EXPECT_EQ(r.variants[1].p_holm, holm[1]);
  EXPECT_EQ(r.variant_pairs[0].p_holm, holm[2]);
  EXPECT_EQ(r.targeted.nudged_accounts, 7u);             // odd multiples of 3 below 40
  EXPECT_EQ(r.targeted.would_have_been_nudged_accounts, 7u);  // even multiples of 3 below 40
}

TEST(AnalysisErrors, AnEmptyHoldoutArmIsNamed) {
  std::vector<AccountOutcome> accounts{account("t1", Arm::kTreatment, 4, 1), account("t2", Arm::kTreatment, 4, 0)};
  EXPECT_THAT([&] { analyze_experiment("x", accounts, {}, four_weeks()); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("no accounts in the holdout arm")));
}

TEST(AnalysisErrors, AnEmptyTreatmentArmIsNamed) {
  std::vector<AccountOutcome> accounts{account("h1", Arm::kHoldout, 4, 1), account("h2", Arm::kHoldout, 4, 0)};
  EXPECT_THAT([&] { analyze_experiment("x", accounts, {}, four_weeks()); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("no accounts in the treatment arm")));
}

TEST(AnalysisErrors, AnEmptyPeriodIsRefused) {
  AnalysisOptions o = four_weeks();
  o.to = o.from;
  EXPECT_THAT([&] { analyze_experiment("x", four_accounts(), {}, o); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("to <= from")));
}

TEST(AnalysisErrors, AnArmWithoutObservedWeeksIsNamed) {
  std::vector<AccountOutcome> accounts = four_accounts();
  for (AccountOutcome& a : accounts)
    if (a.arm == Arm::kHoldout) a = account(a.account_id.c_str(), Arm::kHoldout, 0, 0);
  EXPECT_THAT([&] { analyze_experiment("x", accounts, {}, four_weeks()); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("no account-weeks observed in the holdout")));
}

TEST(AnalysisErrors, ImpossibleAccountCountsNameTheAccount) {
  std::vector<AccountOutcome> accounts = four_accounts();
  accounts[1].overdraft_weeks = 9;
  EXPECT_THAT([&] { analyze_experiment("x", accounts, {}, four_weeks()); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("account 't2': overdraft_weeks exceeds weeks")));
}

TEST(AnalysisErrors, AForecastProbabilityOutsideTheUnitIntervalIsRefused) {
  EXPECT_THAT([&] { analyze_experiment("x", four_accounts(), {{make_date(2025, 3, 3), 1.5, true}}, four_weeks()); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("p_window outside [0, 1]")));
}

}  // namespace
}  // namespace headroom::measurement
