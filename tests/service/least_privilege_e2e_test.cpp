// The whole daemon under the service role of docs/deployment.md, with only
// the grants documented there (PUBLIC's database rights revoked), on a
// cluster of its own, with a real SMTP server: a full cycle with nudges
// planned and delivered in the app and by email, the API's /v1 routes and
// /unsubscribe, an erasure, an incremental re-forecast of the feed's new
// row, SIGTERM; then `run --once`, `forecast`, `report` and `forget` as the
// same role, and the feed re-sending the erased customer's address.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"
#include "tests/service/least_privilege.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/smtp_sink.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;
using headroom::testing::eventually;
using headroom::testing::headroom_as;
using headroom::testing::HttpReply;
using headroom::testing::slurp;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

constexpr int kAccounts = 20;
constexpr const char* kApiToken = "least-privilege-token";

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<long long>();
}

// A request to the daemon's API with the test's bearer token.
HttpReply http_call(unsigned short port, boost::beast::http::verb verb, const std::string& target,
                    const std::string& body = "") {
  return headroom::testing::http_call(port, verb, target, body, kApiToken);
}


// The shipped policy's reach, without quiet hours (the test may run at
// night) and with half the accounts held out, so that `report` has both arms
// to compare: the daemon stores it at start, as the service role.
std::string write_config(const fs::path& dir) {
  const auto path = dir / "headroom.toml";
  std::ofstream(path) << "[[policies]]\nname = \"default\"\nrisk_threshold = 0.2\n"
                         "lead_time_days = { min = 1, max = 14 }\nquiet_hours = false\nholdout_share = 0.5\n"
                         "experiment = \"default\"\n";
  return path.string();
}

// Quoted-printable (RFC 2045) decoded: soft line breaks dropped, =XX bytes;
// any other '=' (headers' encoded words) kept as it is.
std::string decode_quoted_printable(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (text.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (text.compare(i + 1, 1, "\n") == 0) {
      i += 1;
    } else if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += '=';
    }
  }
  return out;
}

// The path and query of every delivered email's one-click unsubscribe link,
// each checked to be the link its text and HTML bodies carry too.
std::vector<std::string> unsubscribe_targets(const fs::path& maildir) {
  std::vector<std::string> targets;
  for (const auto& entry : fs::directory_iterator(maildir)) {
    if (entry.path().extension() != ".eml") continue;
    std::smatch m;
    const std::string mail = slurp(entry.path());
    if (!std::regex_search(mail, m, std::regex("List-Unsubscribe: <(https?://[^/]+(/unsubscribe\\?token=[^>]+))>"))) {
      ADD_FAILURE() << entry.path() << " has no List-Unsubscribe link";
      continue;
    }
    const std::string url = m[1];
    const std::string bodies = decode_quoted_printable(mail);
    EXPECT_THAT(bodies, HasSubstr("Stop these messages: " + url)) << entry.path() << ": text body";
    EXPECT_THAT(bodies, HasSubstr("<a href=\"" + url + "\">")) << entry.path() << ": HTML body";
    targets.push_back(m[2]);
  }
  return targets;
}

