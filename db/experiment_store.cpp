#include "db/experiment_store.hpp"

#include <charconv>
#include <optional>
#include <set>
#include <string_view>

#include <pqxx/result>
#include <pqxx/stream_from>
#include <pqxx/transaction>

#include <nlohmann/json.hpp>

#include "db/copy_text.hpp"
#include "nudges/policy.hpp"

namespace headroom::db {
namespace {

using forecast::Date;

std::string days_text(Date d) { return forecast::to_iso_string(d); }

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// One COPY line of the decision query below; nullopt when it cannot be read.
std::optional<measurement::DecisionRow> decode_decision(const std::vector<std::optional<std::string_view>>& fields) {
  if (fields.size() != 9 || !fields[0] || !fields[1] || !fields[2] || !fields[3] || !fields[7] || !fields[8])
    return std::nullopt;
  const auto as_of = forecast::parse_iso_date(*fields[1]);
  const auto p = parse_number<double>(*fields[7]);
  const auto buffer_cents = parse_number<std::int64_t>(*fields[8]);
  if (!as_of || !p || !buffer_cents) return std::nullopt;
  measurement::DecisionRow row;
  row.account_id = *fields[0];
  row.as_of = *as_of;
  row.arm = *fields[2] == "treatment" ? nudges::Arm::kTreatment : nudges::Arm::kHoldout;
  row.policy = *fields[3];
  row.outcome = fields[4] ? *fields[4] : "";
  row.reason = fields[5] ? *fields[5] : "";
  row.variant = fields[6];
  row.window_probability = *p;
  row.buffer = forecast::Money::from_cents(*buffer_cents);
  return row;
}

}  // namespace

UnknownExperiment::UnknownExperiment(const std::string& name, std::vector<std::string> known_experiments)
    : std::runtime_error([&] {
        std::string m = "unknown experiment '" + name + "': no nudge decision names it. Known experiments: ";
        if (known_experiments.empty()) m += "none (no decisions or policies yet)";
        for (std::size_t i = 0; i < known_experiments.size(); ++i) m += (i ? ", " : "") + known_experiments[i];
        return m;
      }()),
      known(std::move(known_experiments)) {}

std::vector<std::string> list_experiments(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn};
  std::set<std::string> names;
  // A loose index scan over (experiment, decided_at): one probe per
  // experiment instead of reading every decision row.
  for (const auto& row : tx.exec(
           "WITH RECURSIVE e(name) AS ("
           "  (SELECT experiment FROM headroom.nudge_decisions ORDER BY experiment LIMIT 1)"
           "  UNION ALL"
           "  SELECT (SELECT experiment FROM headroom.nudge_decisions WHERE experiment > e.name"
           "          ORDER BY experiment LIMIT 1) FROM e WHERE e.name IS NOT NULL)"
           "SELECT name FROM e WHERE name IS NOT NULL"))
    names.insert(row[0].as<std::string>());
  for (const auto& row : tx.exec(
           "SELECT coalesce(definition->>'experiment', 'default') FROM headroom.nudge_policies"))
    names.insert(row[0].as<std::string>());
  tx.commit();
  return {names.begin(), names.end()};
}

DecisionSpan read_decision_span(pqxx::connection& conn, const std::string& experiment) {
  pqxx::read_transaction tx{conn};
  const auto bounds = tx.exec_params(
      "SELECT min(as_of)::text, max(as_of)::text FROM headroom.nudge_decisions WHERE experiment = $1", experiment);
  tx.commit();
  if (bounds[0][0].is_null()) throw UnknownExperiment(experiment, list_experiments(conn));
  return {*forecast::parse_iso_date(bounds[0][0].as<std::string>()),
          *forecast::parse_iso_date(bounds[0][1].as<std::string>())};
}

std::vector<measurement::PolicyRecord> read_policy_records(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn};
  std::vector<measurement::PolicyRecord> out;
  for (const auto& row : tx.exec("SELECT name, active, definition::text FROM headroom.nudge_policies ORDER BY name")) {
    measurement::PolicyRecord& record = out.emplace_back();
    record.name = row[0].as<std::string>();
    try {
      nlohmann::json j = nlohmann::json::parse(row[2].as<std::string>());
      j["name"] = record.name;
      j["active"] = row[1].as<bool>();
      record.definition = nudges::parse_policy_json(j, "headroom.nudge_policies");
    } catch (const std::exception& e) {
      record.error = e.what();
    }
  }
  tx.commit();
  return out;
}

