#include "forecast/money.hpp"

#include <cstdio>
#include <cstdlib>

namespace headroom::forecast {

std::string Money::to_decimal_string() const {
  // Magnitude as unsigned so INT64_MIN does not overflow on negation.
  const bool negative = cents_ < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(cents_ + 1)) + 1 : static_cast<std::uint64_t>(cents_);
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%s%llu.%02llu", negative ? "-" : "",
                              static_cast<unsigned long long>(magnitude / 100),
                              static_cast<unsigned long long>(magnitude % 100));
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace headroom::forecast