// The API as an app and an email recipient use it, every route backed by the
// service role's connection.
void expect_api_answers(unsigned short port, const std::string& admin, const fs::path& maildir) {
  namespace http = boost::beast::http;
  const HttpReply forecast = http_call(port, http::verb::get, "/v1/accounts/acct-005/forecast");
  EXPECT_EQ(forecast.status, 200) << forecast.body;
  EXPECT_THAT(forecast.body, HasSubstr("acct-005"));

  pqxx::connection c{admin};
  const auto available = pqxx::nontransaction{c}.exec(
      "SELECT account_id, nudge_id FROM headroom.nudges WHERE status = 'available' ORDER BY nudge_id LIMIT 1");
  ASSERT_EQ(available.size(), 1u) << "no in-app nudge was made available";
  const std::string account = available[0][0].as<std::string>();
  const std::string nudge = available[0][1].as<std::string>();
  const HttpReply nudges = http_call(port, http::verb::get, "/v1/accounts/" + account + "/nudges");
  EXPECT_EQ(nudges.status, 200) << nudges.body;
  EXPECT_THAT(nudges.body, HasSubstr(nudge));
  const std::string ack_target = "/v1/accounts/" + account + "/nudges/" + nudge + "/ack";
  const HttpReply ack = http_call(port, http::verb::post, ack_target, R"({"status":"seen"})");
  EXPECT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.nudges WHERE status = 'seen' AND nudge_id = " + nudge), 1);

  // Every email's link works: the API takes each and opts its account out.
  const std::vector<std::string> targets = unsubscribe_targets(maildir);
  ASSERT_FALSE(targets.empty()) << "no email was delivered";
  for (const auto& target : targets) {
    const HttpReply unsubscribe = http_call(port, http::verb::post, target);
    EXPECT_EQ(unsubscribe.status, 200) << target << ": " << unsubscribe.body;
  }
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.accounts WHERE opted_out_at IS NOT NULL"),
            count(admin, "SELECT count(DISTINCT account_id) FROM headroom.nudge_outbox WHERE channel = 'email' "
                         "AND status = 'sent'"));

  // An erasure of an emailed customer, and its repeat (docs/privacy.md).
  const std::string erased = pqxx::nontransaction{c}
                                 .exec("SELECT min(account_id) FROM headroom.nudge_outbox WHERE channel = 'email' "
                                       "AND status = 'sent'")[0][0]
                                 .as<std::string>();
  const std::string forget_target = "/v1/accounts/" + erased + "/forget";
  const HttpReply forget = http_call(port, http::verb::post, forget_target);
  EXPECT_EQ(forget.status, 200) << forget.body;
  EXPECT_THAT(forget.body, HasSubstr("\"already_erased\":false"));
  EXPECT_THAT(http_call(port, http::verb::post, forget_target).body, HasSubstr("\"already_erased\":true"));
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.erasures WHERE source = 'api' AND account_id = '" + erased + "'"),
            1);
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.nudge_outbox WHERE NOT payload ? 'erased' AND account_id = '" +
                             erased + "'"),
            0);
}

}  // namespace

