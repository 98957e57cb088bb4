#include "edge/http_server.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "edge/metrics.hpp"

namespace headroom::edge {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::size_t kFirstReadBytes = 4 * 1024;
// Accept failures (at the descriptor limit above all) repeat at once while
// the listening socket stays readable: wait 50 ms, doubling to 1 s.
constexpr auto kFirstAcceptBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxAcceptBackoff = std::chrono::milliseconds(1000);

// Runs f and logs what it throws: an exception out of a completion handler
// would leave io.run() (or a backend thread's run loop) and end the process.
template <class F>
void contained(const char* where, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("[http] {}: {}", where, e.what());
  } catch (...) {
    spdlog::error("[http] {}: unknown exception", where);
  }
}

// The daemon's backend, with the server's own series added to /metrics.
class MeteredBackend : public ApiBackend {
 public:
  MeteredBackend(ApiBackend& inner, const HttpMetrics& metrics) : inner_(inner), metrics_(metrics) {}
  Readiness readiness() override { return inner_.readiness(); }
  std::string metrics_text() override { return inner_.metrics_text() + metrics_.render(); }
  void read_forecast(std::string account_id, BackendDone<forecast::StoredForecast> done) override {
    inner_.read_forecast(std::move(account_id), std::move(done));
  }
  void read_nudge_feed(std::string account_id, BackendDone<std::string> done) override {
    inner_.read_nudge_feed(std::move(account_id), std::move(done));
  }
  std::optional<AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id, AckStatus status) override {
    return inner_.ack_nudge(account_id, nudge_id, status);
  }
  UnsubscribeOutcome unsubscribe(std::string_view token) override { return inner_.unsubscribe(token); }
  std::optional<ErasureOutcome> forget_account(std::string_view account_id) override {
    return inner_.forget_account(account_id);
  }

 private:
  ApiBackend& inner_;
  const HttpMetrics& metrics_;
};

// The backend threads and their admission: at most threads + queue jobs in
// flight (running or waiting); one more is refused at once, so a slow
// database shows as fast 503s rather than an unbounded queue.
class BackendPool {
 public:
  BackendPool(unsigned threads, unsigned queue)
      : threads_(std::make_unique<asio::thread_pool>(threads)), capacity_(threads + queue) {}
  ~BackendPool() { stop(); }

  // Moves `job` to a backend thread and returns true, or leaves it and
  // returns false when the pool is full or stopped.
  template <class Job>
  bool try_post(Job&& job) {
    if (in_flight_.fetch_add(1) >= capacity_) {
      --in_flight_;
      return false;
    }
    std::lock_guard lock(mutex_);
    if (!threads_) {
      --in_flight_;
      return false;
    }
    asio::post(*threads_, [this, job = std::forward<Job>(job)]() mutable {
      contained("backend request", job);
      --in_flight_;
    });
    return true;
  }
  unsigned in_flight() const { return in_flight_.load(); }

