#pragma once
// The two in-project baselines the engine must beat (issue 3, "Evaluation"):
// - drift: balance + mean daily net flow, Gaussian noise with the daily
//   net-flow spread (last 90 days), Monte Carlo with the same path count;
// - seasonal naive: replays the last L days of flows for L = 28, 29, 30, 31;
//   P(overdraft) is the share of the four replays that go below zero.
// Both read only the history (no look-ahead) and fill the same BalanceForecast
// (no drivers). Deterministic for a seed.

#include "forecast/history.hpp"
#include "forecast/projection.hpp"

namespace headroom::forecast {

BalanceForecast project_drift(const AccountHistory& history, const ProjectionParams& params = {});
BalanceForecast project_seasonal_naive(const AccountHistory& history, const ProjectionParams& params = {});

}  // namespace headroom::forecast
