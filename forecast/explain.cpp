#include "forecast/explain.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "forecast/thousands.hpp"

namespace headroom::forecast {

std::string format_amount(Money amount) { return group_thousands(amount.to_decimal_string()); }

std::string day_ordinal(Date d) {
  const unsigned day = static_cast<unsigned>(std::chrono::year_month_day{d}.day());
  const char* suffix = "th";
  if (day % 100 < 11 || day % 100 > 13) {
    if (day % 10 == 1) suffix = "st";
    else if (day % 10 == 2) suffix = "nd";
    else if (day % 10 == 3) suffix = "rd";
  }
  return std::to_string(day) + suffix;
}

std::string render_drivers(std::span<const Driver> drivers, Date risky_day) {
  std::vector<std::string> parts;
  int outflows = 0;
  for (const auto& d : drivers) {
    if (d.kind != DriverKind::kScheduledOutflow || outflows >= 3) continue;
    ++outflows;
    parts.push_back((d.label.empty() ? std::string("bill") : d.label) + " of " + format_amount(d.amount) + " on the " +
                    day_ordinal(d.date));
  }
  for (const auto& d : drivers) {
    if (d.kind == DriverKind::kOverdueIncome)
      parts.push_back("pay due on the " + day_ordinal(d.date) + " has not arrived");
  }
  for (const auto& d : drivers) {
    if (d.kind == DriverKind::kNextIncome) {
      parts.push_back("pay expected on the " + day_ordinal(d.date));
      break;
    }
  }
  for (const auto& d : drivers) {
    if (d.kind == DriverKind::kLowBalance) parts.push_back("balance already " + format_amount(Money::from_cents(-d.amount.cents())));
    if (d.kind == DriverKind::kSpendingPace) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "spending %d%% above usual", static_cast<int>(std::lround((d.ratio - 1.0) * 100)));
      parts.emplace_back(buf);
    }
  }
  if (parts.empty()) {
    for (const auto& d : drivers)
      if (d.kind == DriverKind::kExpectedShortfall)
        parts.push_back("expected shortfall of " + format_amount(d.amount) + " on the " + day_ordinal(risky_day));
  }
  if (parts.empty()) return "day-to-day spending may take the balance below zero on the " + day_ordinal(risky_day);
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

void render_summaries(BalanceForecast& forecast) {
  for (RiskDay& day : forecast.risk_days) day.summary = render_drivers(day.drivers, day.date);
}

}  // namespace headroom::forecast
