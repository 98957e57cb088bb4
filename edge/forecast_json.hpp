#pragma once
// The body of GET /v1/accounts/{account_id}/forecast (docs/openapi.yaml,
// schema Forecast) from a stored forecast. The text is the one PostgreSQL's
// json_build_object gave before the edge built it, byte for byte, so clients
// that compare or hash bodies see no change:
//   - keys in the schema's order, `"key" : value` joined by ", "; days as
//     `[{…}, {…}]`, `[]` when there are none; absent optionals are null;
//   - doubles in float8's shortest round-trip text (positional for decimal
//     exponents -4 to 14, else d.ddde±XX), NaN and ±Infinity as strings;
//   - money as integer cents; dates YYYY-MM-DD;
//   - computed_at as ISO 8601 local time of the stored UTC offset,
//     microseconds without trailing zeros, offset ±HH:MM (±HH:MM:SS when the
//     zone's offset has seconds);
//   - risk_days and anomalies as stored (jsonb text).
// Pure: no I/O.

#include <string>

#include "forecast/stored_forecast.hpp"

namespace headroom::edge {

std::string forecast_json(const forecast::StoredForecast& forecast);

}  // namespace headroom::edge
