#pragma once
// The inputs of `headroom report`: the experiment's rows read from
// PostgreSQL (db/experiment_store.hpp, db::read_account_histories) and folded
// by measurement's rules (measurement/outcomes.hpp) as they stream by.

#include <optional>
#include <string>

#include <pqxx/connection>

#include "forecast/date.hpp"
#include "measurement/outcomes.hpp"

namespace headroom::cli {

struct ExperimentRequest {
  std::string experiment;
  std::optional<forecast::Date> from;  // default: first as_of of the experiment's decisions
  std::optional<forecast::Date> to;    // exclusive; default: last as_of + 1 day
  measurement::OutcomeRules rules;
};

// Throws db::UnknownExperiment; std::invalid_argument for rules out of
// range, when to <= from, or when the period holds no decision of the experiment.
measurement::ExperimentInputs load_experiment_inputs(pqxx::connection& conn, const ExperimentRequest& request);

}  // namespace headroom::cli
