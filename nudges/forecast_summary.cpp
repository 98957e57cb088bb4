#include "nudges/forecast_summary.hpp"

namespace headroom::nudges {

ForecastSummary summarize_forecast(const forecast::BalanceForecast& f, double day_threshold) {
  using forecast::DriverKind;
  using forecast::FallbackReason;
  ForecastSummary s;
  s.as_of = f.as_of;
  s.buffer = f.buffer;
  const bool zero_buffer = f.buffer.cents() == 0;
  s.window_probability = zero_buffer ? f.p_overdraft_window : f.p_below_buffer_window;
  if (s.window_probability < 0) s.window_probability = 0;
  if (s.window_probability > 1) s.window_probability = 1;

  const forecast::RiskDay* risk = f.risk_days.empty() ? nullptr : &f.risk_days.front();
  if (risk) {
    s.first_risky_day = risk->date;
    s.expected_shortfall =
        risk->expected_shortfall.cents() > 0 ? risk->expected_shortfall : forecast::Money::from_cents(0);
    for (const auto& d : risk->drivers) {
      Driver out;
      out.label = d.label;
      out.date = d.date;
      const forecast::Money magnitude = d.amount < forecast::Money{} ? -d.amount : d.amount;
      switch (d.kind) {
        case DriverKind::kScheduledOutflow:
          out.kind = Driver::Kind::kBill;
          out.amount = -magnitude;
          break;
        case DriverKind::kNextIncome:
          out.kind = Driver::Kind::kIncome;
          out.amount = magnitude;
          if (!s.next_income_date) {
            s.next_income_date = d.date;
            s.next_income_amount = magnitude;
          }
          break;
        case DriverKind::kSpendingPace:
          out.kind = Driver::Kind::kSpending;
          out.amount = -magnitude;
          break;
        default:
          // Overdue pay, the shortfall itself and a low balance are context
          // the copy does not name individually.
          continue;
      }
      s.drivers.push_back(std::move(out));
    }
  } else {
    for (const auto& day : f.days) {
      const double p = zero_buffer ? day.p_below_zero : day.p_below_buffer;
      if (p >= day_threshold) {
        s.first_risky_day = day.date;
        break;
      }
    }
  }
  if (!s.next_income_date) {
    for (const auto& flow : f.scheduled) {
      if (flow.kind != forecast::StreamKind::kIncome || flow.date < f.as_of || flow.amount.cents() <= 0) continue;
      if (!s.next_income_date || flow.date < *s.next_income_date) {
        s.next_income_date = flow.date;
        s.next_income_amount = flow.amount;
      }
    }
  }
  if (f.fallback) {
    const bool short_history = f.fallback_reason == FallbackReason::kEmptyHistory ||
                               f.fallback_reason == FallbackReason::kShortHistory;
    s.cold_start = short_history;
    s.low_confidence = !short_history;
  }
  if (!f.balance_known) s.low_confidence = true;
  return s;
}

}  // namespace headroom::nudges
