#include "sim/profile.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "sim/rng.hpp"

namespace headroom::sim {
namespace {

using std::chrono::days;

struct Zone {
  const char* name;
  int offset;
  bool dst;
  double weight;
  std::uint16_t first_city;
  std::uint16_t city_count;
};
// Population-weighted US zones; cities index kCities below.
constexpr std::array<Zone, 7> kZones{{
    {"America/New_York", -5, true, 0.47, 0, 6},
    {"America/Chicago", -6, true, 0.29, 6, 5},
    {"America/Denver", -7, true, 0.05, 11, 2},
    {"America/Phoenix", -7, false, 0.03, 13, 2},
    {"America/Los_Angeles", -8, true, 0.14, 15, 4},
    {"America/Anchorage", -9, true, 0.01, 19, 1},
    {"Pacific/Honolulu", -10, false, 0.01, 20, 1},
}};
constexpr std::array<const char*, 21> kCities{
    "NEW YORK NY",  "ATLANTA GA",   "MIAMI FL",     "BOSTON MA",      "CHARLOTTE NC", "COLUMBUS OH", "CHICAGO IL",
    "DALLAS TX",    "HOUSTON TX",   "MINNEAPOLIS MN", "ST LOUIS MO", "DENVER CO",    "SALT LAKE CTY UT",
    "PHOENIX AZ",   "TEMPE AZ",     "LOS ANGELES CA", "SEATTLE WA",  "PORTLAND OR",  "SAN JOSE CA",
    "ANCHORAGE AK", "HONOLULU HI"};
constexpr std::array<const char*, 24> kEmployers{
    "ACME CORP",        "GLOBEX INC",        "INITECH LLC",      "UMBRELLA HEALTH",  "STARK INDUSTRIES",
    "WAYNE ENTERPRISES", "HOOLI INC",        "VANDELAY IND",     "DUNDER MIFFLIN",   "CITY OF SPRINGFIELD",
    "COUNTY SCHOOL DIST", "MEMORIAL HOSPITAL", "TARGET CORP",     "WALMART ASSOC",    "AMAZON.COM SVCS",
    "HOME DEPOT USA",   "UPS PAYROLL",       "FEDEX EXPRESS",    "KROGER CO",        "STATE UNIVERSITY",
    "ADP PAYROLL",      "PAYCHEX",           "GUSTO",            "WELLS FARGO &CO"};

template <std::size_t N>
double total_weight(const std::array<double, N>& w) {
  double s = 0;
  for (double x : w) s += x;
  return s;
}
template <std::size_t N>
std::size_t pick(Rng& rng, const std::array<double, N>& w) {
  double u = rng.uniform() * total_weight(w);
  for (std::size_t i = 0; i < N; ++i) {
    if (u < w[i]) return i;
    u -= w[i];
  }
  return N - 1;
}
double in_range(Rng& rng, const std::array<double, 2>& r) { return rng.uniform(r[0], r[1]); }
std::int64_t cents(double dollars) { return std::max<std::int64_t>(1, std::llround(dollars * 100.0)); }
std::int64_t round_to(std::int64_t c, std::int64_t unit) { return std::max(unit, (c + unit / 2) / unit * unit); }

Date last_friday_on_or_before(Date d) {
  const std::chrono::weekday wd{d};
  const int back = (static_cast<int>(wd.c_encoding()) - 5 + 7) % 7;
  return d - days{back};
}

Date first_scheduled_payday_on_or_after(const AccountProfile& p, Date from, int max_days) {
  for (int i = 0; i < max_days; ++i) {
    if (is_scheduled_payday(p, from + days{i})) return from + days{i};
  }
  return from;
}

}  // namespace

std::string_view to_string(IncomePattern p) {
  switch (p) {
    case IncomePattern::kMonthlyFixedDay: return "monthly_fixed_day";
    case IncomePattern::kMonthlyLastBusinessDay: return "monthly_last_business_day";
    case IncomePattern::kSemiMonthly: return "semi_monthly";
    case IncomePattern::kBiweekly: return "biweekly";
    case IncomePattern::kWeekly: return "weekly";
    case IncomePattern::kGig: return "gig";
  }
  return "?";
}
std::string_view to_string(Housing h) {
  switch (h) {
    case Housing::kRent: return "rent";
    case Housing::kMortgage: return "mortgage";
    case Housing::kNone: return "none";
  }
  return "?";
}
std::string_view to_string(Budget b) {
  switch (b) {
    case Budget::kTight: return "tight";
    case Budget::kBalanced: return "balanced";
    case Budget::kComfortable: return "comfortable";
  }
  return "?";
}
std::string_view to_string(BillKind k) {
  switch (k) {
    case BillKind::kRent: return "rent";
    case BillKind::kMortgage: return "mortgage";
    case BillKind::kElectricity: return "electricity";
    case BillKind::kWater: return "water";
    case BillKind::kPhone: return "phone";
    case BillKind::kInternet: return "internet";
    case BillKind::kAutoLoan: return "auto_loan";
    case BillKind::kStudentLoan: return "student_loan";
    case BillKind::kCardPayment: return "card_payment";
    case BillKind::kInsurance: return "insurance";
    case BillKind::kSubscription: return "subscription";
  }
  return "?";
}
std::string_view to_string(ShockKind k) {
  switch (k) {
    case ShockKind::kWindfall: return "windfall";
    case ShockKind::kPaycheckDelay: return "paycheck_delay";
    case ShockKind::kJobLoss: return "job_loss";
    case ShockKind::kRaise: return "raise";
  }
  return "?";
}
std::string_view to_string(WindfallKind k) {
  switch (k) {
    case WindfallKind::kNone: return "none";
    case WindfallKind::kTaxRefund: return "tax_refund";
    case WindfallKind::kStimulus: return "stimulus";
    case WindfallKind::kBonus: return "bonus";
  }
  return "?";
}

std::string_view employer_name(std::uint16_t employer) { return kEmployers[employer % kEmployers.size()]; }
std::string_view city_name(std::uint16_t city) { return kCities[city % kCities.size()]; }

bool is_business_day(Date d) { return !forecast::is_weekend(d); }
Date previous_business_day(Date d) {
  while (!is_business_day(d)) d -= days{1};
  return d;
}
Date next_business_day(Date d) {
  while (!is_business_day(d)) d += days{1};
  return d;
}

bool is_scheduled_payday(const AccountProfile& p, Date d) {
  if (!is_business_day(d)) return false;
  using namespace std::chrono;
  const year_month_day ymd{d};
  switch (p.income_pattern) {
    case IncomePattern::kMonthlyFixedDay: {
      // Pay due on a weekend arrives the business day before (most US payroll),
      // which can fall in the previous month when pay_day is the 1st or 2nd.
      const auto this_month = sys_days{ymd.year() / ymd.month() / day{static_cast<unsigned>(p.pay_day)}};
      if (previous_business_day(this_month) == d) return true;
      const year_month_day next_ymd{sys_days{ymd.year() / ymd.month() / last} + days{1}};
      const auto next_month = sys_days{next_ymd.year() / next_ymd.month() / day{static_cast<unsigned>(p.pay_day)}};
      return previous_business_day(next_month) == d;
    }
    case IncomePattern::kMonthlyLastBusinessDay:
      return previous_business_day(forecast::month_end(d)) == d;
    case IncomePattern::kSemiMonthly:
      return previous_business_day(forecast::month_end(d)) == d ||
             previous_business_day(sys_days{ymd.year() / ymd.month() / day{15}}) == d;
    case IncomePattern::kBiweekly: {
      const int diff = forecast::days_between(p.pay_anchor, d);
      return ((diff % 14) + 14) % 14 == 0;
    }
    case IncomePattern::kWeekly: {
      const int diff = forecast::days_between(p.pay_anchor, d);
      return ((diff % 7) + 7) % 7 == 0;
    }
    case IncomePattern::kGig:
      return false;
  }
  return false;
}

Date bill_posting_date(const Bill& b, Date d) {
  using namespace std::chrono;
  const year_month_day ymd{d};
  return next_business_day(sys_days{ymd.year() / ymd.month() / day{static_cast<unsigned>(b.due_day)}});
}

int utc_offset_on(const AccountProfile& p, Date d) {
  if (!p.observes_dst) return p.utc_offset_hours;
  using namespace std::chrono;
  const year_month_day ymd{d};
  // US rule since 2007: second Sunday of March to first Sunday of November.
  const sys_days dst_start{ymd.year() / March / Sunday[2]};
  const sys_days dst_end{ymd.year() / November / Sunday[1]};
  return (d >= dst_start && d < dst_end) ? p.utc_offset_hours + 1 : p.utc_offset_hours;
}

double pay_period_days(IncomePattern p) {
  switch (p) {
    case IncomePattern::kMonthlyFixedDay:
    case IncomePattern::kMonthlyLastBusinessDay: return 365.25 / 12.0;
    case IncomePattern::kSemiMonthly: return 365.25 / 24.0;
    case IncomePattern::kBiweekly: return 14.0;
    case IncomePattern::kWeekly: return 7.0;
    case IncomePattern::kGig: return 0.0;
  }
  return 0.0;
}

double spending_target_cents(const AccountProfile& p, Date d, const Date* last_payday) {
  double target = p.cushion_cents;
  const double period = pay_period_days(p.income_pattern);
  if (period > 0 && last_payday) {
    const double elapsed = forecast::days_between(*last_payday, d);
    target += static_cast<double>(p.pay_cents) * std::max(0.0, 1.0 - elapsed / period) * 0.9;
  }
  if (p.bill_planning > 0) {
    const std::chrono::year_month_day ymd{d};
    const int dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const int prev_month_days = static_cast<int>(static_cast<unsigned>(
        std::chrono::year_month_day{std::chrono::sys_days{ymd.year() / ymd.month() / 1} - days{1}}.day()));
    double reserve = 0;
    for (const Bill& b : p.bills) {
      const int elapsed = dom >= b.due_day ? dom - b.due_day : dom + prev_month_days - b.due_day;
      reserve += static_cast<double>(b.amount_cents) * elapsed;
    }
    target += p.bill_planning * reserve / (365.25 / 12.0);
  }
  return target;
}

std::string account_id_for(std::uint32_t index) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "acct-%07u", index + 1);
  return buf;
}

