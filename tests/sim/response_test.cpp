// Nudge responses and the counterfactual path: an account that received no
// nudge has a counterfactual equal to its factual path, an ignored nudge changes
// nothing, and a nudge that is surely acted on removes the overdraft it targeted.
#include <chrono>

#include <gtest/gtest.h>

#include "sim/simulation.hpp"

namespace headroom::sim {
namespace {

using std::chrono::days;
using std::chrono::hours;

const Date kStart = forecast::make_date(2025, 3, 3);  // a Monday
const Date kRentDay = forecast::make_date(2025, 3, 6);
const Date kPayday = forecast::make_date(2025, 3, 7);

// Opening balance 300, rent 800 due Thursday 6 March, 1,500 paycheck Friday
// 7 March, 2,000 in savings, no other spending: overdrawn on 6 March unless
// the holder acts.
AccountProfile tight_week() {
  AccountProfile p = draw_profile(SimParams{}, 1, 0, kStart);
  p.income_pattern = IncomePattern::kBiweekly;
  p.pay_anchor = kPayday;
  p.pay_cents = 150000;
  p.bills = {Bill{BillKind::kRent, 80000, 6, 0, kStart, kStart + days{1000}, 0, 123456}};
  p.housing = Housing::kRent;
  p.has_savings = true;
  p.savings_start_cents = 200000;
  p.savings_sweep_share = 0;
  p.opening_balance_cents = 30000;
  p.cushion_cents = 0;
  p.card_daily_cents = 0;
  p.bill_planning = 0;
  p.shocks.clear();
  p.time_zone = "America/New_York";
  p.utc_offset_hours = -5;
  p.observes_dst = true;
  return p;
}

SimParams quiet_params() {
  SimParams params;
  params.card_transactions_per_day = 0;
  params.one_off_per_year = 0;
  params.self_rescue_probability = 0;
  return params;
}

NudgeDelivery nudge_for(Date today, Date risky_day, int local_hour = 14) {
  NudgeDelivery n;
  n.channel = Channel::kInApp;
  // New York is UTC-5 before the March DST switch.
  n.sent_at = std::chrono::sys_seconds{today} + hours{local_hour + 5};
  n.lead_time_days = forecast::days_between(today, risky_day);
  n.variant = "default";
  n.risky_day = risky_day;
  return n;
}

TEST(Response, HandBuiltAccountOverdrawsOnRentDayWithoutANudge) {
  Simulation sim(quiet_params(), 1, {tight_week()}, kStart);
  for (int d = 0; d < 7; ++d) sim.advance_day();
  const AccountTruth t = sim.truth(0);
  ASSERT_EQ(t.factual.overdraft_dates, std::vector<Date>{kRentDay});
  EXPECT_EQ(t.factual.fees, 1);
  EXPECT_EQ(t.counterfactual, t.factual);
}

TEST(Response, ForcedResponseMovingSavingsRemovesTheTargetedOverdraft) {
  SimParams params = quiet_params();
  params.response.forced_probability = 1.0;
  params.response.weight_postpone_spending = 0;
  params.response.weight_reschedule_bill = 0;
  params.response.weight_move_from_savings = 1;
  Simulation sim(params, 1, {tight_week()}, kStart);
  sim.advance_day();  // Monday; the engine runs as of Tuesday and nudges
  const NudgeOutcome o = sim.deliver(0, nudge_for(sim.current_day(), kRentDay));
  EXPECT_TRUE(o.acted);
  EXPECT_TRUE(o.relevant);
  EXPECT_EQ(o.action, ResponseAction::kMoveFromSavings);
  EXPECT_EQ(o.amount_cents, 59000);  // 535 short (rent and the fee it would cause) + 50, up to whole 10s
  for (int d = 0; d < 10; ++d) sim.advance_day();
  const AccountTruth t = sim.truth(0);
  EXPECT_EQ(t.factual.overdraft_days, 0);
  EXPECT_EQ(t.factual.fees, 0);
  EXPECT_EQ(t.counterfactual.overdraft_dates, std::vector<Date>{kRentDay});
  EXPECT_EQ(t.counterfactual.fees, 1);
  EXPECT_EQ(sim.account(0).savings_cents(), 200000 - 59000);
}

TEST(Response, ForcedResponseReschedulingTheBillRemovesTheTargetedOverdraft) {
  SimParams params = quiet_params();
  params.response.forced_probability = 1.0;
  params.response.weight_postpone_spending = 0;
  params.response.weight_move_from_savings = 0;
  params.response.weight_reschedule_bill = 1;
  Simulation sim(params, 1, {tight_week()}, kStart);
  sim.advance_day();
  const NudgeOutcome o = sim.deliver(0, nudge_for(sim.current_day(), kRentDay));
  ASSERT_EQ(o.action, ResponseAction::kRescheduleBill);
  EXPECT_EQ(o.amount_cents, 80000);
  std::vector<forecast::Transaction> txns;
  for (int d = 0; d < 10; ++d)
    for (auto& t : sim.advance_day()) txns.push_back(t);
  EXPECT_EQ(sim.truth(0).factual.overdraft_days, 0);
  EXPECT_EQ(sim.truth(0).counterfactual.overdraft_days, 1);
  // Rent posts the first business day after payday instead: Monday 10 March.
  int rent_rows = 0;
  for (const auto& t : txns) {
    if (t.amount.cents() != -80000) continue;
    ++rent_rows;
    EXPECT_EQ(t.posted_at, forecast::make_date(2025, 3, 10));
  }
  EXPECT_EQ(rent_rows, 1);
}

TEST(Response, IgnoredNudgeLeavesTheFactualPathEqualToTheCounterfactual) {
  SimParams params;
  params.response.forced_probability = 0.0;
  Simulation sim(params, 77, 30, forecast::make_date(2025, 1, 1));
  for (int d = 0; d < 200; ++d) {
    if (d % 10 == 5)
      for (std::size_t i = 0; i < sim.size(); i += 3) sim.deliver(i, nudge_for(sim.current_day(), sim.current_day() + days{3}));
    sim.advance_day();
  }
  for (std::size_t i = 0; i < sim.size(); ++i) {
    const AccountTruth t = sim.truth(i);
    EXPECT_EQ(t.factual, t.counterfactual) << t.profile.account_id;
    EXPECT_EQ(sim.account(i).balance_cents(), sim.account(i).counterfactual_balance_cents());
  }
}

TEST(Response, AccountsWithoutNudgesAreUntouchedByOtherAccountsNudges) {
  SimParams params;
  params.response.forced_probability = 1.0;
  const Date start = forecast::make_date(2025, 1, 1);
  Simulation nudged(params, 77, 20, start);
  Simulation plain(params, 77, 20, start);
  for (int d = 0; d < 120; ++d) {
    if (d % 7 == 3) nudged.deliver(0, nudge_for(nudged.current_day(), nudged.current_day() + days{2}));
    nudged.advance_day();
    plain.advance_day();
  }
  EXPECT_FALSE(nudged.account(0).nudges().empty());
  for (std::size_t i = 1; i < nudged.size(); ++i) {
    const AccountTruth a = nudged.truth(i), b = plain.truth(i);
    EXPECT_EQ(a.factual, b.factual);
    EXPECT_EQ(a.counterfactual, a.factual) << "no nudge: counterfactual equals factual";
  }
  // The nudged account's counterfactual is the account that was never nudged.
  EXPECT_EQ(nudged.truth(0).counterfactual, plain.truth(0).factual);
}

TEST(Response, ProbabilityRisesWithLeadTimeAndRelevanceAndFallsWithFatigueAndQuietHours) {
  const SimParams params = quiet_params();
  auto probability = [&](int lead_days, int local_hour, int earlier_nudges, bool at_risk) {
    AccountProfile p = tight_week();
    if (!at_risk) p.opening_balance_cents = 500000;
    Simulation sim(params, 1, {p}, kStart);
    sim.advance_day();
    const Date today = sim.current_day();
    for (int k = 0; k < earlier_nudges; ++k) sim.deliver(0, nudge_for(today, kRentDay));
    NudgeDelivery n = nudge_for(today, kRentDay, local_hour);
    n.lead_time_days = lead_days;
    return sim.deliver(0, n).probability;
  };
  const double base = probability(2, 14, 0, true);
  EXPECT_GT(probability(4, 14, 0, true), base);
  EXPECT_LT(probability(0, 14, 0, true), base);
  EXPECT_LT(probability(2, 14, 0, false), base);
  EXPECT_LT(probability(2, 14, 2, true), base);
  EXPECT_LT(probability(2, 23, 0, true), base);
  EXPECT_LT(probability(2, 6, 0, true), base);
}

}  // namespace
}  // namespace headroom::sim
