#include "forecast/schedule.hpp"

namespace headroom::forecast {
namespace {

using namespace std::chrono;

Date shift_weekend(Date d, WeekendShift s) {
  if (s == WeekendShift::kNone) return d;
  const weekday wd{d};
  if (wd == Saturday) return s == WeekendShift::kPreviousBusinessDay ? d - Days{1} : d + Days{2};
  if (wd == Sunday) return s == WeekendShift::kPreviousBusinessDay ? d - Days{2} : d + Days{1};
  return d;
}

Date last_business_day(year_month ym) {
  Date d = sys_days{ym / last};
  while (is_weekend(d)) d -= Days{1};
  return d;
}

Date fixed_day(year_month ym, int dom) {
  const unsigned last_dom = static_cast<unsigned>(year_month_day_last{ym.year(), month_day_last{ym.month()}}.day());
  const unsigned dd = std::min<unsigned>(static_cast<unsigned>(dom < 1 ? 1 : dom), last_dom);
  return sys_days{ym / day{dd}};
}

Date nth_weekday(year_month ym, int nth, unsigned wd) {
  if (nth < 0) return sys_days{ym / weekday_last{weekday{wd}}};
  return sys_days{ym / weekday_indexed{weekday{wd}, static_cast<unsigned>(nth)}};
}

int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

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
    const int p = s.cadence == Cadence::kWeekly ? 7 : 14;
    const int k0 = floor_div(days_between(s.anchor, from), p);
    for (Date d = s.anchor + Days{k0 * p}; d <= to; d += Days{p})
      if (d >= from) out.push_back(d);
    return;
  }
  // Walk months from a little before `from` (a shift can move a date across
  // a month boundary) to a little after `to`.
  const year_month_day f{from - Days{4}};
  const year_month_day t{to + Days{4}};
  year_month ym{f.year(), f.month()};
  const year_month end{t.year(), t.month()};
  const year_month_day a{s.anchor};
  const int anchor_index = static_cast<int>(a.year()) * 12 + static_cast<int>(static_cast<unsigned>(a.month())) - 1;
  const int step = s.months_step();
  for (; ym <= end; ym += months{1}) {
    const int index = static_cast<int>(ym.year()) * 12 + static_cast<int>(static_cast<unsigned>(ym.month())) - 1;
    if (step > 1 && ((index - anchor_index) % step + step) % step != 0) continue;
    Date cand[2];
    int n = 0;
    switch (s.rule) {
      case DayRule::kFixedDay:
        cand[n++] = shift_weekend(fixed_day(ym, s.day_of_month), s.shift);
        if (s.cadence == Cadence::kSemiMonthly) cand[n++] = shift_weekend(fixed_day(ym, s.second_day), s.shift);
        break;
      case DayRule::kLastBusinessDay:
        if (s.cadence == Cadence::kSemiMonthly) cand[n++] = shift_weekend(fixed_day(ym, s.day_of_month), s.shift);
        cand[n++] = last_business_day(ym);
        break;
      case DayRule::kNthWeekday:
        cand[n++] = nth_weekday(ym, s.nth, s.weekday);
        break;
      case DayRule::kEveryNDays:
        break;
    }
    for (int i = 0; i < n; ++i)
      if (cand[i] >= from && cand[i] <= to) out.push_back(cand[i]);
  }
}

}  // namespace headroom::forecast
