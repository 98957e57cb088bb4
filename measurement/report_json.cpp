#include "measurement/report_json.hpp"

#include "measurement/report_format.hpp"

namespace headroom::measurement {
namespace {

using nlohmann::json;

json interval_json(const Interval& i) { return json{{"low", i.low}, {"high", i.high}}; }

json effect_json(const Effect& e) {
  json j{{"metric", e.metric},
         {"unit", e.unit},
         {"treatment", e.treatment},
         {"holdout", e.holdout},
         {"absolute", e.absolute},
         {"absolute_ci", interval_json(e.absolute_ci)},
         {"relative", e.relative},
         {"relative_ci", interval_json(e.relative_ci)},
         {"p_value", e.p_value},
         {"absolute_ci_bootstrap", e.absolute_ci_bootstrap ? interval_json(*e.absolute_ci_bootstrap) : json(nullptr)},
         {"cuped_absolute", e.cuped_absolute},
         {"cuped_absolute_ci", interval_json(e.cuped_absolute_ci)},
         {"cuped_relative", e.cuped_relative},
         {"cuped_relative_ci", interval_json(e.cuped_relative_ci)},
         {"cuped_p_value", e.cuped_p_value},
         {"variance_reduction", e.variance_reduction},
         {"mde_absolute", e.mde_absolute}};
  return j;
}

std::string iso(forecast::Date d) { return forecast::to_iso_string(d); }

}  // namespace

json report_json(const ExperimentAnalysis& a) {
  json j;
  j["experiment"] = a.experiment;
  j["from"] = iso(a.from);
  j["to"] = iso(a.to);
  j["clocks"] = a.clocks;
  j["confidence_level"] = kConfidenceLevel;
  j["headline"] = headline(a);
  const PrimaryResult primary = primary_result(a);
  j["primary"] = json{{"metric", a.primary_metric},
                      {"analysis", primary.reading.cuped ? "cuped" : "unadjusted"},
                      {"verdict", verdict_name(primary.verdict)},
                      {"significant", primary.effect != nullptr && primary.reading.significant}};
  const SequentialEstimate& q = a.sequential;
  j["sequential"] = json{{"metric", q.metric},
                         {"analysis", q.analysis},
                         {"absolute", q.absolute},
                         {"absolute_ci", interval_json(q.absolute_ci)},
                         {"p_value", q.p_value},
                         {"significant", q.significant},
                         {"planned_weeks", q.planned_weeks},
                         {"elapsed_days", q.elapsed_days},
                         {"rho", q.rho}};
  const CupedCovariate& c = a.cuped;
  j["cuped"] = json{{"experiment_start", iso(c.experiment_start)},
                    {"from", iso(c.window.from)},
                    {"to", iso(c.window.to)},
                    {"before_start", c.before_start},
                    {"window_weeks", c.window_weeks},
                    {"min_weeks", c.min_weeks},
                    {"accounts_short", c.accounts_short}};

  const auto& s = a.sample_ratio;
  const double total = static_cast<double>(s.treatment + s.holdout);
  j["sample_ratio"] = json{{"treatment", s.treatment},
                           {"holdout", s.holdout},
                           {"accounts", s.treatment + s.holdout},
                           {"expected_holdout_share", s.expected_holdout_share},
                           {"observed_holdout_share", total > 0 ? static_cast<double>(s.holdout) / total : 0.0},
                           {"chi_square", s.chi_square},
                           {"p_value", s.p_value},
                           {"mismatch", s.mismatch},
                           {"status", s.mismatch ? "mismatch" : "ok"},
                           {"summary", sample_ratio_summary(s)}};

  j["effects"] = json::array();
  for (const auto& e : a.effects) j["effects"].push_back(effect_json(e));

  j["variants"] = json::array();
  for (const auto& v : a.variants)
    j["variants"].push_back(json{{"variant", v.variant},
                                 {"accounts", v.accounts},
                                 {"incidence", effect_json(v.incidence)},
                                 {"p_holm", v.p_holm}});
  j["variant_pairs"] = json::array();
  for (const auto& v : a.variant_pairs)
    j["variant_pairs"].push_back(json{{"variant", v.variant},
                                      {"other", v.other},
                                      {"accounts", v.accounts},
                                      {"other_accounts", v.other_accounts},
                                      {"incidence", effect_json(v.incidence)},
                                      {"p_holm", v.p_holm}});
  j["variant_correction"] = json{{"method", "holm"}, {"comparisons", a.variant_comparisons}};

  j["segments"] = json::array();
  for (const auto& g : a.segments)
    j["segments"].push_back(json{{"dimension", g.dimension},
                                 {"segment", g.segment},
                                 {"treatment_accounts", g.treatment_accounts},
                                 {"holdout_accounts", g.holdout_accounts},
                                 {"incidence", effect_json(g.incidence)}});

  j["targeted"] = json{{"nudged_accounts", a.targeted.nudged_accounts},
                       {"would_have_been_nudged_accounts", a.targeted.would_have_been_nudged_accounts},
                       {"incidence", effect_json(a.targeted.incidence)}};

  // Each step also as a share of its arm's assigned accounts: the funnel
  // chart draws (and labels) those shares.
  double assigned_t = 0, assigned_h = 0;
  for (const auto& f : a.funnel)
    if (f.step == "assigned") assigned_t = f.treatment, assigned_h = f.holdout;
  j["funnel"] = json::array();
  for (const auto& f : a.funnel)
    j["funnel"].push_back(json{{"step", f.step},
                               {"treatment", f.treatment},
                               {"holdout", f.holdout},
                               {"treatment_share", assigned_t > 0 ? f.treatment / assigned_t : 0.0},
                               {"holdout_share", assigned_h > 0 ? f.holdout / assigned_h : 0.0}});

  j["weekly"] = json::array();
  for (const auto& w : a.weekly)
    j["weekly"].push_back(json{{"week_start", iso(w.week_start)}, {"treatment", w.treatment}, {"holdout", w.holdout}});

  const auto& h = a.forecast_health;
  json health{{"forecasts", h.forecasts},
              {"brier", h.brier},
              {"brier_skill", h.brier_skill},
              {"expected_calibration_error", h.expected_calibration_error},
              {"calibration", json::array()},
              {"weekly", json::array()}};
  for (const auto& b : h.calibration)
    health["calibration"].push_back(json{{"p_low", b.p_low},
                                         {"p_high", b.p_high},
                                         {"forecasts", b.forecasts},
                                         {"mean_predicted", b.mean_predicted},
                                         {"observed_rate", b.observed_rate}});
  for (const auto& w : h.weekly)
    health["weekly"].push_back(json{{"week_start", iso(w.week_start)},
                                    {"forecasts", w.forecasts},
                                    {"mean_predicted", w.mean_predicted},
                                    {"observed_rate", w.observed_rate},
                                    {"brier", w.brier},
                                    {"expected_calibration_error", w.expected_calibration_error}});
  j["forecast_health"] = std::move(health);
  j["caveats"] = a.caveats;
  return j;
}

std::string render_report_json(const ExperimentAnalysis& analysis) { return report_json(analysis).dump(2) + "\n"; }

}  // namespace headroom::measurement
