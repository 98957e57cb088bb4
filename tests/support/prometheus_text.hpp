#pragma once
// Reads one value out of a Prometheus text exposition (GET /metrics), for
// tests that check what the daemon exports.

#include <sstream>
#include <string>

namespace headroom::testing {

// The value of one series (`name` or `name{labels}`, written exactly as
// exported), -1 when absent.
inline double prometheus_series(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ' ')
      return std::stod(line.substr(name.size() + 1));
  return -1;
}

}  // namespace headroom::testing
