// The Prometheus text of /metrics (edge/metrics.hpp), without a server.
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "edge/metrics.hpp"

using headroom::nudges::Channel;
using headroom::edge::Metrics;

namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Metrics, NudgeCountersRenderOneSeriesPerChannelUnderOneFamilyHeader) {
  Metrics m;
  m.nudges_sent.add(Channel::kEmail, 3);
  m.nudges_sent.add(Channel::kInApp, 5);
  m.nudges_sent.add(Channel::kEmail, 2);
  m.nudges_failed.add(Channel::kEmail, 1);
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

TEST(Metrics, CalibrationSeriesAreAbsentWhenCalibrationIsNotFollowed) {
  const std::string text = Metrics{}.render();
  EXPECT_EQ(text.find("headroom_forecast_"), std::string::npos) << text;
}

TEST(Metrics, BeforeTheFirstOutcomeOnlyTheCountsOfCalibrationAppear) {
  Metrics m;
  headroom::measurement::CalibrationSummary s;
  s.pending = 12;
  m.set_forecast_calibration(s);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE headroom_forecast_resolved_windows gauge\nheadroom_forecast_resolved_windows 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nheadroom_forecast_pending_windows 12\n"), std::string::npos);
  // Undefined until an outcome is known: absent, never 0 or NaN.
  for (const char* name : {"headroom_forecast_brier_score", "headroom_forecast_calibration_error",
                           "headroom_forecast_mean_predicted", "headroom_forecast_observed_rate"})
    EXPECT_EQ(text.find(name), std::string::npos) << name;
  EXPECT_EQ(text.find("NaN"), std::string::npos);
}

TEST(Metrics, CalibrationGaugesCarryTheLatestPublishedSummary) {
  Metrics m;
  headroom::measurement::CalibrationSummary s;
  s.resolved = 40;
  s.pending = 7;
  s.brier = 0.125;
  s.expected_calibration_error = 0.0625;
  s.mean_predicted = 0.25;
  s.observed_rate = 0.375;
  m.set_forecast_calibration({});
  m.set_forecast_calibration(s);
  const std::string text = m.render();
  for (const char* expected :
       {"# TYPE headroom_forecast_brier_score gauge\nheadroom_forecast_brier_score 0.125\n",
        "# TYPE headroom_forecast_calibration_error gauge\nheadroom_forecast_calibration_error 0.0625\n",
        "# TYPE headroom_forecast_mean_predicted gauge\nheadroom_forecast_mean_predicted 0.25\n",
        "# TYPE headroom_forecast_observed_rate gauge\nheadroom_forecast_observed_rate 0.375\n",
        "\nheadroom_forecast_resolved_windows 40\n", "\nheadroom_forecast_pending_windows 7\n"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(occurrences(text, "# HELP headroom_forecast_brier_score "), 1u);
}

TEST(Metrics, EveryFamilyIsDeclaredOnceAndEverySampleBelongsToADeclaredFamily) {
  Metrics with_calibration;
  headroom::measurement::CalibrationSummary s;
  s.resolved = 3;
  with_calibration.set_forecast_calibration(s);
  for (const std::string& text : {Metrics{}.render(), with_calibration.render()}) {
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
}
