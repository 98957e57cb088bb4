// The real HttpServer on 127.0.0.1 (port 0) with a fake backend whose
// forecast reads and acks wait until the test releases them: slow database
// work never delays /healthz, a full backend queue and the connection cap answer
// 503 at once, and at the descriptor limit the accept loop backs off while
// open connections are served. Bounded waits on observable effects only.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/http_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/edge/log_capture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/prometheus_text.hpp"

using namespace headroom::edge;
using headroom::testing::eventually;
using headroom::testing::HttpClient;
using headroom::testing::prometheus_series;

namespace {

constexpr const char* kForecast = "/v1/accounts/acct-1/forecast";
constexpr const char* kAck = "/v1/accounts/acct-1/nudges/7/ack";
constexpr std::chrono::seconds kBound{10};

// Forecast reads are answered only at release() (an asynchronous read the
// database is slow to answer), an ack of nudge 7 blocks its backend thread
// until release() (a slow write); the feed fails as if the database were
// down, any other ack with an internal error; the rest answers at once.
class LatchedBackend : public ApiBackend {
 public:
  Readiness readiness() override { return {true, 1.0, 60.0}; }
  std::string metrics_text() override { return "headroom_up 1\n"; }
  void read_forecast(std::string id, BackendDone<headroom::forecast::StoredForecast> done) override {
    auto answer = [id, done = std::move(done)] {
      headroom::forecast::StoredForecast f;
      f.account_id = id;
      f.risk_days_json = f.anomalies_json = "[]";
      done(std::move(f), nullptr);
    };
    {
      std::lock_guard lock(mutex_);
      if (!released_) {
        deferred_.push_back(std::move(answer));
        changed_.notify_all();
        return;
      }
    }
    answer();
  }
  void read_nudge_feed(std::string, BackendDone<std::string> done) override {
    done(std::nullopt, std::make_exception_ptr(BackendUnavailable("connection refused")));
  }
  std::optional<AckOutcome> ack_nudge(std::string_view, std::int64_t nudge_id, AckStatus) override {
    if (nudge_id != 7) throw std::runtime_error("unexpected");
    std::unique_lock lock(mutex_);
    ++blocked_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    --blocked_;
    return AckOutcome::kUpdated;
  }
  UnsubscribeOutcome unsubscribe(std::string_view) override { return UnsubscribeOutcome::kRecorded; }
  std::optional<ErasureOutcome> forget_account(std::string_view) override { return std::nullopt; }

  // True once `n` acks are blocked (within kBound).
  bool wait_blocked(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return blocked_ >= n; });
  }
  // True once `n` forecast reads wait for release() (within kBound).
  bool wait_deferred(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return deferred_.size() >= n; });
  }
  // Answers the deferred reads (on this thread, as a database client's
  // thread would) and unblocks the acks.
  void release() {
    std::vector<std::function<void()>> deferred;
    {
      std::lock_guard lock(mutex_);
      released_ = true;
      deferred.swap(deferred_);
      changed_.notify_all();
    }
    for (auto& answer : deferred) answer();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int blocked_ = 0;
  std::vector<std::function<void()>> deferred_;
  bool released_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerSettings settings) {
    settings.address = "127.0.0.1";
    settings.port = 0;
    server_ = std::make_unique<HttpServer>(io_, settings, backend_, ApiAuth{"token"});
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    backend_.release();
    if (server_) server_->stop();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    server_.reset();
  }
  unsigned short port() const { return server_->port(); }

  // One series of the server's /metrics, read on `client`'s connection.
  static double series(HttpClient& client, const std::string& name) {
    const auto res = client.get("/metrics");
    return res ? prometheus_series(res->body(), name) : -1;
  }

  headroom::testing::LogCapture log_;  // installed before the server's threads start, restored after they end
  LatchedBackend backend_;
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread io_thread_;
};

std::string error_of(const HttpClient::Response& res) { return nlohmann::json::parse(res.body()).at("error"); }

// Lowers the soft RLIMIT_NOFILE to a few above the descriptors open now and
// opens /dev/null until it is reached; the destructor gives all back.
class DescriptorLimit {
 public:
  DescriptorLimit() {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw std::runtime_error("getrlimit failed");
    std::size_t open = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++open;
    rlimit lowered = saved_;
    lowered.rlim_cur = open + 16;
    if (setrlimit(RLIMIT_NOFILE, &lowered) != 0) throw std::runtime_error("setrlimit failed");
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) fillers_.push_back(fd);
    if (errno != EMFILE) throw std::runtime_error("filling descriptors stopped before EMFILE");
  }
  ~DescriptorLimit() { release(); }
  void release() {
    for (const int fd : fillers_) ::close(fd);
    fillers_.clear();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

}  // namespace

