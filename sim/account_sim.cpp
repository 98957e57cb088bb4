#include "sim/account_sim.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/rng.hpp"

namespace headroom::sim {
namespace {

using std::chrono::days;

constexpr std::int64_t round_up(std::int64_t cents, std::int64_t unit) { return (cents + unit - 1) / unit * unit; }

int bucket(bool has, Date since, Date d) {
  if (!has) return kHistogramBuckets - 1;
  return std::min(forecast::days_between(since, d), kHistogramBuckets - 1);
}

int day_of_year(Date d) {
  const std::chrono::year_month_day ymd{d};
  return forecast::days_between(std::chrono::sys_days{ymd.year() / std::chrono::January / 1}, d);
}

// The hour of sending on the account's own clock falls in the quiet hours
// (a window may wrap past midnight).
bool in_quiet_hours(const ResponseParams& rp, const AccountProfile& profile, std::chrono::sys_seconds sent_at) {
  const auto sent_day = std::chrono::floor<days>(sent_at);
  const auto local = sent_at + std::chrono::hours{utc_offset_on(profile, sent_day)};
  const int hour = static_cast<int>(
      std::chrono::floor<std::chrono::hours>(local - std::chrono::floor<days>(local)).count());
  return rp.quiet_hours_start_hour > rp.quiet_hours_end_hour
             ? (hour >= rp.quiet_hours_start_hour || hour < rp.quiet_hours_end_hour)
             : (hour >= rp.quiet_hours_start_hour && hour < rp.quiet_hours_end_hour);
}

// P(act) from the logistic response model, once relevance, fatigue and quiet
// hours of the outcome are known.
double act_probability(const ResponseParams& rp, const NudgeDelivery& nudge, const NudgeOutcome& o) {
  if (rp.forced_probability) return std::clamp(*rp.forced_probability, 0.0, 1.0);
  double logit = rp.intercept + (nudge.channel == Channel::kInApp ? rp.in_app_logit : rp.email_logit) +
                 rp.lead_time_logit_per_day * std::clamp(nudge.lead_time_days, 0, rp.max_lead_time_days) +
                 (o.relevant ? rp.relevance_logit : 0.0) - rp.fatigue_logit_per_nudge * o.recent_nudges -
                 (o.quiet_hours ? rp.quiet_hours_logit : 0.0);
  for (const auto& [name, shift] : rp.variant_logit)
    if (name == nudge.variant) logit += shift;
  return 1.0 / (1.0 + std::exp(-logit));
}

// Which response an acting customer picks, by weight among those open to them.
ResponseAction choose_action(const ResponseParams& rp, double u_action, bool has_savings, bool has_movable_bill) {
  const double w_post = rp.weight_postpone_spending;
  const double w_sav = has_savings ? rp.weight_move_from_savings : 0.0;
  const double w_res = has_movable_bill ? rp.weight_reschedule_bill : 0.0;
  const double total = w_post + w_sav + w_res;
  const double u = u_action * total;
  if (total <= 0 || u < w_post) return ResponseAction::kPostponeSpending;
  if (u < w_post + w_sav) return ResponseAction::kMoveFromSavings;
  return ResponseAction::kRescheduleBill;
}

// After the next paycheck following the risky day, but not too late.
Date rescheduled_bill_date(const ResponseParams& rp, const AccountProfile& profile, Date risky_day) {
  const Date cap = risky_day + days{rp.reschedule_max_days};
  Date to = profile.income_pattern == IncomePattern::kGig ? risky_day + days{std::min(7, rp.reschedule_max_days)} : cap;
  for (Date d = risky_day + days{1}; d < cap; d += days{1}) {
    if (is_scheduled_payday(profile, d)) {
      to = d + days{1};
      break;
    }
  }
  return next_business_day(to);
}

}  // namespace

std::string_view to_string(TxnKind k) {
  switch (k) {
    case TxnKind::kAchCredit: return "ach_credit";
    case TxnKind::kDeposit: return "deposit";
    case TxnKind::kAchDebit: return "ach_debit";
    case TxnKind::kCard: return "card";
    case TxnKind::kTransfer: return "transfer";
    case TxnKind::kFee: return "fee";
  }
  return "";
}
std::string_view to_string(Channel c) { return c == Channel::kEmail ? "email" : "in_app"; }
std::string_view to_string(ResponseAction a) {
  switch (a) {
    case ResponseAction::kNone: return "none";
    case ResponseAction::kPostponeSpending: return "postpone_spending";
    case ResponseAction::kMoveFromSavings: return "move_from_savings";
    case ResponseAction::kRescheduleBill: return "reschedule_bill";
  }
  return "";
}

AccountSim::AccountSim(std::shared_ptr<const SimParams> params, std::uint64_t seed, std::uint32_t index,
                       AccountProfile profile, Date start)
    : params_(std::move(params)), seed_(seed), index_(index), profile_(std::move(profile)), start_(start) {
  factual_.balance = profile_.opening_balance_cents;
  factual_.savings = profile_.has_savings ? profile_.savings_start_cents : 0;
  factual_.tally.min_balance_cents = factual_.balance;
  // The post-payday boost moves spending towards payday; it must not add to it.
  double boosted_share = 0;
  pay_period_days_ = pay_period_days(profile_.income_pattern);
  if (pay_period_days_ > 0) {
    boosted_share = std::min(1.0, 3.0 / pay_period_days_);
  } else {
    const double q = std::min(1.0, profile_.gig_days_per_week / 7.0);
    boosted_share = 1.0 - (1.0 - q) * (1.0 - q) * (1.0 - q);
  }
  payday_boost_mean_ = 1.0 + params_->payday_boost * boosted_share;
}

double AccountSim::pay_multiplier(Date d) const {
  double m = 1.0;
  for (const Shock& s : profile_.shocks)
    if (s.kind == ShockKind::kRaise && s.date <= d) m *= 1.0 + s.raise_fraction;
  return m;
}

bool AccountSim::in_job_loss(Date d) const {
  for (const Shock& s : profile_.shocks)
    if (s.kind == ShockKind::kJobLoss && d >= s.date && d < s.date + days{s.days}) return true;
  return false;
}

std::int64_t AccountSim::bill_amount(std::size_t i, Date d, std::int64_t t) const {
  const Bill& b = profile_.bills[i];
  // One stream slot per (day, bill): the amount of a bill never depends on
  // which other bills posted, so both paths see the same amount.
  Rng r = Rng::at(seed_, index_, Stream::kBills, t * 64 + static_cast<std::int64_t>(i));
  double factor = 1.0;
  if (b.variability > 0) factor = std::clamp(1.0 + b.variability * r.normal(), 0.3, 2.5);
  if (b.kind == BillKind::kElectricity) {
    // Heating and cooling peaks: mid-January and mid-July.
    factor *= 1.0 + params_->electricity_seasonal_amplitude *
                        std::cos(4.0 * 3.141592653589793 * (day_of_year(d) - 15) / 365.25);
  }
  if (factor == 1.0) return b.amount_cents;
  return std::max<std::int64_t>(100, std::llround(static_cast<double>(b.amount_cents) * factor));
}

// One day of postings on one path, in the order the header states. Built on
// the stack by step() and gone after it: it allocates nothing, and every
// section of the day reads the same account, path and date through it.
// The three larger sections are forced inline: as members of a nested class
// they are not internal to this file, GCC keeps them out of line, and those
// calls cost about 2% of `headroom simulate` (measured on 40,000 accounts).
struct AccountSim::Day {
  Day(const AccountSim& sim, PathState& s, Date d, std::int64_t t, std::vector<SimTxn>* out)
      : sim(sim), sp(*sim.params_), p(sim.profile_), s(s), d(d), ymd(d), t(t), out(out),
        noise(Rng::at(sim.seed_, sim.index_, Stream::kDescription, t)) {}

