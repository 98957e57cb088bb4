#include "forecast/schedule.hpp"

#include <algorithm>

namespace headroom::forecast {
namespace {

using namespace std::chrono;

int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Weekly or biweekly: every period from the anchor, those in [from, to].
void every_n_days_dates(const Schedule& s, Date from, Date to, std::vector<Date>& out) {
  const int p = s.cadence == Cadence::kWeekly ? 7 : 14;
  const int k0 = floor_div(days_between(s.anchor, from), p);
  for (Date d = s.anchor + Days{k0 * p}; d <= to; d += Days{p})
    if (d >= from) out.push_back(d);
}

// One month of the walk: its first day, that day's weekday (0 = Sunday)
// and its length; days are offsets from the first.
struct Month {
  Date first;
  int wd_first = 0;
  int days = 0;

  int weekday_at(int offset) const { return (wd_first + offset) % 7; }
  // The day clamped to 1 .. month end (as fixed_day() does), as an offset.
  int fixed(int dom) const { return std::min(dom < 1 ? 1 : dom, days) - 1; }
  // shift_weekend() for the day `first + offset`.
  Date shifted(WeekendShift shift, int offset) const {
    const Date d = first + Days{offset};
    if (shift == WeekendShift::kNone) return d;
    const int wd = weekday_at(offset);
    if (wd == 6) return shift == WeekendShift::kPreviousBusinessDay ? d - Days{1} : d + Days{2};
    if (wd == 0) return shift == WeekendShift::kPreviousBusinessDay ? d - Days{2} : d + Days{1};
    return d;
  }
};

// The schedule's dates in month `m` (at most two, not yet limited to the range).
int month_dates(const Schedule& s, const Month& m, Date (&cand)[2]) {
  int n = 0;
  switch (s.rule) {
    case DayRule::kFixedDay:
      cand[n++] = m.shifted(s.shift, m.fixed(s.day_of_month));
      if (s.cadence == Cadence::kSemiMonthly) cand[n++] = m.shifted(s.shift, m.fixed(s.second_day));
      break;
    case DayRule::kLastBusinessDay: {
      if (s.cadence == Cadence::kSemiMonthly) cand[n++] = m.shifted(s.shift, m.fixed(s.day_of_month));
      const int last_wd = m.weekday_at(m.days - 1);
      cand[n++] = m.first + Days{m.days - 1 - (last_wd == 6 ? 1 : last_wd == 0 ? 2 : 0)};
      break;
    }
    case DayRule::kNthWeekday: {
      const int target = static_cast<int>(weekday{s.weekday}.c_encoding());
      if (s.nth < 0) {
        // The last such weekday: back from the month's last day.
        const int last_wd = m.weekday_at(m.days - 1);
        cand[n++] = m.first + Days{m.days - 1 - (last_wd - target + 7) % 7};
      } else {
        // As year_month_weekday does it: the first such weekday, then whole weeks (index stored in a byte).
        const int index_1 = static_cast<int>(static_cast<unsigned char>(s.nth));
        cand[n++] = m.first + Days{(target - m.wd_first + 7) % 7 + (index_1 - 1) * 7};
      }
      break;
    }
    case DayRule::kEveryNDays:
      break;
  }
  return n;
}

}  // namespace

int Schedule::period_days() const {
  switch (cadence) {
    case Cadence::kWeekly: return 7;
    case Cadence::kBiweekly: return 14;
    case Cadence::kSemiMonthly: return 15;
    case Cadence::kMonthly: return 30;
    case Cadence::kQuarterly: return 91;
    case Cadence::kAnnual: return 365;
  }
  return 30;
}

int Schedule::months_step() const {
  switch (cadence) {
    case Cadence::kMonthly: return 1;
    case Cadence::kQuarterly: return 3;
    case Cadence::kAnnual: return 12;
    default: return 0;
  }
}

const char* cadence_name(Cadence c) {
  switch (c) {
    case Cadence::kWeekly: return "weekly";
    case Cadence::kBiweekly: return "biweekly";
    case Cadence::kSemiMonthly: return "semi-monthly";
    case Cadence::kMonthly: return "monthly";
    case Cadence::kQuarterly: return "quarterly";
    case Cadence::kAnnual: return "annual";
  }
  return "monthly";
}

void schedule_dates(const Schedule& s, Date from, Date to, std::vector<Date>& out) {
  out.clear();
  if (to < from) return;
  if (s.rule == DayRule::kEveryNDays) {
    every_n_days_dates(s, from, to, out);
    return;
  }
  // Walk months from a little before `from` (a shift can move a date across
  // a month boundary) to a little after `to`. The fit lays a dozen candidate
  // schedules over a year or more of months, so each month is worked out
  // from its first day and that day's weekday, carried from month to month,
  // rather than by calendar conversions per date (tests/forecast compares it
  // with the conversions: std::chrono's year_month_day, weekday_indexed and
  // weekday_last, the weekend shift applied to the date they give).
  const year_month_day f{from - Days{4}};
  const year_month_day t{to + Days{4}};
  int y = static_cast<int>(f.year());
  unsigned mo = static_cast<unsigned>(f.month());
  const int end_index = static_cast<int>(t.year()) * 12 + static_cast<int>(static_cast<unsigned>(t.month())) - 1;
  const year_month_day a{s.anchor};
  const int anchor_index = static_cast<int>(a.year()) * 12 + static_cast<int>(static_cast<unsigned>(a.month())) - 1;
  const int step = s.months_step();
  Month m;
  m.first = sys_days{year{y} / month{mo} / day{1}};
  m.wd_first = static_cast<int>(weekday{m.first}.c_encoding());
  for (int index = y * 12 + static_cast<int>(mo) - 1; index <= end_index; ++index) {
    m.days = static_cast<int>(static_cast<unsigned>(year_month_day_last{year{y}, month_day_last{month{mo}}}.day()));
    if (step <= 1 || ((index - anchor_index) % step + step) % step == 0) {
      Date cand[2];
      const int n = month_dates(s, m, cand);
      for (int i = 0; i < n; ++i)
        if (cand[i] >= from && cand[i] <= to) out.push_back(cand[i]);
    }
    m.first += Days{m.days};
    m.wd_first = m.weekday_at(m.days);
    if (++mo > 12) mo = 1, ++y;
  }
}

}  // namespace headroom::forecast
