// Scenario tests: small hand-built histories with exact expectations (issue 3, acceptance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "forecast/forecast.hpp"
#include "tests/forecast/scenario_builder.hpp"

using namespace headroom::forecast;
using headroom::forecast::testing::D;
using headroom::forecast::testing::ScenarioBuilder;

namespace {

const RecurringStream* find_stream(const CashFlowModel& m, std::string_view label) {
  for (const auto& s : m.streams)
    if (s.label == label) return &s;
  return nullptr;
}

bool has_anomaly(const CashFlowModel& m, AnomalyKind kind, Date date) {
  return std::any_of(m.anomalies.begin(), m.anomalies.end(),
                     [&](const Anomaly& a) { return a.kind == kind && a.date == date; });
}

CashFlowModel fit_at(const std::vector<Transaction>& txns, Date as_of) { return fit(build_history(txns, as_of)); }

}  // namespace

TEST(Scenario, MonthlySalaryRentAndSubscriptionsAreFourStreamsWithExactNextDates) {
  ScenarioBuilder b(150000);
  const Date from = D(2024, 1, 1), to = D(2024, 10, 14);
  b.monthly(from, to, 31, 320000, "ACME CORP PAYROLL", /*shift_back=*/true)
      .monthly(from, to, 1, -120000, "OAKWOOD PROPERTIES RENT", false, /*shift_forward=*/true)
      .monthly(from, to, 12, -1599, "NETFLIX.COM 8884")
      .monthly(from, to, 20, -999, "SPOTIFY P1234")
      .daily_spending(from, to, 4000);
  const CashFlowModel m = fit_at(b.build(), D(2024, 10, 15));

  EXPECT_FALSE(m.fallback);
  ASSERT_EQ(m.streams.size(), 4u);
  const auto* pay = find_stream(m, "acme corp");
  const auto* rent = find_stream(m, "oakwood properties");
  const auto* netflix = find_stream(m, "netflix com");
  const auto* spotify = find_stream(m, "spotify");
  ASSERT_TRUE(pay && rent && netflix && spotify);
  EXPECT_EQ(pay->kind, StreamKind::kIncome);
  EXPECT_EQ(pay->schedule.cadence, Cadence::kMonthly);
  EXPECT_EQ(pay->schedule.rule, DayRule::kLastBusinessDay);
  EXPECT_EQ(pay->next_date, D(2024, 10, 31));
  EXPECT_DOUBLE_EQ(pay->amount_cents, 320000);
  EXPECT_EQ(rent->kind, StreamKind::kOutflow);
  EXPECT_EQ(rent->next_date, D(2024, 11, 1));
  EXPECT_DOUBLE_EQ(rent->amount_cents, -120000);
  EXPECT_EQ(netflix->next_date, D(2024, 10, 12) + Days{31});
  EXPECT_DOUBLE_EQ(netflix->amount_cents, -1599);
  EXPECT_EQ(spotify->next_date, D(2024, 10, 20));
  EXPECT_EQ(pay->status, StreamStatus::kActive);
  EXPECT_GT(pay->confidence, 0.9);
}

TEST(Scenario, BiweeklyPayIsDetectedWithTheNextFriday) {
  ScenarioBuilder b(50000);
  const Date to = D(2024, 6, 30);
  b.every(D(2024, 1, 5), to, 14, 140000, "GLOBEX DIRECT DEP").daily_spending(D(2024, 1, 1), to, 5000);
  const CashFlowModel m = fit_at(b.build(), D(2024, 7, 1));
  const auto* pay = find_stream(m, "globex direct");
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->schedule.cadence, Cadence::kBiweekly);
  EXPECT_EQ(pay->next_date, D(2024, 7, 5));
  EXPECT_DOUBLE_EQ(pay->amount_cents, 140000);
}

TEST(Scenario, SemiMonthlyPayMovesToFridayWhenTheFifteenthOrMonthEndIsAWeekend) {
  ScenarioBuilder b(80000);
  const Date from = D(2023, 7, 1), to = D(2024, 6, 2);
  b.monthly(from, to, 15, 110000, "INITECH PAYROLL", true)
      .monthly(from, to, 31, 110000, "INITECH PAYROLL", true)
      .daily_spending(from, to, 6000);
  const CashFlowModel m = fit_at(b.build(), D(2024, 6, 3));
  const auto* pay = find_stream(m, "initech payroll");
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->schedule.cadence, Cadence::kSemiMonthly);
  EXPECT_EQ(pay->next_date, D(2024, 6, 14));  // the 15th is a Saturday
  const BalanceForecast f = project(m, D(2024, 6, 3));
  std::vector<Date> income_dates;
  for (const auto& s : f.scheduled)
    if (s.kind == StreamKind::kIncome) income_dates.push_back(s.date);
  ASSERT_GE(income_dates.size(), 2u);
  EXPECT_EQ(income_dates[0], D(2024, 6, 14));
  EXPECT_EQ(income_dates[1], D(2024, 6, 28));  // the 30th is a Sunday
}

