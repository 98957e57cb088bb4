// service::AsyncReadPool against a real PostgreSQL, its io_context on a
// thread of the test: rows and NULLs of a prepared statement, statements in
// flight on every connection at once, a full queue refused, a statement's
// own error (500) and a cancelled one (503), a server session that stops
// answering (the client's deadline), and an outage of a private cluster of
// the test's own: reads fail at once while it is down and succeed after it
// returns. Every wait is bounded, on the reads' own answers.
#include <signal.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "edge/http_api.hpp"
#include "service/async_read_pool.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/private_cluster.hpp"
#include "tests/support/test_database.hpp"

namespace {

using namespace std::chrono_literals;
using headroom::db::PqReply;
using headroom::db::PreparedStatement;
using headroom::service::AsyncReadPool;
using headroom::service::AsyncReadPoolSettings;

const std::vector<PreparedStatement> kStatements{
    {"echo", "SELECT $1::text AS v, NULL::text AS n"},
    {"sleep", "SELECT pg_sleep($1::float8)::text"},
    {"divide", "SELECT (1 / $1::int)::text"},
    {"pid", "SELECT pg_backend_pid()::text WHERE $1::text IS NOT NULL"},
};

struct Answer {
  PqReply reply;
  std::exception_ptr error;
  bool answered = false;
};

// Runs an io_context on a thread for the pool.
class AsyncReadPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { HEADROOM_REQUIRE_DATABASE(db_); }
  void TearDown() override {
    if (pool_) pool_->stop();
    work_.reset();
    if (thread_.joinable()) thread_.join();
    pool_.reset();
  }
  void start(const std::string& url, unsigned connections = 2, unsigned max_waiting = 16,
             std::chrono::milliseconds statement_timeout = 2000ms) {
    AsyncReadPoolSettings s;
    s.url = url;
    s.connections = connections;
    s.max_waiting = max_waiting;
    s.statement_timeout = statement_timeout;
    s.max_backoff = 200ms;
    pool_ = std::make_unique<AsyncReadPool>(io_, s, kStatements);
    thread_ = std::thread([this] { io_.run(); });
  }
  std::future<Answer> read_async(const char* statement, std::string param) {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto future = promise->get_future();
    pool_->read(statement, {std::move(param)}, [promise](PqReply reply, std::exception_ptr error) {
      promise->set_value(Answer{std::move(reply), error, true});
    });
    return future;
  }
  Answer read(const char* statement, std::string param) {
    auto future = read_async(statement, std::move(param));
    if (future.wait_for(20s) != std::future_status::ready) return {};
    return future.get();
  }

  headroom::testing::TestDatabase db_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  std::unique_ptr<AsyncReadPool> pool_;
  std::thread thread_;
};