TEST(LeastPrivilege, TheWholeDaemonRunsAsTheServiceRoleWithOnlyTheDocumentedGrants) {
  headroom::testing::LeastPrivilegeCluster cluster{"bank"};
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  const char* sink_script = std::getenv("HEADROOM_TEST_SMTP_SINK");
  ASSERT_TRUE(sink_script && *sink_script) << "HEADROOM_TEST_SMTP_SINK not set: run through scripts/test.sh";
  const std::string admin = cluster.url("headroom");
  const std::string service = cluster.url("headroom_service");

  const auto migrated = headroom_as(cluster.url("headroom_owner"), "migrate");
  ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
  ASSERT_NO_THROW(cluster.run_documented("grants", "headroom_owner"));
  {
    pqxx::connection c{cluster.url("headroom_feed")};
    headroom::testing::feed_accounts_running_low(c, kAccounts);
  }

  headroom::testing::TempDir dir;
  const std::string config = write_config(dir.path());
  ChildProcess sink{{"/usr/bin/python3", sink_script, "--maildir", (dir.path() / "mail").string(), "--port-file",
                     (dir.path() / "port").string()},
                    {},
                    (dir.path() / "sink.log").string()};
  ASSERT_TRUE(eventually([&] { std::error_code ec; return fs::file_size(dir.path() / "port", ec) > 0 && !ec; }, 20s));
  const std::vector<std::string> env = {
      "HEADROOM_DATABASE_URL=" + service, "HEADROOM_CONFIG=" + config, "HEADROOM_HTTP_PORT=0",
      "HEADROOM_SMTP_URL=smtp://127.0.0.1:" + slurp(dir.path() / "port"), "HEADROOM_SMTP_ALLOW_INSECURE=1",
      "HEADROOM_SMTP_FROM=alerts@bank.example", std::string("HEADROOM_API_TOKEN=") + kApiToken,
      "HEADROOM_UNSUBSCRIBE_SECRET=least-privilege-secret", "HEADROOM_POLL_INTERVAL_SECONDS=1"};
  const std::string log = (dir.path() / "daemon.log").string();
  ChildProcess daemon{{HEADROOM_BINARY, "run", "--interval-seconds", "3600", "--accounts-per-chunk", "7"}, env, log};
  const unsigned short port = headroom::testing::wait_listening_port(log, 60s).value_or(0);
  ASSERT_NE(port, 0) << slurp(log);

  // A full cycle, its nudges planned and everything due delivered.
  ASSERT_TRUE(eventually(
      [&] {
        return count(admin, "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") == 1 &&
               count(admin, "SELECT count(*) FROM headroom.nudge_outbox WHERE status = 'pending' "
                            "AND next_attempt_at <= now()") == 0;
      },
      120s))
      << slurp(log);
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.forecasts"), kAccounts);
  EXPECT_GT(count(admin, "SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'sent'"), 0);
  EXPECT_GT(count(admin, "SELECT count(*) FROM headroom.nudges WHERE status = 'available'"), 0);
  expect_api_answers(port, admin, dir.path() / "mail");

  // The feed's new row: re-forecast incrementally (cycle_id NULL) by the daemon.
  {
    pqxx::connection c{cluster.url("headroom_feed")};
    pqxx::work tx{c};
    tx.exec("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, description) VALUES "
            "('acct-003', 'late-1', (now() AT TIME ZONE 'UTC')::date - 1, -25.00, 'CARD SHOP 9')");
    tx.commit();
  }
  const std::string incremental =
      "SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-003' AND cycle_id IS NULL";
  EXPECT_TRUE(eventually([&] { return count(admin, incremental) == 1; }, 60s))
      << slurp(log);

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(60s), 0) << slurp(log);
  EXPECT_THAT(slurp(log), ::testing::Not(HasSubstr("permission denied")));

  // The other verbs of the service role.
  const std::string service_env = "HEADROOM_CONFIG=" + config;
  const auto once = headroom_as(service, "run --once", service_env);
  EXPECT_EQ(once.exit_code, 0) << once.output;
  const auto forecast = headroom_as(service, "forecast acct-005", service_env);
  EXPECT_EQ(forecast.exit_code, 0) << forecast.output;
  EXPECT_THAT(forecast.output, HasSubstr("account acct-005"));
  const auto report = headroom_as(service, "report --experiment default --out " + (dir.path() / "report").string());
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(fs::exists(dir.path() / "report" / "report.json"));
  const auto forget = headroom_as(service, "forget acct-019", service_env);
  EXPECT_EQ(forget.exit_code, 0) << forget.output;
  EXPECT_THAT(forget.output, HasSubstr("forget: account acct-019 "));
  {
    // The feed re-sends the erased customer's address: it stays out.
    pqxx::connection c{cluster.url("headroom_feed")};
    pqxx::work tx{c};
    tx.exec("UPDATE headroom.accounts SET email = 'customer19@example.com', email_consent = true "
            "WHERE account_id = 'acct-019'");
    tx.commit();
  }
  EXPECT_EQ(count(admin, "SELECT count(*) FROM headroom.accounts WHERE account_id = 'acct-019' AND email IS NULL "
                         "AND NOT email_consent AND opted_out_at IS NOT NULL"),
            1);

  // Nothing lasting belongs to the service role: it made no schema object.
  EXPECT_EQ(count(admin, "SELECT count(*) FROM pg_class WHERE relpersistence <> 't' AND relowner = "
                         "'headroom_service'::regrole"),
            0);
  EXPECT_EQ(count(admin, "SELECT count(*) FROM pg_namespace WHERE nspowner = 'headroom_service'::regrole"), 0);

  sink.signal(SIGTERM);
  sink.wait_exit(10s);
}
