#pragma once
// Reads what PostgreSQL holds about a nudge experiment, as the plain rows of
// measurement/outcomes.hpp: the span of its decisions, every policy, its
// decision rows in a period and their deliveries. The rules that turn them
// into the analysis' inputs (arms, outcomes, fees, segments, funnel,
// forecast outcomes) are measurement's; transactions come from
// read_account_histories (scoring_cycle.hpp).
//
// Cost: one COPY of the experiment's decision rows, one aggregate over its
// outbox rows; each call runs in its own read-only transaction.

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "forecast/date.hpp"
#include "measurement/outcomes.hpp"

namespace headroom::db {

// No decision row names the experiment. `known` lists the experiments that
// have decisions or policies, sorted.
struct UnknownExperiment : std::runtime_error {
  UnknownExperiment(const std::string& name, std::vector<std::string> known_experiments);
  std::vector<std::string> known;
};

// Experiments named by decisions or by policies, sorted, without repeats.
std::vector<std::string> list_experiments(pqxx::connection& conn);

// The first and last as_of of the experiment's decisions. Throws
// UnknownExperiment when no decision names it.
struct DecisionSpan {
  forecast::Date first_as_of{};
  forecast::Date last_as_of{};
};
DecisionSpan read_decision_span(pqxx::connection& conn, const std::string& experiment);

// Every row of headroom.nudge_policies, active or not, by name. A definition
// that does not parse comes back without one and with the parser's message.
std::vector<measurement::PolicyRecord> read_policy_records(pqxx::connection& conn);

// Streams the experiment's decision rows with as_of in [from, to), in no
// particular order. Returns how many rows could not be decoded (NULL where
// the row needs a value, an unreadable date or probability); they are skipped.
std::size_t read_decisions(pqxx::connection& conn, const std::string& experiment,
                           measurement::ExperimentPeriod period,
                           const std::function<void(const measurement::DecisionRow&)>& on_decision);

// One row per account with an outbox row for a decision of the experiment
// with as_of in [from, to): sent = one reached 'sent', seen = an in-app nudge
// of those was seen or dismissed.
std::vector<measurement::DeliveryRow> read_deliveries(pqxx::connection& conn, const std::string& experiment,
                                                      measurement::ExperimentPeriod period);

// Nudges delivered (outbox rows sent) for decisions with as_of in [from, to)
// of other experiments to accounts in this experiment's holdout in the period.
measurement::CrossExposure read_cross_exposure(pqxx::connection& conn, const std::string& experiment,
                                               measurement::ExperimentPeriod period);

// The clock of every scoring cycle with as_of in [from, to), one per
// distinct clock, sorted (migration 0013).
std::vector<std::string> read_cycle_clocks(pqxx::connection& conn, measurement::ExperimentPeriod period);

}  // namespace headroom::db
