#include "forecast/thousands.hpp"

#include <algorithm>

namespace headroom::forecast {

std::string group_thousands(std::string_view plain_decimal) {
  const std::size_t start = !plain_decimal.empty() && plain_decimal.front() == '-' ? 1 : 0;
  const std::size_t end = std::min(plain_decimal.find('.'), plain_decimal.size());
  std::string out(plain_decimal.substr(0, start));
  out.reserve(plain_decimal.size() + (end - start) / 3);
  for (std::size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(plain_decimal[i]);
  }
  out.append(plain_decimal.substr(end));
  return out;
}

}  // namespace headroom::forecast