TEST(Scenario, StimulusWindfallOfThreeTimesIncomeStaysOutOfTheIncomeBaseline) {
  ScenarioBuilder b(100000);
  const Date from = D(2024, 1, 1), to = D(2024, 5, 9);
  b.monthly(from, to, 1, 300000, "ACME CORP PAYROLL", true)
      .monthly(from, to, 3, -110000, "RENT", false, true)
      .add(D(2024, 4, 17), 900000, "IRS TREAS 310 TAXEIP")
      .daily_spending(from, to, 4500);
  const CashFlowModel m = fit_at(b.build(), D(2024, 5, 10));
  EXPECT_TRUE(has_anomaly(m, AnomalyKind::kWindfall, D(2024, 4, 17)));
  const double next_month = expected_income(m, D(2024, 5, 10), D(2024, 6, 10)).as_double();
  EXPECT_NEAR(next_month, 300000, 0.05 * 300000);
}

TEST(Scenario, MissedPaycheckRaisesWindowRiskWithinThreeDaysPastTheUsualJitter) {
  ScenarioBuilder b;
  const Date from = D(2024, 1, 1), last_pay = D(2024, 6, 30);
  b.monthly(from, last_pay, 1, 250000, "ACME CORP PAYROLL", true)
      .monthly(from, D(2024, 7, 31), 5, -130000, "RENT", false, true)
      .daily_spending(from, D(2024, 7, 31), 3500);
  const auto all = b.build_with_balance_on(D(2024, 6, 30), 40000);
  const BalanceForecast before = forecast_account(all, D(2024, 7, 1)).forecast;
  // Pay was due Monday 1 July with zero jitter; three days later it has not come.
  const AccountForecast after = forecast_account(all, D(2024, 7, 4));
  const auto* pay = find_stream(after.model, "acme corp");
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->status, StreamStatus::kOverdue);
  EXPECT_TRUE(has_anomaly(after.model, AnomalyKind::kOverdueIncome, D(2024, 7, 1)));
  EXPECT_GT(after.forecast.p_overdraft_window, before.p_overdraft_window);
  EXPECT_GT(after.forecast.p_overdraft_window, 0.9);
}

TEST(Scenario, JobLossMarksThePayStreamStopped) {
  ScenarioBuilder b(200000);
  const Date from = D(2024, 1, 1);
  b.monthly(from, D(2024, 6, 30), 1, 250000, "ACME CORP PAYROLL", true)
      .monthly(from, D(2024, 9, 9), 5, -90000, "RENT", false, true)
      .daily_spending(from, D(2024, 9, 9), 2500);
  const CashFlowModel m = fit_at(b.build(), D(2024, 9, 10));
  const auto* pay = find_stream(m, "acme corp");
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->status, StreamStatus::kStopped);
  EXPECT_GE(pay->consecutive_misses, 2);
  EXPECT_TRUE(std::any_of(m.anomalies.begin(), m.anomalies.end(),
                          [](const Anomaly& a) { return a.kind == AnomalyKind::kStreamStopped; }));
  EXPECT_EQ(expected_income(m, D(2024, 9, 10), D(2024, 10, 10)).cents(), 0);
}

TEST(Scenario, RaiseIsAdoptedOnTheSecondRaisedPaycheck) {
  ScenarioBuilder b(100000);
  const Date from = D(2024, 1, 1), to = D(2024, 10, 20);
  b.monthly(from, D(2024, 8, 29), 1, 300000, "ACME CORP PAYROLL", true)
      .monthly(D(2024, 8, 2), to, 1, 330000, "ACME CORP PAYROLL", true)  // 1 Sep is a Sunday: paid Fri 30 Aug
      .daily_spending(from, to, 4000);
  const auto all = b.build();
  const auto one_cycle = fit_at(all, D(2024, 9, 10));
  const auto two_cycles = fit_at(all, D(2024, 10, 10));
  ASSERT_TRUE(find_stream(one_cycle, "acme corp") && find_stream(two_cycles, "acme corp"));
  EXPECT_DOUBLE_EQ(find_stream(one_cycle, "acme corp")->amount_cents, 300000);
  EXPECT_DOUBLE_EQ(find_stream(two_cycles, "acme corp")->amount_cents, 330000);
  EXPECT_TRUE(has_anomaly(two_cycles, AnomalyKind::kAmountChanged, D(2024, 8, 30)));
  EXPECT_FALSE(has_anomaly(one_cycle, AnomalyKind::kAmountChanged, D(2024, 8, 30)));
}

