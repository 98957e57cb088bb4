#pragma once
// One call for one account: history → fit → project → the risk days' English
// (render_summaries()). Plain values in and out;
// never throws for bad data (a model that cannot be fit comes back as a
// flagged fallback). Pure: the same input and params give a bit-identical result.

#include <span>

#include "forecast/baselines.hpp"
#include "forecast/explain.hpp"
#include "forecast/history.hpp"
#include "forecast/model.hpp"
#include "forecast/projection.hpp"
#include "forecast/transaction.hpp"

namespace headroom::forecast {

// Which model produces the projection: the engine, or one of the baselines it is judged against.
enum class ModelChoice : std::uint8_t { kEngine, kDrift, kSeasonalNaive };
const char* model_choice_name(ModelChoice c);

struct ForecastParams {
  FitParams fit;
  ProjectionParams projection;
  ModelChoice model = ModelChoice::kEngine;
};

struct AccountForecast {
  CashFlowModel model;        // empty streams for the baselines
  BalanceForecast forecast;
};

// Uses only transactions with posted_at < as_of; forecast window starts at as_of.
AccountForecast forecast_account(std::span<const Transaction> transactions, Date as_of,
                                 const ForecastParams& params = {});
// The same with payee_hash() of each row precomputed (see build_history).
AccountForecast forecast_account(std::span<const Transaction> transactions, std::span<const std::uint64_t> payee_hashes,
                                 Date as_of, const ForecastParams& params = {});

// The same from a history already built (build_history() or history_as_of()
// with the same as_of). Gives the bit-identical result of forecast_account().
// Without a workspace the projection uses the one it keeps per thread (as
// forecast_account() does); `workspace` is the caller's own scratch.
AccountForecast forecast_history(const AccountHistory& history, Date as_of, const ForecastParams& params = {});
AccountForecast forecast_history(const AccountHistory& history, Date as_of, const ForecastParams& params,
                                 ProjectionWorkspace& workspace);

}  // namespace headroom::forecast
