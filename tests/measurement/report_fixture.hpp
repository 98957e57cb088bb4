#pragma once
// A hand-built ExperimentAnalysis for the renderer tests: plausible values
// with awkward digits, so rounding and formatting show.

#include "measurement/experiment.hpp"

namespace headroom::measurement::testing {

inline Effect make_effect(std::string metric, std::string unit, double treatment, double holdout) {
  Effect e;
  e.metric = std::move(metric);
  e.unit = std::move(unit);
  e.treatment = treatment;
  e.holdout = holdout;
  e.absolute = treatment - holdout;
  e.absolute_ci = {e.absolute - 0.37 * holdout, e.absolute + 0.21 * holdout};
  e.relative = e.absolute / holdout;
  e.relative_ci = {e.relative - 0.1234, e.relative + 0.0567};
  e.p_value = 0.01234;
  e.cuped_absolute = e.absolute * 0.97;
  e.cuped_absolute_ci = {e.cuped_absolute - 0.2 * holdout, e.cuped_absolute + 0.1 * holdout};
  e.cuped_relative = e.cuped_absolute / holdout;
  e.cuped_relative_ci = {e.cuped_relative - 0.0812, e.cuped_relative + 0.0411};
  e.cuped_p_value = 0.000412;
  e.variance_reduction = 0.3871;
  e.mde_absolute = 0.1712 * holdout;
  return e;
}

inline ExperimentAnalysis sample_analysis() {
  using forecast::make_date;
  ExperimentAnalysis a;
  a.experiment = "spring-nudges_2";
  a.from = make_date(2026, 3, 2);
  a.to = make_date(2026, 5, 25);
  a.sample_ratio = {9013, 1004, 0.10, 0.0123, 0.9117, false};
  a.cuped_primary = true;
  a.cuped = {a.from, {make_date(2026, 1, 5), a.from}, true, 8, 4, 37};
  a.effects = {make_effect("overdraft_incidence", "share of account-weeks", 0.08215, 0.10347),
               make_effect("overdraft_days", "days per account", 3.1416, 3.9871),
               make_effect("overdraft_fees", "cents per account", 2871.4, 3532.77),
               make_effect("total_fees", "cents per account", 3410.05, 4011.9)};
  a.effects[0].absolute_ci_bootstrap = Interval{-0.0301, -0.0122};
  a.sequential = {"overdraft_incidence", "cuped", -0.02113, {-0.03291, -0.00935}, 0.01377, true, 12, 84, 0.01614};
  a.variants = {{"gentle", 4512, make_effect("overdraft_incidence", "share of account-weeks", 0.0799, 0.10347), 0.0213},
                {"urgent", 4501, make_effect("overdraft_incidence", "share of account-weeks", 0.0844, 0.10347), 0.0426}};
  a.variant_pairs = {{"gentle", "urgent", 4512, 4501,
                      make_effect("overdraft_incidence", "share of account-weeks", 0.0799, 0.0844), 0.6182}};
  a.variant_comparisons = 3;
  for (const char* band : {"<0", "0-500", "500-2k", "2k+"}) {
    SegmentEffect s;
    s.dimension = "balance_band";
    s.segment = band;
    s.treatment_accounts = 2253;
    s.holdout_accounts = 251;
    s.incidence = make_effect("overdraft_incidence", "share of account-weeks", 0.0912, 0.1133);
    a.segments.push_back(s);
  }
  SegmentEffect tenure;
  tenure.dimension = "tenure_band";
  tenure.segment = "6-12m";
  tenure.treatment_accounts = 1200;
  tenure.holdout_accounts = 131;
  tenure.incidence = make_effect("overdraft_incidence", "share of account-weeks", 0.071, 0.0953);
  a.segments.push_back(tenure);
  a.targeted = {3120, 344, make_effect("overdraft_incidence", "share of account-weeks", 0.2211, 0.2873)};
  a.funnel = {{"assigned", 9013, 1004}, {"at_risk", 3391, 377}, {"decided", 3120, 344},
              {"sent", 2987, 0},        {"seen", 1402, 0},      {"overdraft_avoided", 187.4, 0}};
  for (int w = 0; w < 12; ++w)
    a.weekly.push_back({a.from + forecast::Date::duration(7 * w), 0.08 + 0.003 * (w % 4), 0.10 + 0.0041 * (w % 3)});
  auto& h = a.forecast_health;
  h.forecasts = 512345;
  h.brier = 0.07312;
  h.brier_skill = 0.2191;
  h.expected_calibration_error = 0.0187;
  for (int b = 0; b < 10; ++b) {
    const double lo = b / 10.0;
    h.calibration.push_back({lo, lo + 0.1, static_cast<std::size_t>(90000 / (b + 1)), lo + 0.047, lo + 0.039 + 0.002 * b});
  }
  h.weekly.push_back({a.from, 42000, 0.1311, 0.1207, 0.0712, 0.0153});
  a.caveats = {"The holdout is small (1,004 accounts): intervals are wide.",
               "Fees moved with overdrafts as expected."};
  return a;
}

}  // namespace headroom::measurement::testing
