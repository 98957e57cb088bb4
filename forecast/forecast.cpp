#include "forecast/forecast.hpp"

namespace headroom::forecast {

const char* model_choice_name(ModelChoice c) {
  switch (c) {
    case ModelChoice::kEngine: return "engine";
    case ModelChoice::kDrift: return "drift";
    case ModelChoice::kSeasonalNaive: return "seasonal";
  }
  return "engine";
}

AccountForecast forecast_account(std::span<const Transaction> transactions, Date as_of, const ForecastParams& params) {
  return forecast_account(transactions, {}, as_of, params);
}

namespace {

// `workspace` null: project() uses the one it keeps per thread.
AccountForecast forecast_with(const AccountHistory& history, Date as_of, const ForecastParams& params,
                              ProjectionWorkspace* workspace) {
  AccountForecast out;
  switch (params.model) {
    case ModelChoice::kEngine:
      out.model = fit(history, params.fit);
      out.forecast = workspace != nullptr ? project(out.model, as_of, params.projection, *workspace)
                                          : project(out.model, as_of, params.projection);
      render_summaries(out.forecast);
      break;
    case ModelChoice::kDrift:
      out.forecast = project_drift(history, params.projection);
      break;
    case ModelChoice::kSeasonalNaive:
      out.forecast = project_seasonal_naive(history, params.projection);
      break;
  }
  return out;
}

}  // namespace

AccountForecast forecast_account(std::span<const Transaction> transactions, std::span<const std::uint64_t> payee_hashes,
                                 Date as_of, const ForecastParams& params) {
  return forecast_with(build_history(transactions, as_of, payee_hashes), as_of, params, nullptr);
}

AccountForecast forecast_history(const AccountHistory& history, Date as_of, const ForecastParams& params) {
  return forecast_with(history, as_of, params, nullptr);
}

AccountForecast forecast_history(const AccountHistory& history, Date as_of, const ForecastParams& params,
                                 ProjectionWorkspace& workspace) {
  return forecast_with(history, as_of, params, &workspace);
}

}  // namespace headroom::forecast
