// Fault matrix, rows 5 and 7 (docs/operations.md, "Fault matrix"): the real
// `headroom run` daemon loses its PostgreSQL in the middle of a cycle — the
// server stopped (row 5), or its volume full (row 7) — while the API is
// being called. The process stays up, the database routes answer 503 with
// Retry-After, /healthz stays 200; once the database is back the cycle
// completes and nothing is half-written. Each test has its own cluster
// (tests/support/private_cluster.hpp); the cycle is stopped at an exact
// statement by a write gate (tests/support/write_gate.hpp).
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "nudges/unsubscribe.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fault_matrix.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/private_cluster.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/write_gate.hpp"

using namespace std::chrono_literals;
using namespace headroom::testing;
using boost::beast::http::verb;

namespace {

constexpr int kAccounts = 30;
const std::string kAfterTwoChunks =
    "(SELECT count(*) >= 2 FROM headroom.scoring_chunks WHERE done_at IS NOT NULL)";

// One request of the spread over every route.
struct RouteCall {
  std::string name;
  verb method;
  std::string target;
  std::string body;
  bool database;  // answered from PostgreSQL (else from memory)
};

// The unsubscribe link is an account outside the scored ones, so an opt-out
// that does commit changes no email of the end state.
std::vector<RouteCall> every_route() {
  const std::string token = headroom::nudges::sign_unsubscribe_token(kFaultUnsubscribeSecret, "acct-unsubscribing");
  return {
      {"healthz", verb::get, "/healthz", "", false},
      {"readyz", verb::get, "/readyz", "", false},
      {"metrics", verb::get, "/metrics", "", false},
      {"forecast", verb::get, "/v1/accounts/acct-000/forecast", "", true},
      {"nudges", verb::get, "/v1/accounts/acct-000/nudges", "", true},
      {"ack", verb::post, "/v1/accounts/acct-000/nudges/1/ack", "{\"status\": \"seen\"}", true},
      {"unsubscribe GET", verb::get, "/unsubscribe?token=" + token, "", true},
      {"unsubscribe POST", verb::post, "/unsubscribe?token=" + token, "", true},
  };
}

// Route name -> status -> count (0 = not answered), and how many 503s of the
// database routes came without Retry-After.
struct Tally {
  std::map<std::string, std::map<int, int>> statuses;
  int without_retry_after = 0;
  std::string describe() const {
    std::string out;
    for (const auto& [route, by_status] : statuses) {
      out += route + ":";
      for (const auto& [status, n] : by_status) out += " " + std::to_string(status) + "×" + std::to_string(n);
      out += "\n";
    }
    return out;
  }
};

// `total` requests spread evenly over every route, on keep-alive connections
// opened again whenever the daemon closes one.
Tally call_every_route(unsigned short port, int total) {
  const auto routes = every_route();
  Tally tally;
  std::unique_ptr<HttpConnection> conn;
  for (int i = 0; i < total; ++i) {
    const auto& r = routes[static_cast<std::size_t>(i) % routes.size()];
    if (!conn || !conn->connected()) conn = std::make_unique<HttpConnection>(port);
    const HttpReply reply = conn->request(r.method, r.target, r.body, kFaultApiToken);
    ++tally.statuses[r.name][reply.answered ? reply.status : 0];
    if (r.database && reply.status == 503 && reply.retry_after.empty()) ++tally.without_retry_after;
  }
  return tally;
}

class DatabaseOutageFaults : public ::testing::Test {
 protected:
  // Migrates and seeds `cluster`, starts the sink and the daemon with a gate
  // that stops the cycle's third chunk on `gated_table`, and waits for it.
  void start_daemon_mid_cycle(PrivateCluster& cluster, const std::string& gated_table) {
    ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
    ASSERT_FALSE(smtp_sink_script().empty()) << "HEADROOM_TEST_SMTP_SINK not set: run through scripts/test.sh";
    url_ = cluster.url();
    ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + url_}};
    ASSERT_EQ(m.wait_exit(60s), 0);
    {
      pqxx::connection c{url_};
      seed_accounts_running_low(c, kAccounts);
    }
    const std::string smtp_url = sink_.url();
    ASSERT_FALSE(smtp_url.empty()) << "the SMTP sink did not start";
    gate_ = std::make_unique<WriteGate>(url_, gated_table, kAfterTwoChunks);
    log_ = (sink_.dir() / "daemon.log").string();
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{HEADROOM_BINARY, "run", "--interval-seconds", "3600", "--accounts-per-chunk", "5",
                                 "--lease-seconds", "2", "--threads", "1"},
        daemon_environment(url_, smtp_url), log_);
    const auto port = wait_listening_port(log_, 60s);
    ASSERT_TRUE(port) << slurp(log_);
    port_ = *port;
    ASSERT_TRUE(gate_->wait_blocked(120s)) << "the cycle never reached its third chunk\n" << slurp(log_);
    // The routes work while the database does (the same requests, later, must not).
    EXPECT_EQ(http_get(port_, "/v1/accounts/acct-000/forecast", kFaultApiToken).status, 200);
  }

  bool daemon_alive() { return !daemon_->wait_exit(0s).has_value(); }

  // Once the database is back: the cycle completes, /readyz is 200, the
  // outbox drains, and the end state is whole.
  void expect_recovery() {
    gate_->open();
    EXPECT_TRUE(eventually([&] { return holds(url_, "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL"); }, 120s))
        << "the cycle never completed after the database came back\n" << slurp(log_);
    EXPECT_TRUE(eventually([&] { return http_get(port_, "/readyz").status == 200; }, 60s)) << http_get(port_, "/readyz").body;
    EXPECT_TRUE(eventually([&] { return !holds(url_, "SELECT count(*) FROM headroom.nudge_outbox WHERE status = 'pending'"); }, 120s))
        << "the outbox never drained\n" << slurp(log_);
    gate_->remove();
    expect_cycle_complete(url_, kAccounts);
    expect_each_nudge_decided_once(url_, kAccounts);
    // A send whose mark was lost with the connection goes again after its
    // lease, with its Message-ID: at most one per delivery thread.
    expect_every_email_sent_once(url_, sink_, {}, 1);
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait_exit(60s), 0) << slurp(log_);
  }

  std::string url_;
  SmtpSink sink_{"headroom-outage"};
  std::unique_ptr<WriteGate> gate_;
  std::string log_;
  std::unique_ptr<ChildProcess> daemon_;
  unsigned short port_ = 0;
};