  const AccountSim& sim;
  const SimParams& sp;
  const AccountProfile& p;
  PathState& s;
  const Date d;
  const std::chrono::year_month_day ymd;
  const std::int64_t t;  // day index: the slot of every daily stream
  std::vector<SimTxn>* out;
  Rng noise;
  std::uint16_t seq = 0;

  Rng stream(Stream which) const { return Rng::at(sim.seed_, sim.index_, which, t); }

  template <class Describe>
  void post(std::int64_t amount, TxnKind kind, Describe&& describe) {
    s.balance += amount;
    if (out) {
      SimTxn& x = out->emplace_back();
      x.posted_at = d;
      x.amount_cents = amount;
      x.balance_after_cents = s.balance;
      x.seq_in_day = seq;
      x.kind = kind;
      describe(x.description);
    }
    ++seq;
    ++s.tally.postings;
  }
  void from_savings(std::int64_t amount) {
    amount = std::min(amount, s.savings);
    if (amount <= 0) return;
    s.savings -= amount;
    post(amount, TxnKind::kTransfer, [&](Text& x) { describe_savings_transfer(x, p, false, noise); });
  }

  void start_fee_month();
  void post_transfers_in();
  [[gnu::always_inline]] void post_income();
  bool post_paychecks(double pay_noise);
  bool post_shock_credits();
  void record_payday();
  [[gnu::always_inline]] void post_bills();
  void note_housing(const Bill& b);
  void post_savings_sweep();
  [[gnu::always_inline]] void post_card_spending();
  void post_postponed_spending();
  void post_one_off_expense();
  void post_overdraft_fee();
  void tally_end_of_day();
  void decide_self_rescue();
};

inline void AccountSim::Day::start_fee_month() {
  const int month_key = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month()));
  if (month_key != s.month_key) {
    s.month_key = month_key;
    s.fees_this_month = 0;
  }
}

