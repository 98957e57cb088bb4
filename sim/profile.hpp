#pragma once
// An account's hidden traits: income pattern, bills, habits and the shocks that
// will hit it. Drawn once from Stream::kProfile / kShocks, so the same
// (seed, account index) always gives the same profile. The engine never sees
// any of this; only the transactions it causes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "forecast/date.hpp"
#include "sim/params.hpp"

namespace headroom::sim {

using forecast::Date;

enum class IncomePattern : std::uint8_t {
  kMonthlyFixedDay,
  kMonthlyLastBusinessDay,
  kSemiMonthly,
  kBiweekly,
  kWeekly,
  kGig,
};
inline constexpr int kIncomePatternCount = 6;
std::string_view to_string(IncomePattern p);

enum class Housing : std::uint8_t { kRent, kMortgage, kNone };
std::string_view to_string(Housing h);

enum class Budget : std::uint8_t { kTight, kBalanced, kComfortable };
std::string_view to_string(Budget b);

enum class BillKind : std::uint8_t {
  kRent,
  kMortgage,
  kElectricity,
  kWater,
  kPhone,
  kInternet,
  kAutoLoan,
  kStudentLoan,
  kCardPayment,
  kInsurance,
  kSubscription,
};
std::string_view to_string(BillKind k);

// A monthly debit. Posts on due_day, or the next business day when that is a
// weekend (ACH debits do not settle on weekends). due_day <= 28, so a posting
// never crosses into the next month.
struct Bill {
  BillKind kind;
  std::int64_t amount_cents;  // typical magnitude, > 0
  int due_day;                // 1..28
  double variability;         // relative sd of the amount each month (0 = fixed)
  Date active_from;           // first date it may post
  Date active_until;          // posts only before this date
  std::uint16_t merchant;     // index into the description tables of its kind
  std::uint32_t reference;    // stable number printed in the description
};

enum class ShockKind : std::uint8_t { kWindfall, kPaycheckDelay, kJobLoss, kRaise };
std::string_view to_string(ShockKind k);

enum class WindfallKind : std::uint8_t { kNone, kTaxRefund, kStimulus, kBonus };
std::string_view to_string(WindfallKind k);

// A shock as ground truth: tests and reports find them here.
//  kWindfall:      credit of amount_cents on `date`.
//  kPaycheckDelay: the paycheck due on `date` posts on next_business_day(date + days).
//  kJobLoss:       no payroll in [date, date + days); amount_cents = weekly unemployment
//                  benefit from date + 14 (0: none).
//  kRaise:         pay multiplied by (1 + raise_fraction) from `date`.
struct Shock {
  ShockKind kind;
  WindfallKind windfall = WindfallKind::kNone;
  Date date;
  int days = 0;
  std::int64_t amount_cents = 0;
  double raise_fraction = 0;
};

struct AccountProfile {
  std::string account_id;
  std::string email;       // on the reserved .test domain (RFC 2606), never deliverable
  std::string time_zone;   // IANA name
  int utc_offset_hours = 0;  // standard time
  bool observes_dst = false;   // US rule: second Sunday of March to first Sunday of November
  std::uint16_t city = 0;      // index into the city table (card descriptions)

  IncomePattern income_pattern = IncomePattern::kBiweekly;
  std::int64_t pay_cents = 0;  // net pay per regular paycheck (gig: median payout)
  int pay_day = 1;             // kMonthlyFixedDay: 1..28
  Date pay_anchor;             // kBiweekly / kWeekly: a payday (a Friday)
  double gig_days_per_week = 0;
  std::uint16_t employer = 0;
  std::uint32_t employer_id = 0;  // printed as "PPD ID:..."

  Housing housing = Housing::kNone;
  Budget budget = Budget::kBalanced;
  double monthly_income_cents = 0;  // expected net income per month
  double spend_ratio = 1;           // total spending / income the holder drifts towards
  double cushion_cents = 0;         // balance the holder steers towards
  double bill_planning = 0;         // share of upcoming monthly bills the holder sets aside (0..1)
  double card_daily_cents = 0;      // mean discretionary card spend per day at multiplier 1
  std::uint8_t card_style = 0;      // how this bank prints card transactions
  std::vector<Bill> bills;

  bool has_savings = false;
  std::int64_t savings_start_cents = 0;
  double savings_sweep_share = 0;
  std::uint32_t savings_account_suffix = 0;

  std::int64_t opening_balance_cents = 0;
  std::vector<Shock> shocks;
};

// Draws the profile of account `index` (0-based). account_id is "acct-" plus the
// index + 1 zero-padded to 7 digits, so ids sort in index order.
AccountProfile draw_profile(const SimParams& params, std::uint64_t seed, std::uint32_t index, Date start);
std::string account_id_for(std::uint32_t index);

// Calendar rules shared by the profile and the day step.
bool is_business_day(Date d);
Date previous_business_day(Date d);  // d itself when it is a business day
Date next_business_day(Date d);      // d itself when it is a business day
// Regular (scheduled) payday for the pattern, before delays and job loss. Gig: never.
bool is_scheduled_payday(const AccountProfile& p, Date d);
// Date a monthly bill posts in the month containing d.
Date bill_posting_date(const Bill& b, Date d);
// Days between regular paychecks; 0 for gig income.
double pay_period_days(IncomePattern p);
// The balance the holder steers discretionary spending by on day d: the cushion,
// plus the part of the last paycheck not yet due to be spent (people budget to
// the next payday), plus bill_planning times the accrued part of each monthly
// bill since it last posted. last_payday: nullptr when none seen yet.
double spending_target_cents(const AccountProfile& p, Date d, const Date* last_payday);
// Hours to add to UTC for the account's local time on that date.
int utc_offset_on(const AccountProfile& p, Date d);

// Names for descriptions and the accounts file.
std::string_view employer_name(std::uint16_t employer);
std::string_view city_name(std::uint16_t city);

}  // namespace headroom::sim
