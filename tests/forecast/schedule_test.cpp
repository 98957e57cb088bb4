#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "forecast/schedule.hpp"
#include "tests/forecast/scenario_builder.hpp"

using namespace headroom::forecast;
using headroom::forecast::testing::D;

namespace {

using namespace std::chrono;

// The calendar rules spelled with std::chrono conversions, one date at a time
// (what schedule_dates() computed before it carried month starts along).
Date shift_weekend(Date d, WeekendShift s) {
  if (s == WeekendShift::kNone) return d;
  const weekday wd{d};
  if (wd == Saturday) return s == WeekendShift::kPreviousBusinessDay ? d - Days{1} : d + Days{2};
  if (wd == Sunday) return s == WeekendShift::kPreviousBusinessDay ? d - Days{2} : d + Days{1};
  return d;
}

std::vector<Date> reference_dates(const Schedule& s, Date from, Date to) {
  std::vector<Date> out;
  if (to < from) return out;
  if (s.rule == DayRule::kEveryNDays) {
    const int p = s.cadence == Cadence::kWeekly ? 7 : 14;
    for (Date d = s.anchor - Days{p * 400}; d <= to; d += Days{p})
      if (d >= from) out.push_back(d);
    return out;
  }
  const year_month_day f{from - Days{4}}, t{to + Days{4}}, a{s.anchor};
  const int anchor_index = static_cast<int>(a.year()) * 12 + static_cast<int>(static_cast<unsigned>(a.month())) - 1;
  const int step = s.months_step();
  for (year_month ym{f.year(), f.month()}; ym <= year_month{t.year(), t.month()}; ym += months{1}) {
    const int index = static_cast<int>(ym.year()) * 12 + static_cast<int>(static_cast<unsigned>(ym.month())) - 1;
    if (step > 1 && ((index - anchor_index) % step + step) % step != 0) continue;
    const unsigned last_dom = static_cast<unsigned>(year_month_day_last{ym.year(), month_day_last{ym.month()}}.day());
    const auto fixed = [&](int dom) {
      return Date{sys_days{ym / day{std::min<unsigned>(static_cast<unsigned>(dom < 1 ? 1 : dom), last_dom)}}};
    };
    std::vector<Date> cand;
    switch (s.rule) {
      case DayRule::kFixedDay:
        cand.push_back(shift_weekend(fixed(s.day_of_month), s.shift));
        if (s.cadence == Cadence::kSemiMonthly) cand.push_back(shift_weekend(fixed(s.second_day), s.shift));
        break;
      case DayRule::kLastBusinessDay: {
        if (s.cadence == Cadence::kSemiMonthly) cand.push_back(shift_weekend(fixed(s.day_of_month), s.shift));
        Date d = sys_days{ym / last};
        while (is_weekend(d)) d -= Days{1};
        cand.push_back(d);
        break;
      }
      case DayRule::kNthWeekday:
        cand.push_back(s.nth < 0 ? Date{sys_days{ym / weekday_last{weekday{s.weekday}}}}
                                 : Date{sys_days{ym / weekday_indexed{weekday{s.weekday}, static_cast<unsigned>(s.nth)}}});
        break;
      case DayRule::kEveryNDays:
        break;
    }
    for (Date d : cand)
      if (d >= from && d <= to) out.push_back(d);
  }
  return out;
}

}  // namespace

TEST(Schedule, MonthlyRulesLandOnTheRightCalendarDays) {
  std::vector<Date> out;
  Schedule first_friday{Cadence::kMonthly, DayRule::kNthWeekday, WeekendShift::kNone, D(2024, 1, 5), 1, 0, 1, 5};
  schedule_dates(first_friday, D(2024, 6, 1), D(2024, 7, 31), out);
  EXPECT_EQ(out, (std::vector<Date>{D(2024, 6, 7), D(2024, 7, 5)}));
  Schedule last_business{Cadence::kMonthly, DayRule::kLastBusinessDay, WeekendShift::kNone, D(2024, 1, 31)};
  schedule_dates(last_business, D(2024, 8, 1), D(2024, 9, 30), out);
  EXPECT_EQ(out, (std::vector<Date>{D(2024, 8, 30), D(2024, 9, 30)}));
  Schedule on_31st{Cadence::kMonthly, DayRule::kFixedDay, WeekendShift::kNone, D(2024, 1, 31), 31};
  schedule_dates(on_31st, D(2024, 2, 1), D(2024, 3, 31), out);
  EXPECT_EQ(out, (std::vector<Date>{D(2024, 2, 29), D(2024, 3, 31)}));
  // The 15th of June 2024 is a Saturday, the 30th a Sunday.
  Schedule semi{Cadence::kSemiMonthly, DayRule::kFixedDay, WeekendShift::kPreviousBusinessDay, D(2024, 1, 15), 15, 30};
  schedule_dates(semi, D(2024, 6, 1), D(2024, 6, 30), out);
  EXPECT_EQ(out, (std::vector<Date>{D(2024, 6, 14), D(2024, 6, 28)}));
}

TEST(Schedule, DatesMatchTheCalendarConversionsForEveryRuleAndWindow) {
  std::vector<Schedule> schedules;
  const Cadence cadences[] = {Cadence::kMonthly, Cadence::kQuarterly, Cadence::kAnnual, Cadence::kSemiMonthly};
  const WeekendShift shifts[] = {WeekendShift::kNone, WeekendShift::kPreviousBusinessDay,
                                 WeekendShift::kNextBusinessDay};
  for (Cadence c : cadences) {
    for (Date anchor : {D(2023, 11, 3), D(2024, 2, 29), D(2024, 7, 31)}) {
      for (WeekendShift sh : shifts) {
        for (int dom : {0, 1, 14, 15, 28, 29, 30, 31}) {
          Schedule s{c, DayRule::kFixedDay, sh, anchor, dom, c == Cadence::kSemiMonthly ? 31 - dom / 2 : 0};
          schedules.push_back(s);
          s.rule = DayRule::kLastBusinessDay;
          schedules.push_back(s);
        }
      }
      for (unsigned wd = 0; wd < 7; ++wd)
        for (int nth : {-1, 1, 2, 3, 4, 5})
          schedules.push_back(Schedule{c, DayRule::kNthWeekday, WeekendShift::kNone, anchor, 1, 0, nth, wd});
    }
  }
  schedules.push_back(Schedule{Cadence::kWeekly, DayRule::kEveryNDays, WeekendShift::kNone, D(2024, 3, 6)});
  schedules.push_back(Schedule{Cadence::kBiweekly, DayRule::kEveryNDays, WeekendShift::kNone, D(2024, 3, 6)});
  std::vector<Date> out;
  int compared = 0;
  for (const Schedule& s : schedules) {
    for (Date from : {D(2023, 12, 29), D(2024, 2, 1), D(2024, 2, 27), D(2024, 6, 30), D(2025, 1, 1)}) {
      for (int length : {0, 1, 3, 30, 45, 400, 800}) {
        const Date to = from + Days{length};
        schedule_dates(s, from, to, out);
        ASSERT_EQ(out, reference_dates(s, from, to))
            << "cadence " << cadence_name(s.cadence) << " rule " << int(s.rule) << " shift " << int(s.shift) << " day "
            << s.day_of_month << "/" << s.second_day << " nth " << s.nth << " weekday " << s.weekday << " from "
            << to_iso_string(from) << " +" << length;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 10000);
}
