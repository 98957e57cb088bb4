// A windfall, a job loss and a delayed paycheck each appear in a small seeded
// population, at accounts the ground truth names, and the transactions show them.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/simulation.hpp"

namespace headroom::sim {
namespace {

constexpr std::uint32_t kAccounts = 150;
constexpr int kDays = 365;
const Date kStart = forecast::make_date(2025, 1, 1);

struct Run {
  std::vector<AccountTruth> truth;
  std::vector<std::vector<forecast::Transaction>> txns;  // by account index
};

const Run& run() {
  static const Run r = [] {
    Run out;
    SimParams params;
    params.horizon_days = kDays;
    Simulation sim(params, 2025, kAccounts, kStart);
    out.txns.resize(kAccounts);
    for (int d = 0; d < kDays; ++d)
      for (auto& t : sim.advance_day()) out.txns[*sim.find(t.account_id)].push_back(std::move(t));
    out.truth = sim.truth();
    return out;
  }();
  return r;
}

bool is_payroll(const forecast::Transaction& t, const AccountProfile& p) {
  return t.kind == "ach_credit" && t.description.find(employer_name(p.employer)) != std::string::npos &&
         t.description.find("BONUS") == std::string::npos;
}

TEST(Shocks, WindfallsPostOnTheirDateWithTheirAmount) {
  int found = 0;
  for (std::size_t i = 0; i < kAccounts; ++i) {
    for (const Shock& s : run().truth[i].profile.shocks) {
      if (s.kind != ShockKind::kWindfall) continue;
      ++found;
      bool posted = false;
      for (const auto& t : run().txns[i])
        posted |= t.posted_at == s.date && t.amount.cents() == s.amount_cents && t.amount.cents() > 0;
      EXPECT_TRUE(posted) << run().truth[i].profile.account_id << " windfall on " << forecast::to_iso_string(s.date);
    }
  }
  EXPECT_GT(found, 20);
}

TEST(Shocks, JobLossStopsPayrollForItsDuration) {
  int found = 0;
  for (std::size_t i = 0; i < kAccounts; ++i) {
    const AccountProfile& p = run().truth[i].profile;
    for (const Shock& s : p.shocks) {
      if (s.kind != ShockKind::kJobLoss) continue;
      ++found;
      ASSERT_GE(s.days, 21);
      int payroll_before = 0;
      for (const auto& t : run().txns[i]) {
        if (!is_payroll(t, p)) continue;
        EXPECT_FALSE(t.posted_at >= s.date && t.posted_at < s.date + std::chrono::days{s.days})
            << p.account_id << " paid on " << forecast::to_iso_string(t.posted_at) << " during job loss";
        payroll_before += t.posted_at < s.date;
      }
      if (forecast::days_between(kStart, s.date) > 40) {
        EXPECT_GT(payroll_before, 0) << p.account_id;
      }
    }
  }
  EXPECT_GE(found, 2) << "seeded population should contain job losses";
}

TEST(Shocks, DelayedPaycheckPostsLateInsteadOfOnItsScheduledDay) {
  int found = 0;
  for (std::size_t i = 0; i < kAccounts; ++i) {
    const AccountProfile& p = run().truth[i].profile;
    for (const Shock& s : p.shocks) {
      if (s.kind != ShockKind::kPaycheckDelay) continue;
      ++found;
      ASSERT_TRUE(is_scheduled_payday(p, s.date));
      const Date late = next_business_day(s.date + std::chrono::days{s.days});
      int on_time = 0, on_late = 0;
      for (const auto& t : run().txns[i]) {
        if (!is_payroll(t, p)) continue;
        on_time += t.posted_at == s.date;
        on_late += t.posted_at == late;
      }
      EXPECT_EQ(on_time, 0) << p.account_id << " " << forecast::to_iso_string(s.date);
      EXPECT_GE(on_late, 1) << p.account_id << " " << forecast::to_iso_string(late);
    }
  }
  EXPECT_GE(found, 3) << "seeded population should contain delayed paychecks";
}

TEST(Shocks, RaiseIncreasesPay) {
  int found = 0;
  for (std::size_t i = 0; i < kAccounts; ++i) {
    const AccountProfile& p = run().truth[i].profile;
    if (p.income_pattern != IncomePattern::kMonthlyFixedDay && p.income_pattern != IncomePattern::kSemiMonthly &&
        p.income_pattern != IncomePattern::kMonthlyLastBusinessDay)
      continue;  // salaried patterns have no hours noise
    for (const Shock& s : p.shocks) {
      if (s.kind != ShockKind::kRaise) continue;
      for (const auto& t : run().txns[i]) {
        if (!is_payroll(t, p)) continue;
        ++found;
        const auto expected = t.posted_at >= s.date
                                  ? std::llround(static_cast<double>(p.pay_cents) * (1 + s.raise_fraction))
                                  : p.pay_cents;
        EXPECT_EQ(t.amount.cents(), expected) << p.account_id << " " << forecast::to_iso_string(t.posted_at);
      }
    }
  }
  EXPECT_GT(found, 0);
}

}  // namespace
}  // namespace headroom::sim
