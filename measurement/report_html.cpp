#include "measurement/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "measurement/report_format.hpp"

#include "nudges/templates.hpp"

namespace headroom::measurement {
namespace {

using S = NumberStyle;

std::string f(double v, S s) { return html_escape(format_number(v, s)); }
std::string count(std::size_t n) { return f(static_cast<double>(n), S::kCount); }
std::string iso(forecast::Date d) { return forecast::to_iso_string(d); }

// SVG coordinates with one decimal: enough for a screen, short in the file.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

// A "nice" upper bound and step for an axis from 0 (or from lo) to hi.
double nice_step(double span, int ticks) {
  if (!(span > 0)) return 1;
  const double raw = span / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string dimension_label(const std::string& d) {
  if (d == "income_pattern") return "Income pattern";
  if (d == "balance_band") return "Balance band";
  if (d == "tenure_band") return "Tenure";
  return d;
}

std::string step_label(const std::string& s) {
  if (s == "assigned") return "Assigned";
  if (s == "at_risk") return "At risk";
  if (s == "decided") return "Decided (sent or would have sent)";
  if (s == "sent") return "Nudge delivered";
  if (s == "seen") return "Nudge seen";
  if (s == "overdraft_avoided") return "Overdraft avoided (estimate)";
  return s;
}

const Effect* find_effect(const ExperimentAnalysis& a, const std::string& metric) {
  for (const auto& e : a.effects)
    if (e.metric == metric) return &e;
  return nullptr;
}

constexpr const char* kTreatmentColor = "#1f6fb2";
constexpr const char* kHoldoutColor = "#d9822b";
constexpr const char* kFewerColor = "#2e8540";  // significantly fewer overdrafts or fees
constexpr const char* kMoreColor = "#b3261e";   // significantly more

const char* kStyle = R"(
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d2733;max-width:980px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
.period{color:#5a6773;margin-top:4px}
.headline{font-size:1.35em;font-weight:bold;background:#eef4fa;border-left:6px solid #1f6fb2;padding:12px 16px}
.srm-ok{border-left:6px solid #2e8540;background:#eef7f0;padding:8px 16px}
.srm-mismatch{border-left:6px solid #b3261e;background:#fbeceb;padding:8px 16px}
#caveats li{margin:4px 0}
table{border-collapse:collapse;width:100%;font-size:.9em;margin-top:8px}
th,td{border-bottom:1px solid #e3e7eb;padding:4px 6px;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.label,th.label{text-align:left}
th{background:#f5f7f9}
svg{display:block;margin:8px 0;max-width:100%;height:auto}
svg text{font-family:inherit;font-size:12px;fill:#1d2733}
svg .axis{fill:#5a6773;font-size:11px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.note{color:#5a6773;font-size:.9em}
)";

void open_svg(std::string& out, const char* id, double width, double height, const std::string& label) {
  out += "<svg id=\"" + std::string(id) + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(width) +
         "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
         "\" role=\"img\" aria-label=\"" + html_escape(label) + "\">\n";
}

void axis_text(std::string& out, double x, double y, const std::string& text, const char* anchor) {
  out += "<text class=\"axis\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" + anchor + "\">" +
         html_escape(text) + "</text>\n";
}

void legend(std::string& out) {
  out += std::string("<p class=\"legend\"><span style=\"background:") + kTreatmentColor +
         "\"></span>Treatment (nudges on)<span style=\"background:" + kHoldoutColor +
         "\"></span>Holdout (no nudges)</p>\n";
}

// ---- Sections ---------------------------------------------------------------

// Which estimate the headline and the chart use, and where CUPED's covariate comes from.
std::string cuped_sentence(const ExperimentAnalysis& a) {
  const CupedCovariate& c = a.cuped;
  std::string s = "CUPED uses each account's overdrafts in the " + f(c.window_weeks, S::kCount) +
                  " weeks before the experiment started on " + iso(c.experiment_start) + " (" + iso(c.window.from) +
                  " up to " + iso(c.window.to) + ")";
  if (!c.before_start)
    s = "CUPED's covariate was measured from " + iso(c.window.from) + " up to " + iso(c.window.to) +
        ", after the experiment started on " + iso(c.experiment_start);
  if (c.accounts_short > 0)
    s += "; " + count(c.accounts_short) + " accounts observed in fewer than " + f(c.min_weeks, S::kCount) +
         " of those weeks are not adjusted";
  s += a.cuped_primary ? ". The headline and the chart use the CUPED estimates."
                       : ". The headline and the chart use the unadjusted estimates (see the caveats).";
  return s;
}

// The always-valid reading beside the fixed-horizon one: which to trust
// depends on how the report is being read (docs/analysis.md, "Looking every day").
void sequential_paragraph(std::string& out, const ExperimentAnalysis& a) {
  const SequentialEstimate& q = a.sequential;
  if (q.metric.empty()) return;
  out += std::string("<p id=\"sequential\" data-significant=\"") + (q.significant ? "true" : "false") +
         "\">If you look at this report before the planned end (every day, say), read the always-valid interval "
         "instead: " +
         f(q.absolute, S::kPoints) + " (" + f(kConfidenceLevel, S::kPercent) + " confidence sequence " +
         html_escape(format_interval(q.absolute_ci, S::kPoints)) + ", always-valid p = " + f(q.p_value, S::kPValue) +
         "), " + f(q.elapsed_days, S::kCount) + " days into a " + f(q.planned_weeks, S::kCount) + "-week plan. " +
         (q.significant ? "It excludes zero, so the difference holds however often the report was looked at."
                        : "It includes zero: not yet evidence of an effect; stopping on the fixed-horizon interval "
                          "after peeking overstates the evidence.") +
         "</p>\n";
}

void headline_section(std::string& out, const ExperimentAnalysis& a) {
  const PrimaryResult p = primary_result(a);
  out += std::string("<section id=\"headline\"><p class=\"headline\" data-verdict=\"") + verdict_name(p.verdict) +
         "\">" + html_escape(headline(a)) + "</p>\n";
  if (const Effect* e = find_effect(a, "overdraft_incidence")) {
    out += "<p>Share of account-weeks with an overdraft: <strong>" + f(e->treatment, S::kPercent) +
           "</strong> with nudges versus <strong>" + f(e->holdout, S::kPercent) +
           "</strong> in the holdout, a difference of " + f(e->absolute, S::kPoints) + " (" +
           f(kConfidenceLevel, S::kPercent) + " CI " + html_escape(format_interval(e->absolute_ci, S::kPoints)) +
           "). After adjusting for each account's overdrafts before the experiment (CUPED) the difference is " +
           f(e->cuped_absolute, S::kPoints) + " (" + html_escape(format_interval(e->cuped_absolute_ci, S::kPoints)) +
           "). " + cuped_sentence(a) + "</p>\n";
  }
  sequential_paragraph(out, a);
  out += "</section>\n";
}

void sample_ratio_section(std::string& out, const ExperimentAnalysis& a) {
  out += std::string("<section id=\"sample-ratio\"><h2>Sample ratio</h2><p class=\"") +
         (a.sample_ratio.mismatch ? "srm-mismatch" : "srm-ok") + "\">" +
         html_escape(sample_ratio_summary(a.sample_ratio)) + "</p></section>\n";
}

void caveats_section(std::string& out, const ExperimentAnalysis& a) {
  out += "<section id=\"caveats\"><h2>Caveats</h2>\n";
  if (a.caveats.empty()) {
    out += "<p>No caveats: the split matches the policy, both arms are large enough and the period is long "
           "enough for the estimates above.</p>\n";
  } else {
    out += "<ul>\n";
    for (const auto& c : a.caveats) out += "<li>" + html_escape(c) + "</li>\n";
    out += "</ul>\n";
  }
  out += "</section>\n";
}

// Relative effect of every metric with its interval, around a zero line, in
// the headline's analysis; coloured by that analysis' test (green: fewer,
// red: more, significantly; blue: the interval includes no effect).
void effect_chart(std::string& out, const ExperimentAnalysis& a) {
  const double width = 720, row_h = 44, left = 170, right = 250, top = 20;
  const double height = top + row_h * static_cast<double>(std::max<std::size_t>(a.effects.size(), 1)) + 30;
  double lo = 0, hi = 0;
  for (const auto& e : a.effects) {
    const EffectReading r = read_effect(e, a.cuped_primary);
    for (double v : {r.relative, r.relative_ci.low, r.relative_ci.high})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const double step = nice_step(hi - lo, 4);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  if (hi - lo < step) hi = lo + step;
  const double plot_w = width - left - right;
  // An unbounded end is drawn to the edge of the plot.
  auto x = [&](double v) { return left + (std::clamp(v, lo, hi) - lo) / (hi - lo) * plot_w; };
  open_svg(out, "effect-chart", width, height, "Relative effect of nudges on each metric, with 95% intervals");
  const double axis_y = height - 22;
  for (double t = lo; t <= hi + step / 2; t += step) {
    out += "<line x1=\"" + px(x(t)) + "\" x2=\"" + px(x(t)) + "\" y1=\"" + px(top - 6) + "\" y2=\"" + px(axis_y - 12) +
           "\" stroke=\"#e3e7eb\"/>\n";
    axis_text(out, x(t), axis_y, format_number(t, S::kPercent), "middle");
  }
  out += "<line x1=\"" + px(x(0)) + "\" x2=\"" + px(x(0)) + "\" y1=\"" + px(top - 6) + "\" y2=\"" + px(axis_y - 12) +
         "\" stroke=\"#5a6773\" stroke-width=\"1.5\"/>\n";
  double y = top + row_h / 2;
  for (const auto& e : a.effects) {
    const EffectReading r = read_effect(e, a.cuped_primary);
    out += "<g class=\"effect\"><title>" + html_escape(metric_label(e.metric)) + ": " + f(r.relative, S::kPercent) +
           " (" + html_escape(format_interval(r.relative_ci, S::kPercent)) + ")</title>\n";
    out += "<text x=\"8\" y=\"" + px(y + 4) + "\">" + html_escape(metric_label(e.metric)) + "</text>\n";
    if (std::isfinite(r.relative)) {
      const char* color = !r.significant ? kTreatmentColor : r.absolute < 0 ? kFewerColor : kMoreColor;
      out += "<line x1=\"" + px(x(r.relative_ci.low)) + "\" x2=\"" + px(x(r.relative_ci.high)) + "\" y1=\"" + px(y) +
             "\" y2=\"" + px(y) + "\" stroke=\"" + color + "\" stroke-width=\"3\"/>\n";
      out += "<circle cx=\"" + px(x(r.relative)) + "\" cy=\"" + px(y) + "\" r=\"6\" fill=\"" + color + "\"/>\n";
    }
    out += "<text x=\"" + px(width - right + 12) + "\" y=\"" + px(y + 4) + "\">" + f(r.relative, S::kPercent) + " (" +
           html_escape(format_interval(r.relative_ci, S::kPercent)) + ")</text>\n</g>\n";
    y += row_h;
  }
  out += "</svg>\n";
}

void effects_section(std::string& out, const ExperimentAnalysis& a) {
  const std::string level = f(kConfidenceLevel, S::kPercent);
  out += "<section id=\"effects\"><h2>Effects, treatment versus holdout</h2>\n"
         "<p class=\"note\">Relative change with nudges" + std::string(a.cuped_primary ? ", CUPED-adjusted" : "") +
         "; left of the dark line means fewer overdrafts or fees. Bars are " + level +
         " confidence intervals; green or red when the difference is significant (the interval excludes no "
         "change), blue when it is not.</p>\n";
  effect_chart(out, a);
  out += "<table id=\"effects-table\"><thead><tr><th>Metric</th><th>Unit</th><th>Treatment</th><th>Holdout</th>"
         "<th>Difference (" + level + " CI)</th><th>Relative (" + level + " CI)</th><th>p</th>"
         "<th>CUPED difference (" + level + " CI)</th><th>CUPED p</th><th>Variance removed by CUPED</th>"
         "<th>Minimum detectable difference</th></tr></thead><tbody>\n";
  bool any_bootstrap = false;
  for (const auto& e : a.effects) {
    const S vs = value_style(e.metric), as = absolute_style(e.metric);
    any_bootstrap = any_bootstrap || e.absolute_ci_bootstrap.has_value();
    out += "<tr><td>" + html_escape(metric_label(e.metric)) + "</td><td class=\"label\">" + html_escape(e.unit) +
           "</td><td>" + f(e.treatment, vs) + "</td><td>" + f(e.holdout, vs) + "</td><td>" + f(e.absolute, as) +
           " (" + html_escape(format_interval(e.absolute_ci, as)) + ")</td><td>" + f(e.relative, S::kPercent) + " (" +
           html_escape(format_interval(e.relative_ci, S::kPercent)) + ")</td><td>" + f(e.p_value, S::kPValue) +
           "</td><td>" + f(e.cuped_absolute, as) + " (" + html_escape(format_interval(e.cuped_absolute_ci, as)) +
           ")</td><td>" + f(e.cuped_p_value, S::kPValue) + "</td><td>" + f(e.variance_reduction, S::kPercent) +
           "</td><td>" + f(e.mde_absolute, as) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (any_bootstrap) {
    out += "<p class=\"note\">Percentile bootstrap intervals of the difference: ";
    bool first = true;
    for (const auto& e : a.effects) {
      if (!e.absolute_ci_bootstrap) continue;
      out += std::string(first ? "" : "; ") + html_escape(metric_label(e.metric)) + " " +
             html_escape(format_interval(*e.absolute_ci_bootstrap, absolute_style(e.metric)));
      first = false;
    }
    out += ".</p>\n";
  }
  out += "</section>\n";
}

void weekly_chart(std::string& out, const ExperimentAnalysis& a) {
  const double width = 720, height = 280, left = 60, right = 44, top = 16, bottom = 44;
  double hi = 0;
  for (const auto& w : a.weekly) hi = std::max({hi, std::isfinite(w.treatment) ? w.treatment : 0.0,
                                                 std::isfinite(w.holdout) ? w.holdout : 0.0});
  const double step = nice_step(hi > 0 ? hi : 0.1, 4);
  hi = std::max(step, std::ceil(hi / step) * step);
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const std::size_t n = a.weekly.size();
  auto x = [&](std::size_t i) { return n <= 1 ? left + plot_w / 2 : left + plot_w * static_cast<double>(i) / static_cast<double>(n - 1); };
  auto y = [&](double v) { return top + plot_h * (1 - v / hi); };
  open_svg(out, "weekly-chart", width, height, "Share of accounts overdrawn each week, treatment and holdout");
  for (double t = 0; t <= hi + step / 2; t += step) {
    out += "<line x1=\"" + px(left) + "\" x2=\"" + px(width - right) + "\" y1=\"" + px(y(t)) + "\" y2=\"" + px(y(t)) +
           "\" stroke=\"#e3e7eb\"/>\n";
    axis_text(out, left - 6, y(t) + 4, format_number(t, S::kPercent), "end");
  }
  const std::size_t every = std::max<std::size_t>(1, (n + 5) / 6);
  for (std::size_t i = 0; i < n; i += every) axis_text(out, x(i), height - bottom + 18, iso(a.weekly[i].week_start), "middle");
  for (int arm = 0; arm < 2; ++arm) {
    const char* color = arm == 0 ? kTreatmentColor : kHoldoutColor;
    std::string points;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = arm == 0 ? a.weekly[i].treatment : a.weekly[i].holdout;
      if (std::isfinite(v)) points += px(x(i)) + "," + px(y(v)) + " ";
    }
    out += std::string("<polyline class=\"") + (arm == 0 ? "treatment" : "holdout") + "\" fill=\"none\" stroke=\"" +
           color + "\" stroke-width=\"2.5\" points=\"" + points + "\"/>\n";
    for (std::size_t i = 0; i < n; ++i) {
      const double v = arm == 0 ? a.weekly[i].treatment : a.weekly[i].holdout;
      if (!std::isfinite(v)) continue;
      out += "<circle cx=\"" + px(x(i)) + "\" cy=\"" + px(y(v)) + "\" r=\"3.5\" fill=\"" + color + "\"><title>" +
             (arm == 0 ? "Treatment" : "Holdout") + ", week of " + iso(a.weekly[i].week_start) + ": " +
             f(v, S::kPercent) + "</title></circle>\n";
    }
  }
  out += "</svg>\n";
}

void weekly_section(std::string& out, const ExperimentAnalysis& a) {
  out += "<section id=\"weekly\"><h2>Overdraft rate by week</h2>\n"
         "<p class=\"note\">Share of each arm's accounts with at least one end-of-day balance below zero in the week.</p>\n";
  legend(out);
  weekly_chart(out, a);
  out += "</section>\n";
}

void funnel_section(std::string& out, const ExperimentAnalysis& a) {
  out += "<section id=\"funnel\"><h2>Funnel</h2>\n<p class=\"note\">Accounts at each step, as a share of the arm's "
         "assigned accounts. The holdout is decided but never sent to; overdrafts avoided are the estimated "
         "treatment accounts that would otherwise have been overdrawn.</p>\n";
  legend(out);
  double assigned_t = 0, assigned_h = 0;
  for (const auto& s : a.funnel)
    if (s.step == "assigned") assigned_t = s.treatment, assigned_h = s.holdout;
  const double width = 720, left = 250, right = 150, bar_h = 14, row_h = 44, top = 8;
  const double height = top + row_h * static_cast<double>(std::max<std::size_t>(a.funnel.size(), 1)) + 4;
  const double plot_w = width - left - right;
  open_svg(out, "funnel-chart", width, height, "Funnel from assigned to overdraft avoided, by arm");
  double y = top;
  for (const auto& s : a.funnel) {
    out += "<text x=\"8\" y=\"" + px(y + bar_h + 4) + "\">" + html_escape(step_label(s.step)) + "</text>\n";
    for (int arm = 0; arm < 2; ++arm) {
      const double value = arm == 0 ? s.treatment : s.holdout;
      const double base = arm == 0 ? assigned_t : assigned_h;
      const double share = base > 0 ? value / base : 0.0;
      const double w = std::clamp(share, 0.0, 1.0) * plot_w;
      const double by = y + arm * (bar_h + 2);
      out += std::string("<rect x=\"") + px(left) + "\" y=\"" + px(by) + "\" width=\"" + px(std::max(w, 1.0)) +
             "\" height=\"" + px(bar_h) + "\" fill=\"" + (arm == 0 ? kTreatmentColor : kHoldoutColor) + "\"/>\n";
      out += "<text x=\"" + px(left + std::max(w, 1.0) + 6) + "\" y=\"" + px(by + bar_h - 3) + "\">" +
             f(value, S::kCount) + " (" + f(share, S::kPercent) + ")</text>\n";
    }
    y += row_h;
  }
  out += "</svg>\n</section>\n";
}

void targeted_section(std::string& out, const ExperimentAnalysis& a) {
  const auto& t = a.targeted;
  const Effect& e = t.incidence;
  out += "<section id=\"targeted\"><h2>Nudged versus would-have-been-nudged</h2>\n<p>" + count(t.nudged_accounts) +
         " treatment accounts were nudged; " + count(t.would_have_been_nudged_accounts) +
         " holdout accounts met the same conditions and would have been. Their overdraft incidence: " +
         f(e.treatment, S::kPercent) + " versus " + f(e.holdout, S::kPercent) + ", a difference of " +
         f(e.absolute, S::kPoints) + " (" + html_escape(format_interval(e.absolute_ci, S::kPoints)) +
         "). Same targeting in both arms, but only the comparison of whole arms above is fully randomized.</p>\n"
         "</section>\n";
}

void incidence_cells(std::string& out, const Effect& e) {
  out += "<td>" + f(e.treatment, S::kPercent) + "</td><td>" + f(e.holdout, S::kPercent) + "</td><td>" +
         f(e.absolute, S::kPoints) + " (" + html_escape(format_interval(e.absolute_ci, S::kPoints)) + ")</td><td>" +
         f(e.relative, S::kPercent) + " (" + html_escape(format_interval(e.relative_ci, S::kPercent)) + ")</td><td>" +
         f(e.p_value, S::kPValue) + "</td>";
}

void segments_section(std::string& out, const ExperimentAnalysis& a) {
  const std::string level = f(kConfidenceLevel, S::kPercent);
  out += "<section id=\"segments\"><h2>Segments</h2>\n<p class=\"note\">Overdraft incidence by what was known about "
         "each account when the experiment started. Many segments mean many comparisons: expect about one in twenty "
         "intervals to miss by chance.</p>\n"
         "<table id=\"segment-table\"><thead><tr><th>Dimension</th><th class=\"label\">Segment</th>"
         "<th>Treatment accounts</th><th>Holdout accounts</th><th>Treatment</th><th>Holdout</th><th>Difference (" +
         level + " CI)</th><th>Relative (" + level + " CI)</th><th>p</th></tr></thead><tbody>\n";
  for (const auto& s : a.segments) {
    out += "<tr><td>" + html_escape(dimension_label(s.dimension)) + "</td><td class=\"label\">" +
           html_escape(s.segment) + "</td><td>" + count(s.treatment_accounts) + "</td><td>" +
           count(s.holdout_accounts) + "</td>";
    incidence_cells(out, s.incidence);
    out += "</tr>\n";
  }
  out += "</tbody></table>\n</section>\n";
}

void variant_pairs_table(std::string& out, const ExperimentAnalysis& a, const std::string& level) {
  if (a.variant_pairs.empty()) return;
  out += "<table id=\"variant-pair-table\"><thead><tr><th>Variant</th><th>Versus</th><th>Accounts</th>"
         "<th>Versus accounts</th><th>Rate (variant)</th><th>Rate (versus)</th><th>Difference (" + level + " CI)</th><th>Relative (" +
         level + " CI)</th><th>p</th><th>p (Holm)</th></tr></thead><tbody>\n";
  for (const auto& v : a.variant_pairs) {
    out += "<tr><td>" + html_escape(v.variant) + "</td><td>" + html_escape(v.other) + "</td><td>" + count(v.accounts) +
           "</td><td>" + count(v.other_accounts) + "</td>";
    incidence_cells(out, v.incidence);
    out += "<td>" + f(v.p_holm, S::kPValue) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
}

void variants_section(std::string& out, const ExperimentAnalysis& a) {
  if (a.variants.empty()) return;
  const std::string level = f(kConfidenceLevel, S::kPercent);
  out += "<section id=\"variants\"><h2>Copy variants</h2>\n<p class=\"note\">Intention to treat: every treatment "
         "account counts in the variant the assignment hash gives it, nudged or not, against the whole holdout; then "
         "the variants against each other. p (Holm) is adjusted for the " +
         count(a.variant_comparisons) +
         " comparisons in these tables (Holm's method): call a variant different only when its p (Holm) clears the " +
         level + " level.</p>\n<table id=\"variant-table\"><thead><tr><th>Variant</th><th>Accounts</th>"
         "<th>Treatment</th><th>Holdout</th><th>Difference (" + level + " CI)</th><th>Relative (" + level +
         " CI)</th><th>p</th><th>p (Holm)</th></tr></thead><tbody>\n";
  for (const auto& v : a.variants) {
    out += "<tr><td>" + html_escape(v.variant) + "</td><td>" + count(v.accounts) + "</td>";
    incidence_cells(out, v.incidence);
    out += "<td>" + f(v.p_holm, S::kPValue) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  variant_pairs_table(out, a, level);
  out += "</section>\n";
}

void calibration_chart(std::string& out, const ForecastHealth& h) {
  const double size = 340, left = 52, bottom = 40, top = 12, right = 12;
  const double plot = size - left - right;
  auto x = [&](double p) { return left + plot * std::clamp(p, 0.0, 1.0); };
  auto y = [&](double p) { return top + plot * (1 - std::clamp(p, 0.0, 1.0)); };
  open_svg(out, "calibration-chart", size, size + top + bottom - right - 12,
           "Calibration: forecast probability against observed overdraft rate");
  for (int i = 0; i <= 5; ++i) {
    const double t = i / 5.0;
    out += "<line x1=\"" + px(x(0)) + "\" x2=\"" + px(x(1)) + "\" y1=\"" + px(y(t)) + "\" y2=\"" + px(y(t)) +
           "\" stroke=\"#e3e7eb\"/>\n";
    axis_text(out, left - 6, y(t) + 4, format_number(t, S::kPercent), "end");
    axis_text(out, x(t), y(0) + 16, format_number(t, S::kPercent), "middle");
  }
  axis_text(out, x(0.5), y(0) + 32, "forecast probability of an overdraft in the window", "middle");
  out += "<line x1=\"" + px(x(0)) + "\" y1=\"" + px(y(0)) + "\" x2=\"" + px(x(1)) + "\" y2=\"" + px(y(1)) +
         "\" stroke=\"#5a6773\" stroke-dasharray=\"4 4\"/>\n";
  std::size_t most = 1;
  for (const auto& b : h.calibration) most = std::max(most, b.forecasts);
  std::string path;
  for (const auto& b : h.calibration) {
    if (b.forecasts == 0) continue;
    path += (path.empty() ? "M" : " L") + px(x(b.mean_predicted)) + " " + px(y(b.observed_rate));
  }
  if (!path.empty())
    out += std::string("<path d=\"") + path + "\" fill=\"none\" stroke=\"" + kTreatmentColor + "\" stroke-width=\"1.5\"/>\n";
  for (const auto& b : h.calibration) {
    if (b.forecasts == 0) continue;
    const double r = 3 + 7 * std::sqrt(static_cast<double>(b.forecasts) / static_cast<double>(most));
    out += "<circle cx=\"" + px(x(b.mean_predicted)) + "\" cy=\"" + px(y(b.observed_rate)) + "\" r=\"" + px(r) +
           "\" fill=\"" + kTreatmentColor + "\" fill-opacity=\"0.7\"><title>Forecasts " +
           f(b.p_low, S::kPercent) + " to " + f(b.p_high, S::kPercent) + ": " + count(b.forecasts) +
           " forecasts, mean " + f(b.mean_predicted, S::kPercent) + ", observed " + f(b.observed_rate, S::kPercent) +
           "</title></circle>\n";
  }
  out += "</svg>\n";
}

void forecast_health_section(std::string& out, const ExperimentAnalysis& a) {
  const auto& h = a.forecast_health;
  out += "<section id=\"forecast-health\"><h2>Forecast health</h2>\n<p>" + count(h.forecasts) +
         " forecasts whose whole window lies in the period. Brier score " + f(h.brier, S::kDecimal) +
         " (skill versus always predicting the base rate: " + f(h.brier_skill, S::kDecimal) +
         "; above zero is better than the base rate). Expected calibration error " +
         f(h.expected_calibration_error, S::kPercent) +
         ". Points on the dashed line mean the stated probabilities came true as often as they said.</p>\n";
  calibration_chart(out, h);
  out += "<table id=\"calibration-table\"><thead><tr><th>Forecast probability</th><th>Forecasts</th>"
         "<th>Mean forecast</th><th>Observed rate</th></tr></thead><tbody>\n";
  for (const auto& b : h.calibration)
    out += "<tr><td>" + f(b.p_low, S::kPercent) + " to " + f(b.p_high, S::kPercent) + "</td><td>" + count(b.forecasts) +
           "</td><td>" + f(b.mean_predicted, S::kPercent) + "</td><td>" + f(b.observed_rate, S::kPercent) +
           "</td></tr>\n";
  out += "</tbody></table>\n";
  if (!h.weekly.empty()) {
    out += "<table id=\"forecast-weekly-table\"><thead><tr><th>Week of</th><th>Forecasts</th><th>Mean forecast</th>"
           "<th>Observed rate</th><th>Brier</th><th>Calibration error</th></tr></thead><tbody>\n";
    for (const auto& w : h.weekly)
      out += "<tr><td>" + iso(w.week_start) + "</td><td>" + count(w.forecasts) + "</td><td>" +
             f(w.mean_predicted, S::kPercent) + "</td><td>" + f(w.observed_rate, S::kPercent) + "</td><td>" +
             f(w.brier, S::kDecimal) + "</td><td>" + f(w.expected_calibration_error, S::kPercent) + "</td></tr>\n";
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

// Which clock the period's nudges were planned and delivered on.
std::string clocks_sentence(const std::vector<std::string>& clocks) {
  if (clocks.empty()) return "No scoring cycle of this period was recorded.";
  if (clocks.size() > 1) {
    return "Its scoring cycles ran on different clocks (" + html_escape(fmt::format("{}", fmt::join(clocks, ", "))) +
           ").";
  }
  if (clocks[0] == "wall") return "Nudges were planned and delivered in real time (the daemon's wall clock).";
  if (clocks[0] == "replay")
    return "Nudges were planned and delivered in a replay of past days (headroom run --once --as-of), each on "
           "that day's clock.";
  if (clocks[0] == "simulated") return "Nudges were planned and delivered on a simulation's clock (headroom experiment).";
  return "Its scoring cycles ran on the " + html_escape(clocks[0]) + " clock.";
}

}  // namespace


std::string render_report_html(const ExperimentAnalysis& a) {
  std::string out;
  out.reserve(64 * 1024);
  const std::string name = html_escape(a.experiment);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Experiment " +
         name + ": effect of nudges on overdrafts</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<header><h1>Experiment <span id=\"experiment\">" + name + "</span></h1>\n<p class=\"period\">Period " +
         iso(a.from) + " up to (not including) " + iso(a.to) + "; " + count(a.sample_ratio.treatment) +
         " treatment and " + count(a.sample_ratio.holdout) +
         " holdout accounts, every account assigned counted (intention to treat). <span id=\"clocks\">" +
         clocks_sentence(a.clocks) + "</span></p></header>\n";
  headline_section(out, a);
  sample_ratio_section(out, a);
  caveats_section(out, a);
  effects_section(out, a);
  weekly_section(out, a);
  funnel_section(out, a);
  targeted_section(out, a);
  segments_section(out, a);
  variants_section(out, a);
  forecast_health_section(out, a);
  out += "<footer class=\"note\"><p>Overdraft incidence is the share of account-weeks with at least one end-of-day "
         "balance below zero. Differences are treatment minus holdout: negative means fewer overdrafts with nudges. "
         "CUPED adjusts for each account's overdrafts in the weeks before the experiment started, which narrows "
         "intervals without moving the estimate on average. The same numbers, unrounded, are in report.json and the CSV "
         "files next to this page.</p></footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace headroom::measurement