  // Waits for the running jobs and drops the waiting ones (each holds a
  // session, closed with it). Idempotent; never from a backend thread.
  void stop() {
    std::unique_ptr<asio::thread_pool> threads;
    {
      std::lock_guard lock(mutex_);
      threads = std::move(threads_);
    }
    if (!threads) return;
    threads->stop();
    threads->join();
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<asio::thread_pool> threads_;
  std::atomic<unsigned> in_flight_{0};
  const unsigned capacity_;
};

unsigned backend_thread_count(const HttpServerSettings& s) {
  if (s.backend_threads > 0) return s.backend_threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

unsigned backend_queue_length(const HttpServerSettings& s) {
  return s.backend_queue > 0 ? s.backend_queue : 64 * backend_thread_count(s);
}

bool at_descriptor_limit(const beast::error_code& ec) {
  return ec.category() == boost::system::system_category() && (ec.value() == EMFILE || ec.value() == ENFILE);
}

// The state every session shares, and the accept loop. Lives as long as its
// last session (sessions hold it); HttpServer::stop() ends the loop and the
// backend threads.
class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(asio::io_context& io, const HttpServerSettings& settings, ApiBackend& backend, ApiAuth auth)
      : io_(io),
        settings_(settings),
        backend_(backend, metrics_),
        auth_(std::move(auth)),
        acceptor_(asio::make_strand(io)),
        accept_retry_(acceptor_.get_executor()),
        pool_(backend_thread_count(settings), backend_queue_length(settings)) {}

  void listen();
  void accept();
  void stop();

  const HttpServerSettings& settings() const { return settings_; }
  ApiBackend& backend() { return backend_; }
  const ApiAuth& auth() const { return auth_; }
  HttpMetrics& metrics() { return metrics_; }
  BackendPool& pool() { return pool_; }
  tcp::acceptor& acceptor() { return acceptor_; }
  // A full pool refused a request: logged once until one is admitted again.
  void note_busy(bool busy);

 private:
  void on_accept(tcp::socket socket);
  void back_off(const beast::error_code& ec);

  asio::io_context& io_;
  const HttpServerSettings settings_;
  HttpMetrics metrics_;
  MeteredBackend backend_;
  const ApiAuth auth_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::chrono::milliseconds accept_backoff_ = kFirstAcceptBackoff;
  std::uint64_t failed_accepts_ = 0;  // in the current episode; 0 = accepting
  std::atomic<bool> busy_{false};
  BackendPool pool_;  // last: its threads stop before the members they use go
};

// One connection: requests read under the idle and header timeouts, answered
// on the I/O thread or on a backend thread (route_thread()), written back on
// the session's strand. Every completion handler runs contained().
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Server> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    server_->metrics().connection_opened();
  }
  ~Session() { server_->metrics().connection_closed(); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      contained("session", [&] { self->read_request(); });
    });
  }

 private:
  // Waits up to idle_timeout for the first byte of the next request (none
  // when a pipelined one is already buffered).
  void read_request() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxRequestBodyBytes);
    if (buffer_.size() > 0) return read_header();
    stream_.expires_after(server_->settings().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              contained("read", [&] {
                                if (ec) return self->close();
                                self->buffer_.commit(n);
                                self->read_header();
                              });
                            });
  }

  // From the first byte: the headers within header_timeout, then the body
  // within header_timeout again.
  void read_header() {
    stream_.expires_after(server_->settings().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      contained("read", [&] {
        if (ec) return self->on_read_error(ec);
        if (self->parser_->is_done()) return self->on_request();
        self->stream_.expires_after(self->server_->settings().header_timeout);
        http::async_read(self->stream_, self->buffer_, *self->parser_,
                         [self](beast::error_code body_ec, std::size_t) {
                           contained("read", [&] { body_ec ? self->on_read_error(body_ec) : self->on_request(); });
                         });
      });
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec != http::error::body_limit && ec != http::error::header_limit) return close();
    started_ = Clock::now();
    const auto& req = parser_->get();
    route_ = route_template({req.target().data(), req.target().size()});
    const bool body = ec == http::error::body_limit;
    auto res = body ? error_response(req, http::status::payload_too_large, "payload_too_large",
                                     "request body too large", request_id(req))
                    : error_response(req, http::status::request_header_fields_too_large, "headers_too_large",
                                     "request headers too large", request_id(req));
    res.keep_alive(false);
    respond(std::move(res));
  }

  void on_request() {
    started_ = Clock::now();
    const auto& req = parser_->get();
    route_ = route_template({req.target().data(), req.target().size()});
    if (route_thread(route_) == RouteThread::kIoThread)
      return handle_request(req, server_->backend(), server_->auth(), responder());
    // The parser holds the request until the response is written: no read
    // is in flight meanwhile, so the backend thread may read it.
    auto job = [self = shared_from_this()] {
      handle_request(self->parser_->get(), self->server_->backend(), self->server_->auth(), self->responder());
      self->server_->metrics().backend_request_finished();
    };
    server_->metrics().backend_request_started();
    const bool admitted = server_->pool().try_post(std::move(job));
    server_->note_busy(!admitted);
    if (admitted) return;
    server_->metrics().backend_request_finished();
    auto res = error_response(req, http::status::service_unavailable, "busy",
                              "the server is at capacity; retry shortly", request_id(req));
    res.set(http::field::retry_after, std::to_string(kBusyRetryAfterSeconds));
    respond(std::move(res));
  }

  // Writes the response on the session's strand: at once when called there
  // (routes answered from memory), else queued to it (a backend thread, an
  // asynchronous read's continuation).
  Responder responder() {
    return [self = shared_from_this()](HttpResponse res) {
      asio::dispatch(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        contained("respond", [&] { self->respond(std::move(res)); });
      });
    };
  }

  void respond(HttpResponse&& res) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    server_->metrics().count_request(route_, method_label(parser_->get().method()), res.result_int(), seconds);
    write(std::move(res));
  }

  void write(HttpResponse&& res) {
    auto owned = std::make_shared<HttpResponse>(std::move(res));
    const bool close_after = !owned->keep_alive();
    stream_.expires_after(server_->settings().idle_timeout);
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned, close_after](beast::error_code ec, std::size_t) {
                        contained("write", [&] {
                          if (ec || close_after) return self->close();
                          self->read_request();
                        });
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Server> server_;
  std::string_view route_ = "other";  // a template of api_routes(): static storage
  Clock::time_point started_;
};

