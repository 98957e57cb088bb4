// The real `headroom run` on a private cluster that the test stops and
// starts: with PostgreSQL down the database routes answer 503 with
// Retry-After, /healthz 200, /readyz 503 naming the database, and the
// process lives on; once PostgreSQL is back the next cycle completes and
// /readyz is 200 again.
#include <sys/socket.h>
#include <sys/time.h>

#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "nudges/unsubscribe.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/private_cluster.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;
using headroom::testing::eventually;

namespace {

namespace http = boost::beast::http;

constexpr const char* kToken = "outage-test-token";
constexpr const char* kSecret = "outage-test-secret";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A response, or nullopt when the connection closed (or stayed silent for
// 10 s) without one.
std::optional<http::response<http::string_body>> request(unsigned short port, http::verb verb,
                                                         const std::string& target, bool bearer = false,
                                                         const std::string& body = "") {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket{io};
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const timeval limit{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (bearer) req.set(http::field::authorization, std::string("Bearer ") + kToken);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int status_of(const std::optional<http::response<http::string_body>>& res) {
  return res ? static_cast<int>(res->result_int()) : 0;
}

bool holds(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    return tx.exec(sql)[0][0].as<long long>() > 0;
  } catch (const std::exception&) {
    return false;
  }
}

long long last_cycle(const std::string& url) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec("SELECT coalesce(max(cycle_id), 0) FROM headroom.scoring_cycles")[0][0].as<long long>();
}

void expect_unavailable(const std::optional<http::response<http::string_body>>& res, const std::string& route) {
  ASSERT_TRUE(res) << route << ": no response";
  EXPECT_EQ(res->result_int(), 503u) << route << ": " << res->body();
  EXPECT_FALSE((*res)[http::field::retry_after].empty()) << route << ": no Retry-After";
}

}  // namespace

TEST(DaemonOutage, DatabaseRoutesAnswer503WhileTheDatabaseIsDownAndEverythingRecoversAfter) {
  headroom::testing::PrivateCluster cluster;
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  {
    ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + cluster.url()}};
    ASSERT_EQ(m.wait_exit(60s), 0);
    pqxx::connection c{cluster.url()};
    headroom::testing::PayRentCardHistory history;
    history.accounts = 20;
    headroom::testing::seed_pay_rent_card(c, history);
  }
  headroom::testing::TempDir dir;
  const std::string log = (dir.path() / "daemon.log").string();
  // A cycle every 2 s; readiness asks only for one in the last minute, so the
  // database probe alone decides /readyz here.
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "2", "--accounts-per-chunk", "10"},
                      {"HEADROOM_DATABASE_URL=" + cluster.url(), "HEADROOM_HTTP_PORT=0",
                       std::string("HEADROOM_API_TOKEN=") + kToken, std::string("HEADROOM_UNSUBSCRIBE_SECRET=") + kSecret,
                       "HEADROOM_READY_MAX_CYCLE_AGE_SECONDS=60", "HEADROOM_API_THREADS=2"},
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
  const std::string forecast = "/v1/accounts/acct-001/forecast";
  const std::string feed = "/v1/accounts/acct-001/nudges";
  const std::string unsubscribe = "/unsubscribe?token=" + headroom::nudges::sign_unsubscribe_token(kSecret, "acct-002");
  ASSERT_TRUE(eventually(
      [&] {
        return holds(cluster.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") &&
               status_of(request(port, http::verb::get, "/readyz")) == 200;
      },
      120s))
      << slurp(log);
  EXPECT_EQ(status_of(request(port, http::verb::get, forecast, true)), 200);

  cluster.stop();
  std::optional<http::response<http::string_body>> ready;
  EXPECT_TRUE(eventually(
      [&] {
        ready = request(port, http::verb::get, "/readyz");
        return status_of(ready) == 503;
      },
      30s))
      << slurp(log);
  ASSERT_TRUE(ready);
  const auto body = nlohmann::json::parse(ready->body());
  EXPECT_FALSE(body.at("database_reachable").get<bool>());
  EXPECT_EQ(body.at("failed_checks"), nlohmann::json::array({"database"})) << ready->body();

  // Every route, many times: the database ones 503, the others as ever.
  for (int round = 0; round < 20; ++round) {
    expect_unavailable(request(port, http::verb::get, forecast, true), forecast);
    expect_unavailable(request(port, http::verb::get, feed, true), feed);
    expect_unavailable(
        request(port, http::verb::post, "/v1/accounts/acct-001/nudges/1/ack", true, R"({"status":"seen"})"), "ack");
    expect_unavailable(request(port, http::verb::post, unsubscribe), "POST /unsubscribe");
    expect_unavailable(request(port, http::verb::get, unsubscribe), "GET /unsubscribe");
    EXPECT_EQ(status_of(request(port, http::verb::get, "/healthz")), 200);
    EXPECT_EQ(status_of(request(port, http::verb::get, "/metrics")), 200);
    EXPECT_EQ(status_of(request(port, http::verb::get, "/readyz")), 503);
    ASSERT_FALSE(daemon.wait_exit(0s)) << "the daemon ended with the database down\n" << slurp(log);
  }

  cluster.start();
  const long long before = last_cycle(cluster.url());
  EXPECT_TRUE(eventually(
      [&] {
        return holds(cluster.url(), "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL AND "
                                    "cycle_id > " + std::to_string(before));
      },
      120s))
      << slurp(log);
  EXPECT_TRUE(eventually([&] { return status_of(request(port, http::verb::get, "/readyz")) == 200; }, 30s))
      << slurp(log);
  EXPECT_EQ(status_of(request(port, http::verb::get, forecast, true)), 200);
  EXPECT_EQ(status_of(request(port, http::verb::get, unsubscribe)), 200);
  EXPECT_TRUE(holds(cluster.url(), "SELECT count(*) FROM headroom.accounts WHERE account_id = 'acct-002' AND "
                                   "opted_out_at IS NOT NULL"));

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0) << slurp(log);
}
