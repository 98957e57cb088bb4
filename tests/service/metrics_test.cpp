// The Prometheus text of /metrics (service/metrics.hpp), without a server.
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "service/metrics.hpp"

using headroom::nudges::Channel;
using headroom::service::Metrics;

namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Metrics, NudgeCountersRenderOneSeriesPerChannelUnderOneFamilyHeader) {
  Metrics m;
  m.nudges_sent.add(Channel::email, 3);
  m.nudges_sent.add(Channel::in_app, 5);
  m.nudges_sent.add(Channel::email, 2);
  m.nudges_failed.add(Channel::email, 1);
  const std::string text = m.render();
  EXPECT_NE(text.find("\nheadroom_nudges_sent_total{channel=\"email\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nheadroom_nudges_sent_total{channel=\"in_app\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("\nheadroom_nudges_failed_total{channel=\"email\"} 1\n"), std::string::npos);
  // Channels with nothing yet still appear, at zero.
  EXPECT_NE(text.find("\nheadroom_nudges_failed_total{channel=\"in_app\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("\nheadroom_nudges_decided_total{channel=\"email\"} 0\n"), std::string::npos);
  EXPECT_EQ(occurrences(text, "# TYPE headroom_nudges_sent_total counter\n"), 1u);
  EXPECT_EQ(occurrences(text, "# HELP headroom_nudges_sent_total "), 1u);
}

TEST(Metrics, CycleDurationIsASummaryOfCompletedCycles) {
  Metrics m;
  m.cycles_completed += 2;
  m.cycle_seconds_sum += 1.5;
  m.cycle_seconds_sum += 2.25;
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE headroom_cycle_duration_seconds summary\n"), std::string::npos);
  EXPECT_NE(text.find("\nheadroom_cycle_duration_seconds_sum 3.75\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nheadroom_cycle_duration_seconds_count 2\n"), std::string::npos);
}

TEST(Metrics, EveryFamilyIsDeclaredOnceAndEverySampleBelongsToADeclaredFamily) {
  const std::string text = Metrics{}.render();
  std::istringstream lines(text);
  std::set<std::string> declared;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(declared.insert(family).second) << "declared twice: " << family;
      continue;
    }
    if (line.rfind("#", 0) == 0) continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_sum", "_count"})
      if (!declared.count(name) && name.size() > std::string(suffix).size() &&
          name.compare(name.size() - std::string(suffix).size(), std::string::npos, suffix) == 0)
        name.resize(name.size() - std::string(suffix).size());
    EXPECT_TRUE(declared.count(name)) << "sample without a family: " << line;
  }
}