namespace {

// Zone and city, population-weighted.
void draw_home(Rng& rng, AccountProfile& p) {
  std::array<double, kZones.size()> zone_w{};
  for (std::size_t i = 0; i < kZones.size(); ++i) zone_w[i] = kZones[i].weight;
  const Zone& zone = kZones[pick(rng, zone_w)];
  p.time_zone = zone.name;
  p.utc_offset_hours = zone.offset;
  p.observes_dst = zone.dst;
  p.city = static_cast<std::uint16_t>(zone.first_city + rng.below(zone.city_count));
}

// Income pattern, budget type, employer and pay; returns the expected net
// income per month in dollars, which the bills and shocks scale with.
double draw_income(Rng& rng, const SimParams& sp, Date start, AccountProfile& p) {
  const auto& im = sp.income_mix;
  p.income_pattern = static_cast<IncomePattern>(pick(
      rng, std::array<double, 6>{im.monthly_fixed_day, im.monthly_last_business_day, im.semi_monthly, im.biweekly,
                                 im.weekly, im.gig}));
  const auto& bm = sp.budget_mix;
  p.budget = static_cast<Budget>(pick(rng, std::array<double, 3>{bm.tight, bm.balanced, bm.comfortable}));

  double monthly = rng.lognormal(sp.monthly_income_median, sp.monthly_income_sigma);
  if (p.income_pattern == IncomePattern::kGig) monthly *= sp.gig_income_factor;
  monthly = std::clamp(monthly, 900.0, 40000.0);
  p.monthly_income_cents = monthly * 100.0;
  p.employer = static_cast<std::uint16_t>(rng.below(static_cast<std::uint32_t>(kEmployers.size())));
  p.employer_id = 1000000 + rng.below(8999999);
  p.pay_day = rng.bernoulli(0.5) ? 1 : rng.between(1, 28);
  // Anchor on a Friday near the start; biweekly phase is random.
  p.pay_anchor = last_friday_on_or_before(start + days{6}) - days{7 * static_cast<int>(rng.below(2))};
  switch (p.income_pattern) {
    case IncomePattern::kMonthlyFixedDay:
    case IncomePattern::kMonthlyLastBusinessDay: p.pay_cents = cents(monthly); break;
    case IncomePattern::kSemiMonthly: p.pay_cents = cents(monthly / 2.0); break;
    case IncomePattern::kBiweekly: p.pay_cents = cents(monthly * 12.0 / 26.0); break;
    case IncomePattern::kWeekly: p.pay_cents = cents(monthly * 12.0 / 52.0); break;
    case IncomePattern::kGig: {
      p.gig_days_per_week = sp.gig_deposit_days_per_week * rng.uniform(0.6, 1.4);
      const double per_deposit_mean = monthly * 12.0 / 52.0 / p.gig_days_per_week;
      // Median of the lognormal whose mean is per_deposit_mean.
      p.pay_cents = cents(per_deposit_mean * std::exp(-0.5 * sp.gig_amount_sigma * sp.gig_amount_sigma));
      break;
    }
  }
  return monthly;
}

// Spend ratio, cushion and bill planning, by budget type.
void draw_habits(Rng& rng, const SimParams& sp, AccountProfile& p) {
  double ratio = 1, cushion_months = 0;
  switch (p.budget) {
    case Budget::kTight: ratio = in_range(rng, sp.spend_ratio_tight); cushion_months = in_range(rng, sp.cushion_tight); break;
    case Budget::kBalanced:
      ratio = in_range(rng, sp.spend_ratio_balanced);
      cushion_months = in_range(rng, sp.cushion_balanced);
      break;
    case Budget::kComfortable:
      ratio = in_range(rng, sp.spend_ratio_comfortable);
      cushion_months = in_range(rng, sp.cushion_comfortable);
      break;
  }
  p.spend_ratio = ratio;
  p.bill_planning = p.budget == Budget::kTight      ? in_range(rng, sp.bill_planning_tight)
                    : p.budget == Budget::kBalanced ? in_range(rng, sp.bill_planning_balanced)
                                                    : in_range(rng, sp.bill_planning_comfortable);
  p.cushion_cents = cushion_months * p.monthly_income_cents;
}

// The account's monthly bills as they are drawn, and their total: the card
// budget is what the spending target leaves after them.
struct BillBook {
  Rng& rng;
  AccountProfile& p;
  Date start;
  Date far;  // active_until of a bill that never stops
  double fixed_monthly = 0;

