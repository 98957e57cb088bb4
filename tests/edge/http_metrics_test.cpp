// The HTTP server's series (HttpMetrics), the process series and
// headroom_build_info, as Prometheus text, without a server.
#include <chrono>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "edge/build_info.hpp"
#include "edge/metrics.hpp"
#include "tests/support/prometheus_text.hpp"

using headroom::edge::AcceptError;
using headroom::edge::HttpMetrics;
using headroom::edge::Metrics;
using headroom::testing::prometheus_series;

namespace {

constexpr const char* kForecast = "/v1/accounts/{account_id}/forecast";

std::string bucket(const std::string& route, const std::string& le) {
  return "headroom_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"}";
}

// Each family's "# TYPE" line, counted: one per family.
std::map<std::string, int> type_lines(const std::string& text) {
  std::map<std::string, int> families;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("# TYPE ", 0) == 0) ++families[line.substr(7, line.find(' ', 7) - 7)];
  return families;
}

}  // namespace

TEST(HttpMetrics, CountsResponsesByRouteMethodAndStatus) {
  HttpMetrics m;
  m.count_request("/healthz", "GET", 200, 0.0001);
  m.count_request("/healthz", "GET", 200, 0.0002);
  m.count_request(kForecast, "GET", 503, 0.002);
  m.count_request(kForecast, "POST", 405, 0.0001);
  const std::string text = m.render();
  EXPECT_EQ(prometheus_series(text, R"(headroom_http_requests_total{route="/healthz",method="GET",status="200"})"), 2)
      << text;
  EXPECT_EQ(prometheus_series(
                text, R"(headroom_http_requests_total{route="/v1/accounts/{account_id}/forecast",method="GET",status="503"})"),
            1);
  EXPECT_EQ(prometheus_series(
                text, R"(headroom_http_requests_total{route="/v1/accounts/{account_id}/forecast",method="POST",status="405"})"),
            1);
}

TEST(HttpMetrics, DurationIsAHistogramWithCumulativeBucketsPerRoute) {
  HttpMetrics m;
  m.count_request(kForecast, "GET", 200, 0.003);
  m.count_request(kForecast, "GET", 200, 0.005);  // on a bound: counts in that bucket (le = less or equal)
  m.count_request(kForecast, "GET", 200, 0.2);
  m.count_request(kForecast, "GET", 200, 20);     // beyond the last bound: +Inf only
  const std::string text = m.render();
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "0.001")), 0) << text;
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "0.0025")), 0);
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "0.005")), 2);
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "0.1")), 2);
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "0.25")), 3);
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "10")), 3);
  EXPECT_EQ(prometheus_series(text, bucket(kForecast, "+Inf")), 4);
  EXPECT_EQ(prometheus_series(text, "headroom_http_request_duration_seconds_count{route=\"" + std::string(kForecast) + "\"}"), 4);
  EXPECT_DOUBLE_EQ(
      prometheus_series(text, "headroom_http_request_duration_seconds_sum{route=\"" + std::string(kForecast) + "\"}"),
      20.208);
  EXPECT_NE(text.find("# TYPE headroom_http_request_duration_seconds histogram\n"), std::string::npos);
  // The thirteen bounds, in order.
  std::size_t at = 0;
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
                         "+Inf"}) {
    at = text.find(bucket(kForecast, le) + " ", at);
    ASSERT_NE(at, std::string::npos) << le;
  }
}

TEST(HttpMetrics, ConnectionAndAcceptSeriesStartAtZeroAndCount) {
  HttpMetrics m;
  std::string text = m.render();
  EXPECT_EQ(prometheus_series(text, "headroom_http_connections_open"), 0) << text;
  EXPECT_EQ(prometheus_series(text, "headroom_http_connections_refused_total"), 0);
  EXPECT_EQ(prometheus_series(text, R"(headroom_http_accept_errors_total{reason="fd_limit"})"), 0);
  EXPECT_EQ(prometheus_series(text, R"(headroom_http_accept_errors_total{reason="other"})"), 0);
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  m.connection_refused();
  m.accept_failed(AcceptError::kFdLimit);
  m.accept_failed(AcceptError::kFdLimit);
  m.accept_failed(AcceptError::kOther);
  m.backend_request_started();
  text = m.render();
  EXPECT_EQ(prometheus_series(text, "headroom_http_connections_open"), 1);
  EXPECT_EQ(prometheus_series(text, "headroom_http_connections_refused_total"), 1);
  EXPECT_EQ(prometheus_series(text, R"(headroom_http_accept_errors_total{reason="fd_limit"})"), 2);
  EXPECT_EQ(prometheus_series(text, R"(headroom_http_accept_errors_total{reason="other"})"), 1);
  EXPECT_EQ(prometheus_series(text, "headroom_http_backend_requests"), 1);
}

TEST(HttpMetrics, EveryFamilyHasOneTypeLine) {
  HttpMetrics m;
  m.count_request("/healthz", "GET", 200, 0.001);
  m.count_request(kForecast, "GET", 200, 0.001);
  for (const auto& [family, n] : type_lines(m.render())) EXPECT_EQ(n, 1) << family;
}

TEST(ProcessMetrics, FollowThePrometheusClientConvention) {
  const std::string text = Metrics{}.render();
  EXPECT_GT(prometheus_series(text, "process_resident_memory_bytes"), 0) << text;
  EXPECT_GE(prometheus_series(text, "process_virtual_memory_bytes"), prometheus_series(text, "process_resident_memory_bytes"));
  EXPECT_GE(prometheus_series(text, "process_open_fds"), 3);  // at least the standard streams' and the counting one
  EXPECT_GE(prometheus_series(text, "process_max_fds"), prometheus_series(text, "process_open_fds"));
  EXPECT_GE(prometheus_series(text, "process_cpu_seconds_total"), 0);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = prometheus_series(text, "process_start_time_seconds");
  EXPECT_GT(start, 1.6e9);      // a Unix time, not seconds since boot
  EXPECT_LE(start, now + 1.0);  // started before this scrape (to the clock tick)
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_open_fds gauge\n"), std::string::npos);
  for (const auto& [family, n] : type_lines(text)) EXPECT_EQ(n, 1) << family;
}

TEST(BuildInfo, IsOneSeriesWithTheVersionAndCommit) {
  const std::string text = Metrics{}.render();
  const std::string series = "headroom_build_info{version=\"" + std::string(headroom::edge::build_version()) +
                             "\",commit=\"" + std::string(headroom::edge::build_commit()) + "\"}";
  EXPECT_EQ(prometheus_series(text, series), 1) << text;
  const std::string version(headroom::edge::build_version());
  EXPECT_TRUE(!version.empty() && version.find_first_not_of("0123456789.") == std::string::npos) << version;
  const std::string commit(headroom::edge::build_commit());
  EXPECT_TRUE(commit == "unknown" || (commit.size() >= 7 && commit.find_first_not_of("0123456789abcdef") == std::string::npos))
      << commit;
  EXPECT_EQ(headroom::edge::build_description(), "headroom " + version + " (commit " + commit + ")");
}
