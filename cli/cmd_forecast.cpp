// headroom forecast ACCOUNT [--as-of DATE]: one account's forecast, computed
// now from the transactions in PostgreSQL (nothing is written).
#include <cstdio>
#include <cstdlib>

#include "db/database.hpp"
#include "db/forecast_store.hpp"
#include "db/migrations.hpp"
#include "db/scoring_cycle.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {

CommandRunner add_forecast_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("forecast", "Print one account's forecast: per-day p10/p50/p90, risk, drivers");
  struct Options {
    std::string account;
    std::string as_of;
    int horizon_days = 30;
    bool json = false;
    std::string config_path;
  };
  auto o = std::make_shared<Options>();
  add_config_option(*cmd, o->config_path);
  cmd->add_option("ACCOUNT", o->account, "Account id")->required();
  cmd->add_option("--as-of", o->as_of, "First forecast day, YYYY-MM-DD (default: today in UTC)");
  cmd->add_option("--horizon", o->horizon_days, "Days to forecast")->check(CLI::Range(1, 366))->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the risk days and anomalies as JSON instead of a table");
  return [o] {
    const forecast::Date as_of = as_of_or_today(o->as_of);
    const Config config = load_config(o->config_path);
    db::DatabaseSession session{database_options(config.database)};
    auto conn = session.connect();
    db::require_current_schema(*conn);
    forecast::ForecastParams params;
    params.projection.horizon_days = o->horizon_days;
    std::optional<forecast::AccountForecast> result;
    db::read_account_histories(*conn, o->account, o->account,
                               [&](std::string_view, std::vector<forecast::Transaction>&& h) {
                                 result = forecast::forecast_account(h, as_of, params);
                               });
    if (!result) {
      std::fprintf(stderr, "headroom forecast: account '%s' has no transactions\n", o->account.c_str());
      return kExitRuntimeFailure;
    }
    const auto& f = result->forecast;
    if (o->json) {
      std::printf("{\"risk_days\":%s,\"anomalies\":%s}\n", db::drivers_json(f).c_str(),
                  db::anomalies_json(result->model).c_str());
      return kExitOk;
    }
    std::printf("account %s as of %s, start balance %s, model %s%s\n", f.account_id.c_str(),
                forecast::to_iso_string(f.as_of).c_str(), f.start_balance.to_decimal_string().c_str(),
                f.fallback ? "fallback: " : "full", f.fallback ? forecast::fallback_reason_name(f.fallback_reason) : "");
    std::printf("P(balance < 0 on some day in the next %d days) = %.3f\n", f.horizon_days, f.p_overdraft_window);
    std::printf("%-10s  %12s  %12s  %12s  %7s\n", "date", "p10", "p50", "p90", "P(<0)");
    for (const auto& d : f.days)
      std::printf("%-10s  %12s  %12s  %12s  %7.3f\n", forecast::to_iso_string(d.date).c_str(),
                  d.p10.to_decimal_string().c_str(), d.p50.to_decimal_string().c_str(),
                  d.p90.to_decimal_string().c_str(), d.p_below_zero);
    for (const auto& r : f.risk_days) std::printf("risk %s: %s\n", forecast::to_iso_string(r.date).c_str(), r.summary.c_str());
    for (const auto& a : result->model.anomalies)
      std::printf("anomaly %s: %s %s\n", forecast::to_iso_string(a.date).c_str(), forecast::anomaly_kind_name(a.kind),
                  a.amount.to_decimal_string().c_str());
    return kExitOk;
  };
}

}  // namespace headroom::cli
