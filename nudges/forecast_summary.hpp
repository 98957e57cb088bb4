#pragma once
// forecast::BalanceForecast -> nudges::ForecastSummary: what the planner and
// the copy need from a forecast, as plain values. Pure.
//
//   buffer, window_probability  the forecast's buffer and P(below it on some day
//                               of the window): p_overdraft_window for a zero
//                               buffer, p_below_buffer_window otherwise
//   first_risky_day             the first explained risk day (projection's
//                               risk_days, P(below zero) >= its risk threshold);
//                               when the forecast carries none, the first day
//                               whose P(below buffer) >= day_threshold; else none
//   expected_shortfall          that risk day's E[-balance | balance < 0]
//                               (>= 0; 0 when no risk day was explained)
//   drivers                     that day's scheduled outflows (bills, signed < 0)
//                               and the next income (> 0), plus one spending
//                               driver when the pace driver is present
//   next_income_*               the next-income driver, else the first expected
//                               income occurrence in the window on or after as_of
//   cold_start                  fallback model for empty or short history
//   low_confidence              any other fallback, or no known balance
#include "forecast/projection.hpp"
#include "nudges/planner.hpp"

namespace headroom::nudges {

ForecastSummary summarize_forecast(const forecast::BalanceForecast& forecast, double day_threshold = 0.5);

}  // namespace headroom::nudges