// Transfers in, decided the evening before.
inline void AccountSim::Day::post_transfers_in() {
  if (s.transfer_in_pending > 0) {
    from_savings(s.transfer_in_pending);
    s.transfer_in_pending = 0;
  }
  if (s.rescue_pending) {
    s.rescue_pending = false;
    if (s.balance < 0) from_savings(round_up(-s.balance + 5000, 1000));
  }
}

// Income.
inline void AccountSim::Day::post_income() {
  Rng ir = stream(Stream::kIncome);
  const double pay_noise = ir.normal();
  const double gig_u = ir.uniform();
  const double gig_z = ir.normal();
  bool paid = false;
  if (p.income_pattern == IncomePattern::kGig) {
    if (gig_u < p.gig_days_per_week / 7.0) {
      const auto amount = std::max<std::int64_t>(
          500, std::llround(static_cast<double>(p.pay_cents) * std::exp(sp.gig_amount_sigma * gig_z)));
      post(amount, TxnKind::kDeposit, [&](Text& x) { describe_gig(x, noise); });
      paid = true;
    }
  } else if (!sim.in_job_loss(d)) {
    paid = post_paychecks(pay_noise);
  }
  if (post_shock_credits()) paid = true;
  if (paid) record_payday();
}

inline bool AccountSim::Day::post_paychecks(double pay_noise) {
  int paychecks = is_scheduled_payday(p, d) ? 1 : 0;
  for (const Shock& sh : p.shocks) {
    if (sh.kind != ShockKind::kPaycheckDelay) continue;
    if (sh.date == d) --paychecks;
    if (next_business_day(sh.date + days{sh.days}) == d) ++paychecks;
  }
  // Hourly pay (weekly, biweekly) varies with hours worked; salaries do not.
  const bool hourly =
      p.income_pattern == IncomePattern::kWeekly || p.income_pattern == IncomePattern::kBiweekly;
  const double factor = sim.pay_multiplier(d) * (hourly ? std::clamp(1.0 + 0.05 * pay_noise, 0.8, 1.2) : 1.0);
  bool paid = false;
  for (int i = 0; i < paychecks; ++i) {
    post(std::llround(static_cast<double>(p.pay_cents) * factor), TxnKind::kAchCredit,
         [&](Text& x) { describe_payroll(x, p, d, noise); });
    paid = true;
  }
  return paid;
}

// Windfalls and unemployment benefit; only the benefit counts as income that
// starts a pay period.
inline bool AccountSim::Day::post_shock_credits() {
  bool paid = false;
  for (const Shock& sh : p.shocks) {
    if (sh.kind == ShockKind::kWindfall && sh.date == d) {
      if (sh.windfall == WindfallKind::kBonus && sim.in_job_loss(d)) continue;  // no bonus from a lost job
      if (sh.windfall == WindfallKind::kBonus)
        post(sh.amount_cents, TxnKind::kAchCredit, [&](Text& x) { describe_bonus(x, p, d, noise); });
      else
        post(sh.amount_cents, TxnKind::kAchCredit, [&](Text& x) { describe_windfall(x, sh.windfall); });
    } else if (sh.kind == ShockKind::kJobLoss && sh.amount_cents > 0 && d >= sh.date + days{14} &&
               d < sh.date + days{sh.days} && std::chrono::weekday{d} == std::chrono::Wednesday) {
      post(sh.amount_cents, TxnKind::kAchCredit, [&](Text& x) { describe_benefit(x, d); });
      paid = true;
    }
  }
  return paid;
}

