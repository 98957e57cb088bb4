#pragma once
// Calendar dates in the account's time zone. A Date is a count of days since
// 1970-01-01 (std::chrono::sys_days), so day arithmetic is integer arithmetic;
// year_month_day is used only where the calendar matters (month ends, weekdays).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace headroom::forecast {

using Date = std::chrono::sys_days;
using Days = std::chrono::days;

// Strict YYYY-MM-DD; nullopt for anything else, including impossible dates (2025-02-30).
std::optional<Date> parse_iso_date(std::string_view text);
std::string to_iso_string(Date date);

inline Date make_date(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
}
inline int days_between(Date from, Date to) { return static_cast<int>((to - from).count()); }
inline bool is_weekend(Date d) {
  const std::chrono::weekday wd{d};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}
// Last day of the month that contains `d`.
Date month_end(Date d);

}  // namespace headroom::forecast
