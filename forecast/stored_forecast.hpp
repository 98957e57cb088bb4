#pragma once
// The latest forecast of an account as the store keeps it (db/forecast_store.hpp
// writes and reads it) and the API serves it (edge/forecast_json.hpp): the
// values of a BalanceForecast as written, and when they were stored. Plain
// values, no behaviour.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/money.hpp"

namespace headroom::forecast {

struct StoredForecastDay {
  Date date{};  // as_of + the day's index
  // Empty only for a row whose per-day arrays differ in length or hold a NULL
  // (headroom.risk_days pads with NULL); write_forecasts never writes one.
  std::optional<double> p_below_zero;
  std::optional<double> p_below_buffer;
  std::optional<Money> p10;
  std::optional<Money> p50;
  std::optional<Money> p90;
};

struct StoredForecast {
  std::string account_id;
  Date as_of{};  // first forecast day; its transactions were not yet seen
  int horizon_days = 0;
  Money start_balance;  // end-of-day balance of as_of - 1
  Money buffer;
  double p_overdraft_window = 0;     // P(end-of-day balance < 0 on some day of the window)
  double p_below_buffer_window = 0;  // the same below the buffer
  std::optional<Date> first_risky_day;
  std::string model_kind;  // "full" or "fallback"
  std::optional<std::string> fallback_reason;
  std::string summary;  // one-line explanation of the first risky day; may be empty
  // The risk days with their drivers and the model's anomalies: JSON arrays
  // (db::drivers_json, db::anomalies_json) in the text PostgreSQL's jsonb
  // prints them as.
  std::string risk_days_json;
  std::string anomalies_json;
  std::chrono::sys_time<std::chrono::microseconds> computed_at{};
  // UTC offset of the database session's time zone at computed_at: the API
  // shows the instant in that zone, as PostgreSQL's JSON did.
  std::chrono::seconds computed_at_utc_offset{0};
  std::vector<StoredForecastDay> days;  // in date order
};

}  // namespace headroom::forecast
