#include "measurement/report_csv.hpp"

#include <charconv>
#include <cmath>

#include "ingest/csv_writer.hpp"

namespace headroom::measurement {
namespace {

const char* arm_name(Arm arm) { return arm == Arm::kTreatment ? "treatment" : "holdout"; }

std::string num(double v) { return csv_number(v); }
std::string num(std::size_t v) { return std::to_string(v); }
std::string num(std::int64_t v) { return std::to_string(v); }
std::string num(int v) { return std::to_string(v); }

using ingest::append_csv_row;
using ingest::csv_field;

const char* kEffectColumns =
    "treatment,holdout,absolute,absolute_ci_low,absolute_ci_high,relative,relative_ci_low,relative_ci_high,"
    "p_value,bootstrap_ci_low,bootstrap_ci_high,cuped_absolute,cuped_absolute_ci_low,cuped_absolute_ci_high,"
    "cuped_relative,cuped_relative_ci_low,cuped_relative_ci_high,cuped_p_value,variance_reduction,mde_absolute";

std::string effect_fields(const Effect& e) {
  std::string out;
  append_csv_row(out, {num(e.treatment), num(e.holdout), num(e.absolute), num(e.absolute_ci.low),
                       num(e.absolute_ci.high), num(e.relative), num(e.relative_ci.low), num(e.relative_ci.high),
                       num(e.p_value), e.absolute_ci_bootstrap ? num(e.absolute_ci_bootstrap->low) : "",
                       e.absolute_ci_bootstrap ? num(e.absolute_ci_bootstrap->high) : "", num(e.cuped_absolute),
                       num(e.cuped_absolute_ci.low), num(e.cuped_absolute_ci.high), num(e.cuped_relative),
                       num(e.cuped_relative_ci.low), num(e.cuped_relative_ci.high), num(e.cuped_p_value),
                       num(e.variance_reduction), num(e.mde_absolute)});
  out.pop_back();  // the caller ends the line
  return out;
}

}  // namespace

std::string csv_number(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";  // also for -0
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

std::string effects_csv(const ExperimentAnalysis& a) {
  std::string out = std::string("metric,unit,") + kEffectColumns + "\n";
  for (const auto& e : a.effects) append_csv_row(out, {csv_field(e.metric), csv_field(e.unit), effect_fields(e)});
  return out;
}

std::string segments_csv(const ExperimentAnalysis& a) {
  std::string out = std::string("dimension,segment,treatment_accounts,holdout_accounts,") + kEffectColumns + "\n";
  for (const auto& s : a.segments)
    append_csv_row(out, {csv_field(s.dimension), csv_field(s.segment), num(s.treatment_accounts),
                         num(s.holdout_accounts), effect_fields(s.incidence)});
  return out;
}

std::string variants_csv(const ExperimentAnalysis& a) {
  std::string out = std::string("variant,accounts,") + kEffectColumns + ",p_holm\n";
  for (const auto& v : a.variants)
    append_csv_row(out, {csv_field(v.variant), num(v.accounts), effect_fields(v.incidence), num(v.p_holm)});
  return out;
}

std::string variant_pairs_csv(const ExperimentAnalysis& a) {
  // The effect's treatment and holdout columns are `variant` and `other`.
  std::string out = std::string("variant,other,accounts,other_accounts,") + kEffectColumns + ",p_holm\n";
  for (const auto& v : a.variant_pairs)
    append_csv_row(out, {csv_field(v.variant), csv_field(v.other), num(v.accounts), num(v.other_accounts),
                         effect_fields(v.incidence), num(v.p_holm)});
  return out;
}

std::string weekly_csv(const ExperimentAnalysis& a) {
  std::string out = "week_start,treatment,holdout\n";
  for (const auto& w : a.weekly)
    append_csv_row(out, {forecast::to_iso_string(w.week_start), num(w.treatment), num(w.holdout)});
  return out;
}

std::string funnel_csv(const ExperimentAnalysis& a) {
  std::string out = "step,treatment,holdout\n";
  for (const auto& f : a.funnel) append_csv_row(out, {csv_field(f.step), num(f.treatment), num(f.holdout)});
  return out;
}

std::string calibration_csv(const ExperimentAnalysis& a) {
  std::string out = "p_low,p_high,forecasts,mean_predicted,observed_rate\n";
  for (const auto& b : a.forecast_health.calibration)
    append_csv_row(out, {num(b.p_low), num(b.p_high), num(b.forecasts), num(b.mean_predicted), num(b.observed_rate)});
  return out;
}

std::string accounts_csv(const std::vector<AccountOutcome>& accounts) {
  std::string out =
      "account_id,arm,variant,income_pattern,balance_band,tenure_band,pre_weeks,pre_overdraft_weeks,"
      "pre_overdraft_days,weeks,overdraft_weeks,overdraft_days,overdraft_fee_cents,total_fee_cents,at_risk,decided,"
      "sent,seen\n";
  for (const auto& o : accounts)
    append_csv_row(out, {csv_field(o.account_id), arm_name(o.arm), csv_field(o.variant), csv_field(o.income_pattern),
                         csv_field(o.balance_band), csv_field(o.tenure_band), num(o.pre_weeks),
                         num(o.pre_overdraft_weeks), num(o.pre_overdraft_days), num(o.weeks), num(o.overdraft_weeks),
                         num(o.overdraft_days), num(o.overdraft_fee_cents), num(o.total_fee_cents),
                         o.at_risk ? "1" : "0", o.decided ? "1" : "0", o.sent ? "1" : "0", o.seen ? "1" : "0"});
  return out;
}

}  // namespace headroom::measurement
