#pragma once
// Which balance line the daemon forecasts against, chosen from the active
// policies. A forecast carries one buffer: P(balance < buffer) comes from the
// same sample paths as P(balance < 0), so serving a second buffer would mean a
// second projection of every account. When active policies name different
// buffers, the forecasts serve the buffer most of them name (a tie goes to the
// lowest: zero, the overdraft line itself, first); the others decide
// `buffer_mismatch` until they agree, and the caller says so in its log.
// Thread safety: pure function.

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "forecast/money.hpp"
#include "nudges/policy.hpp"

namespace headroom::nudges {

struct ForecastBufferChoice {
  forecast::Money buffer = forecast::Money::from_cents(0);  // what forecasts are made with
  std::vector<std::string> unserved;  // active policies naming another buffer, in input order
};

// Only policies in force at `now` (in_force: the ones the planner plans)
// count; none gives zero.
ForecastBufferChoice choose_forecast_buffer(std::span<const Policy> policies, std::chrono::sys_seconds now);

}  // namespace headroom::nudges