TEST(Scenario, ChangedPayDayIsAdoptedAfterTwoCycles) {
  ScenarioBuilder b(100000);
  const Date from = D(2024, 1, 1), to = D(2024, 8, 9);
  b.monthly(from, D(2024, 6, 30), 15, 280000, "ACME CORP PAYROLL", true)
      .monthly(D(2024, 7, 1), to, 1, 280000, "ACME CORP PAYROLL", true)
      .daily_spending(from, to, 4000);
  const CashFlowModel m = fit_at(b.build(), D(2024, 8, 10));
  const auto* pay = find_stream(m, "acme corp");
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->status, StreamStatus::kActive);
  EXPECT_EQ(pay->schedule.day_of_month, 1);
  EXPECT_TRUE(has_anomaly(m, AnomalyKind::kScheduleChanged, D(2024, 7, 1)));
}

TEST(Scenario, NewSubscriptionIsDetectedAfterItsSecondCharge) {
  ScenarioBuilder b(300000);
  const Date from = D(2024, 1, 1), to = D(2024, 9, 30);
  b.monthly(from, to, 1, 300000, "ACME CORP PAYROLL", true)
      .add(D(2024, 8, 14), -1299, "STREAMFLIX 0042")
      .add(D(2024, 9, 14), -1299, "STREAMFLIX 0043")
      .daily_spending(from, to, 4000);
  const auto all = b.build();
  EXPECT_EQ(find_stream(fit_at(all, D(2024, 9, 10)), "streamflix"), nullptr);
  const auto m = fit_at(all, D(2024, 9, 20));
  const auto* sub = find_stream(m, "streamflix");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->schedule.cadence, Cadence::kMonthly);
  EXPECT_EQ(sub->next_date, D(2024, 10, 14));
  EXPECT_DOUBLE_EQ(sub->amount_cents, -1299);
}

TEST(Scenario, IrregularGigIncomeIsARateNotASchedule) {
  ScenarioBuilder b(20000);
  const Date from = D(2024, 1, 1), to = D(2024, 6, 30);
  std::uint64_t s = 99;
  double last90 = 0;
  for (Date d = from; d <= to; d += Days{1}) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    if ((s >> 61) < 5) continue;  // payouts on ~3 of 8 days
    const std::int64_t cents = 6000 + static_cast<std::int64_t>((s >> 20) % 18000);
    b.add(d, cents, "UBER DRIVER PAYOUT");
    if (d > to - Days{90}) last90 += static_cast<double>(cents);
  }
  b.daily_spending(from, to, 4000);
  const CashFlowModel m = fit_at(b.build(), D(2024, 7, 1));
  EXPECT_EQ(find_stream(m, "uber driver"), nullptr);
  for (const auto& st : m.streams) EXPECT_NE(st.kind, StreamKind::kIncome);
  EXPECT_NEAR(m.spending.irregular_income_per_day_cents, last90 / 90.0, 1e-6);
  EXPECT_GT(expected_income(m, D(2024, 7, 1), D(2024, 7, 31)).as_double(), 0.0);
}

TEST(Scenario, RentBeforePaydayIsExplainedInOneLine) {
  ScenarioBuilder b;
  const Date from = D(2024, 1, 1), to = D(2024, 9, 27);
  b.monthly(from, to, 3, 250000, "ACME CORP PAYROLL")
      .monthly(from, to, 1, -120000, "RENT")
      .daily_spending(from, to, 3000);
  const auto txns = b.build_with_balance_on(to, 60000);
  const AccountForecast out = forecast_account(txns, D(2024, 9, 28));
  ASSERT_FALSE(out.forecast.risk_days.empty());
  const RiskDay& day = out.forecast.risk_days.front();
  EXPECT_LE(day.date, D(2024, 10, 1));
  ASSERT_FALSE(day.drivers.empty());
  EXPECT_EQ(day.drivers.front().kind, DriverKind::kScheduledOutflow);
  EXPECT_EQ(day.drivers.front().label, "rent");
  EXPECT_EQ(day.drivers.front().amount.cents(), 120000);
  EXPECT_EQ(day.summary.rfind("rent of 1,200.00 on the 1st, pay expected on the 3rd", 0), 0u) << day.summary;
}
