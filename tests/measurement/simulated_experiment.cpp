#include "tests/measurement/simulated_experiment.hpp"

#include <atomic>
#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

#include "forecast/forecast.hpp"
#include "measurement/outcomes.hpp"
#include "nudges/assignment.hpp"
#include "nudges/forecast_summary.hpp"
#include "nudges/planner.hpp"
#include "nudges/templates.hpp"
#include "sim/simulation.hpp"

namespace headroom::measurement::testing {

namespace {

using forecast::Date;
using std::chrono::days;

const Date kStart = forecast::make_date(2025, 1, 6);  // a Monday

// 19:00 UTC is daytime in every zone the simulator draws (Honolulu 09:00,
// New York 14:00/15:00), so quiet hours never defer a nudge here.
std::chrono::sys_seconds decision_instant(Date as_of) {
  return std::chrono::sys_seconds{as_of} + std::chrono::hours(19);
}

int days_in(const std::vector<Date>& dates, Date from, Date to) {
  int n = 0;
  for (Date d : dates) n += d >= from && d < to ? 1 : 0;
  return n;
}

bool any_in(const std::vector<Date>& dates, Date from, Date to) { return days_in(dates, from, to) > 0; }

// The outcome fields of one path over [from, to), its covariates over
// `pre` (every simulated account has history there); segments, arm and
// funnel are filled by the caller.
void fill_outcomes(AccountOutcome& a, const std::vector<Date>& overdrafts, std::int64_t fee_cents, DateRange pre,
                   Date from, Date to) {
  a.pre_weeks = week_count(pre.from, pre.to);
  a.pre_overdraft_weeks = 0;
  for (std::uint8_t w : weekly_overdrawn(overdrafts, pre.from, pre.to)) a.pre_overdraft_weeks += w;
  a.pre_overdraft_days = days_in(overdrafts, pre.from, pre.to);
  a.weeks = week_count(from, to);
  a.weekly_overdrawn = weekly_overdrawn(overdrafts, from, to);
  a.overdraft_weeks = 0;
  for (std::uint8_t w : a.weekly_overdrawn) a.overdraft_weeks += w;
  a.overdraft_days = days_in(overdrafts, from, to);
  // The simulated bank charges overdraft fees only.
  a.overdraft_fee_cents = fee_cents;
  a.total_fee_cents = fee_cents;
}

}  // namespace

SimulatedExperiment run_simulated_experiment(const ExperimentSetup& setup) {
  sim::SimParams params;
  params.response.forced_probability = setup.forced_probability;
  params.response.variant_logit = setup.variants;
  sim::Simulation simulation(params, setup.seed, setup.accounts, kStart);
  const std::size_t n = simulation.size();

  const Date pre_from = kStart + days{setup.warmup_days};
  const Date from = pre_from + days{7 * setup.pre_weeks};
  const Date to = from + days{7 * setup.weeks};
  const std::string experiment = "honesty-" + std::to_string(setup.seed);

  nudges::Policy policy;
  policy.name = "honesty";
  policy.experiment = experiment;
  policy.holdout_share = setup.holdout_share;
  policy.variants = {nudges::default_copy_variant()};
  if (!setup.variants.empty()) policy.variants.clear();
  for (const auto& [name, shift] : setup.variants) {
    nudges::CopyVariant v = nudges::default_copy_variant();
    v.name = name;
    policy.variants.push_back(std::move(v));
  }
  nudges::validate_policy(policy, "simulated_experiment");

  forecast::ForecastParams forecast_params;
  forecast_params.projection.paths = setup.forecast_paths;
  forecast_params.projection.quantiles = false;  // the planner never reads them

  std::unordered_map<std::string, std::size_t> index_of;
  std::vector<nudges::AccountContact> contacts(n);
  std::vector<bool> treated(n);
  for (std::size_t i = 0; i < n; ++i) {
    const sim::AccountProfile& p = simulation.account(i).profile();
    index_of.emplace(p.account_id, i);
    contacts[i].account_id = p.account_id;
    contacts[i].time_zone = nudges::find_time_zone(p.time_zone);
    contacts[i].email = p.email;
    contacts[i].email_consent = true;
    treated[i] = !nudges::in_holdout(experiment, p.account_id, setup.holdout_share);
  }

  // The analysed periods: the whole experiment, and [late_from, to) when asked.
  const ExperimentPeriod whole{from, to, from};
  const ExperimentPeriod late{from + days{setup.late_from_days}, to, from};
  const bool with_late = setup.late_from_days > 0;
  if (with_late && (setup.late_from_days % 7 != 0 || late.from >= to))
    throw std::invalid_argument("late_from_days must be a multiple of 7 inside the experiment");
  auto options_for = [&](const ExperimentPeriod& p) {
    AnalysisOptions o;
    o.from = p.from;
    o.to = p.to;
    o.holdout_share = setup.holdout_share;
    o.experiment_start = p.experiment_start();
    o.pre_period = pre_period_window(p, setup.pre_weeks);
    return o;
  };

  SimulatedExperiment out;
  out.options = options_for(whole);
  out.policy = policy;

  std::vector<std::vector<forecast::Transaction>> history(n);
  std::vector<std::vector<nudges::PastNudge>> past(n);
  std::vector<double> pre_balance_sum(n, 0.0);
  std::vector<std::int64_t> fee_before(n, 0), counterfactual_fee_before(n, 0);
  std::vector<std::int64_t> late_fee_before(n, 0), late_counterfactual_fee_before(n, 0);
  std::vector<AccountOutcome> outcome(n);
  struct PendingForecast {
    std::size_t account;
    Date as_of;
    double p_window;
  };
  std::vector<PendingForecast> pending;
  const int horizon = forecast_params.projection.horizon_days;

  while (simulation.current_day() < to) {
    const Date day = simulation.current_day();
    if (day == from)
      for (std::size_t i = 0; i < n; ++i) {
        fee_before[i] = simulation.account(i).factual().fee_cents;
        counterfactual_fee_before[i] = simulation.account(i).counterfactual().fee_cents;
      }
    if (with_late && day == late.from)
      for (std::size_t i = 0; i < n; ++i) {
        late_fee_before[i] = simulation.account(i).factual().fee_cents;
        late_counterfactual_fee_before[i] = simulation.account(i).counterfactual().fee_cents;
      }
    for (forecast::Transaction& t : simulation.advance_day()) history[index_of.at(t.account_id)].push_back(std::move(t));
    if (day >= pre_from && day < from)
      for (std::size_t i = 0; i < n; ++i) pre_balance_sum[i] += static_cast<double>(simulation.account(i).balance_cents());

    const Date as_of = simulation.current_day();
    if (as_of < from || as_of >= to || forecast::days_between(from, as_of) % setup.forecast_every_days != 0) continue;
    const auto now = decision_instant(as_of);
    for (std::size_t i = 0; i < n; ++i) {
      if (!treated[i] && !setup.forecast_holdout) continue;
      const forecast::AccountForecast f = forecast::forecast_account(history[i], as_of, forecast_params);
      ++out.forecasts_made;
      const nudges::ForecastSummary summary = nudges::summarize_forecast(f.forecast);
      if (as_of + days{horizon} <= to) pending.push_back({i, as_of, f.forecast.p_overdraft_window});
      AccountOutcome& a = outcome[i];
      a.at_risk = a.at_risk || summary.window_probability >= policy.risk_threshold;
      for (const nudges::Decision& d : nudges::plan(summary, policy, contacts[i], past[i], now)) {
        if (d.outcome == nudges::Outcome::kSuppressed || !d.risky_day) continue;
        const bool send = d.outcome == nudges::Outcome::kSend;
        past[i].push_back({policy.name, *d.risky_day, *d.channel, now, send});
        a.decided = true;
        if (!send) continue;
        sim::NudgeDelivery delivery;
        delivery.channel = d.channel == nudges::Channel::kEmail ? sim::Channel::kEmail : sim::Channel::kInApp;
        delivery.sent_at = now;
        delivery.lead_time_days = d.lead_time_days.value_or(0);
        delivery.variant = policy.variants.at(d.variant_index).name;
        delivery.risky_day = *d.risky_day;
        const sim::NudgeOutcome response = simulation.deliver(i, delivery);
        ++out.nudges_delivered;
        a.sent = true;
        // The simulator does not model reading; an account that acted has seen it.
        a.seen = a.seen || response.acted;
        out.nudges_acted_on += response.acted ? 1 : 0;
      }
    }
  }

  std::vector<std::vector<Date>> factual_dates;
  std::vector<std::vector<Date>> counterfactual_dates;
  out.accounts.reserve(n);
  out.never_nudged.reserve(n);
  if (with_late) out.late = AnalysedPeriod{options_for(late), {}, {}, {}};
  const DateRange pre = out.options.pre_period;
  for (std::size_t i = 0; i < n; ++i) {
    const sim::AccountSim& s = simulation.account(i);
    const sim::AccountProfile& p = s.profile();
    AccountOutcome& a = outcome[i];
    a.account_id = p.account_id;
    a.arm = treated[i] ? Arm::kTreatment : Arm::kHoldout;
    // Intention to treat, as measurement/outcomes.cpp assigns it: decided or not.
    a.variant = assigned_variant(policy, p.account_id);
    a.income_pattern = std::string(sim::to_string(p.income_pattern));
    a.balance_band = balance_band(pre_balance_sum[i] / (7.0 * setup.pre_weeks));
    a.tenure_band = "<6m";  // every simulated account opens at the start
    AccountOutcome never = a;
    never.decided = never.sent = never.seen = never.at_risk = false;
    if (with_late) {
      AccountOutcome late_a = a, late_never = never;
      const DateRange late_pre = out.late->options.pre_period;
      fill_outcomes(late_a, s.factual().overdraft_dates, s.factual().fee_cents - late_fee_before[i], late_pre,
                    late.from, to);
      fill_outcomes(late_never, s.counterfactual().overdraft_dates,
                    s.counterfactual().fee_cents - late_counterfactual_fee_before[i], late_pre, late.from, to);
      out.late->accounts.push_back(std::move(late_a));
      out.late->never_nudged.push_back(std::move(late_never));
    }
    fill_outcomes(a, s.factual().overdraft_dates, s.factual().fee_cents - fee_before[i], pre, from, to);
    fill_outcomes(never, s.counterfactual().overdraft_dates,
                  s.counterfactual().fee_cents - counterfactual_fee_before[i], pre, from, to);
    if (treated[i]) {
      factual_dates.push_back(s.factual().overdraft_dates);
      counterfactual_dates.push_back(s.counterfactual().overdraft_dates);
    }
    out.accounts.push_back(std::move(a));
    out.never_nudged.push_back(std::move(never));
  }
  out.truth = true_incidence_effect(factual_dates, counterfactual_dates, from, to);
  if (with_late) out.late->truth = true_incidence_effect(factual_dates, counterfactual_dates, late.from, to);
  for (const PendingForecast& f : pending)
    out.forecasts.push_back({f.as_of, f.p_window,
                             any_in(simulation.account(f.account).factual().overdraft_dates, f.as_of,
                                    f.as_of + days{horizon})});
  return out;
}

std::vector<SimulatedExperiment> run_simulated_experiments(const std::vector<ExperimentSetup>& setups,
                                                           unsigned threads) {
  std::vector<SimulatedExperiment> results(setups.size());
  std::vector<std::exception_ptr> errors(setups.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k = next++; k < setups.size(); k = next++) {
      try {
        results[k] = run_simulated_experiment(setups[k]);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
}

}  // namespace headroom::measurement::testing
