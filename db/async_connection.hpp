#pragma once
// A PostgreSQL connection driven without blocking (libpq's asynchronous
// API), for a caller that waits on the socket itself: the API's reads run on
// the HTTP server's I/O thread this way, one thread keeping several
// statements in flight as pgbench does, with no thread handing a request to
// another and no thread asleep per statement (service/async_read_pool.hpp
// drives it with Asio).
//
// Every call returns at once and says what to wait for before the next one:
// kReadable or kWritable on socket(), kDone when the step finished, kFailed
// when the connection is lost (error() says why; the connection cannot be
// used again).
//
//   connecting: advance_connect() until kDone (wait kWritable first); it then
//               prepares the statements it was given, one after the other.
//   a query:    send(name, params), then advance() after each wait until
//               kDone; take_reply() has the rows or the statement's error.
// Thread safety: none; one thread (or strand) at a time.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace headroom::db {

// A statement the connection prepares once, right after connecting.
struct PreparedStatement {
  const char* name;
  const char* sql;
};

enum class PqWait { kReadable, kWritable, kDone, kFailed };

// What a statement returned: its rows as text, or its error.
class PqReply {
 public:
  PqReply() = default;
  explicit PqReply(pg_result* result);  // takes ownership
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }  // first line of the server's message
  const std::string& sqlstate() const { return sqlstate_; }
  int rows() const;
  int columns() const;
  // The field as text; nullptr for NULL. Valid as long as the reply.
  const char* value(int row, int column) const;

 private:
  std::shared_ptr<pg_result> result_;
  std::string error_;
  std::string sqlstate_;
};

class AsyncConnection {
 public:
  // Starts connecting to `conninfo` (a key=value string: db/conninfo.hpp);
  // never blocks. `statements` must outlive the connection.
  AsyncConnection(const std::string& conninfo, std::span<const PreparedStatement> statements);
  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // The socket to wait on; it may change while connecting (a URL naming
  // several hosts), so ask again after every call. -1 once failed.
  int socket() const;
  PqWait advance_connect();
  // Sends a prepared statement with its parameters (text, none NULL).
  PqWait send(const char* statement, std::span<const std::string> params);
  PqWait advance();
  PqReply take_reply();
  const std::string& error() const { return error_; }
  // False once failed or the server closed the session (say, after
  // terminating it): the owner drops the connection.
  bool usable() const;

 private:
  enum class Phase { kConnecting, kPreparing, kReady, kQuery, kFailed };

  PqWait fail(std::string reason);
  PqWait flush_then_read();
  PqWait prepare_next();
  PqWait collect();

  pg_conn* conn_ = nullptr;
  std::span<const PreparedStatement> statements_;
  std::size_t prepared_ = 0;
  Phase phase_ = Phase::kConnecting;
  bool flushing_ = false;  // the last PQflush left bytes to send
  std::vector<PqReply> replies_;
  std::string error_;
};

}  // namespace headroom::db
