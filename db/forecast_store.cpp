#include "db/forecast_store.hpp"

#include <pqxx/stream_to>

#include <nlohmann/json.hpp>

namespace headroom::db {
namespace {

using forecast::to_iso_string;

// Forecasts are staged in a session temp table and upserted in one
// statement; empty strings in it stand for NULL (stream_to has no optional).
void ensure_staging_table(pqxx::transaction_base& tx) {
  if (!tx.exec("SELECT to_regclass('pg_temp.forecast_batch')")[0][0].is_null()) return;
  tx.exec(
      "CREATE TEMP TABLE forecast_batch ("
      " account_id text COLLATE \"C\", as_of date, horizon_days integer, cycle_id text,"
      " start_balance_cents bigint, buffer_cents bigint, p_overdraft_window double precision,"
      " p_below_buffer_window double precision, first_risky_day text, model_kind text,"
      " fallback_reason text, summary text, drivers text, anomalies text) ON COMMIT DELETE ROWS");
}

}  // namespace

std::string drivers_json(const forecast::BalanceForecast& f) {
  nlohmann::json days = nlohmann::json::array();
  for (const auto& day : f.risk_days) {
    nlohmann::json drivers = nlohmann::json::array();
    for (const auto& d : day.drivers) {
      nlohmann::json j{{"kind", forecast::driver_kind_name(d.kind)}, {"amount_cents", d.amount.cents()}};
      if (!d.label.empty()) j["label"] = d.label;
      if (d.date != forecast::Date{}) j["date"] = to_iso_string(d.date);
      if (d.kind == forecast::DriverKind::kSpendingPace) j["ratio"] = d.ratio;
      drivers.push_back(std::move(j));
    }
    days.push_back({{"date", to_iso_string(day.date)},
                    {"p_below_zero", day.p_below_zero},
                    {"p_below_buffer", day.p_below_buffer},
                    {"expected_shortfall_cents", day.expected_shortfall.cents()},
                    {"summary", day.summary},
                    {"drivers", std::move(drivers)}});
  }
  return days.dump();
}

std::string anomalies_json(const forecast::CashFlowModel& model) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : model.anomalies) {
    nlohmann::json j{{"date", to_iso_string(a.date)},
                     {"kind", forecast::anomaly_kind_name(a.kind)},
                     {"amount_cents", a.amount.cents()}};
    if (a.stream >= 0 && static_cast<std::size_t>(a.stream) < model.streams.size())
      j["stream"] = model.streams[static_cast<std::size_t>(a.stream)].label;
    if (a.count > 1) j["count"] = a.count;
    out.push_back(std::move(j));
  }
  return out.dump();
}

void write_forecasts(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts,
                     std::optional<std::int64_t> cycle_id) {
  if (forecasts.empty()) return;
  ensure_staging_table(tx);
  const std::string cycle_text = cycle_id ? std::to_string(*cycle_id) : "";
  {
    pqxx::stream_to batch{tx, "forecast_batch"};
    for (const auto& af : forecasts) {
      const auto& f = af.forecast;
      const std::string first_risky = f.risk_days.empty() ? "" : to_iso_string(f.risk_days.front().date);
      batch << std::make_tuple(f.account_id, to_iso_string(f.as_of), f.horizon_days, cycle_text, f.start_balance.cents(),
                               f.buffer.cents(), f.p_overdraft_window, f.p_below_buffer_window, first_risky,
                               std::string(f.fallback ? "fallback" : "full"),
                               std::string(f.fallback ? forecast::fallback_reason_name(f.fallback_reason) : ""),
                               f.risk_days.empty() ? std::string() : f.risk_days.front().summary, drivers_json(f),
                               anomalies_json(af.model));
    }
    batch.complete();
  }
  tx.exec(
      "INSERT INTO headroom.forecasts AS f (account_id, as_of, horizon_days, cycle_id, start_balance_cents,"
      " buffer_cents, p_overdraft_window, p_below_buffer_window, first_risky_day, model_kind, fallback_reason,"
      " summary, drivers, anomalies, computed_at) "
      "SELECT account_id, as_of, horizon_days, NULLIF(cycle_id, '')::bigint, start_balance_cents, buffer_cents,"
      " p_overdraft_window, p_below_buffer_window, NULLIF(first_risky_day, '')::date, model_kind,"
      " NULLIF(fallback_reason, ''), summary, drivers::jsonb, anomalies::jsonb, now() FROM forecast_batch "
      "ON CONFLICT (account_id) DO UPDATE SET as_of = EXCLUDED.as_of, horizon_days = EXCLUDED.horizon_days,"
      " cycle_id = EXCLUDED.cycle_id, start_balance_cents = EXCLUDED.start_balance_cents,"
      " buffer_cents = EXCLUDED.buffer_cents, p_overdraft_window = EXCLUDED.p_overdraft_window,"
      " p_below_buffer_window = EXCLUDED.p_below_buffer_window, first_risky_day = EXCLUDED.first_risky_day,"
      " model_kind = EXCLUDED.model_kind, fallback_reason = EXCLUDED.fallback_reason, summary = EXCLUDED.summary,"
      " drivers = EXCLUDED.drivers, anomalies = EXCLUDED.anomalies, computed_at = EXCLUDED.computed_at");
  tx.exec("DELETE FROM headroom.risk_days r USING forecast_batch b WHERE r.account_id = b.account_id");
  {
    pqxx::stream_to days{tx, "headroom.risk_days"};
    for (const auto& af : forecasts) {
      for (const auto& d : af.forecast.days)
        days << std::make_tuple(af.forecast.account_id, to_iso_string(d.date), d.p_below_zero, d.p_below_buffer,
                                d.p10.cents(), d.p50.cents(), d.p90.cents());
    }
    days.complete();
  }
  tx.exec("TRUNCATE forecast_batch");
}

std::optional<std::string> read_forecast_json(pqxx::transaction_base& tx, std::string_view account_id) {
  const auto r = tx.exec_params(
      "SELECT json_build_object("
      " 'account_id', f.account_id, 'as_of', f.as_of, 'horizon_days', f.horizon_days,"
      " 'start_balance_cents', f.start_balance_cents, 'buffer_cents', f.buffer_cents,"
      " 'p_overdraft_window', f.p_overdraft_window, 'p_below_buffer_window', f.p_below_buffer_window,"
      " 'first_risky_day', f.first_risky_day, 'model_kind', f.model_kind, 'fallback_reason', f.fallback_reason,"
      " 'summary', f.summary, 'risk_days', f.drivers, 'anomalies', f.anomalies, 'computed_at', f.computed_at,"
      " 'days', (SELECT coalesce(json_agg(json_build_object('date', d.day, 'p_below_zero', d.p_below_zero,"
      "          'p_below_buffer', d.p_below_buffer, 'p10_cents', d.p10_cents, 'p50_cents', d.p50_cents,"
      "          'p90_cents', d.p90_cents) ORDER BY d.day), '[]'::json)"
      "          FROM headroom.risk_days d WHERE d.account_id = f.account_id))::text "
      "FROM headroom.forecasts f WHERE f.account_id = $1",
      std::string(account_id));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace headroom::db