TEST_F(HttpServerTest, SlowDatabaseWorkDoesNotDelayHealthReadinessOrMetrics) {
  start({});
  HttpClient slow_read(port()), slow_write(port());
  slow_read.send(http::verb::get, kForecast);
  slow_write.send(http::verb::post, kAck, R"({"status":"seen"})");
  ASSERT_TRUE(backend_.wait_deferred(1));
  ASSERT_TRUE(backend_.wait_blocked(1));
  HttpClient probe(port());
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    const auto res = probe.get(path);
    ASSERT_TRUE(res) << path << " not answered while database work is pending";
    EXPECT_EQ(res->result_int(), 200u) << path;
  }
  backend_.release();
  const auto read = slow_read.receive();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->result_int(), 200u);
  EXPECT_EQ(nlohmann::json::parse(read->body()).at("account_id"), "acct-1");
  const auto write = slow_write.receive();
  ASSERT_TRUE(write);
  EXPECT_EQ(write->result_int(), 200u);
}

TEST_F(HttpServerTest, AFullBackendQueueAnswers503BusyAtOnce) {
  HttpServerSettings settings;
  settings.backend_threads = 1;
  settings.backend_queue = 1;
  start(settings);
  HttpClient running(port()), waiting(port()), probe(port());
  running.send(http::verb::post, kAck, R"({"status":"seen"})");
  ASSERT_TRUE(backend_.wait_blocked(1));
  waiting.send(http::verb::post, kAck, R"({"status":"seen"})");
  ASSERT_TRUE(eventually([&] { return series(probe, "headroom_http_backend_requests") == 2; }, kBound));

  HttpClient third(port());
  third.send(http::verb::post, kAck, R"({"status":"seen"})");
  const auto busy = third.receive();
  ASSERT_TRUE(busy) << "the third request waited instead of being refused";
  EXPECT_EQ(busy->result_int(), 503u);
  EXPECT_EQ(error_of(*busy), "busy");
  EXPECT_EQ(std::string((*busy)["Retry-After"]), "1");
  EXPECT_FALSE(std::string((*busy)["X-Request-Id"]).empty());

  backend_.release();
  for (HttpClient* client : {&running, &waiting}) {
    const auto res = client->receive();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200u);
  }
  const std::string ack_route = R"(route="/v1/accounts/{account_id}/nudges/{nudge_id}/ack",method="POST")";
  EXPECT_EQ(series(probe, "headroom_http_requests_total{" + ack_route + R"(,status="503"})"), 1);
  EXPECT_EQ(series(probe, "headroom_http_requests_total{" + ack_route + R"(,status="200"})"), 2);
}

TEST_F(HttpServerTest, BackendFailuresAreAnsweredAndTheConnectionGoesOn) {
  start({});
  HttpClient client(port());
  const auto down = client.get("/v1/accounts/acct-1/nudges");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->result_int(), 503u);
  EXPECT_EQ(error_of(*down), "database_unavailable");
  EXPECT_FALSE(std::string((*down)["Retry-After"]).empty());
  client.send(http::verb::post, "/v1/accounts/acct-1/nudges/8/ack", R"({"status":"seen"})");
  const auto internal = client.receive();
  ASSERT_TRUE(internal);
  EXPECT_EQ(internal->result_int(), 500u);
  EXPECT_EQ(error_of(*internal), "internal");
  const auto health = client.get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result_int(), 200u);
}

TEST_F(HttpServerTest, AConnectionBeyondTheCapIsAnswered503AndClosed) {
  HttpServerSettings settings;
  settings.max_connections = 1;
  start(settings);
  HttpClient first(port());
  ASSERT_TRUE(first.get("/healthz"));
  HttpClient second(port());
  const auto refused = second.get("/healthz");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 503u);
  EXPECT_EQ(error_of(*refused), "too_many_connections");
  EXPECT_FALSE(refused->keep_alive());
  EXPECT_TRUE(second.wait_closed());
  EXPECT_EQ(series(first, "headroom_http_connections_refused_total"), 1);
  EXPECT_EQ(series(first, "headroom_http_connections_open"), 1);
}

TEST_F(HttpServerTest, APartialHeaderIsCutOffAtTheHeaderTimeoutNotTheIdleOne) {
  HttpServerSettings settings;
  settings.header_timeout = std::chrono::seconds(1);
  settings.idle_timeout = std::chrono::seconds(600);
  start(settings);
  HttpClient client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, AtTheDescriptorLimitAcceptBacksOffWhileOpenConnectionsAreServed) {
  start({});
  HttpClient open(port());
  ASSERT_TRUE(open.get("/healthz"));
  HttpClient late;
  late.open();  // its descriptor, taken before there are none left
  {
    DescriptorLimit limit;
    late.connect(port());  // the kernel completes it; the server cannot accept it
    EXPECT_TRUE(eventually(
        [&] { return series(open, R"(headroom_http_accept_errors_total{reason="fd_limit"})") >= 3; }, kBound));
    const auto health = open.get("/healthz");
    ASSERT_TRUE(health) << "an open connection went unanswered at the descriptor limit";
    EXPECT_EQ(health->result_int(), 200u);
  }
  const auto res = late.get("/healthz");
  ASSERT_TRUE(res) << "the connection made at the limit was not accepted after it";
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(log_.lines_with("accept failed").size(), 1u);
  EXPECT_EQ(log_.lines_with("accepting connections again").size(), 1u);
}