template <class E>
bool failed_with(const Answer& a) {
  if (!a.error) return false;
  try {
    std::rethrow_exception(a.error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

TEST_F(AsyncReadPoolTest, AnswersThePreparedStatementWithItsRowsAndNulls) {
  start(db_.url());
  const auto a = read("echo", "acct-1");
  ASSERT_TRUE(a.answered);
  ASSERT_FALSE(a.error);
  ASSERT_EQ(a.reply.rows(), 1);
  ASSERT_EQ(a.reply.columns(), 2);
  EXPECT_STREQ(a.reply.value(0, 0), "acct-1");
  EXPECT_EQ(a.reply.value(0, 1), nullptr);
  const auto none = read("pid", "x");
  ASSERT_TRUE(none.answered);
  EXPECT_EQ(none.reply.rows(), 1);
  EXPECT_EQ(pool_->stats().connects, 1u) << "a second read found the first connection idle";
}

TEST_F(AsyncReadPoolTest, KeepsAStatementInFlightOnEveryConnectionAndQueuesTheRest) {
  start(db_.url(), /*connections=*/3);
  std::vector<std::future<Answer>> reads;
  for (int i = 0; i < 6; ++i) reads.push_back(read_async("sleep", "0.3"));
  std::vector<std::string> pids;
  for (auto& r : reads) {
    ASSERT_EQ(r.wait_for(20s), std::future_status::ready);
    const auto a = r.get();
    EXPECT_FALSE(a.error);
  }
  const auto stats = pool_->stats();
  EXPECT_EQ(stats.connects, 3u);
  EXPECT_EQ(stats.open, 3u);
  EXPECT_EQ(stats.waiting, 0u);
}

TEST_F(AsyncReadPoolTest, AFullQueueIsRefusedBusyAtOnce) {
  start(db_.url(), /*connections=*/1, /*max_waiting=*/1);
  ASSERT_FALSE(read("echo", "connects").error);
  auto running = read_async("sleep", "0.5");
  auto waiting = read_async("sleep", "0");
  const auto refused = read("echo", "x");
  ASSERT_TRUE(refused.answered);
  EXPECT_TRUE(failed_with<headroom::edge::BackendBusy>(refused));
  ASSERT_EQ(running.wait_for(20s), std::future_status::ready);
  EXPECT_FALSE(running.get().error);
  ASSERT_EQ(waiting.wait_for(20s), std::future_status::ready);
  EXPECT_FALSE(waiting.get().error);
}

TEST_F(AsyncReadPoolTest, AStatementsOwnErrorIsInternalAndACancelledOneUnavailable) {
  start(db_.url(), 1, 16, /*statement_timeout=*/300ms);
  const auto division = read("divide", "0");
  ASSERT_TRUE(division.answered);
  EXPECT_TRUE(failed_with<std::runtime_error>(division));
  EXPECT_FALSE(failed_with<headroom::edge::BackendUnavailable>(division));
  const auto cancelled = read("sleep", "5");
  ASSERT_TRUE(cancelled.answered);
  EXPECT_TRUE(failed_with<headroom::edge::BackendUnavailable>(cancelled));
  const auto after = read("echo", "still here");
  ASSERT_TRUE(after.answered);
  ASSERT_FALSE(after.error);
  EXPECT_STREQ(after.reply.value(0, 0), "still here");
  EXPECT_EQ(pool_->stats().connects, 1u) << "a statement's error does not cost the connection";
}

TEST_F(AsyncReadPoolTest, AServerSessionThatStopsAnsweringFailsAtTheClientsDeadline) {
  start(db_.url(), 1, 16, /*statement_timeout=*/300ms);
  const auto pid = read("pid", "x");
  ASSERT_TRUE(pid.answered);
  ASSERT_FALSE(pid.error);
  const int backend = std::stoi(pid.reply.value(0, 0));
  ASSERT_EQ(::kill(backend, SIGSTOP), 0);  // the session hangs, its statement_timeout with it
  const auto hung = read("echo", "x");
  ::kill(backend, SIGCONT);
  ASSERT_TRUE(hung.answered) << "the read waited past the client's deadline";
  EXPECT_TRUE(failed_with<headroom::edge::BackendUnavailable>(hung));
  const auto after = read("echo", "y");
  ASSERT_TRUE(after.answered);
  EXPECT_FALSE(after.error);
  EXPECT_EQ(pool_->stats().connects, 2u) << "the hung connection was replaced";
}

TEST_F(AsyncReadPoolTest, WhileTheServerIsDownReadsFailAtOnceAndAfterItReturnsTheySucceed) {
  headroom::testing::PrivateCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << "no PostgreSQL binaries";
  start(cluster.url());
  ASSERT_FALSE(read("echo", "up").error);
  cluster.stop();
  for (int i = 0; i < 5; ++i) {
    const auto down = read("echo", "down");
    ASSERT_TRUE(down.answered);
    EXPECT_TRUE(failed_with<headroom::edge::BackendUnavailable>(down)) << "read " << i;
  }
  cluster.start();
  // Reads fail fast until the backoff has passed and a connect succeeds.
  Answer back;
  ASSERT_TRUE(headroom::testing::eventually(
      [&] {
        back = read("echo", "back");
        return back.answered && !back.error;
      },
      20s))
      << "no read succeeded after the server returned";
  EXPECT_STREQ(back.reply.value(0, 0), "back");
}

}  // namespace