inline void AccountSim::Day::record_payday() {
  if (s.has_payday) {
    const int gap = forecast::days_between(s.last_payday, d);
    for (int k = 1; k <= gap; ++k) ++s.tally.days_by_days_until_payday[std::min(k, kHistogramBuckets - 1)];
    for (Date x : s.overdrafts_since_payday)
      ++s.tally.overdraft_by_days_until_payday[std::min(forecast::days_between(x, d), kHistogramBuckets - 1)];
  }
  s.overdrafts_since_payday.clear();
  s.last_payday = d;
  s.has_payday = true;
}

// Bills, including those a response moved here.
inline void AccountSim::Day::post_bills() {
  const int dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
  for (std::size_t i = 0; i < p.bills.size(); ++i) {
    const Bill& b = p.bills[i];
    // A bill posts on its due day or, after a weekend, up to two days later.
    if (dom < b.due_day || dom > b.due_day + 2) continue;
    if (d < b.active_from || d >= b.active_until || bill_posting_date(b, d) != d) continue;
    const bool moved = std::any_of(s.shifts.begin(), s.shifts.end(),
                                   [&](const BillShift& x) { return x.bill == i && x.from == d; });
    if (moved) continue;
    const std::int64_t amount = sim.bill_amount(i, d, t);
    post(-amount, b.kind == BillKind::kSubscription ? TxnKind::kCard : TxnKind::kAchDebit,
         [&](Text& x) { describe_bill(x, p, b, d, noise); });
    note_housing(b);
  }
  for (const BillShift& sh : s.shifts) {
    if (sh.to != d) continue;
    const Bill& b = p.bills[sh.bill];
    post(-sh.amount_cents, TxnKind::kAchDebit, [&](Text& x) { describe_bill(x, p, b, d, noise); });
    note_housing(b);
  }
  std::erase_if(s.shifts, [&](const BillShift& x) { return x.to <= d; });
}

inline void AccountSim::Day::note_housing(const Bill& b) {
  if (b.kind == BillKind::kRent || b.kind == BillKind::kMortgage) {
    s.last_housing = d;
    s.has_housing = true;
  }
}

// Savings sweep the day after payday, when checking looks comfortable.
inline void AccountSim::Day::post_savings_sweep() {
  if (p.savings_sweep_share > 0 && s.has_payday && s.last_payday + days{1} == d &&
      static_cast<double>(s.balance) > p.cushion_cents + static_cast<double>(p.pay_cents)) {
    const std::int64_t amount =
        round_up(std::llround(static_cast<double>(p.pay_cents) * p.savings_sweep_share), 100);
    post(-amount, TxnKind::kTransfer, [&](Text& x) { describe_savings_transfer(x, p, true, noise); });
    s.savings += amount;
  }
}

// Card spending: weekday pattern, post-payday boost, heavy tail, and a
// multiplier that falls as the balance drops below the holder's cushion.
inline void AccountSim::Day::post_card_spending() {
  Rng cr = stream(Stream::kCard);
  double rate = sp.card_transactions_per_day * sp.weekday_multiplier[std::chrono::weekday{d}.c_encoding()];
  if (s.has_payday && forecast::days_between(s.last_payday, d) <= 2) rate *= 1.0 + sp.payday_boost;
  const int n = cr.poisson(rate);
  const double alpha = sp.card_big_ticket_alpha;
  const double mixture_mean =
      (1.0 - sp.card_big_ticket_share) + sp.card_big_ticket_share * 3.0 * alpha / (alpha - 1.0);
  const double mean_amount =
      sp.card_transactions_per_day > 0
          ? p.card_daily_cents / sp.card_transactions_per_day / mixture_mean / sim.payday_boost_mean_
          : 0.0;
  const double multiplier =
      n == 0 ? 1.0
             : std::clamp(1.0 + sp.balance_feedback *
                                    (static_cast<double>(s.balance) -
                                     spending_target_cents(p, d, s.has_payday ? &s.last_payday : nullptr)) /
                                    p.monthly_income_cents,
                          sp.spending_multiplier_min, sp.spending_multiplier_max);
  const bool postponing = s.postpone_cut > 0 && d <= s.postpone_until;
  const double sigma = sp.card_amount_sigma;
  for (int k = 0; k < n; ++k) {
    // Always four draws per purchase, so purchase k sees the same numbers on both paths.
    const double u_big = cr.uniform();
    const double u_normal_1 = cr.uniform_open();
    const double u_normal_2 = cr.uniform();
    const double u_tail = cr.uniform_open();
    const bool big = u_big < sp.card_big_ticket_share;
    // Box-Muller by hand, so the transcendental calls happen only for the branch taken.
    const double amount =
        big ? 3.0 * mean_amount * std::pow(u_tail, -1.0 / alpha)
            : mean_amount * std::exp(sigma * std::sqrt(-2.0 * std::log(u_normal_1)) *
                                         std::cos(6.283185307179586 * u_normal_2) -
                                     0.5 * sigma * sigma);
    std::int64_t c = std::max<std::int64_t>(50, std::llround(amount * multiplier));
    if (postponing) {
      const std::int64_t held = std::llround(static_cast<double>(c) * s.postpone_cut);
      s.postponed_cents += held;
      c -= held;
      if (c < 50) continue;
    }
    post(-c, TxnKind::kCard, [&](Text& x) { describe_card(x, p, d, big, noise); });
  }
}

