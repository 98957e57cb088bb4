#pragma once
// Loads the inputs of an experiment analysis (measurement/experiment.hpp)
// from PostgreSQL: who was assigned to which arm, what happened to their
// balances and fees, and how the forecasts behind the decisions came out.
// Definitions (docs/analysis.md; each also stated where it is computed):
//
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
//   is the `pre_period_weeks` weeks before `from` (the CUPED covariates).
// Fees in [from, to): a transaction is a fee when its kind is one of
//   FeeRules::fee_kinds (case-insensitive; default "fee"), and an overdraft
//   fee when also its description contains one of FeeRules::overdraft_words
//   (case-insensitive). Only debits count; the amount is reported positive.
// Segments, observable at `from`: income pattern from the engine's detected
//   income streams (forecast::fit on the history before `from`), balance band
//   from the pre-period mean end-of-day balance, tenure from the first
//   transaction.
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
//   (measurement::window_overdrawn, the rule the daemon's /metrics uses too).
//
// Cost: one COPY of the experiment's decision rows, one aggregate over its
// outbox rows, one COPY of every account's transactions (read_account_histories).

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "forecast/date.hpp"
#include "measurement/experiment.hpp"

namespace headroom::db {

struct FeeRules {
  std::vector<std::string> fee_kinds = {"fee"};
  // The simulator's bank writes "OVERDRAFT FEE", "OVERDRAFT ITEM FEE",
  // "INSUFFICIENT FUNDS FEE FOR A ITEM" and "OD FEE" (sim/descriptions.cpp).
  std::vector<std::string> overdraft_words = {"overdraft", "insufficient funds", "nsf", "od fee"};
};

struct ExperimentQuery {
  std::string experiment;
  std::optional<forecast::Date> from;  // default: first as_of of the experiment's decisions
  std::optional<forecast::Date> to;    // exclusive; default: last as_of + 1 day
  int horizon_days = 30;               // the forecasts' window length (headroom run --horizon)
  int pre_period_weeks = 8;
  FeeRules fees;
};

struct ExperimentInputs {
  std::string experiment;
  forecast::Date from{};
  forecast::Date to{};
  double holdout_share = 0.10;         // from the experiment's policies
  std::vector<std::string> policies;   // policy names seen on the decisions
  std::vector<measurement::AccountOutcome> accounts;  // by account_id
  std::vector<measurement::ForecastOutcome> forecasts;
  // Data-quality counts and plain-language notes for the report's caveats.
  std::size_t arm_disagreements = 0;   // recorded arm differs from nudges::in_holdout
  std::size_t mixed_arm_accounts = 0;  // decision rows in both arms
  std::size_t accounts_without_history = 0;
  std::size_t forecasts_dropped = 0;   // window not fully observed
  std::size_t undecodable_rows = 0;    // transactions or decisions that could not be read
  std::vector<std::string> notes;
};

// No decision row names the experiment. `known` lists the experiments that
// have decisions or policies, sorted.
struct UnknownExperiment : std::runtime_error {
  UnknownExperiment(const std::string& name, std::vector<std::string> known_experiments);
  std::vector<std::string> known;
};

// Experiments named by decisions or by policies, sorted, without repeats.
std::vector<std::string> list_experiments(pqxx::connection& conn);

// Throws UnknownExperiment; std::invalid_argument when to <= from or the
// period holds no decision of the experiment.
ExperimentInputs load_experiment(pqxx::connection& conn, const ExperimentQuery& query);

// The band of a mean end-of-day balance (cents): "<0", "0-500", "500-2k", "2k+" (dollars).
std::string balance_band(double mean_balance_cents);
// The band of the days between the first transaction and the start: "<6m", "6-12m", "1y+".
std::string tenure_band(int days);

}  // namespace headroom::db
