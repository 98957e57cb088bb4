#include "service/async_read_pool.hpp"

#include <atomic>
#include <deque>
#include <optional>
#include <random>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "db/conninfo.hpp"
#include "db/database_faults.hpp"
#include "db/reconnect_backoff.hpp"
#include "edge/http_api.hpp"

namespace headroom::service {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// When the server never answers, the client gives up this long after the
// server's own statement_timeout should have cancelled the statement.
constexpr auto kClientGrace = std::chrono::seconds(1);
constexpr auto kNoStatementTimeoutWait = std::chrono::seconds(30);

std::exception_ptr unavailable(const std::string& why) {
  return std::make_exception_ptr(edge::BackendUnavailable(why));
}

std::string pool_conninfo(const AsyncReadPoolSettings& s) {
  std::vector<std::pair<std::string, std::string>> keys{
      {"application_name", s.application_name},
      {"connect_timeout", std::to_string(std::max<long long>(2, s.connect_timeout.count()))}};
  if (s.statement_timeout.count() > 0)
    keys.emplace_back("options", "-c statement_timeout=" + std::to_string(s.statement_timeout.count()));
  return db::conninfo_with(s.url, keys);
}

}  // namespace

struct AsyncReadPool::Impl : std::enable_shared_from_this<Impl> {
  struct Job {
    const char* statement;
    std::vector<std::string> params;
    Done done;
  };
  // One connection's place: empty, connecting, open and idle, or running a job.
  struct Slot {
    explicit Slot(asio::strand<asio::io_context::executor_type>& strand) : socket(strand), deadline(strand) {}
    std::unique_ptr<db::AsyncConnection> conn;
    asio::posix::stream_descriptor socket;  // libpq's socket, watched, never closed by Asio
    asio::steady_timer deadline;
    std::uint64_t generation = 0;  // completions of an older connection are ignored
    bool ready = false;            // connected and prepared
    std::optional<Job> job;
  };

  Impl(asio::io_context& io, AsyncReadPoolSettings s, std::span<const db::PreparedStatement> st)
      : strand(asio::make_strand(io)), settings(std::move(s)), conninfo(pool_conninfo(settings)), statements(st),
        rng(std::random_device{}()) {
    for (unsigned i = 0; i < std::max(1u, settings.connections); ++i) slots.push_back(std::make_unique<Slot>(strand));
  }

  void read(Job job);
  void connect(Slot& slot);
  void watch(Slot& slot, db::PqWait wait, void (Impl::*step)(Slot&));
  void connect_step(Slot& slot);
  void query_step(Slot& slot);
  void run(Slot& slot, Job job);
  void finish(Slot& slot, db::PqReply reply, std::exception_ptr error, bool keep_connection);
  void drop(Slot& slot);
  void connect_failed(Slot& slot, const std::string& why);
  void start_next(Slot& slot);
  void fail_waiting(const std::string& why);
  void stop();
  void complete(Job& job, db::PqReply reply, std::exception_ptr error);
  void update_stats();

  asio::strand<asio::io_context::executor_type> strand;
  const AsyncReadPoolSettings settings;
  const std::string conninfo;
  const std::span<const db::PreparedStatement> statements;
  std::vector<std::unique_ptr<Slot>> slots;
  std::deque<Job> waiting;
  std::mt19937_64 rng;
  int failed_connects = 0;  // in a row
  SteadyClock::time_point next_connect{};
  bool stopped = false;
  std::atomic<unsigned> open{0}, running{0}, queued{0};
  std::atomic<std::uint64_t> connects{0}, connect_failures{0};
};

void AsyncReadPool::Impl::complete(Job& job, db::PqReply reply, std::exception_ptr error) {
  // Never inside read(): the caller's continuation may call read() again.
  asio::post(strand, [done = std::move(job.done), reply = std::move(reply), error]() mutable {
    try {
      done(std::move(reply), error);
    } catch (const std::exception& e) {
      spdlog::error("[api] a read's continuation failed: {}", e.what());
    } catch (...) {
      spdlog::error("[api] a read's continuation failed");
    }
  });
}

void AsyncReadPool::Impl::update_stats() {
  unsigned o = 0, r = 0;
  for (const auto& s : slots) {
    o += s->ready;
    r += s->job.has_value();
  }
  open = o;
  running = r;
  queued = static_cast<unsigned>(waiting.size());
}