  void add(BillKind kind, double dollars, int due_day, double variability, std::uint16_t merchant_count) {
    Bill b{kind, round_to(cents(dollars), kind == BillKind::kRent || kind == BillKind::kMortgage ? 500 : 1), due_day,
           variability, start, far, static_cast<std::uint16_t>(rng.below(merchant_count)),
           100000u + rng.below(899999)};
    add(b);
  }
  void add(const Bill& b) {
    fixed_monthly += static_cast<double>(b.amount_cents);
    p.bills.push_back(b);
  }
};

void draw_household_bills(BillBook& book, const SimParams& sp, double monthly) {
  Rng& rng = book.rng;
  AccountProfile& p = book.p;
  // Loans, phone and insurance grow with income, less than proportionally.
  const double scale = std::pow(monthly / sp.monthly_income_median, 0.6);
  const double u_house = rng.uniform();
  if (u_house < sp.rent_share) {
    p.housing = Housing::kRent;
    book.add(BillKind::kRent, monthly * in_range(rng, sp.rent_income_share), rng.bernoulli(0.7) ? 1 : rng.between(2, 5),
             0, 8);
  } else if (u_house < sp.rent_share + sp.mortgage_share) {
    p.housing = Housing::kMortgage;
    book.add(BillKind::kMortgage, monthly * in_range(rng, sp.mortgage_income_share), rng.bernoulli(0.6) ? 1 : 15, 0,
             8);
  }
  if (rng.bernoulli(sp.electricity_share))
    book.add(BillKind::kElectricity, monthly * sp.electricity_income_share * rng.uniform(0.6, 1.4), rng.between(5, 28),
             0.08, 8);
  if (rng.bernoulli(sp.water_share)) book.add(BillKind::kWater, scale * rng.uniform(35, 90), rng.between(5, 28), 0.12, 6);
  if (rng.bernoulli(sp.phone_share)) book.add(BillKind::kPhone, scale * rng.uniform(45, 160), rng.between(1, 28), 0.02, 6);
  if (rng.bernoulli(sp.internet_share)) book.add(BillKind::kInternet, scale * rng.uniform(50, 95), rng.between(1, 28), 0, 6);
  if (rng.bernoulli(sp.auto_loan_share)) book.add(BillKind::kAutoLoan, scale * rng.uniform(250, 600), rng.between(1, 28), 0, 6);
  if (rng.bernoulli(sp.student_loan_share))
    book.add(BillKind::kStudentLoan, scale * rng.uniform(120, 420), rng.between(1, 28), 0, 4);
  if (rng.bernoulli(sp.card_payment_share))
    book.add(BillKind::kCardPayment, monthly * rng.uniform(0.03, 0.10), rng.between(1, 28), 0.35, 6);
  if (rng.bernoulli(sp.insurance_share)) book.add(BillKind::kInsurance, scale * rng.uniform(80, 200), rng.between(1, 28), 0, 6);
}

void draw_subscriptions(BillBook& book, const SimParams& sp) {
  Rng& rng = book.rng;
  const Date start = book.start;
  constexpr std::array<double, 12> kSubPrices{15.49, 11.99, 7.99, 13.99, 9.99, 14.99, 24.99, 13.99, 22.99, 4.00, 2.99,
                                              35.00};
  const int n_subs = std::min(rng.poisson(sp.subscriptions_mean), 6);
  std::uint32_t used = 0;
  for (int i = 0; i < n_subs; ++i) {
    const std::uint32_t m = rng.below(static_cast<std::uint32_t>(kSubPrices.size()));
    if (used & (1u << m)) continue;  // one subscription per service
    used |= 1u << m;
    Bill b{BillKind::kSubscription, cents(kSubPrices[m]), rng.between(1, 28), 0, start, book.far,
           static_cast<std::uint16_t>(m), 0};
    if (rng.bernoulli(sp.subscription_late_start_share)) b.active_from = start + days{rng.between(30, sp.horizon_days)};
    if (rng.bernoulli(sp.subscription_stop_share)) {
      const int from = forecast::days_between(start, b.active_from);
      b.active_until = start + days{from + rng.between(35, std::max(40, sp.horizon_days - from))};
    }
    book.add(b);
  }
}

void draw_savings(Rng& rng, const SimParams& sp, double monthly, AccountProfile& p) {
  p.has_savings = rng.bernoulli(p.budget == Budget::kComfortable ? std::min(1.0, sp.savings_share * 1.6)
                                                                 : sp.savings_share * 0.8);
  p.savings_account_suffix = 1000 + rng.below(9000);
  if (p.has_savings) {
    double months = in_range(rng, sp.savings_start_months);
    if (p.budget == Budget::kTight) months *= 0.25;
    p.savings_start_cents = cents(months * monthly);
    p.savings_sweep_share = p.budget == Budget::kTight ? 0.0 : in_range(rng, sp.savings_sweep_share);
  }
}

// Discretionary card budget: what is left of the spending target after fixed
// bills, savings and expected one-offs; never below 15% of income (people eat).
void draw_card_budget(Rng& rng, const SimParams& sp, double fixed_monthly, AccountProfile& p) {
  const double one_off_mean = sp.one_off_per_year / 12.0 * sp.one_off_min_dollars * 100.0 * sp.one_off_alpha /
                              (sp.one_off_alpha - 1.0);
  const double discretionary =
      std::max(0.15 * p.monthly_income_cents,
               p.monthly_income_cents * (p.spend_ratio - p.savings_sweep_share) - fixed_monthly - one_off_mean);
  p.card_daily_cents = discretionary * 12.0 / 365.0;
  p.card_style = static_cast<std::uint8_t>(rng.below(4));
}

// Open where the holder's own budgeting would put them at this point of the
// pay period and billing month, with noise.
void draw_opening_balance(Rng& rng, const SimParams& sp, Date start, AccountProfile& p) {
  Date last_payday = start;
  bool found_payday = false;
  for (int back = 1; back <= 35 && !found_payday; ++back) {
    if (is_scheduled_payday(p, start - days{back})) {
      last_payday = start - days{back};
      found_payday = true;
    }
  }
  p.opening_balance_cents = std::max<std::int64_t>(
      cents(sp.opening_balance_floor_dollars),
      std::llround(spending_target_cents(p, start, found_payday ? &last_payday : nullptr) *
                   rng.lognormal(1.0, sp.opening_balance_sigma)));
}

// Tax refund, stimulus and bonus.
void draw_windfalls(Rng& srng, const SimParams& sp, Date start, int horizon, double monthly, AccountProfile& p) {
  if (srng.bernoulli(sp.tax_refund_share)) {
    // Mid-February to April relative to the first January 1 on or after start... or the start year.
    using namespace std::chrono;
    const year_month_day sy{start};
    Date feb15 = sys_days{sy.year() / February / 15};
    if (feb15 < start) feb15 = sys_days{(sy.year() + years{1}) / February / 15};
    const Date when = next_business_day(feb15 + days{srng.between(0, 74)});
    if (forecast::days_between(start, when) < horizon)
      p.shocks.push_back({ShockKind::kWindfall, WindfallKind::kTaxRefund, when, 0,
                          cents(srng.lognormal(sp.tax_refund_median_dollars, 0.7)), 0});
  }
  if (srng.bernoulli(sp.stimulus_share) && sp.stimulus_day_offset < horizon)
    p.shocks.push_back({ShockKind::kWindfall, WindfallKind::kStimulus,
                        next_business_day(start + days{sp.stimulus_day_offset}), 0, cents(sp.stimulus_dollars), 0});
  const bool salaried = p.income_pattern != IncomePattern::kGig;
  if (salaried && srng.bernoulli(sp.bonus_share)) {
    const Date when = first_scheduled_payday_on_or_after(p, start + days{srng.between(0, horizon - 1)}, 40);
    if (forecast::days_between(start, when) < horizon)
      p.shocks.push_back({ShockKind::kWindfall, WindfallKind::kBonus, when, 0,
                          round_to(cents(monthly * srng.uniform(0.5, 1.5)), 100), 0});
  }
}

// Job loss, paycheck delay and raise: salaried accounts only.
void draw_employment_shocks(Rng& srng, const SimParams& sp, Date start, int horizon, double monthly,
                            AccountProfile& p) {
  const bool salaried = p.income_pattern != IncomePattern::kGig;
  Date job_loss_end = start;
  if (salaried && srng.bernoulli(sp.job_loss_share)) {
    const Date when = start + days{srng.between(14, std::max(15, horizon - 30))};
    const int len = srng.between(sp.job_loss_days[0], sp.job_loss_days[1]);
    const std::int64_t benefit = srng.bernoulli(sp.unemployment_benefit_share)
                                     ? cents(monthly * 12.0 / 52.0 * sp.unemployment_benefit_ratio)
                                     : 0;
    p.shocks.push_back({ShockKind::kJobLoss, WindfallKind::kNone, when, len, benefit, 0});
    job_loss_end = when + days{len};
  }
  if (salaried && srng.bernoulli(sp.paycheck_delay_share)) {
    const Date when = first_scheduled_payday_on_or_after(p, start + days{srng.between(7, horizon - 1)}, 40);
    const int delay = srng.between(sp.paycheck_delay_days[0], sp.paycheck_delay_days[1]);
    bool during_job_loss = false;
    for (const Shock& s : p.shocks)
      if (s.kind == ShockKind::kJobLoss && when >= s.date && when < job_loss_end) during_job_loss = true;
    if (!during_job_loss && forecast::days_between(start, when) < horizon && is_scheduled_payday(p, when))
      p.shocks.push_back({ShockKind::kPaycheckDelay, WindfallKind::kNone, when, delay, 0, 0});
  }
  if (salaried && srng.bernoulli(sp.raise_share)) {
    const Date when = start + days{srng.between(30, horizon - 1)};
    p.shocks.push_back({ShockKind::kRaise, WindfallKind::kNone, when, 0, 0, in_range(srng, sp.raise_fraction)});
  }
}

}  // namespace

