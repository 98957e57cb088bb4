// The mapping from a forecast to what the planner reads.
#include <gtest/gtest.h>

#include "nudges/forecast_summary.hpp"

namespace headroom::nudges {
namespace {

using forecast::make_date;
using forecast::Money;

forecast::BalanceForecast risky_forecast() {
  forecast::BalanceForecast f;
  f.account_id = "acct-1";
  f.as_of = make_date(2026, 3, 10);
  f.horizon_days = 14;
  f.balance_known = true;
  f.p_overdraft_window = 0.8;
  f.p_below_buffer_window = 0.9;
  forecast::RiskDay day;
  day.date = make_date(2026, 3, 13);
  day.p_below_zero = 0.7;
  day.expected_shortfall = Money::from_cents(8450);
  day.drivers.push_back({forecast::DriverKind::kScheduledOutflow, "Rent", make_date(2026, 3, 13), Money::from_cents(120000), 0});
  day.drivers.push_back({forecast::DriverKind::kExpectedShortfall, "", make_date(2026, 3, 13), Money::from_cents(8450), 0});
  day.drivers.push_back({forecast::DriverKind::kNextIncome, "Payroll", make_date(2026, 3, 15), Money::from_cents(210000), 0});
  f.risk_days.push_back(day);
  return f;
}

TEST(ForecastSummary, TakesTheFirstRiskDayItsShortfallAndItsBillsAndIncome) {
  const ForecastSummary s = summarize_forecast(risky_forecast());
  EXPECT_EQ(s.as_of, make_date(2026, 3, 10));
  EXPECT_DOUBLE_EQ(s.window_probability, 0.8);
  ASSERT_TRUE(s.first_risky_day);
  EXPECT_EQ(*s.first_risky_day, make_date(2026, 3, 13));
  EXPECT_EQ(s.expected_shortfall.cents(), 8450);
  ASSERT_EQ(s.drivers.size(), 2u);
  EXPECT_EQ(s.drivers[0].kind, Driver::Kind::kBill);
  EXPECT_EQ(s.drivers[0].label, "Rent");
  EXPECT_EQ(s.drivers[0].amount.cents(), -120000);
  EXPECT_EQ(s.drivers[1].kind, Driver::Kind::kIncome);
  ASSERT_TRUE(s.next_income_date);
  EXPECT_EQ(*s.next_income_date, make_date(2026, 3, 15));
  EXPECT_EQ(s.next_income_amount.cents(), 210000);
  EXPECT_FALSE(s.cold_start);
  EXPECT_FALSE(s.low_confidence);
}

TEST(ForecastSummary, UsesTheBufferProbabilityWhenTheBufferIsNotZero) {
  auto f = risky_forecast();
  f.buffer = Money::from_cents(5000);
  const ForecastSummary s = summarize_forecast(f);
  EXPECT_DOUBLE_EQ(s.window_probability, 0.9);
  EXPECT_EQ(s.buffer.cents(), 5000);
}

TEST(ForecastSummary, FallsBackToTheFirstDayAboveTheThresholdWhenNoRiskDayIsExplained) {
  auto f = risky_forecast();
  f.risk_days.clear();
  for (int i = 0; i < 5; ++i) {
    forecast::DayForecast d;
    d.date = f.as_of + forecast::Date::duration(i);
    d.p_below_zero = i == 3 ? 0.6 : 0.1;
    f.days.push_back(d);
  }
  f.scheduled.push_back({make_date(2026, 3, 20), Money::from_cents(150000), "Payroll", forecast::StreamKind::kIncome, 1, false});
  const ForecastSummary s = summarize_forecast(f, 0.5);
  ASSERT_TRUE(s.first_risky_day);
  EXPECT_EQ(*s.first_risky_day, make_date(2026, 3, 13));
  EXPECT_EQ(s.expected_shortfall.cents(), 0);
  ASSERT_TRUE(s.next_income_date);
  EXPECT_EQ(*s.next_income_date, make_date(2026, 3, 20));
}

TEST(ForecastSummary, HasNoRiskyDayWhenNoDayReachesTheThreshold) {
  auto f = risky_forecast();
  f.risk_days.clear();
  f.p_overdraft_window = 0.05;
  const ForecastSummary s = summarize_forecast(f);
  EXPECT_FALSE(s.first_risky_day);
}

TEST(ForecastSummary, FlagsShortHistoryAsColdStartAndOtherFallbacksAsLowConfidence) {
  auto f = risky_forecast();
  f.fallback = true;
  f.fallback_reason = forecast::FallbackReason::kShortHistory;
  EXPECT_TRUE(summarize_forecast(f).cold_start);
  EXPECT_FALSE(summarize_forecast(f).low_confidence);
  f.fallback_reason = forecast::FallbackReason::kDegenerate;
  EXPECT_FALSE(summarize_forecast(f).cold_start);
  EXPECT_TRUE(summarize_forecast(f).low_confidence);
  f.fallback = false;
  f.balance_known = false;
  EXPECT_TRUE(summarize_forecast(f).low_confidence);
}

}  // namespace
}  // namespace headroom::nudges
