#pragma once
// Why a day is risky, as structured drivers (for nudge templates and the API)
// and as one line of English: "rent of 1,200.00 on the 1st, pay expected on the 3rd".

#include <span>
#include <string>
#include <vector>

#include "forecast/model.hpp"
#include "forecast/projection.hpp"

namespace headroom::forecast {

// Drivers of `risky_day`, largest amount first: recurring outflows that land
// between the last income before the risky day (or as_of) and the day itself,
// overdue pay, spending pace when ≥ 15 % above usual (amount = extra spend up
// to the day), a balance already below zero, the expected shortfall; then,
// last, the next income after the day (context: when relief comes).
std::vector<Driver> explain_day(const CashFlowModel& model, std::span<const ScheduledFlow> scheduled, Date as_of,
                                Date risky_day, Money expected_shortfall);

// One line, outflows first (largest first, at most three), then the next
// income, then pace and shortfall: "rent of 1,200.00 on the 1st, pay expected on the 3rd".
std::string render_drivers(std::span<const Driver> drivers, Date risky_day);

// "1,234.56" / "-0.05": thousands separators, two decimals.
std::string format_amount(Money amount);
// "1st", "2nd", "3rd", "4th", "11th", "22nd".
std::string day_ordinal(Date d);

}  // namespace headroom::forecast
