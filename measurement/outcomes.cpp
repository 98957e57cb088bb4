#include "measurement/outcomes.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "forecast/history.hpp"
#include "forecast/model.hpp"
#include "measurement/calibration.hpp"
#include "nudges/assignment.hpp"

namespace headroom::measurement {
namespace {

using forecast::AccountHistory;
using forecast::Date;
using forecast::Transaction;

// Lower case, without surrounding whitespace (a bank's kind codes may be padded).
std::string lower(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  const auto b = s.find_last_not_of(" \t\r\n");
  std::string out(a == std::string_view::npos ? std::string_view{} : s.substr(a, b - a + 1));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int week_count(Date from, Date to) { return (forecast::days_between(from, to) + 6) / 7; }

// Deferred by quiet hours or held by shadow mode, the nudge was still due.
bool decided(std::string_view outcome, std::string_view reason) {
  return outcome == "send" || outcome == "holdout" || reason == "quiet_hours" || reason == "shadow";
}

// nullopt: no end-of-day balance that day (before the first transaction, or
// on or after the history's as_of).
std::optional<bool> overdrawn_on(const AccountHistory& h, Date d) {
  const int i = forecast::days_between(h.first_date, d);
  if (h.empty() || i < 0 || i >= h.days()) return std::nullopt;
  return h.end_of_day_balance[static_cast<std::size_t>(i)].cents() < 0;
}

struct RunOfDays {
  bool observed = false;  // some day of the run has an end-of-day balance
  int overdrawn_days = 0;
};

// The days [a, b).
RunOfDays scan(const AccountHistory& h, Date a, Date b) {
  RunOfDays r;
  for (Date d = a; d < b; d += Date::duration(1)) {
    const auto below = overdrawn_on(h, d);
    if (!below) continue;
    r.observed = true;
    r.overdrawn_days += *below ? 1 : 0;
  }
  return r;
}

void count_experiment_weeks(const AccountHistory& h, ExperimentPeriod period, AccountOutcome& o) {
  const int weeks = week_count(period.from, period.to);
  o.weekly_overdrawn.assign(static_cast<std::size_t>(weeks), 0);
  for (int k = 0; k < weeks; ++k) {
    const Date a = period.from + Date::duration(7 * k);
    const RunOfDays week = scan(h, a, std::min(period.to, a + Date::duration(7)));
    if (!week.observed) continue;
    ++o.weeks;
    o.overdraft_days += week.overdrawn_days;
    if (week.overdrawn_days > 0) ++o.overdraft_weeks, o.weekly_overdrawn[static_cast<std::size_t>(k)] = 1;
  }
}

// Weeks counted back from the window's end, as the pre-period's length is
// set in whole weeks before the experiment's start.
void count_pre_period_weeks(const AccountHistory& h, DateRange window, AccountOutcome& o) {
  for (Date b = window.to; b > window.from; b -= Date::duration(7)) {
    const RunOfDays week = scan(h, std::max(window.from, b - Date::duration(7)), b);
    if (!week.observed) continue;
    ++o.pre_weeks;
    o.pre_overdraft_days += week.overdrawn_days;
    if (week.overdrawn_days > 0) ++o.pre_overdraft_weeks;
  }
}

// Mean end-of-day balance (cents) over the pre-period's observed days.
std::optional<double> pre_period_mean_balance(const AccountHistory& h, DateRange window) {
  double sum = 0;
  int n = 0;
  for (Date d = window.from; d < window.to; d += Date::duration(1)) {
    const int i = forecast::days_between(h.first_date, d);
    if (h.empty() || i < 0 || i >= h.days()) continue;
    sum += static_cast<double>(h.end_of_day_balance[static_cast<std::size_t>(i)].cents());
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

void add_fees(const std::vector<Transaction>& txns, ExperimentPeriod period, const FeeClassifier& fees,
              AccountOutcome& o) {
  for (const auto& t : txns) {
    if (t.posted_at < period.from || t.posted_at >= period.to || t.amount.cents() >= 0) continue;
    const FeeClass c = fees.classify(t);
    if (c == FeeClass::kNotAFee) continue;
    o.total_fee_cents += -t.amount.cents();
    if (c == FeeClass::kOverdraftFee) o.overdraft_fee_cents += -t.amount.cents();
  }
}

// One outcome per as_of whose whole window is in the history (which runs to
// the period's `to` - 1); the others are counted as dropped.
void judge_forecasts(const AccountHistory& h, std::vector<std::pair<Date, double>>& fs, int horizon_days,
                     ExperimentInputs& in) {
  std::sort(fs.begin(), fs.end());
  fs.erase(std::unique(fs.begin(), fs.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
           fs.end());
  for (const auto& [as_of, p] : fs) {
    const auto overdrawn = window_overdrawn(h, as_of, horizon_days);
    if (!overdrawn) {
      ++in.forecasts_dropped;
      continue;
    }
    ForecastOutcome f;
    f.as_of = as_of;
    f.p_window = p;
    f.overdrawn = *overdrawn;
    in.forecasts.push_back(f);
  }
}

// The main income stream: the largest expected pay per month among streams
// still running at the start.
const forecast::RecurringStream* main_income_stream(const forecast::CashFlowModel& model) {
  const forecast::RecurringStream* main = nullptr;
  double best = 0;
  for (const auto& s : model.streams) {
    if (s.kind != forecast::StreamKind::kIncome || s.status == forecast::StreamStatus::kStopped) continue;
    const double monthly = s.amount_cents * 30.4 / std::max(1, s.schedule.period_days());
    if (monthly > best) best = monthly, main = &s;
  }
  return main;
}

std::string income_pattern_name(forecast::Cadence cadence) {
  switch (cadence) {
    case forecast::Cadence::kWeekly: return "weekly";
    case forecast::Cadence::kBiweekly: return "biweekly";
    case forecast::Cadence::kSemiMonthly: return "semi-monthly";
    case forecast::Cadence::kMonthly: return "monthly";
    default: return "irregular";
  }
}

}  // namespace

void check_outcome_rules(const OutcomeRules& rules) {
  if (rules.horizon_days < 1) throw std::invalid_argument("horizon_days must be at least 1");
  if (rules.pre_period_weeks < 0) throw std::invalid_argument("pre_period_weeks must not be negative");
}

ExperimentPeriod experiment_period(std::optional<Date> from, std::optional<Date> to, Date first_decision_as_of,
                                   Date last_decision_as_of) {
  ExperimentPeriod p;
  p.from = from ? *from : first_decision_as_of;
  p.to = to ? *to : last_decision_as_of + Date::duration(1);
  p.start = first_decision_as_of;
  if (p.to <= p.from)
    throw std::invalid_argument("the period is empty: --to " + forecast::to_iso_string(p.to) +
                                " is not after --from " + forecast::to_iso_string(p.from));
  return p;
}

DateRange pre_period_window(const ExperimentPeriod& period, int weeks) {
  const Date start = period.experiment_start();
  return {start - Date::duration(7 * weeks), start};
}

FeeClassifier::FeeClassifier(const FeeRules& rules) {
  for (const auto& k : rules.fee_kinds) fee_kinds_.push_back(lower(k));
  for (const auto& w : rules.overdraft_words) overdraft_words_.push_back(lower(w));
}

FeeClass FeeClassifier::classify(const Transaction& t) const {
  const std::string kind = lower(t.kind);
  if (std::find(fee_kinds_.begin(), fee_kinds_.end(), kind) == fee_kinds_.end()) return FeeClass::kNotAFee;
  const std::string description = lower(t.description);
  for (const auto& w : overdraft_words_)
    if (!w.empty() && description.find(w) != std::string::npos) return FeeClass::kOverdraftFee;
  return FeeClass::kFee;
}

std::string balance_band(double mean_balance_cents) {
  if (mean_balance_cents < 0) return "<0";
  if (mean_balance_cents < 50000) return "0-500";
  if (mean_balance_cents < 200000) return "500-2k";
  return "2k+";
}

std::string tenure_band(int days) {
  if (days < 183) return "<6m";
  if (days < 365) return "6-12m";
  return "1y+";
}

std::string income_pattern(const std::vector<Transaction>& txns, Date start) {
  const AccountHistory before = forecast::build_history(txns, start);
  if (before.empty()) return "none";
  const forecast::RecurringStream* main = main_income_stream(forecast::fit(before));
  if (main != nullptr) return income_pattern_name(main->schedule.cadence);
  // No schedule, but money comes in: gig work, transfers, cash deposits.
  const Date recent = start - Date::duration(90);
  for (const auto& p : before.postings)
    if (p.posted_at >= recent && p.amount.cents() > 0) return "irregular";
  return "none";
}

std::string assigned_variant(const nudges::Policy& policy, std::string_view account_id) {
  if (policy.variants.empty()) return "";
  if (policy.variants.size() == 1) return policy.variants.front().name;
  std::vector<double> weights;
  for (const auto& v : policy.variants) weights.push_back(v.weight);
  return policy.variants[nudges::choose_variant(policy.experiment, account_id, weights)].name;
}

namespace {

// Same names and weights in the same order: the same assignment.
bool same_variants(const nudges::Policy& a, const nudges::Policy& b) {
  return std::equal(a.variants.begin(), a.variants.end(), b.variants.begin(), b.variants.end(),
                    [](const auto& x, const auto& y) { return x.name == y.name && x.weight == y.weight; });
}

}  // namespace

void ExperimentOutcomes::choose_variant_policy(const std::vector<PolicyRecord>& policies) {
  // The first by name, so the choice does not depend on the order the rows came in.
  std::vector<const nudges::Policy*> mine;
  for (const auto& p : policies)
    if (p.definition && p.definition->experiment == in_.experiment && !p.definition->variants.empty())
      mine.push_back(&*p.definition);
  std::sort(mine.begin(), mine.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  if (mine.empty()) {
    in_.notes.push_back("No readable policy of this experiment lists copy variants: accounts are given no variant "
                        "and the variant comparisons are left out.");
    return;
  }
  variant_policy_ = *mine.front();
  if (std::any_of(mine.begin(), mine.end(), [&](const auto* p) { return !same_variants(*p, *variant_policy_); }))
    in_.notes.push_back("The experiment's policies disagree on copy variants or their weights; every account is "
                        "given the variant policy '" + variant_policy_->name +
                        "' assigns, though accounts nudged under the others may have seen other copy.");
}

ExperimentOutcomes::ExperimentOutcomes(std::string experiment, ExperimentPeriod period, const OutcomeRules& rules,
                                       const std::vector<PolicyRecord>& policies)
    : rules_(rules), fees_(rules.fees) {
  check_outcome_rules(rules);
  in_.experiment = std::move(experiment);
  in_.from = period.from;
  in_.to = period.to;
  in_.experiment_start = period.experiment_start();
  in_.pre_period = pre_period_window(period, rules.pre_period_weeks);
  std::vector<double> shares;
  for (const auto& p : policies) {
    if (!p.definition) {
      in_.notes.push_back("Policy '" + p.name + "' could not be read (" + p.error +
                          "); its decisions were judged with the default risk threshold.");
      risk_thresholds_[p.name] = nudges::Policy{}.risk_threshold;
      continue;
    }
    risk_thresholds_[p.name] = p.definition->risk_threshold;
    if (p.definition->experiment == in_.experiment) shares.push_back(p.definition->holdout_share);
  }
  if (!shares.empty()) {
    in_.holdout_share = shares.front();
    if (std::any_of(shares.begin(), shares.end(), [&](double s) { return s != shares.front(); }))
      in_.notes.push_back("The experiment's policies disagree on the holdout share; the sample-ratio check uses " +
                          std::to_string(in_.holdout_share) + ".");
  } else {
    in_.notes.push_back("No policy names this experiment any more; the sample-ratio check assumes the default "
                        "holdout share.");
  }
  choose_variant_policy(policies);
  last_threshold_ = risk_threshold_of(last_policy_);
}

double ExperimentOutcomes::risk_threshold_of(const std::string& policy) const {
  const auto it = risk_thresholds_.find(policy);
  return it == risk_thresholds_.end() ? nudges::Policy{}.risk_threshold : it->second;
}

void ExperimentOutcomes::add_decision(const DecisionRow& row) {
  AccountDecisions& d = by_account_[std::string(row.account_id)];
  if (row.arm == Arm::kTreatment) d.treatment = true;
  else d.holdout = true;
  if (row.policy != last_policy_) {
    last_policy_.assign(row.policy);
    policy_names_.insert(last_policy_);
    last_threshold_ = risk_threshold_of(last_policy_);
  }
  if (row.window_probability >= last_threshold_) d.at_risk = true;
  if (decided(row.outcome, row.reason)) d.decided = true;
  if (row.variant) {
    if (d.variant.empty()) d.variant.assign(*row.variant);
    else if (*row.variant != d.variant) d.several_variants = true;
  }
  if (row.buffer.cents() == 0) d.forecasts.emplace_back(row.as_of, row.window_probability);
}

void ExperimentOutcomes::add_delivery(const DeliveryRow& row) {
  const auto it = by_account_.find(row.account_id);
  if (it == by_account_.end()) return;
  it->second.sent = row.sent;
  it->second.seen = row.seen;
}

void ExperimentOutcomes::require_decisions() const {
  if (by_account_.empty())
    throw std::invalid_argument("experiment '" + in_.experiment + "' has no decisions in [" +
                                forecast::to_iso_string(in_.from) + ", " + forecast::to_iso_string(in_.to) + ")");
}

void ExperimentOutcomes::add_history(std::string_view account_id, const std::vector<Transaction>& transactions) {
  const auto it = by_account_.find(std::string(account_id));
  if (it == by_account_.end()) return;
  add_account(it->first, it->second, &transactions);
  it->second.measured = true;
}

void ExperimentOutcomes::add_account(const std::string& id, AccountDecisions& d, const std::vector<Transaction>* txns) {
  AccountOutcome o;
  o.account_id = id;
  const bool expected_holdout = nudges::in_holdout(in_.experiment, id, in_.holdout_share);
  if (d.treatment && d.holdout) {
    ++in_.mixed_arm_accounts;
    o.arm = expected_holdout ? Arm::kHoldout : Arm::kTreatment;
  } else {
    o.arm = d.holdout ? Arm::kHoldout : Arm::kTreatment;
    if (d.holdout != expected_holdout) ++in_.arm_disagreements;
  }
  // Intention to treat: the assigned variant, whether or not a decision named it.
  if (variant_policy_) {
    o.variant = assigned_variant(*variant_policy_, id);
    if (d.several_variants || (!d.variant.empty() && d.variant != o.variant)) ++in_.variant_disagreements;
  }
  o.at_risk = d.at_risk;
  o.decided = d.decided;
  o.sent = d.sent;
  o.seen = d.seen;
  const ExperimentPeriod period{in_.from, in_.to, in_.experiment_start};
  if (txns != nullptr) {
    // The start is before `to`: the period holds one of the experiment's
    // decisions (require_decisions), and none is older than the start.
    // Observed up to the period's end, or to the last transaction of an
    // account silent since long before it (kSilentDays): a closed account's
    // last balance is not carried forward for weeks.
    Date observed_until = period.to;
    if (!txns->empty() && forecast::days_between(txns->back().posted_at, period.to) > kSilentDays) {
      observed_until = std::min(period.to, txns->back().posted_at + Date::duration(1));
      if (observed_until < period.to && observed_until > period.from) ++in_.accounts_closed;
    }
    const AccountHistory h = forecast::build_history(*txns, observed_until);
    count_experiment_weeks(h, period, o);
    // Covariates and segments as they stood at the start: before any nudge.
    count_pre_period_weeks(h, in_.pre_period, o);
    add_fees(*txns, period, fees_, o);
    const auto mean = pre_period_mean_balance(h, in_.pre_period);
    o.balance_band = mean ? balance_band(*mean) : "no history";
    o.tenure_band =
        txns->empty() ? "<6m" : tenure_band(forecast::days_between(txns->front().posted_at, in_.experiment_start));
    o.income_pattern = income_pattern(*txns, in_.experiment_start);
    judge_forecasts(h, d.forecasts, rules_.horizon_days, in_);
  } else {
    ++in_.accounts_without_history;
    o.income_pattern = "none";
    o.balance_band = "no history";
    o.tenure_band = "<6m";
    o.weekly_overdrawn.assign(static_cast<std::size_t>(week_count(period.from, period.to)), 0);
    in_.forecasts_dropped += d.forecasts.size();
  }
  in_.accounts.push_back(std::move(o));
}

ExperimentInputs ExperimentOutcomes::finish() && {
  for (auto& [id, d] : by_account_)
    if (!d.measured) add_account(id, d, nullptr);
  std::sort(in_.accounts.begin(), in_.accounts.end(),
            [](const auto& a, const auto& b) { return a.account_id < b.account_id; });
  in_.policies.assign(policy_names_.begin(), policy_names_.end());
  note_data_problems();
  return std::move(in_);
}

void ExperimentOutcomes::add_cycle_clocks(const std::vector<std::string>& clocks) {
  in_.clocks.insert(in_.clocks.end(), clocks.begin(), clocks.end());
  std::sort(in_.clocks.begin(), in_.clocks.end());
  in_.clocks.erase(std::unique(in_.clocks.begin(), in_.clocks.end()), in_.clocks.end());
}

void ExperimentOutcomes::add_cross_exposure(const CrossExposure& e) {
  in_.holdout_accounts_nudged_elsewhere = e.accounts;
  in_.nudges_to_holdout_elsewhere = e.nudges;
  if (e.accounts == 0) return;
  in_.notes.push_back(std::to_string(e.accounts) + " holdout accounts received " + std::to_string(e.nudges) +
                      " nudges from policies of other experiments (" +
                      fmt::format("'{}'", fmt::join(e.experiments, "', '")) +
                      "): the holdout is not untreated, so the effect shown is biased toward zero by an unknown "
                      "amount. Policies leave other experiments' holdouts alone unless they set "
                      "nudge_other_holdouts.");
}

void ExperimentOutcomes::note_data_problems() {
  if (in_.clocks.size() > 1) {
    in_.notes.push_back("The period's scoring cycles ran on different clocks (" +
                        fmt::format("{}", fmt::join(in_.clocks, ", ")) +
                        "): some nudges were planned and delivered in real time and others in a replay or "
                        "simulation, so the period mixes nudges customers received with nudges they did not.");
  }
  if (in_.arm_disagreements)
    in_.notes.push_back(std::to_string(in_.arm_disagreements) +
                        " accounts carry an arm that differs from the assignment hash at the policy's holdout share; "
                        "was the share or the experiment name changed during the period?");
  if (in_.mixed_arm_accounts)
    in_.notes.push_back(std::to_string(in_.mixed_arm_accounts) +
                        " accounts have decisions in both arms (the holdout share changed mid-period?); they are "
                        "counted in the arm the assignment hash gives them now.");
  if (in_.accounts_closed)
    in_.notes.push_back(std::to_string(in_.accounts_closed) + " accounts posted nothing in the last " +
                        std::to_string(kSilentDays) +
                        "+ days of the period; taken as closed, they count only up to their last transaction.");
  if (in_.variant_disagreements)
    in_.notes.push_back(std::to_string(in_.variant_disagreements) +
                        " accounts have decisions naming another copy variant than the assignment hash gives them "
                        "under the policy's variants now, or several; were the variants or their weights changed "
                        "during the period? They are compared in the variant assigned now.");
  if (in_.accounts_without_history)
    in_.notes.push_back(std::to_string(in_.accounts_without_history) +
                        " assigned accounts have no transactions; they count as assigned but contribute no weeks.");
}

}  // namespace headroom::measurement