std::size_t read_decisions(pqxx::connection& conn, const std::string& experiment,
                           measurement::ExperimentPeriod period,
                           const std::function<void(const measurement::DecisionRow&)>& on_decision) {
  pqxx::read_transaction tx{conn};
  // COPY takes no bind parameters; the values are quoted by the server's
  // own rules (tx.quote), never pasted raw.
  const std::string query =
      "(SELECT account_id, as_of, arm, policy, outcome, reason, variant, window_probability, buffer_cents "
      "FROM headroom.nudge_decisions WHERE experiment = " + tx.quote(experiment) +
      " AND as_of >= " + tx.quote(days_text(period.from)) + "::date AND as_of < " + tx.quote(days_text(period.to)) +
      "::date)";
  pqxx::stream_from stream{tx, query};
  std::string line;
  std::vector<std::optional<std::string_view>> fields;
  std::vector<std::string> scratch;
  std::size_t undecodable = 0;
  while (stream.get_raw_line(line)) {
    split_copy_line(line, fields, scratch);
    const auto row = decode_decision(fields);
    if (row) on_decision(*row);
    else ++undecodable;
  }
  stream.complete();
  tx.commit();
  return undecodable;
}

std::vector<measurement::DeliveryRow> read_deliveries(pqxx::connection& conn, const std::string& experiment,
                                                      measurement::ExperimentPeriod period) {
  pqxx::read_transaction tx{conn};
  std::vector<measurement::DeliveryRow> out;
  for (const auto& row : tx.exec_params(
           "SELECT o.account_id, bool_or(o.status = 'sent'), coalesce(bool_or(n.status IN ('seen', 'dismissed')), false) "
           "FROM headroom.nudge_outbox o "
           "JOIN headroom.nudge_decisions d ON d.decision_id = o.decision_id "
           "LEFT JOIN headroom.nudges n ON n.decision_id = o.decision_id "
           "WHERE d.experiment = $1 AND d.as_of >= $2::date AND d.as_of < $3::date "
           "GROUP BY o.account_id",
           experiment, days_text(period.from), days_text(period.to)))
    out.push_back({row[0].as<std::string>(), row[1].as<bool>(), row[2].as<bool>()});
  tx.commit();
  return out;
}

measurement::CrossExposure read_cross_exposure(pqxx::connection& conn, const std::string& experiment,
                                               measurement::ExperimentPeriod period) {
  pqxx::read_transaction tx{conn};
  const auto rows = tx.exec_params(
      "WITH held AS (SELECT DISTINCT account_id FROM headroom.nudge_decisions "
      "              WHERE experiment = $1 AND arm = 'holdout' AND as_of >= $2::date AND as_of < $3::date) "
      "SELECT d.experiment, count(DISTINCT o.account_id), count(*) "
      "FROM held JOIN headroom.nudge_decisions d ON d.account_id = held.account_id "
      "JOIN headroom.nudge_outbox o ON o.decision_id = d.decision_id "
      "WHERE d.experiment <> $1 AND d.as_of >= $2::date AND d.as_of < $3::date AND o.status = 'sent' "
      "GROUP BY ROLLUP (d.experiment) ORDER BY d.experiment NULLS LAST",
      experiment, days_text(period.from), days_text(period.to));
  tx.commit();
  measurement::CrossExposure e;
  for (const auto& row : rows) {
    if (row[0].is_null()) {  // the ROLLUP total
      e.accounts = row[1].as<std::size_t>();
      e.nudges = row[2].as<std::size_t>();
    } else {
      e.experiments.push_back(row[0].as<std::string>());
    }
  }
  return e;
}

std::vector<std::string> read_cycle_clocks(pqxx::connection& conn, measurement::ExperimentPeriod period) {
  pqxx::read_transaction tx{conn};
  std::vector<std::string> clocks;
  for (const auto& row : tx.exec_params(
           "SELECT DISTINCT clock FROM headroom.scoring_cycles WHERE as_of >= $1::date AND as_of < $2::date "
           "ORDER BY clock",
           forecast::to_iso_string(period.from), forecast::to_iso_string(period.to)))
    clocks.push_back(row[0].as<std::string>());
  tx.commit();
  return clocks;
}

}  // namespace headroom::db
