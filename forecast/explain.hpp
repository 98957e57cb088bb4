#pragma once
// Why a day is risky, in one line of English: "rent of 1,200.00 on the 1st,
// pay expected on the 3rd". The drivers themselves are data that project()
// finds (explain_day() in forecast/projection.hpp); this file only words them.

#include <span>
#include <string>

#include "forecast/date.hpp"
#include "forecast/money.hpp"
#include "forecast/projection.hpp"

namespace headroom::forecast {

// One line, outflows first (largest first, at most three), then the next
// income, then pace and shortfall: "rent of 1,200.00 on the 1st, pay expected on the 3rd".
std::string render_drivers(std::span<const Driver> drivers, Date risky_day);

// Sets each risk day's summary to render_drivers() of its drivers.
void render_summaries(BalanceForecast& forecast);

// "1,234.56" / "-0.05": thousands separators, two decimals.
std::string format_amount(Money amount);
// "1st", "2nd", "3rd", "4th", "11th", "22nd".
std::string day_ordinal(Date d);

}  // namespace headroom::forecast
