#pragma once
// Calendar rules of recurring streams: weekly, biweekly, semi-monthly, monthly
// (fixed day, last business day, nth weekday), quarterly and annual, with a
// weekend convention. Business days here are Monday–Friday; bank holidays are
// absorbed by the date jitter each stream learns.

#include <cstdint>
#include <vector>

#include "forecast/date.hpp"

namespace headroom::forecast {

enum class Cadence : std::uint8_t { kWeekly, kBiweekly, kSemiMonthly, kMonthly, kQuarterly, kAnnual };
enum class DayRule : std::uint8_t {
  kEveryNDays,       // weekly / biweekly: anchor + k·period
  kFixedDay,         // day_of_month (clamped to month end); semi-monthly: day_of_month and second_day
  kLastBusinessDay,  // last Monday–Friday of the month; semi-monthly: day_of_month and last business day
  kNthWeekday,       // nth (1..4, or -1 = last) weekday of the month, e.g. "first Friday"
};
// Pay due on a weekend usually arrives the business day before (most US
// payroll); debits usually post the business day after. Learned per stream.
enum class WeekendShift : std::uint8_t { kNone, kPreviousBusinessDay, kNextBusinessDay };

struct Schedule {
  Cadence cadence = Cadence::kMonthly;
  DayRule rule = DayRule::kFixedDay;
  WeekendShift shift = WeekendShift::kNone;
  Date anchor{};          // kEveryNDays: one nominal occurrence; monthly-type: a month of the cycle
  int day_of_month = 1;   // 1..31
  int second_day = 0;     // semi-monthly kFixedDay: 1..31
  int nth = 1;            // kNthWeekday
  unsigned weekday = 5;   // kNthWeekday: 0 = Sunday … 6 = Saturday

  int period_days() const;     // nominal spacing: 7, 14, 15, 30, 91, 365
  int months_step() const;     // 0 for weekly/biweekly/semi-monthly, else 1, 3, 12
};

// All occurrence dates (after the weekend shift) in [from, to], ascending.
void schedule_dates(const Schedule& s, Date from, Date to, std::vector<Date>& out);
const char* cadence_name(Cadence c);

}  // namespace headroom::forecast
