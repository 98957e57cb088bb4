#pragma once
// The readiness probe's view of the database: a connection of its own and
// `SELECT 1`, every wait bounded on the client side (libpq's non-blocking
// calls and poll()), so a server that stops answering — stopped, paused, or
// behind a network that drops packets — makes check() return false within
// the timeout instead of holding the probing thread. libpq directly because
// libpqxx 6.4 blocks without a bound of ours in connect and in exec.

#include <chrono>
#include <string>

struct pg_conn;  // libpq's PGconn

namespace headroom::db {

class DatabaseProbe {
 public:
  // `url`: libpq key=value or URI (throws std::invalid_argument when it does
  // not parse). `timeout`: the bound of one check, connecting included.
  DatabaseProbe(const std::string& url, std::chrono::milliseconds timeout);
  ~DatabaseProbe();
  DatabaseProbe(const DatabaseProbe&) = delete;
  DatabaseProbe& operator=(const DatabaseProbe&) = delete;

  // Connects when not connected, then runs SELECT 1; true when the answer
  // came within the timeout. Any failure closes the connection, so the next
  // check connects anew.
  bool check();
  // Why the last check failed (libpq's message: hosts and sockets, never a
  // password); empty after a success.
  const std::string& last_error() const { return error_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  bool connect(Deadline deadline);
  bool select_one(Deadline deadline);
  bool wait_socket(bool for_write, Deadline deadline);
  bool fail(const std::string& reason);

  std::string conninfo_;
  std::chrono::milliseconds timeout_;
  pg_conn* conn_ = nullptr;
  std::string error_;
};

}  // namespace headroom::db
