#pragma once
// The fitted cash-flow model of one account: recurring streams (income and
// bills on a calendar schedule), irregular income as a rate, a discretionary
// spending process, and every anomaly noticed on the way — all plain data.
//
// fit() never throws for bad data: with under FitParams::min_history_days of
// history or nothing usable it returns a fallback model (drift plus whatever
// schedule is already clear) with `fallback` set and the reason given.
// Units: Money is cents of the account currency; double statistics are cents
// too (per occurrence or per day as the name says). Signs: credit > 0.

#include <cstdint>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/history.hpp"
#include "forecast/money.hpp"
#include "forecast/schedule.hpp"

namespace headroom::forecast {

enum class StreamKind : std::uint8_t { kIncome, kOutflow };
enum class StreamStatus : std::uint8_t {
  kActive,    // next occurrence assumed (with occurrence_probability)
  kOverdue,   // the latest due occurrence is later than its usual jitter: dropped, later ones less certain
  kStopped,   // repeated misses (e.g. job loss): nothing more is projected
};

struct RecurringStream {
  std::string label;                 // normalized description, e.g. "acme corp payroll"
  StreamKind kind = StreamKind::kOutflow;
  StreamStatus status = StreamStatus::kActive;
  Schedule schedule;
  double amount_cents = 0;           // expected signed amount per occurrence (robust, recent level)
  double amount_rel_sd = 0;          // relative spread of the amount (MAD-based)
  int jitter_days = 0;               // usual |posted − nominal| in days (tolerance for "overdue")
  std::vector<std::int8_t> jitter_samples;  // recent posted − nominal offsets, for simulation
  double occurrence_probability = 1; // chance a due occurrence arrives
  double confidence = 0;             // 0..1: regularity × evidence, for display and thresholds
  int occurrences = 0;               // matched occurrences in history
  int consecutive_misses = 0;        // due occurrences missed at the end of history
  Date last_seen{};                  // last matched posted date
  Date next_date{};                  // next nominal date on or after as_of (still projected when overdue)
  Date pending_due{};                // an occurrence due before as_of, not yet arrived, still within jitter
  bool has_pending = false;
};

enum class AnomalyKind : std::uint8_t {
  kWindfall,            // one-off credit far above usual (stimulus, tax refund, bonus): kept out of the income baseline
  kLargeExpense,        // one-off debit far above usual: not made recurring, modelled as a rare shock
  kOverdueIncome,       // expected pay not arrived within its usual jitter: dropped from the forecast
  kMissedOccurrence,    // a bill or pay missed earlier in history
  kStreamStopped,       // repeated misses: the stream is considered ended (e.g. job loss)
  kAmountChanged,       // new level adopted (raise, price change)
  kScheduleChanged,     // new pay day or due day adopted
  kBalanceMismatch,     // balance_after contradicts the amounts (bank's number used)
  kDuplicateDropped,    // rows dropped as duplicate txn_id
};
const char* anomaly_kind_name(AnomalyKind k);

struct Anomaly {
  Date date{};
  AnomalyKind kind = AnomalyKind::kWindfall;
  Money amount;          // the amount involved (signed) or 0
  int stream = -1;       // index into CashFlowModel::streams, or -1
  int count = 1;         // for data-quality kinds: how many
};

enum class FallbackReason : std::uint8_t { kNone, kEmptyHistory, kShortHistory, kNoBalance, kDegenerate };
const char* fallback_reason_name(FallbackReason r);

struct FitParams {
  int min_history_days = 45;         // below: fallback model (drift + clear schedules)
  int recent_window_days = 42;       // "recent pace" window for spending
  int max_lookback_days = 400;       // older history is ignored for spending
  double windfall_income_share = 0.5;    // credit ≥ this × monthly income (and ≥ 6× usual) is a windfall
  double large_expense_income_share = 0.5;
  double min_anomaly_cents = 25000;  // 250.00: smaller flows are never windfalls or large expenses
  double max_amount_rel_spread = 0.35;   // amounts looser than this are not a recurring stream (unless hinted)
};

// Discretionary flows: everything that is not a recurring stream, windfall or
// large one-off expense, kept per day so projection can resample whole days
// (same weekday, recent weeks weighted up), which carries heavy tails,
// day-of-week shape and pace without a parametric fit.
struct SpendingModel {
  std::vector<double> daily_outflow_cents;  // ≥ 0, per history day (aligned with history days)
  std::vector<double> daily_inflow_cents;   // irregular income (gig, refunds), ≥ 0
  std::vector<std::uint8_t> after_payday;   // 1 when the day is 0–3 days after recurring income
  double payday_factor = 1;                 // spending multiplier on after-payday days (vs other days)
  double usual_daily_outflow_cents = 0;     // robust (Huber) mean over history
  double recent_daily_outflow_cents = 0;    // mean over the recent window
  double pace_ratio = 1;                    // recent / usual
  double dow_factor[7] = {1, 1, 1, 1, 1, 1, 1};  // Sunday = 0; for display, projection uses same-weekday draws
  double irregular_income_per_day_cents = 0;     // the gig-income rate (windfalls excluded)
  double shock_rate_per_day = 0;            // large one-off expenses per day
  double shock_amount_cents = 0;            // their typical size (≥ 0)
  // Fallback drift: mean and sd of the daily discretionary net flow.
  double drift_mean_cents = 0;
  double drift_sd_cents = 0;
};

enum class ModelKind : std::uint8_t { kFull, kFallback };

struct CashFlowModel {
  std::string account_id;
  Date as_of{};                 // first unseen day (= history.as_of)
  Date history_start{};
  int history_days = 0;
  Money current_balance;
  bool balance_known = false;
  ModelKind kind = ModelKind::kFull;
  bool fallback = false;
  FallbackReason fallback_reason = FallbackReason::kNone;
  std::vector<RecurringStream> streams;
  SpendingModel spending;
  std::vector<Anomaly> anomalies;      // by date
  double monthly_income_cents = 0;     // recurring income per month, active streams only
};

CashFlowModel fit(const AccountHistory& history, const FitParams& params = {});

// Expected income in [from, to) from the model: recurring income occurrences
// weighted by their occurrence probability, plus the irregular-income rate.
// Windfalls are never part of it.
Money expected_income(const CashFlowModel& model, Date from, Date to);

}  // namespace headroom::forecast
