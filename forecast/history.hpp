#pragma once
// An account's visible past as of a date: deduplicated postings, interned
// merchant labels, and the daily end-of-day balance and net-flow series.
//
// Contract of build_history():
// - Only transactions with posted_at < as_of are visible (no look-ahead);
//   everything else in the input is ignored, so adding future rows never
//   changes the result.
// - Input may be in any order. Duplicates by txn_id are dropped (the first in
//   input order among the visible rows wins).
// - End-of-day balance follows docs/DESIGN.md: the bank's balance_after of the day's
//   last transaction, carried forward over days without transactions. When a
//   row has no balance_after, the last known balance is carried forward with
//   the amounts. A day whose balance_after values contradict the previous day's
//   balance plus the day's amounts is counted in balance_mismatches (the
//   bank's number wins). With no balance_after at all the series starts at 0
//   and balance_known is false. At most kMaxHistoryDays days are kept;
//   older rows only set the opening balance.
// - Never throws for bad data; all-zero input gives an empty history.
// Thread safety: pure function, no shared state.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/money.hpp"
#include "forecast/transaction.hpp"

namespace headroom::forecast {

// Keyword hints from description/kind text, used to break ties in stream
// detection (a "payroll" credit is income even when its timing is rough).
enum class LabelHint : std::uint8_t {
  kNone = 0,
  kIncome = 1,        // payroll, salary, direct deposit, pension, benefits
  kBill = 2,          // rent, mortgage, loan, insurance, utility, subscription
  kGig = 4,           // ride-hail, delivery, freelance platforms
  kTransfer = 8,      // transfers between own accounts
};
constexpr std::uint8_t hint_bits(LabelHint h) { return static_cast<std::uint8_t>(h); }

// Older rows only set the opening balance: a stale decade of history adds
// nothing to a 30-day forecast but would cost memory and time.
inline constexpr int kMaxHistoryDays = 1100;

struct Posting {
  Date posted_at;
  Money amount;         // credit > 0, debit < 0
  std::uint32_t label;  // index into AccountHistory::labels
};

struct AccountHistory {
  std::string account_id;
  Date as_of{};                 // first day NOT visible; the forecast starts here
  Date first_date{};            // first visible posted date; == as_of when empty
  std::vector<Posting> postings;            // visible, deduplicated, sorted by posted_at (stable)
  std::vector<std::string> labels;          // payee key: first two meaningful words, lower case (payee_label)
  std::vector<std::uint8_t> label_hints;    // LabelHint bits per label
  std::vector<Money> end_of_day_balance;    // [i] = balance at end of first_date + i, up to as_of - 1
  std::vector<Money> net_flow;              // [i] = sum of amounts posted on first_date + i
  Money current_balance;                    // end-of-day balance of as_of - 1 (0 when empty)
  bool balance_known = false;               // at least one balance_after was visible
  int duplicates_dropped = 0;
  int balance_mismatches = 0;               // days where balance_after contradicts the amounts

  int days() const { return static_cast<int>(end_of_day_balance.size()); }
  bool empty() const { return postings.empty(); }
};

// `payee_hashes`, when given, holds payee_hash() of each transaction (same
// order and size); a backtest computes them once per account instead of once
// per origin. Any other size is ignored.
AccountHistory build_history(std::span<const Transaction> transactions, Date as_of,
                             std::span<const std::uint64_t> payee_hashes = {});
// One account's rows prepared once for many as_of dates (a backtest's
// origins): dedup, date order and payee labels are worked out for the whole
// account, and history_as_of() then only copies the visible prefix and
// computes its daily series — no hashing, sorting or text work per origin.
// history_as_of(prepare_account(rows, hashes), d) == build_history(rows, d, hashes)
// for every d (tests/forecast checks it). Rows must stay alive while the
// prepared account is used. Rows not sorted by posted_at (dedup keeps "the
// first in input order", which is not prefix-stable then) are kept as given
// and every call falls back to build_history(). Read-only after construction:
// safe to share between threads.
class PreparedAccount {
 public:
  PreparedAccount() = default;

 private:
  friend PreparedAccount prepare_account(std::span<const Transaction>, std::span<const std::uint64_t>);
  friend AccountHistory history_as_of(const PreparedAccount&, Date);
  AccountHistory all_;                                 // every row visible: postings, labels, hints
  std::vector<std::optional<Money>> balance_after_;    // parallel to all_.postings
  std::vector<std::uint32_t> label_count_;             // labels interned up to and including posting k
  std::vector<Date> dropped_dates_;                    // posted dates of rows dropped as duplicates, ascending
  std::span<const Transaction> unsorted_;              // fallback input when rows are not in date order
  std::span<const std::uint64_t> unsorted_hashes_;
};
PreparedAccount prepare_account(std::span<const Transaction> transactions,
                                std::span<const std::uint64_t> payee_hashes = {});
AccountHistory history_as_of(const PreparedAccount& account, Date as_of);

// Hash of payee_label() of the description (or kind when the description is empty).
std::uint64_t payee_hash(const Transaction& transaction);

// Lower-cases, drops tokens holding digits, splits on punctuation:
// "NETFLIX.COM 8884" -> "netflix com".
std::string normalize_label(std::string_view text);
// The grouping key of a description: the first two words of normalize_label()
// that are not ACH/card envelope filler. "ACH UMBRELLA HEALTH PAYROLL 0115" -> "umbrella health".
std::string payee_label(std::string_view text);
std::uint8_t label_hints_for(std::string_view normalized_description, std::string_view normalized_kind);

}  // namespace headroom::forecast