// Once a postponement ends, part of what it held back is spent after all.
inline void AccountSim::Day::post_postponed_spending() {
  if (s.postponed_cents > 0 && d > s.postpone_until) {
    const std::int64_t later =
        std::llround(static_cast<double>(s.postponed_cents) * sp.response.postponed_share_spent_later);
    if (later >= 50) post(-later, TxnKind::kCard, [&](Text& x) { describe_card(x, p, d, false, noise); });
    s.postponed_cents = 0;
    s.postpone_cut = 0;
  }
}

// Occasional large one-off expense.
inline void AccountSim::Day::post_one_off_expense() {
  Rng orng = stream(Stream::kOneOff);
  const double u_one_off = orng.uniform();
  if (u_one_off < sp.one_off_per_year / 365.0) {
    const double one_off = std::min(orng.pareto(sp.one_off_min_dollars, sp.one_off_alpha), sp.one_off_max_dollars);
    post(-std::llround(one_off * 100.0), TxnKind::kCard, [&](Text& x) { describe_card(x, p, d, true, noise); });
  }
}

inline void AccountSim::Day::post_overdraft_fee() {
  PathTally& tally = s.tally;
  if (s.balance < 0 && s.fees_this_month < sp.overdraft_fees_per_month_cap && sp.overdraft_fee_dollars > 0) {
    const std::int64_t fee = std::llround(sp.overdraft_fee_dollars * 100.0);
    post(-fee, TxnKind::kFee, [&](Text& x) { describe_overdraft_fee(x, p); });
    ++s.fees_this_month;
    ++tally.fees;
    tally.fee_cents += fee;
  }
}

inline void AccountSim::Day::tally_end_of_day() {
  PathTally& tally = s.tally;
  ++tally.days;
  tally.min_balance_cents = std::min(tally.min_balance_cents, s.balance);
  const int since_pay = bucket(s.has_payday, s.last_payday, d);
  const int since_housing = bucket(s.has_housing, s.last_housing, d);
  ++tally.days_by_days_since_payday[since_pay];
  ++tally.days_by_days_since_housing[since_housing];
  if (s.balance < 0) {
    ++tally.overdraft_days;
    tally.overdraft_dates.push_back(d);
    ++tally.overdraft_by_days_since_payday[since_pay];
    ++tally.overdraft_by_days_since_housing[since_housing];
    if (s.has_payday) s.overdrafts_since_payday.push_back(d);
  }
}

inline void AccountSim::Day::decide_self_rescue() {
  Rng savings_rng = stream(Stream::kSavings);
  const double u_rescue = savings_rng.uniform();
  if (s.balance < 0 && s.savings > 0 && u_rescue < sp.self_rescue_probability) s.rescue_pending = true;
}

void AccountSim::step(PathState& s, Date d, std::int64_t t, std::vector<SimTxn>* out) const {
  Day day(*this, s, d, t, out);
  day.start_fee_month();
  day.post_transfers_in();
  day.post_income();
  day.post_bills();
  day.post_savings_sweep();
  day.post_card_spending();
  day.post_postponed_spending();
  day.post_one_off_expense();
  // End of day: fee, tallies, and whether a saver tops up tomorrow.
  day.post_overdraft_fee();
  day.tally_end_of_day();
  day.decide_self_rescue();
}

void AccountSim::advance(std::vector<SimTxn>* out) {
  const Date d = next_day();
  step(factual_, d, day_index_, out);
  if (counterfactual_) step(*counterfactual_, d, day_index_, nullptr);
  ++day_index_;
}

