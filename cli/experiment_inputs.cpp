#include "cli/experiment_inputs.hpp"

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "db/experiment_store.hpp"
#include "db/scoring_cycle.hpp"

namespace headroom::cli {

measurement::ExperimentInputs load_experiment_inputs(pqxx::connection& conn, const ExperimentRequest& request) {
  measurement::check_outcome_rules(request.rules);
  const db::DecisionSpan span = db::read_decision_span(conn, request.experiment);
  const measurement::ExperimentPeriod period =
      measurement::experiment_period(request.from, request.to, span.first_as_of, span.last_as_of);
  measurement::ExperimentOutcomes outcomes(request.experiment, period, request.rules, db::read_policy_records(conn));

  std::size_t undecodable = db::read_decisions(
      conn, request.experiment, period, [&](const measurement::DecisionRow& row) { outcomes.add_decision(row); });
  for (const auto& delivery : db::read_deliveries(conn, request.experiment, period)) outcomes.add_delivery(delivery);
  outcomes.add_cycle_clocks(db::read_cycle_clocks(conn, period));
  outcomes.add_cross_exposure(db::read_cross_exposure(conn, request.experiment, period));
  // Before the one COPY of every account's transactions, the costly part.
  outcomes.require_decisions();
  undecodable += db::read_account_histories(
      conn, "", "", [&](std::string_view account_id, std::vector<forecast::Transaction>&& history) {
        outcomes.add_history(account_id, history);
      });

  measurement::ExperimentInputs inputs = std::move(outcomes).finish();
  inputs.undecodable_rows += undecodable;
  return inputs;
}

}  // namespace headroom::cli
