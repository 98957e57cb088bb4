#pragma once
// The rules that turn an experiment's stored rows into the analysis' inputs
// (experiment.hpp): who was assigned to which arm, what happened to their
// balances and fees, and how the forecasts behind the decisions came out.
// Pure: plain rows in (db/experiment_store.hpp reads them), plain values out;
// no I/O, no clock. Definitions (docs/analysis.md):
//
// Period: [from, to); by default from the first decision's as_of to the day
//   after the last one (experiment_period). The experiment's start is its
//   first decision's as_of, whatever `from` is.
// Assignment, intention to treat: every account with a decision row of the
//   experiment whose as_of lies in [from, to) — i.e. scored in the period,
//   whatever the outcome — is in; its arm is the one on its decision rows.
//   The arms are checked against nudges::in_holdout with the policy's holdout
//   share; disagreements and accounts seen in both arms are counted (and the
//   latter take in_holdout's arm).
// Outcomes from end-of-day balances (forecast::build_history of the account's
//   transactions): experiment weeks start at `from` (the last may be short);
//   a week is observed when the account has history on one of its days, and
//   overdrawn when some end-of-day balance that week is < 0. The pre-period
//   (the CUPED covariates) is the `pre_period_weeks` weeks before the
//   experiment's start, not before `from`: with `from` later than the start,
//   weeks before `from` already felt the nudges (pre_period_window).
// Fees in [from, to): a transaction is a fee when its kind is one of
//   FeeRules::fee_kinds (case-insensitive; default "fee"), and an overdraft
//   fee when also its description contains one of FeeRules::overdraft_words
//   (case-insensitive). Only debits count; the amount is reported positive.
// Segments, observable at the experiment's start (for the same reason):
//   income pattern from the engine's detected income streams (forecast::fit
//   on the history before the start), balance band from the pre-period mean
//   end-of-day balance, tenure from the first transaction to the start.
// Variants, intention to treat: every account's copy variant is the one
//   the planner's hash gives it, nudges::choose_variant(experiment, account,
//   weights), under the variants of the experiment's policy (the first by
//   name whose definition reads; the others' variants, when different, are
//   noted), decided or not. The decision rows' variants only check it:
//   accounts whose rows name another variant, or several, are counted.
//   No readable policy with variants: no account has a variant.
// Funnel: at_risk = some decision's window probability reached its policy's
//   risk_threshold; decided = a send or holdout (would have sent) decision,
//   or one deferred by quiet hours or held by shadow mode; sent = an outbox
//   row (email or in-app) of the experiment in the period reached 'sent';
//   seen = an in-app nudge of those was seen or dismissed.
// Forecast outcomes: one per account and as_of (channels and policies
//   deduplicated), only from decisions computed against a zero buffer (so the
//   probability is P(balance < 0)); overdrawn = an end-of-day balance < 0 on
//   some day of [as_of, as_of + horizon_days - 1]; rows whose window does not
//   end before `to`, or starts before the account's history, are dropped
//   (window_overdrawn in calibration.hpp, the rule the daemon's /metrics uses too).

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/money.hpp"
#include "forecast/transaction.hpp"
#include "measurement/experiment.hpp"
#include "nudges/policy.hpp"

namespace headroom::measurement {

struct FeeRules {
  std::vector<std::string> fee_kinds = {"fee"};
  // The simulator's bank writes "OVERDRAFT FEE", "OVERDRAFT ITEM FEE",
  // "INSUFFICIENT FUNDS FEE FOR A ITEM" and "OD FEE" (sim/descriptions.cpp).
  std::vector<std::string> overdraft_words = {"overdraft", "insufficient funds", "nsf", "od fee"};
};

struct OutcomeRules {
  int horizon_days = 30;     // the forecasts' window length (headroom run --horizon); at least 1
  int pre_period_weeks = 8;  // weeks before the experiment's start for the CUPED covariates and the
                             // balance band; not negative
  FeeRules fees;
};

// Throws std::invalid_argument naming the field out of range.
void check_outcome_rules(const OutcomeRules& rules);

struct ExperimentPeriod {
  forecast::Date from{};
  forecast::Date to{};  // exclusive
  // The experiment's start, its first decision's as_of; nullopt: `from`.
  std::optional<forecast::Date> start = std::nullopt;

