#include "forecast/projection.hpp"

#include <algorithm>
#include <cmath>

#include "forecast/explain.hpp"
#include "forecast/rng.hpp"

namespace headroom::forecast {
namespace {

struct Event {
  int day = 0;                  // nominal day index from the model's as_of
  int pending_last_day = -1;    // ≥ 0: pending, lands uniformly in [0, pending_last_day]
  double amount = 0;            // signed cents
  double rel_sd = 0;
  double probability = 1;
  const std::int8_t* jitter = nullptr;
  int n_jitter = 0;
  bool income = false;
  int stream = -1;
};

constexpr double kMoneyLimit = 9.0e18;

Money to_money(double cents) {
  if (!std::isfinite(cents)) return Money{};
  return Money::from_double(std::clamp(cents, -kMoneyLimit, kMoneyLimit));
}

}  // namespace

const char* driver_kind_name(DriverKind k) {
  switch (k) {
    case DriverKind::kScheduledOutflow: return "scheduled_outflow";
    case DriverKind::kNextIncome: return "next_income";
    case DriverKind::kOverdueIncome: return "overdue_income";
    case DriverKind::kExpectedShortfall: return "expected_shortfall";
    case DriverKind::kSpendingPace: return "spending_pace";
    case DriverKind::kLowBalance: return "low_balance";
  }
  return "unknown";
}

BalanceForecast project(const CashFlowModel& m, Date as_of, const ProjectionParams& pp) {
  const int horizon = std::clamp(pp.horizon_days, 1, 366);
  const int n_paths = std::clamp(pp.paths, 16, 4096);
  const Date start = m.as_of;
  if (as_of < start) as_of = start;
  const int lead = std::min(days_between(start, as_of), 366);
  as_of = start + Days{lead};
  const int total = lead + horizon;

  BalanceForecast f;
  f.account_id = m.account_id;
  f.as_of = as_of;
  f.horizon_days = horizon;
  f.buffer = pp.buffer;
  f.start_balance = m.current_balance;
  f.paths = n_paths;
  f.fallback = m.fallback;
  f.fallback_reason = m.fallback_reason;
  f.balance_known = m.balance_known;

  // ---- Scheduled events from the streams.
  std::vector<Event> events;
  std::vector<Date> dates;
  int last_income_day = -1000;
  for (std::size_t si = 0; si < m.streams.size(); ++si) {
    const RecurringStream& s = m.streams[si];
    const bool income = s.kind == StreamKind::kIncome;
    if (income) last_income_day = std::max(last_income_day, days_between(start, s.last_seen));
    if (s.status == StreamStatus::kStopped || !(s.occurrence_probability > 0)) continue;
    Event base;
    base.amount = std::isfinite(s.amount_cents) ? s.amount_cents : 0.0;
    base.rel_sd = std::isfinite(s.amount_rel_sd) ? s.amount_rel_sd : 0.0;
    base.probability = s.occurrence_probability;
    base.jitter = s.jitter_samples.data();
    base.n_jitter = static_cast<int>(s.jitter_samples.size());
    base.income = income;
    base.stream = static_cast<int>(si);
    if (s.has_pending && s.status == StreamStatus::kActive) {
      Event e = base;
      e.day = 0;
      e.pending_last_day = std::max(0, days_between(start, s.pending_due + Days{s.jitter_days + 1}));
      e.probability = s.occurrence_probability * 0.8;
      events.push_back(e);
    }
    schedule_dates(s.schedule, std::max(start, s.next_date), start + Days{total - 1}, dates);
    for (Date d : dates) {
      Event e = base;
      e.day = days_between(start, d);
      events.push_back(e);
    }
  }
  for (const Event& e : events) {
    if (e.day < lead) continue;
    const RecurringStream& s = m.streams[static_cast<std::size_t>(e.stream)];
    f.scheduled.push_back(ScheduledFlow{start + Days{e.day}, to_money(e.amount), s.label, s.kind, e.probability,
                                        e.pending_last_day >= 0});
  }
  std::sort(f.scheduled.begin(), f.scheduled.end(),
            [](const ScheduledFlow& a, const ScheduledFlow& b) { return a.date < b.date; });

  // ---- Paths.
  const SpendingModel& sp = m.spending;
  const int pool = static_cast<int>(sp.daily_outflow_cents.size());
  const bool resample = m.kind == ModelKind::kFull && pool >= 14;
  constexpr int kRecentWeeks = 6;
  // Share of draws from the recent weeks, as a 16-bit threshold.
  constexpr std::uint64_t kRecentThreshold = 32768;  // 0.5
  const double b0 = m.current_balance.as_double();
  const double buffer = pp.buffer.as_double();
  const double pay_factor = sp.payday_factor > 0 ? sp.payday_factor : 1.0;
  const auto shock_threshold = static_cast<std::uint64_t>(std::clamp(sp.shock_rate_per_day, 0.0, 1.0) * 65536.0);

  // Per target day: the newest pool day with the same weekday and how many
  // weeks back a draw may go (recent window / whole pool). Same for all paths.
  struct DaySource {
    int newest = -1;
    std::uint32_t weeks_recent = 0, weeks_all = 0;
  };
  std::vector<DaySource> source(static_cast<std::size_t>(total));
  for (int t = 0; t < total && resample; ++t) {
    DaySource& ds = source[static_cast<std::size_t>(t)];
    ds.newest = pool - 7 + t % 7;
    const int weeks = ds.newest >= 0 ? ds.newest / 7 + 1 : 0;
    ds.weeks_all = static_cast<std::uint32_t>(weeks);
    ds.weeks_recent = static_cast<std::uint32_t>(std::min(kRecentWeeks, weeks));
  }
  const double* out_pool = sp.daily_outflow_cents.data();
  const double* in_pool = sp.daily_inflow_cents.data();
  const std::uint8_t* after_pool = sp.after_payday.data();

  std::vector<double> balances(static_cast<std::size_t>(horizon) * static_cast<std::size_t>(n_paths));
  std::vector<double> flows(static_cast<std::size_t>(total));
  std::vector<std::uint8_t> income_on(static_cast<std::size_t>(total));
  int window_below_zero = 0, window_below_buffer = 0;

  for (int p = 0; p < n_paths; ++p) {
    PathRng rng(pp.seed, static_cast<std::uint64_t>(p));
    std::fill(flows.begin(), flows.end(), 0.0);
    std::fill(income_on.begin(), income_on.end(), 0);
    for (const Event& e : events) {
      if (rng.uniform() >= e.probability) continue;
      int day = e.day;
      if (e.pending_last_day >= 0) {
        day = rng.uniform_int(0, e.pending_last_day);
      } else if (e.n_jitter > 0) {
        day += e.jitter[rng.uniform_int(0, e.n_jitter - 1)];
      }
      if (day < 0) day = 0;
      if (day >= total) continue;
      double amount = e.amount;
      if (e.rel_sd > 0) amount *= std::max(0.0, 1.0 + e.rel_sd * rng.normal());
      flows[static_cast<std::size_t>(day)] += amount;
      if (e.income) income_on[static_cast<std::size_t>(day)] = 1;
    }
    double bal = b0;
    int last_income = last_income_day;
    bool below0 = false, below_buf = false;
    double* column = balances.data() + p;
    for (int t = 0; t < total; ++t) {
      if (income_on[static_cast<std::size_t>(t)]) last_income = t;
      double d;
      if (resample) {
        const DaySource& ds = source[static_cast<std::size_t>(t)];
        if (ds.weeks_all == 0) {
          d = sp.drift_mean_cents;
        } else {
          // One draw: bits 0–15 pick recent vs whole pool, 16–31 the shock,
          // 32–63 how many weeks back.
          const std::uint64_t x = rng.next();
          const std::uint64_t weeks = (x & 0xFFFF) < kRecentThreshold ? ds.weeks_recent : ds.weeks_all;
          const int src = ds.newest - 7 * static_cast<int>(((x >> 32) * weeks) >> 32);
          double out = out_pool[src];
          const bool src_after = after_pool[src] != 0;
          const bool tgt_after = t - last_income <= 3;
          if (src_after != tgt_after) out *= tgt_after ? pay_factor : 1.0 / pay_factor;
          d = in_pool[src] - out;
          if (((x >> 16) & 0xFFFF) < shock_threshold) d -= sp.shock_amount_cents;
        }
      } else {
        d = sp.drift_mean_cents + sp.drift_sd_cents * rng.normal();
      }
      bal += flows[static_cast<std::size_t>(t)] + d;
      if (t >= lead) {
        column[static_cast<std::size_t>(t - lead) * static_cast<std::size_t>(n_paths)] = bal;
        below0 |= bal < 0;
        below_buf |= bal < buffer;
      }
    }
    window_below_zero += below0;
    window_below_buffer += below_buf;
  }
  f.p_overdraft_window = double(window_below_zero) / n_paths;
  f.p_below_buffer_window = double(window_below_buffer) / n_paths;

  f.days.resize(static_cast<std::size_t>(horizon));
  std::vector<double> shortfall(static_cast<std::size_t>(horizon), 0.0);
  for (int d = 0; d < horizon; ++d) {
    double* col = balances.data() + static_cast<std::size_t>(d) * static_cast<std::size_t>(n_paths);
    int below0 = 0, below_buf = 0;
    double short_sum = 0;
    for (int p = 0; p < n_paths; ++p) {
      below0 += col[p] < 0;
      below_buf += col[p] < buffer;
      if (col[p] < 0) short_sum -= col[p];
    }
    DayForecast& day = f.days[static_cast<std::size_t>(d)];
    day.date = as_of + Days{d};
    day.p_below_zero = double(below0) / n_paths;
    day.p_below_buffer = double(below_buf) / n_paths;
    shortfall[static_cast<std::size_t>(d)] = below0 > 0 ? short_sum / below0 : 0.0;
    if (pp.quantiles) {
      const int mid = n_paths / 2, lo = n_paths / 10, hi = (9 * n_paths) / 10;
      std::nth_element(col, col + mid, col + n_paths);
      std::nth_element(col, col + lo, col + mid);
      std::nth_element(col + mid + 1, col + hi, col + n_paths);
      day.p10 = to_money(col[lo]);
      day.p50 = to_money(col[mid]);
      day.p90 = to_money(col[hi]);
    }
  }

  if (pp.explain) {
    for (int d = 0; d < horizon && static_cast<int>(f.risk_days.size()) < pp.max_risk_days; ++d) {
      const DayForecast& day = f.days[static_cast<std::size_t>(d)];
      if (day.p_below_zero < pp.risk_threshold || day.p_below_zero <= 0) continue;
      RiskDay rd;
      rd.date = day.date;
      rd.p_below_zero = day.p_below_zero;
      rd.p_below_buffer = day.p_below_buffer;
      rd.expected_shortfall = to_money(shortfall[static_cast<std::size_t>(d)]);
      rd.drivers = explain_day(m, f.scheduled, as_of, day.date, rd.expected_shortfall);
      rd.summary = render_drivers(rd.drivers, day.date);
      f.risk_days.push_back(std::move(rd));
    }
  }
  return f;
}

}  // namespace headroom::forecast