// A connection beyond max_connections: answered 503 before its request is
// read, then drained until the client closes (or header_timeout passes), so
// that closing does not reset the connection and lose the answer.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket&& socket, std::chrono::seconds deadline) : stream_(std::move(socket)), deadline_(deadline) {
    HttpRequest none;
    none.version(11);
    response_ = error_response(none, http::status::service_unavailable, "too_many_connections",
                               "the server has too many open connections; retry shortly", request_id(none));
    response_.set(http::field::retry_after, std::to_string(kBusyRetryAfterSeconds));
    response_.keep_alive(false);
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      contained("refusal", [&] {
        self->stream_.expires_after(self->deadline_);
        http::async_write(self->stream_, self->response_, [self](beast::error_code ec, std::size_t) {
          if (ec) return;
          contained("refusal", [&] {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->drain();
          });
        });
      });
    });
  }

 private:
  void drain() {
    stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) contained("refusal", [&] { self->drain(); });
    });
  }

  beast::tcp_stream stream_;
  std::chrono::seconds deadline_;
  HttpResponse response_;
  std::array<char, 1024> discard_{};
};

void Server::listen() {
  const tcp::endpoint endpoint{asio::ip::make_address(settings_.address), settings_.port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

void Server::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) return contained("accept", [&] { self->back_off(ec); });
    contained("accept", [&] { self->on_accept(std::move(socket)); });
    contained("accept", [&] { self->accept(); });
  });
}

void Server::on_accept(tcp::socket socket) {
  accept_backoff_ = kFirstAcceptBackoff;
  if (failed_accepts_ > 0) {
    spdlog::info("[http] accepting connections again after {} failed accepts", failed_accepts_);
    failed_accepts_ = 0;
  }
  if (metrics_.connections_open() >= static_cast<std::int64_t>(settings_.max_connections)) {
    metrics_.connection_refused();
    std::make_shared<Refusal>(std::move(socket), settings_.header_timeout)->start();
    return;
  }
  std::make_shared<Session>(std::move(socket), shared_from_this())->start();
}

// Logged once per episode (until an accept succeeds); the open connections
// go on being served meanwhile, their handlers need no new descriptor.
void Server::back_off(const beast::error_code& ec) {
  metrics_.accept_failed(at_descriptor_limit(ec) ? AcceptError::kFdLimit : AcceptError::kOther);
  if (failed_accepts_++ == 0)
    spdlog::warn("[http] accept failed ({}); retrying with backoff up to {} ms, open connections still served",
                 ec.message(), kMaxAcceptBackoff.count());
  accept_retry_.expires_after(accept_backoff_);
  accept_backoff_ = std::min(accept_backoff_ * 2, kMaxAcceptBackoff);
  accept_retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
    if (wait_ec || !self->acceptor_.is_open()) return;
    contained("accept", [&] { self->accept(); });
  });
}

void Server::note_busy(bool busy) {
  if (busy_.exchange(busy) == busy || !busy) return;
  spdlog::warn("[http] backend threads and queue full ({} requests in flight): answering 503 busy",
               pool_.in_flight());
}

void Server::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->accept_retry_.cancel();
  });
  pool_.stop();
}

}  // namespace

struct HttpServer::Impl : Server {
  using Server::Server;
};

HttpServer::HttpServer(asio::io_context& io, const HttpServerSettings& settings, ApiBackend& backend, ApiAuth auth)
    : impl_(std::make_shared<Impl>(io, settings, backend, std::move(auth))) {
  impl_->listen();
}

HttpServer::~HttpServer() { stop(); }

unsigned short HttpServer::port() const { return impl_->acceptor().local_endpoint().port(); }

void HttpServer::stop() { impl_->stop(); }

}  // namespace headroom::edge