void AsyncReadPool::Impl::read(Job job) {
  if (stopped) return complete(job, {}, unavailable("the API is shutting down"));
  for (auto& slot : slots)
    if (slot->ready && !slot->job) return run(*slot, std::move(job));
  if (waiting.size() >= settings.max_waiting)
    return complete(job, {}, std::make_exception_ptr(edge::BackendBusy("every database connection is busy")));
  waiting.push_back(std::move(job));
  // One new connection per waiting read, up to the pool's size; none during
  // a backoff, when the reads no open connection will serve fail now.
  std::size_t connecting = 0, usable = 0;
  for (const auto& slot : slots) {
    connecting += slot->conn && !slot->ready;
    usable += slot->ready;
  }
  if (SteadyClock::now() < next_connect) {
    if (usable == 0 && connecting == 0) fail_waiting("the database was unreachable at the last attempt");
    return update_stats();
  }
  for (auto& slot : slots) {
    if (connecting >= waiting.size()) break;
    if (slot->conn) continue;
    connect(*slot);
    ++connecting;
  }
  update_stats();
}

void AsyncReadPool::Impl::connect(Slot& slot) {
  ++connects;
  ++slot.generation;
  slot.conn = std::make_unique<db::AsyncConnection>(conninfo, statements);
  slot.deadline.expires_after(std::max(std::chrono::seconds(2), settings.connect_timeout));
  slot.deadline.async_wait([self = shared_from_this(), &slot, gen = slot.generation](boost::system::error_code ec) {
    if (ec || slot.generation != gen || slot.ready) return;
    self->connect_failed(slot, "connect timed out");
  });
  watch(slot, db::PqWait::kWritable, &Impl::connect_step);
}

// Waits on the connection's socket (re-adopted when libpq changed it), then
// runs `step`; a wait that cannot start fails the connection.
void AsyncReadPool::Impl::watch(Slot& slot, db::PqWait wait, void (Impl::*step)(Slot&)) {
  const int fd = slot.conn->socket();
  boost::system::error_code ec;
  if (!slot.socket.is_open() || slot.socket.native_handle() != fd) {
    if (slot.socket.is_open()) slot.socket.release();
    if (fd >= 0) slot.socket.assign(fd, ec);
  }
  if (fd < 0 || ec) return (this->*step)(slot);  // the step sees the failure
  const auto kind = wait == db::PqWait::kReadable ? asio::posix::stream_descriptor::wait_read
                                                  : asio::posix::stream_descriptor::wait_write;
  slot.socket.async_wait(kind, [self = shared_from_this(), &slot, gen = slot.generation,
                                step](boost::system::error_code wait_ec) {
    if (wait_ec == asio::error::operation_aborted || slot.generation != gen || !slot.conn) return;
    ((*self).*step)(slot);  // an error on the socket shows in libpq's next call
  });
}

void AsyncReadPool::Impl::connect_step(Slot& slot) {
  const db::PqWait w = slot.conn->advance_connect();
  if (w == db::PqWait::kFailed) return connect_failed(slot, slot.conn->error());
  if (w != db::PqWait::kDone) return watch(slot, w, &Impl::connect_step);
  slot.deadline.cancel();
  slot.ready = true;
  if (failed_connects > 0) spdlog::info("[api] database reachable again after {} failed connects", failed_connects);
  failed_connects = 0;
  next_connect = {};
  start_next(slot);
}

void AsyncReadPool::Impl::connect_failed(Slot& slot, const std::string& why) {
  ++connect_failures;
  if (failed_connects++ == 0) spdlog::warn("[api] connecting for reads failed: {}; retrying with backoff", why);
  next_connect = SteadyClock::now() + db::reconnect_backoff(failed_connects - 1, settings.max_backoff, rng);
  drop(slot);
  bool usable = false;
  for (const auto& s : slots) usable = usable || (s->conn != nullptr);
  if (!usable) fail_waiting("cannot connect to the database: " + why);
  update_stats();
}

