#pragma once
// One account played day by day, on two paths that share all randomness:
//  * factual: the account as it lives, nudges and responses included;
//  * counterfactual: the same account had it never been nudged.
// Until the first nudge the two are the same path (stored once); the first
// deliver() forks a copy. Both paths draw every random number from
// Rng::at(seed, index, stream, day), so they differ only through the response.
//
// Within a day, postings are ordered: transfers in, income, bills, savings sweep,
// card spending, one-off expenses, then the overdraft fee. An overdraft day is a
// day whose end-of-day balance is < 0 (after that day's fee); the fee posts that
// day while fees_this_month < cap. Not thread-safe; distinct accounts may be
// stepped on distinct threads.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "sim/descriptions.hpp"
#include "sim/params.hpp"
#include "sim/profile.hpp"

namespace headroom::sim {

enum class TxnKind : std::uint8_t { kAchCredit, kDeposit, kAchDebit, kCard, kTransfer, kFee };
// The bank's own code printed in the `kind` column.
std::string_view to_string(TxnKind k);

// A posted transaction before it gets an account id and a txn id.
struct SimTxn {
  Date posted_at;
  std::int64_t amount_cents;         // credit > 0, debit < 0
  std::int64_t balance_after_cents;  // checking balance after this posting
  std::uint16_t seq_in_day;          // 0-based order within the day; txn_id = YYYYMMDD-seq
  TxnKind kind;
  Text description;
};

enum class Channel : std::uint8_t { kInApp, kEmail };
std::string_view to_string(Channel c);

// A nudge as the account receives it. Apply before the next simulated day.
struct NudgeDelivery {
  Channel channel = Channel::kInApp;
  std::chrono::sys_seconds sent_at{};  // instant of sending (UTC); quiet hours use the account's zone
  int lead_time_days = 0;              // days from sending to the risky day, as the engine planned it
  std::string variant;                 // copy variant name
  Date risky_day;                      // the day the engine expects an end-of-day balance < 0
};

enum class ResponseAction : std::uint8_t { kNone, kPostponeSpending, kMoveFromSavings, kRescheduleBill };
std::string_view to_string(ResponseAction a);

// What happened to one nudge (ground truth).
struct NudgeOutcome {
  Date delivered_before;  // the first day the response can change
  Date risky_day;
  Channel channel = Channel::kInApp;
  double probability = 0;  // P(act) the response model gave
  bool relevant = false;   // the account's own no-action lookahead went below zero by the risky day
  bool quiet_hours = false;
  int recent_nudges = 0;   // nudges in the fatigue window before this one
  bool acted = false;
  ResponseAction action = ResponseAction::kNone;
  std::int64_t amount_cents = 0;  // moved from savings, or bill amount rescheduled
};

inline constexpr int kHistogramBuckets = 32;  // days 0..30, bucket 31 = 31+ or never

// Outcomes of one path.
struct PathTally {
  int days = 0;
  int postings = 0;  // transactions posted
  int overdraft_days = 0;
  int fees = 0;
  std::int64_t fee_cents = 0;
  std::int64_t min_balance_cents = 0;
  std::vector<Date> overdraft_dates;
  // Overdraft days and all days by days since the last income credit and since
  // the last housing payment: shows overdrafts clustering before paydays and after bills.
  std::array<std::int32_t, kHistogramBuckets> overdraft_by_days_since_payday{};
  std::array<std::int32_t, kHistogramBuckets> days_by_days_since_payday{};
  // By days until the next income credit (counted once that credit posts).
  std::array<std::int32_t, kHistogramBuckets> overdraft_by_days_until_payday{};
  std::array<std::int32_t, kHistogramBuckets> days_by_days_until_payday{};
  std::array<std::int32_t, kHistogramBuckets> overdraft_by_days_since_housing{};
  std::array<std::int32_t, kHistogramBuckets> days_by_days_since_housing{};
  bool operator==(const PathTally&) const = default;
};

class AccountSim {
 public:
  AccountSim(std::shared_ptr<const SimParams> params, std::uint64_t seed, std::uint32_t index, AccountProfile profile,
             Date start);

  // Simulates next_day() on both paths; appends the factual path's postings to
  // `out` when given (descriptions are only built then).
  void advance(std::vector<SimTxn>* out);
  // Applies a nudge to the factual path; the response shows from next_day() on.
  NudgeOutcome deliver(const NudgeDelivery& nudge);

  Date next_day() const { return start_ + std::chrono::days{day_index_}; }
  std::uint32_t index() const { return index_; }
  const AccountProfile& profile() const { return profile_; }
  const PathTally& factual() const { return factual_.tally; }
  const PathTally& counterfactual() const { return counterfactual_ ? counterfactual_->tally : factual_.tally; }
  std::int64_t balance_cents() const { return factual_.balance; }
  std::int64_t counterfactual_balance_cents() const {
    return counterfactual_ ? counterfactual_->balance : factual_.balance;
  }
  std::int64_t savings_cents() const { return factual_.savings; }
  const std::vector<NudgeOutcome>& nudges() const { return nudges_; }
  bool forked() const { return counterfactual_.has_value(); }

 private:
  struct BillShift {
    std::uint16_t bill;
    Date from;
    Date to;
    std::int64_t amount_cents;
  };
  struct PathState {
    std::int64_t balance = 0;
    std::int64_t savings = 0;
    int fees_this_month = 0;
    int month_key = -1;
    Date last_payday{};
    Date last_housing{};
    bool has_payday = false;
    bool has_housing = false;
    bool rescue_pending = false;
    std::int64_t transfer_in_pending = 0;
    Date postpone_until{};
    double postpone_cut = 0;
    std::int64_t postponed_cents = 0;
    std::vector<BillShift> shifts;
    std::vector<Date> nudge_days;
    std::vector<Date> overdrafts_since_payday;  // waiting for the next income credit
    PathTally tally;
  };

  // A bill that would post between the nudge and the risky day and can be moved.
  struct BillCandidate {
    std::uint16_t bill;
    Date when;
  };
  struct Day;  // one day of postings on one path (account_sim.cpp)

  void step(PathState& s, Date d, std::int64_t t, std::vector<SimTxn>* out) const;
  std::int64_t bill_amount(std::size_t i, Date d, std::int64_t t) const;
  double pay_multiplier(Date d) const;
  bool in_job_loss(Date d) const;

  // The steps of deliver(), in its order.
  // Counts the fatigue window's nudges into o.recent_nudges and records today's;
  // returns how many came earlier today (the slot of the response stream).
  int record_nudge_day(Date today, NudgeOutcome& o);
  // Lowest end-of-day balance of the factual path played on with no action over
  // [today, last]; INT64_MAX when last < today.
  std::int64_t lookahead_min_balance(Date today, Date last) const;
  // Bills not moved yet that would post in [today, risky_day], at most 40 days out.
  std::vector<BillCandidate> movable_bills(Date today, Date risky_day) const;
  // Applies the response of a customer who acts on the nudge to the factual path.
  void respond(const NudgeDelivery& nudge, Date today, std::int64_t shortfall, double u_action, NudgeOutcome& o);

  std::shared_ptr<const SimParams> params_;
  std::uint64_t seed_;
  std::uint32_t index_;
  AccountProfile profile_;
  Date start_;
  double pay_period_days_ = 0;     // 0 for gig income
  double payday_boost_mean_ = 1;   // average card-rate factor of the post-payday boost
  std::int64_t day_index_ = 0;
  PathState factual_;
  std::optional<PathState> counterfactual_;
  std::vector<NudgeOutcome> nudges_;
};

}  // namespace headroom::sim