AccountProfile draw_profile(const SimParams& sp, std::uint64_t seed, std::uint32_t index, Date start) {
  // Every trait below draws from this one stream, in this order: reordering
  // the calls changes every population drawn from a seed.
  Rng rng = Rng::at(seed, index, Stream::kProfile, 0);
  AccountProfile p;
  p.account_id = account_id_for(index);
  p.email = p.account_id + "@example.test";
  draw_home(rng, p);
  const double monthly = draw_income(rng, sp, start, p);
  draw_habits(rng, sp, p);
  BillBook bills{rng, p, start, start + days{100000}};
  draw_household_bills(bills, sp, monthly);
  draw_subscriptions(bills, sp);
  draw_savings(rng, sp, monthly, p);
  draw_card_budget(rng, sp, bills.fixed_monthly, p);
  draw_opening_balance(rng, sp, start, p);

  // Shocks: their own stream, so tuning them leaves every other trait unchanged.
  Rng srng = Rng::at(seed, index, Stream::kShocks, 0);
  const int horizon = std::max(30, sp.horizon_days);
  draw_windfalls(srng, sp, start, horizon, monthly, p);
  draw_employment_shocks(srng, sp, start, horizon, monthly, p);
  std::sort(p.shocks.begin(), p.shocks.end(), [](const Shock& a, const Shock& b) { return a.date < b.date; });
  return p;
}

}  // namespace headroom::sim
