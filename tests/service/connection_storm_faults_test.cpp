// Fault matrix, row 8 (docs/operations.md, "Fault matrix"): the real
// `headroom run` under a file-descriptor limit of 128 (prlimit, util-linux)
// meets ~300 connections at once. The connection it already had keeps being
// answered, the accept failures are counted, and once the storm is gone new
// connections are answered again.
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fault_matrix.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/test_database.hpp"

using namespace std::chrono_literals;
using namespace headroom::testing;

namespace {

constexpr int kFileLimit = 128;
constexpr int kStorm = 300;

}  // namespace

TEST(ConnectionStormFaults, AtTheFileLimitTheOpenConnectionIsStillAnsweredAndNewOnesAreOnceTheStormIsGone) {
  TestDatabase db;
  HEADROOM_REQUIRE_DATABASE(db);
  {
    ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + db.url()}};
    ASSERT_EQ(m.wait_exit(60s), 0);
  }
  TempDir dir;
  const std::string log = (dir.path() / "daemon.log").string();
  ChildProcess daemon{{"/usr/bin/prlimit", "--nofile=" + std::to_string(kFileLimit) + ":" + std::to_string(kFileLimit),
                       HEADROOM_BINARY, "run", "--interval-seconds", "3600"},
                      daemon_environment(db.url(), ""), log};
  const auto port = wait_listening_port(log, 60s);
  ASSERT_TRUE(port) << slurp(log);

  HttpConnection kept{*port};
  ASSERT_EQ(kept.request(boost::beast::http::verb::get, "/healthz").status, 200);

  // The storm: more connections than the daemon has descriptors. The kernel
  // completes every handshake (the listen backlog), the daemon runs out
  // while accepting them.
  boost::asio::io_context io;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> storm;
  for (int i = 0; i < kStorm; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    s->connect({boost::asio::ip::make_address("127.0.0.1"), *port}, ec);
    if (!ec) storm.push_back(std::move(s));
  }
  EXPECT_GT(storm.size(), static_cast<std::size_t>(kFileLimit)) << "the storm did not exceed the daemon's limit";

  // The connection it already had is still served, and says why it refused.
  const HttpReply health = kept.request(boost::beast::http::verb::get, "/healthz");
  EXPECT_TRUE(health.answered) << "the open connection went unanswered during the storm";
  EXPECT_EQ(health.status, 200);
  ASSERT_TRUE(daemon.wait_exit(0s) == std::nullopt) << slurp(log);
  double accept_errors = -1;
  EXPECT_TRUE(eventually(
      [&] {
        const HttpReply metrics = kept.connected() ? kept.request(boost::beast::http::verb::get, "/metrics") : HttpReply{};
        accept_errors = prometheus_series(metrics.body, "headroom_http_accept_errors_total{reason=\"fd_limit\"}");
        return accept_errors > 0;
      },
      20s))
      << "headroom_http_accept_errors_total{reason=\"fd_limit\"} = " << accept_errors << " (-1: absent)";

  // The storm is gone: new connections are answered again.
  storm.clear();
  EXPECT_TRUE(eventually([&] { return http_get(*port, "/healthz").status == 200; }, 30s))
      << "no new connection was answered after the storm";
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0) << slurp(log);
}