  forecast::Date experiment_start() const { return start.value_or(from); }
};

// The period asked for, each end defaulting to the experiment's decisions:
// from = the first as_of, to = the day after the last; start = the first
// as_of. Throws std::invalid_argument when to <= from.
ExperimentPeriod experiment_period(std::optional<forecast::Date> from, std::optional<forecast::Date> to,
                                   forecast::Date first_decision_as_of, forecast::Date last_decision_as_of);

// The CUPED covariates' days: the `weeks` weeks before the experiment's start.
DateRange pre_period_window(const ExperimentPeriod& period, int weeks);

// One row of headroom.nudge_policies, active or not (an experiment may be
// over and its policy switched off).
struct PolicyRecord {
  std::string name;
  std::optional<nudges::Policy> definition;  // nullopt: the stored definition does not parse
  std::string error;                         // why it does not
};

// The copy variant the planner gives `account_id` under `policy`: the one
// variant, or nudges::choose_variant over the variants' weights (as
// nudges::plan does). Empty when the policy has no variants.
std::string assigned_variant(const nudges::Policy& policy, std::string_view account_id);

// One decision row of the experiment as stored (headroom.nudge_decisions).
// The views point into the reader's buffer: valid during the call only.
struct DecisionRow {
  std::string_view account_id;
  forecast::Date as_of{};
  Arm arm = Arm::kTreatment;
  std::string_view policy;
  std::string_view outcome;  // nudges::to_string(Outcome); empty when NULL
  std::string_view reason;   // nudges::to_string(Reason); empty when NULL
  std::optional<std::string_view> variant;
  double window_probability = 0;  // P(balance < buffer on some day of the window)
  forecast::Money buffer;         // the buffer that probability was computed against
};

// The deliveries of one account's decisions of the experiment in the period.
struct DeliveryRow {
  std::string account_id;
  bool sent = false;  // some outbox row reached 'sent'
  bool seen = false;  // some in-app nudge of those was seen or dismissed
};

// An account with no transaction in the last kSilentDays of the period is
// taken as closed (or abandoned) on its last transaction: its weeks after it
// are not observed, instead of carrying its last balance to the period's end.
// Four weeks: longer than a monthly pay or bill cycle, so a live account
// almost always posts something within it.
inline constexpr int kSilentDays = 28;

struct ExperimentInputs {
  std::string experiment;
  forecast::Date from{};
  forecast::Date to{};
  forecast::Date experiment_start{};  // the first decision's as_of
  DateRange pre_period;                // where the accounts' pre_* fields were measured (pre_period_window)
  double holdout_share = 0.10;         // from the experiment's policies
  std::vector<std::string> policies;   // policy names seen on the decisions
  std::vector<AccountOutcome> accounts;  // by account_id
  std::vector<ForecastOutcome> forecasts;
  // Data-quality counts and plain-language notes for the report's caveats.
  std::size_t arm_disagreements = 0;   // recorded arm differs from nudges::in_holdout
  std::size_t mixed_arm_accounts = 0;  // decision rows in both arms
  std::size_t variant_disagreements = 0;  // rows name another variant than the assignment, or several
  std::size_t accounts_without_history = 0;
  // Accounts silent for more than kSilentDays before the period's end: taken
  // as closed at their last transaction, observed only up to it.
  std::size_t accounts_closed = 0;
  std::size_t forecasts_dropped = 0;   // window not fully observed
  std::size_t undecodable_rows = 0;    // transactions or decisions that could not be read
  // The clocks the period's scoring cycles ran on ("wall", "replay",
  // "simulated"; migration 0013), sorted: whether the nudges counted went out
  // in real time. Empty: no cycle was recorded in the period.
  std::vector<std::string> clocks;
  // Holdout accounts that other experiments' policies nudged in the period
  // (CrossExposure): the holdout is then not the untreated counterfactual.
  std::size_t holdout_accounts_nudged_elsewhere = 0;
  std::size_t nudges_to_holdout_elsewhere = 0;
  std::vector<std::string> notes;
};

// Nudges delivered in the period to this experiment's holdout accounts by
// policies of other experiments (db::read_cross_exposure).
struct CrossExposure {
  std::size_t accounts = 0;
  std::size_t nudges = 0;
  std::vector<std::string> experiments;  // the others, sorted
};

// Which fees a transaction is, by the FeeRules (compared in lower case,
// without surrounding whitespace).
enum class FeeClass { kNotAFee, kFee, kOverdraftFee };
class FeeClassifier {
 public:
  explicit FeeClassifier(const FeeRules& rules);
  // By kind and description only; the caller keeps to debits in the period.
  FeeClass classify(const forecast::Transaction& transaction) const;

