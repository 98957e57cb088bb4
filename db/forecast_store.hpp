#pragma once
// Persistence of forecasts (migration 0003): the latest forecast per account
// in headroom.forecasts, its days as arrays on the same row (migration 0008;
// the view headroom.risk_days shows them one row per day). Callers own the
// transaction, so a forecast batch commits together with whatever else must
// (a scoring chunk's completion, nudge decisions).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/transaction_base>

#include "db/async_connection.hpp"
#include "forecast/forecast.hpp"
#include "forecast/stored_forecast.hpp"

namespace headroom::db {

// Replaces the stored forecasts of these accounts. cycle_id: the full cycle
// that produced them, or nullopt for an incremental re-forecast.
void write_forecasts(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts,
                     std::optional<std::int64_t> cycle_id);

// The stored forecast of one account (the API renders it: edge/forecast_json.hpp);
// nullopt when the account has none. One statement, so the days and the rest
// of the row come from the same snapshot.
std::optional<forecast::StoredForecast> read_forecast(pqxx::transaction_base& tx, std::string_view account_id);

// read_forecast()'s statement ($1: the account id) and the reading of its
// row, for a caller that runs it itself (the API's asynchronous reads:
// db/async_connection.hpp). `fields` are the row's columns as text, nullptr
// for NULL. Throws std::runtime_error naming the column that does not parse.
extern const PreparedStatement kReadForecast;
inline constexpr std::size_t kReadForecastColumns = 20;
forecast::StoredForecast forecast_from_row(std::span<const char* const> fields);

// JSON renderings used both in the table and by the API.
std::string drivers_json(const forecast::BalanceForecast& forecast);
std::string anomalies_json(const forecast::CashFlowModel& model);

}  // namespace headroom::db