// A tmpfs of `megabytes` mounted on a fresh folder for one test (root with
// CAP_SYS_ADMIN only); unmounted when destroyed.
class TmpfsVolume {
 public:
  explicit TmpfsVolume(int megabytes) {
    std::string tmpl = "/tmp/headroom-full.XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("TmpfsVolume: mkdtemp failed");
    path_ = tmpl;
    const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mount -t tmpfs refused: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
    if (::geteuid() == 0 && std::system(("chown postgres: " + path_).c_str()) != 0) error_ = "chown postgres failed";
  }
  ~TmpfsVolume() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TmpfsVolume(const TmpfsVolume&) = delete;
  TmpfsVolume& operator=(const TmpfsVolume&) = delete;
  bool ready() const { return mounted_ && error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

  // Writes `name` until the volume refuses (ENOSPC); the bytes written.
  std::size_t fill(const std::string& name) const {
    std::FILE* f = std::fopen((path_ + "/" + name).c_str(), "wb");
    if (!f) return 0;
    std::vector<char> block(1 << 20, 'x');
    std::size_t written = 0;
    for (std::size_t n; (n = std::fwrite(block.data(), 1, block.size(), f)) > 0;) {
      written += n;
      if (n < block.size()) break;
    }
    std::fclose(f);
    return written;
  }
  std::size_t free_bytes() const { return std::filesystem::space(path_).available; }

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

}  // namespace

// Row 5.
TEST_F(DatabaseOutageFaults, WithPostgresStoppedMidCycleTheApiAnswers503AndAfterItIsBackTheCycleCompletes) {
  PrivateCluster cluster;
  start_daemon_mid_cycle(cluster, "headroom.scoring_log");
  if (HasFatalFailure()) return;
  // The chunk's transaction is open: stopping the server ends it.
  cluster.stop();
  EXPECT_EQ(http_get(port_, "/healthz").status, 200);
  const HttpReply forecast = http_get(port_, "/v1/accounts/acct-000/forecast", kFaultApiToken);
  EXPECT_EQ(forecast.status, 503) << forecast.body;
  EXPECT_FALSE(forecast.retry_after.empty());
  ASSERT_TRUE(daemon_alive()) << "one request ended the daemon\n" << slurp(log_);
  EXPECT_TRUE(eventually([&] { return http_get(port_, "/readyz").status == 503; }, 10s))
      << "/readyz still says ready with the database stopped: " << http_get(port_, "/readyz").body;
  EXPECT_NE(http_get(port_, "/readyz").body.find(R"("failed_checks":["database")"), std::string::npos)
      << "/readyz does not name the database as the failed check";

  // The issue's acceptance: 1,000 requests over every route while it is down.
  const Tally tally = call_every_route(port_, 1000);
  ASSERT_TRUE(daemon_alive()) << tally.describe() << slurp(log_);
  for (const auto& r : every_route()) {
    const auto& by_status = tally.statuses.at(r.name);
    const int expected = r.database || r.name == "readyz" ? 503 : 200;
    EXPECT_EQ(by_status.size(), 1u) << r.name << " answered more than one way:\n" << tally.describe();
    EXPECT_TRUE(by_status.count(expected)) << r.name << " should answer " << expected << ":\n" << tally.describe();
  }
  EXPECT_EQ(tally.without_retry_after, 0) << "503s without Retry-After";
  // Nothing of the interrupted chunk was kept.
  cluster.start();
  // Nothing the refused requests asked for happened.
  EXPECT_EQ(scalar(url_, "SELECT count(*) FROM headroom.nudges WHERE status = 'seen'"), 0);
  EXPECT_EQ(scalar(url_, "SELECT count(*) FROM headroom.accounts WHERE opted_out_at IS NOT NULL"), 0);
  expect_recovery();
}

// Row 7.
TEST_F(DatabaseOutageFaults, WithTheClustersVolumeFullMidCycleTheProcessStaysUpAndOnceThereIsRoomTheCycleCompletes) {
  TmpfsVolume volume{160};
  if (!volume.ready()) GTEST_SKIP() << "no tmpfs for the cluster's volume: " << volume.error();
  PrivateCluster cluster{volume.path() + "/data"};
  // The gate holds the third chunk before its forecasts are inserted: the
  // insert that needs new pages comes after the volume is full.
  start_daemon_mid_cycle(cluster, "headroom.forecasts");
  if (HasFatalFailure()) return;
  ASSERT_GT(volume.fill("filler"), 0u);
  ASSERT_EQ(volume.free_bytes(), 0u);
  gate_->open();
  // The chunk's insert fails (ERROR "could not extend file": no space), its
  // transaction rolls back, and the scoring thread retries with backoff.
  ASSERT_TRUE(eventually([&] { return slurp(log_).find("No space left on device") != std::string::npos; }, 60s))
      << slurp(log_);
  ASSERT_TRUE(daemon_alive()) << slurp(log_);
  // Every route answers: from the database when it can (reads need no
  // space), 503 with Retry-After when it cannot; never a 500, never a drop.
  const Tally tally = call_every_route(port_, 200);
  ASSERT_TRUE(daemon_alive()) << tally.describe() << slurp(log_);
  for (const auto& r : every_route()) {
    for (const auto& [status, n] : tally.statuses.at(r.name)) {
      EXPECT_NE(status, 0) << r.name << " left unanswered:\n" << tally.describe();
      EXPECT_TRUE(status < 500 || status == 503) << r.name << ":\n" << tally.describe();
    }
  }
  EXPECT_EQ(tally.statuses.at("healthz").count(200), 1u);
  EXPECT_EQ(tally.without_retry_after, 0);
  std::printf("disk full, answers by route:\n%s", tally.describe().c_str());
  EXPECT_EQ(scalar(url_, "SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"), 2)
      << "a chunk committed on a full volume";
  expect_no_partial_chunk(url_);

  // What a 200 said was done is done, and only that: the opt-out committed
  // when its route said so.
  EXPECT_EQ(scalar(url_, "SELECT count(*) FROM headroom.accounts WHERE opted_out_at IS NOT NULL"),
            tally.statuses.at("unsubscribe GET").count(200) + tally.statuses.at("unsubscribe POST").count(200) > 0);

  std::filesystem::remove(volume.path() + "/filler");
  // A WAL segment that cannot be created is a PANIC, and the crash recovery
  // that follows cannot create one either: PostgreSQL then shuts down, and
  // comes back only when started with room on its volume.
  if (!holds(url_, "SELECT 1")) {
    std::printf("PostgreSQL shut down on the full volume; starting it again\n");
    cluster.start();
  }
  expect_recovery();
}