NudgeOutcome AccountSim::deliver(const NudgeDelivery& nudge) {
  const ResponseParams& rp = params_->response;
  if (!counterfactual_) counterfactual_ = factual_;
  const Date today = next_day();
  NudgeOutcome o;
  o.delivered_before = today;
  o.risky_day = nudge.risky_day;
  o.channel = nudge.channel;
  const int today_count = record_nudge_day(today, o);
  o.quiet_hours = in_quiet_hours(rp, profile_, nudge.sent_at);

  // Relevance: play the factual path forward with no action and see whether it
  // goes below zero by the risky day. Same random numbers as the real future.
  const Date last = std::min(nudge.risky_day, today + days{rp.lookahead_max_days - 1});
  const std::int64_t min_eod = lookahead_min_balance(today, last);
  o.relevant = last >= today && min_eod < 0;
  const std::int64_t shortfall = o.relevant ? -min_eod : 0;
  o.probability = act_probability(rp, nudge, o);

  Rng rr = Rng::at(seed_, index_, Stream::kResponse, day_index_ * 16 + today_count);
  o.acted = rr.uniform() < o.probability;
  const double u_action = rr.uniform();
  if (o.acted) respond(nudge, today, shortfall, u_action, o);
  nudges_.push_back(o);
  return o;
}

int AccountSim::record_nudge_day(Date today, NudgeOutcome& o) {
  const int window = params_->response.fatigue_window_days;
  int today_count = 0;
  for (Date x : factual_.nudge_days) {
    const int age = forecast::days_between(x, today);
    if (age >= 0 && age <= window) ++o.recent_nudges;
    if (x == today) ++today_count;
  }
  std::erase_if(factual_.nudge_days, [&](Date x) { return forecast::days_between(x, today) > window; });
  factual_.nudge_days.push_back(today);
  return today_count;
}

std::int64_t AccountSim::lookahead_min_balance(Date today, Date last) const {
  std::int64_t min_eod = std::numeric_limits<std::int64_t>::max();
  PathState look = factual_;
  std::int64_t t = day_index_;
  for (Date d = today; d <= last; d += days{1}, ++t) {
    step(look, d, t, nullptr);
    min_eod = std::min(min_eod, look.balance);
  }
  return min_eod;
}

std::vector<AccountSim::BillCandidate> AccountSim::movable_bills(Date today, Date risky_day) const {
  std::vector<BillCandidate> candidates;
  for (std::size_t i = 0; i < profile_.bills.size(); ++i) {
    const Bill& b = profile_.bills[i];
    if (b.kind == BillKind::kSubscription) continue;
    for (Date d = today; d <= risky_day && d < today + days{40}; d += days{1}) {
      const bool already_moved = std::any_of(factual_.shifts.begin(), factual_.shifts.end(),
                                             [&](const BillShift& x) { return x.bill == i && x.from == d; });
      if (!already_moved && d >= b.active_from && d < b.active_until && bill_posting_date(b, d) == d)
        candidates.push_back({static_cast<std::uint16_t>(i), d});
    }
  }
  return candidates;
}

void AccountSim::respond(const NudgeDelivery& nudge, Date today, std::int64_t shortfall, double u_action,
                         NudgeOutcome& o) {
  const ResponseParams& rp = params_->response;
  const std::vector<BillCandidate> candidates = movable_bills(today, nudge.risky_day);
  o.action = choose_action(rp, u_action, factual_.savings > 0, !candidates.empty());
  switch (o.action) {
    case ResponseAction::kPostponeSpending:
      factual_.postpone_until = std::max(factual_.postpone_until, std::max(nudge.risky_day, today));
      factual_.postpone_cut = rp.postpone_cut;
      break;
    case ResponseAction::kMoveFromSavings: {
      const std::int64_t wanted =
          std::max<std::int64_t>(std::llround(rp.savings_min_transfer_dollars * 100.0),
                   round_up(shortfall + std::llround(rp.savings_buffer_dollars * 100.0), 1000));
      o.amount_cents = std::min(wanted, factual_.savings - factual_.transfer_in_pending);
      factual_.transfer_in_pending += std::max<std::int64_t>(0, o.amount_cents);
      break;
    }
    case ResponseAction::kRescheduleBill: {
      const Date to = rescheduled_bill_date(rp, profile_, nudge.risky_day);
      for (const BillCandidate& c : candidates) {
        const std::int64_t amount = bill_amount(c.bill, c.when, day_index_ + forecast::days_between(today, c.when));
        factual_.shifts.push_back({c.bill, c.when, to, amount});
        o.amount_cents += amount;
      }
      break;
    }
    case ResponseAction::kNone: break;
  }
}

}  // namespace headroom::sim
