#include "nudges/forecast_buffer.hpp"

#include <cstdint>
#include <map>

namespace headroom::nudges {

ForecastBufferChoice choose_forecast_buffer(std::span<const Policy> policies, std::chrono::sys_seconds now) {
  // Ordered by amount, so the first of equally named buffers is the lowest.
  std::map<std::int64_t, std::size_t> named;
  for (const Policy& p : policies)
    if (in_force(p, now)) ++named[p.buffer.cents()];
  ForecastBufferChoice choice;
  std::size_t best = 0;
  for (const auto& [cents, count] : named) {
    if (count > best) {
      best = count;
      choice.buffer = forecast::Money::from_cents(cents);
    }
  }
  for (const Policy& p : policies)
    if (in_force(p, now) && p.buffer != choice.buffer) choice.unserved.push_back(p.name);
  return choice;
}

}  // namespace headroom::nudges