void AsyncReadPool::Impl::run(Slot& slot, Job job) {
  slot.job = std::move(job);
  const db::PqWait w = slot.conn->send(slot.job->statement, slot.job->params);
  const auto limit = settings.statement_timeout.count() > 0 ? settings.statement_timeout + kClientGrace
                                                            : std::chrono::milliseconds(kNoStatementTimeoutWait);
  slot.deadline.expires_after(limit);
  slot.deadline.async_wait([self = shared_from_this(), &slot, gen = slot.generation](boost::system::error_code ec) {
    if (ec || slot.generation != gen || !slot.job) return;
    self->finish(slot, {}, unavailable("the database did not answer within the statement timeout"), false);
  });
  update_stats();
  if (w == db::PqWait::kFailed) return query_step(slot);
  watch(slot, w, &Impl::query_step);
}

void AsyncReadPool::Impl::query_step(Slot& slot) {
  const db::PqWait w = slot.conn->advance();
  if (w == db::PqWait::kFailed)
    return finish(slot, {}, unavailable("database connection lost: " + slot.conn->error()), false);
  if (w != db::PqWait::kDone) return watch(slot, w, &Impl::query_step);
  db::PqReply reply = slot.conn->take_reply();
  std::exception_ptr error;
  if (!reply.ok())
    error = db::sqlstate_unavailable(reply.sqlstate()) ? unavailable(reply.error())
                                                       : std::make_exception_ptr(std::runtime_error(reply.error()));
  finish(slot, error ? db::PqReply{} : std::move(reply), error, true);
}

// Answers the slot's job; a connection that cannot serve the next (lost,
// closed by the server, or still busy with a statement the client gave up
// on) goes, and a waiting read gets a new one or fails with the others.
void AsyncReadPool::Impl::finish(Slot& slot, db::PqReply reply, std::exception_ptr error, bool keep_connection) {
  slot.deadline.cancel();
  Job job = std::move(*slot.job);
  slot.job.reset();
  complete(job, std::move(reply), error);
  if (keep_connection && slot.conn->usable()) return start_next(slot);
  drop(slot);
  if (!waiting.empty()) {
    Job next = std::move(waiting.front());
    waiting.pop_front();
    read(std::move(next));
  }
  update_stats();
}

void AsyncReadPool::Impl::drop(Slot& slot) {
  ++slot.generation;
  slot.deadline.cancel();
  if (slot.socket.is_open()) slot.socket.release();  // libpq closes its socket
  slot.conn.reset();
  slot.ready = false;
  if (slot.job) {
    Job job = std::move(*slot.job);
    slot.job.reset();
    complete(job, {}, unavailable("database connection lost"));
  }
}

void AsyncReadPool::Impl::start_next(Slot& slot) {
  if (!waiting.empty()) {
    Job job = std::move(waiting.front());
    waiting.pop_front();
    return run(slot, std::move(job));
  }
  update_stats();
}

void AsyncReadPool::Impl::fail_waiting(const std::string& why) {
  while (!waiting.empty()) {
    Job job = std::move(waiting.front());
    waiting.pop_front();
    complete(job, {}, unavailable(why));
  }
}

void AsyncReadPool::Impl::stop() {
  if (stopped) return;
  stopped = true;
  for (auto& slot : slots) drop(*slot);
  fail_waiting("the API is shutting down");
  update_stats();
}

AsyncReadPool::AsyncReadPool(asio::io_context& io, AsyncReadPoolSettings settings,
                             std::span<const db::PreparedStatement> statements)
    : impl_(std::make_shared<Impl>(io, std::move(settings), statements)) {}

AsyncReadPool::~AsyncReadPool() {
  // The io_context may no longer run: close here, on this thread, which is
  // safe once nothing runs the strand (the daemon stops io first).
  impl_->stopped = true;
  for (auto& slot : impl_->slots) {
    ++slot->generation;
    if (slot->socket.is_open()) slot->socket.release();
    slot->conn.reset();
  }
}

void AsyncReadPool::read(const char* statement, std::vector<std::string> params, Done done) {
  asio::dispatch(impl_->strand, [impl = impl_, job = Impl::Job{statement, std::move(params), std::move(done)}]() mutable {
    impl->read(std::move(job));
  });
}

void AsyncReadPool::stop() {
  asio::dispatch(impl_->strand, [impl = impl_] { impl->stop(); });
}

AsyncReadPoolStats AsyncReadPool::stats() const {
  return {impl_->open.load(), impl_->running.load(), impl_->queued.load(), impl_->connects.load(),
          impl_->connect_failures.load()};
}

}  // namespace headroom::service
