#include "forecast/explain.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

std::vector<Driver> explain_day(const CashFlowModel& m, std::span<const ScheduledFlow> scheduled, Date as_of,
                                Date risky_day, Money expected_shortfall) {
  std::vector<Driver> drivers;
  Date last_income_before = as_of - Days{1};
  for (const auto& s : scheduled)
    if (s.kind == StreamKind::kIncome && s.probability >= 0.5 && s.date <= risky_day && !s.pending)
      last_income_before = std::max(last_income_before, s.date);
  for (const auto& s : scheduled) {
    if (s.kind != StreamKind::kOutflow || s.date > risky_day || s.date < last_income_before) continue;
    drivers.push_back(Driver{DriverKind::kScheduledOutflow, s.label, s.date, Money::from_cents(-s.amount.cents()), 0});
  }
  for (const auto& s : scheduled) {
    if (s.kind == StreamKind::kIncome && s.date > risky_day && s.probability >= 0.3) {
      drivers.push_back(Driver{DriverKind::kNextIncome, s.label, s.date, s.amount, 0});
      break;
    }
  }
  for (const auto& a : m.anomalies) {
    if (a.kind != AnomalyKind::kOverdueIncome) continue;
    const std::string label =
        a.stream >= 0 && static_cast<std::size_t>(a.stream) < m.streams.size() ? m.streams[static_cast<std::size_t>(a.stream)].label : "";
    drivers.push_back(Driver{DriverKind::kOverdueIncome, label, a.date, a.amount, 0});
  }
  if (m.current_balance.cents() < 0)
    drivers.push_back(Driver{DriverKind::kLowBalance, "", as_of - Days{1}, Money::from_cents(-m.current_balance.cents()), 0});
  const auto& sp = m.spending;
  if (sp.pace_ratio >= 1.15 && sp.usual_daily_outflow_cents > 0) {
    const int days = days_between(as_of, risky_day) + 1;
    const double extra = (sp.recent_daily_outflow_cents - sp.usual_daily_outflow_cents) * days;
    drivers.push_back(Driver{DriverKind::kSpendingPace, "", risky_day, Money::from_double(std::max(0.0, extra)), sp.pace_ratio});
  }
  if (expected_shortfall.cents() > 0)
    drivers.push_back(Driver{DriverKind::kExpectedShortfall, "", risky_day, expected_shortfall, 0});
  // The next income is context (when relief comes), not a cause: it goes last.
  std::stable_sort(drivers.begin(), drivers.end(), [](const Driver& a, const Driver& b) {
    const bool a_ctx = a.kind == DriverKind::kNextIncome, b_ctx = b.kind == DriverKind::kNextIncome;
    if (a_ctx != b_ctx) return b_ctx;
    return std::llabs(a.amount.cents()) > std::llabs(b.amount.cents());
  });
  return drivers;
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

}  // namespace headroom::forecast
