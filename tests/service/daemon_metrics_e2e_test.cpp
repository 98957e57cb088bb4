// GET /metrics of the real `headroom run` after a real cycle and delivery
// (PostgreSQL and scripts/smtp_sink.py): the per-channel nudge series and the
// cycle series carry the values the database shows; the calibration counts
// show the cycle's forecasts followed.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/test_database.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;
using headroom::testing::eventually;
using headroom::testing::prometheus_series;
namespace fs = std::filesystem;

namespace {

constexpr int kAccounts = 20;
constexpr int kBouncing = 4;  // accounts whose address the sink refuses (550)

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<long long>();
}

std::string http_get(unsigned short port, const std::string& target) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket{io};
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response.body();
}

}  // namespace

TEST(DaemonMetrics, NudgeSeriesByChannelAndCycleSeriesMatchTheDatabaseAfterACycleAndDelivery) {
  headroom::testing::TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  const char* sink_script = std::getenv("HEADROOM_TEST_SMTP_SINK");
  ASSERT_TRUE(sink_script && *sink_script) << "HEADROOM_TEST_SMTP_SINK not set: run through scripts/test.sh";
  headroom::testing::TempDir dir;
  {
    pqxx::connection c{db.url()};
    headroom::db::migrate(c);
    headroom::testing::seed_accounts_running_low(c, kAccounts, kBouncing);
  }
  ChildProcess sink{{"/usr/bin/python3", sink_script, "--maildir", (dir.path() / "mail").string(), "--port-file",
                     (dir.path() / "port").string()},
                    {},
                    (dir.path() / "sink.log").string()};
  ASSERT_TRUE(eventually([&] { std::error_code ec; return fs::file_size(dir.path() / "port", ec) > 0 && !ec; }, 20s));
  const std::string log = (dir.path() / "daemon.log").string();
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "3600", "--accounts-per-chunk", "7"},
                      {"HEADROOM_DATABASE_URL=" + db.url(), "HEADROOM_HTTP_PORT=0",
                       "HEADROOM_SMTP_URL=smtp://127.0.0.1:" + slurp(dir.path() / "port"),
                       "HEADROOM_SMTP_ALLOW_INSECURE=1", "HEADROOM_SMTP_FROM=alerts@bank.example",
                       "HEADROOM_UNSUBSCRIBE_SECRET=metrics-test-secret"},
                      log};
  unsigned short port = 0;
  ASSERT_TRUE(eventually(
      [&] {
        std::smatch m;
        const std::string text = slurp(log);
        if (!std::regex_search(text, m, std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"))) return false;
        port = static_cast<unsigned short>(std::stoi(m[1]));
        return true;
      },
      60s))
      << slurp(log);

  // The database's own account of the cycle and the deliveries.
  const auto outbox = [&](const std::string& where) {
    return static_cast<double>(count(db.url(), "SELECT count(*) FROM headroom.nudge_outbox WHERE " + where));
  };
  struct Expected {
    std::string series;
    double value;
  };
  const auto expected = [&] {
    return std::vector<Expected>{
        {"headroom_cycles_completed_total", 1},
        {"headroom_cycle_duration_seconds_count", 1},
        {"headroom_accounts_scored_total", kAccounts},
        {"headroom_nudges_decided_total{channel=\"in_app\"}", outbox("channel = 'in_app'")},
        {"headroom_nudges_decided_total{channel=\"email\"}", outbox("channel = 'email'")},
        {"headroom_nudges_sent_total{channel=\"in_app\"}", outbox("channel = 'in_app' AND status = 'sent'")},
        {"headroom_nudges_sent_total{channel=\"email\"}", outbox("channel = 'email' AND status = 'sent'")},
        {"headroom_nudges_failed_total{channel=\"in_app\"}", 0},
        {"headroom_nudges_failed_total{channel=\"email\"}", outbox("channel = 'email' AND status = 'failed'")},
        {"headroom_nudges_retried_total{channel=\"email\"}", 0},
        {"headroom_nudges_cancelled_total{channel=\"in_app\"}", outbox("channel = 'in_app' AND status = 'cancelled'")},
        {"headroom_nudges_cancelled_total{channel=\"email\"}", outbox("channel = 'email' AND status = 'cancelled'")},
        {"headroom_smtp_errors_total", outbox("channel = 'email' AND status = 'failed'")},
        // Calibration: one forecast per account followed, none resolved yet.
        {"headroom_forecast_pending_windows", kAccounts},
        {"headroom_forecast_resolved_windows", 0},
    };
  };
  // Settled: the cycle finished and nothing due is left in the outbox.
  ASSERT_TRUE(eventually(
      [&] {
        return count(db.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") == 1 &&
               outbox("status = 'pending' AND next_attempt_at <= now()") == 0;
      },
      120s))
      << slurp(log);
  // The counters follow each delivery round's commit: wait for them to agree.
  std::string text;
  const bool agree = eventually(
      [&] {
        text = http_get(port, "/metrics");
        for (const auto& e : expected())
          if (prometheus_series(text, e.series) != e.value) return false;
        return true;
      },
      60s);
  for (const auto& e : expected()) EXPECT_EQ(prometheus_series(text, e.series), e.value) << e.series;
  ASSERT_TRUE(agree) << text;

  // The fixture did exercise both channels and both outcomes of a send.
  EXPECT_GT(prometheus_series(text, "headroom_nudges_sent_total{channel=\"in_app\"}"), 0);
  EXPECT_GT(prometheus_series(text, "headroom_nudges_sent_total{channel=\"email\"}"), 0);
  EXPECT_GT(prometheus_series(text, "headroom_nudges_failed_total{channel=\"email\"}"), 0);
  EXPECT_GT(prometheus_series(text, "headroom_cycle_duration_seconds_sum"), 0);
  EXPECT_NE(text.find("# TYPE headroom_nudges_sent_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE headroom_cycle_duration_seconds summary\n"), std::string::npos);
  // No window has ended: the calibration ratios are absent, not 0.
  EXPECT_EQ(prometheus_series(text, "headroom_forecast_brier_score"), -1);

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0);
  sink.signal(SIGTERM);
  sink.wait_exit(10s);
}
