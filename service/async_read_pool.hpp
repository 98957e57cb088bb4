#pragma once
// The API's hot reads (a stored forecast, the in-app feed) as asynchronous
// statements on a few pooled PostgreSQL connections, driven by the HTTP
// server's I/O thread (db/async_connection.hpp). One thread keeps every
// connection's statement in flight and serves /healthz between their
// replies; a request costs no thread hand-over and no thread asleep per
// statement, which had made the thread-per-statement pool spend 45 % of its
// time in the kernel switching threads (docs/performance.md).
//
// - Connections are made when a read finds none idle, up to `connections`;
//   each is prepared with the statements once. A connect taking longer than
//   connect_timeout fails.
// - A read finding every connection busy waits in a FIFO of at most
//   max_waiting reads; one more fails at once with edge::BackendBusy.
// - After a failed connect no connection is attempted before a backoff
//   (db/reconnect_backoff.hpp, capped at max_backoff); meanwhile reads that
//   no open connection can serve fail at once with edge::BackendUnavailable,
//   so an outage costs the clients no connect timeouts.
// - A statement gets statement_timeout on the server and, should the server
//   not answer at all (a hung host), statement_timeout + 1 s on the client:
//   the connection is then dropped and the read fails BackendUnavailable.
// - A reply with an error of the kind that may pass (db/database_faults.hpp)
//   fails BackendUnavailable, any other error std::runtime_error.
// Thread safety: read() and stop() from any thread; `done` runs on the
// pool's strand of the io_context.

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "db/async_connection.hpp"

namespace headroom::service {

struct AsyncReadPoolSettings {
  std::string url;                                     // libpq key=value or URI
  unsigned connections = 4;                            // at least 1
  unsigned max_waiting = 256;                          // reads queued for a busy pool
  std::chrono::milliseconds statement_timeout{5000};   // server side; 0 = none (the client then waits 30 s)
  std::chrono::seconds connect_timeout{2};
  std::chrono::milliseconds max_backoff{30000};
  std::string application_name = "headroom-api";
};

struct AsyncReadPoolStats {
  unsigned open = 0;           // connected and prepared
  unsigned running = 0;        // a statement in flight
  unsigned waiting = 0;        // reads queued
  std::uint64_t connects = 0;  // attempts
  std::uint64_t connect_failures = 0;
};

class AsyncReadPool {
 public:
  // Exactly one of them is set: the statement's reply (its rows), or why
  // the read failed.
  using Done = std::function<void(db::PqReply reply, std::exception_ptr error)>;

  // `statements` must outlive the pool. Connects nothing yet. Throws
  // std::invalid_argument when the URL does not parse.
  AsyncReadPool(boost::asio::io_context& io, AsyncReadPoolSettings settings,
                std::span<const db::PreparedStatement> statements);
  ~AsyncReadPool();  // stop(); then destroy before the io_context
  AsyncReadPool(const AsyncReadPool&) = delete;
  AsyncReadPool& operator=(const AsyncReadPool&) = delete;

  // Runs the prepared statement `statement` with `params`; `done` is called
  // once, later, never inside read().
  void read(const char* statement, std::vector<std::string> params, Done done);
  // Fails the queued and running reads (BackendUnavailable) and closes the
  // connections; later reads fail at once. Idempotent.
  void stop();
  AsyncReadPoolStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace headroom::service