 private:
  std::vector<std::string> fee_kinds_;
  std::vector<std::string> overdraft_words_;
};

// Folds an experiment's rows into ExperimentInputs as they stream by, so no
// account's transactions are kept after its turn: decisions and deliveries
// first, then each account's transactions, then finish(). Accounts are
// those with a decision; rows of other accounts are ignored.
class ExperimentOutcomes {
 public:
  // Notes unreadable policies (their decisions are judged with the default
  // risk threshold) and which holdout share the sample-ratio check uses.
  // Throws std::invalid_argument as check_outcome_rules does.
  ExperimentOutcomes(std::string experiment, ExperimentPeriod period, const OutcomeRules& rules,
                     const std::vector<PolicyRecord>& policies);

  void add_decision(const DecisionRow& row);
  void add_delivery(const DeliveryRow& row);
  // The clock of each scoring cycle in the period, in any order and with
  // repeats; a mixture is noted.
  void add_cycle_clocks(const std::vector<std::string>& clocks);
  // Noted as a caveat when any holdout account was nudged elsewhere.
  void add_cross_exposure(const CrossExposure& exposure);
  // Throws std::invalid_argument when no decision was added: the period
  // holds none of the experiment's.
  void require_decisions() const;
  // The account's transactions in posted order (as db::read_account_histories
  // hands them over).
  void add_history(std::string_view account_id, const std::vector<forecast::Transaction>& transactions);
  // Accounts without transactions count as assigned with no weeks; accounts
  // come sorted by id.
  ExperimentInputs finish() &&;

 private:
  // Decision rows of one account in the period, folded as they stream by.
  struct AccountDecisions {
    bool treatment = false;
    bool holdout = false;
    bool at_risk = false;
    bool decided = false;
    bool sent = false;
    bool seen = false;
    bool measured = false;  // its transactions were handed over
    std::string variant;    // the first variant named on a row, to check the assignment
    bool several_variants = false;
    std::vector<std::pair<forecast::Date, double>> forecasts;  // (as_of, P(balance < 0 in the window)), zero buffer only
  };

  double risk_threshold_of(const std::string& policy) const;
  void choose_variant_policy(const std::vector<PolicyRecord>& policies);
  void add_account(const std::string& account_id, AccountDecisions& decisions,
                   const std::vector<forecast::Transaction>* transactions);
  void note_data_problems();

  OutcomeRules rules_;
  FeeClassifier fees_;
  ExperimentInputs in_;
  std::unordered_map<std::string, double> risk_thresholds_;  // by policy name
  std::optional<nudges::Policy> variant_policy_;  // whose variants assign every account's
  std::unordered_map<std::string, AccountDecisions> by_account_;
  std::set<std::string> policy_names_;
  // Consecutive rows mostly share a policy: its name is looked up once per run.
  std::string last_policy_;
  double last_threshold_ = 0;
};

// The band of a mean end-of-day balance (cents): "<0", "0-500", "500-2k", "2k+" (dollars).
std::string balance_band(double mean_balance_cents);
// The band of the days between the first transaction and the start: "<6m", "6-12m", "1y+".
std::string tenure_band(int days);
// The cadence of the main income stream in a model fitted on the history
// before `start`: "weekly", "biweekly", "semi-monthly", "monthly" or
// "irregular"; "irregular" too when no stream is found but money came in
// during the 90 days before `start`; else "none".
std::string income_pattern(const std::vector<forecast::Transaction>& transactions, forecast::Date start);

}  // namespace headroom::measurement
