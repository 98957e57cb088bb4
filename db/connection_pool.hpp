#pragma once
// A bounded pool of PostgreSQL connections for the API's requests (the
// daemon sizes it to the HTTP server's backend threads, so a request never
// waits for a connection another request holds).
//
// - Connections are made lazily, on the first lease that finds none idle,
//   with libpq's connect_timeout; each new one sets its statement_timeout
//   (server side: a statement running longer is cancelled, SQLSTATE 57014)
//   and application_name, so the API's sessions are told apart in
//   pg_stat_activity.
// - A lease is RAII: the connection goes back when the lease ends, unless it
//   was discarded (it threw pqxx::broken_connection: with_connection() does
//   that) or is no longer open; a discarded connection frees its slot.
// - When connecting fails, no connection is attempted again before a backoff
//   (db/reconnect_backoff.hpp, capped at max_backoff) has passed, and then
//   by one lease at a time until one succeeds: meanwhile leases that would
//   need a new connection fail fast with PoolUnavailable, so an outage costs
//   the callers no connect timeouts and the server no reconnect storm.
// - A lease that finds every connection leased waits up to lease_wait for
//   one to come back, then fails with PoolUnavailable.
// Thread safety: every member may be called from any thread. The pool must
// outlive its leases.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>

namespace headroom::db {

struct ConnectionPoolSettings {
  std::string url;                                     // libpq key=value or URI
  unsigned size = 4;                                   // connections at most; at least 1
  std::chrono::milliseconds statement_timeout{5000};   // per statement, server side; 0 = none
  std::chrono::seconds connect_timeout{5};             // libpq connect_timeout (libpq counts under 2 s as 2)
  std::string application_name = "headroom";           // in pg_stat_activity
  std::chrono::milliseconds lease_wait{500};           // for a connection to come back when all are leased
  std::chrono::milliseconds max_backoff{30000};        // cap of the wait after failed connects
  // Steady clock of the backoff; empty: std::chrono::steady_clock (tests
  // inject one). The lease wait is on the condition variable's own clock.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// No connection can be lent now: the database was unreachable at the last
// attempt and its backoff has not passed, connecting failed (the message
// says libpq's reason), or every connection stayed leased for lease_wait.
// The same request may succeed later.
class PoolUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    pqxx::connection& operator*() const { return *conn_; }
    pqxx::connection* operator->() const { return conn_.get(); }
    // Not to be lent again: the pool closes it when the lease ends.
    void discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool discard_ = false;
  };

  struct Stats {
    unsigned idle = 0;                    // open, waiting for a lease
    unsigned leased = 0;                  // lent out now
    std::uint64_t connects = 0;           // connection attempts
    std::uint64_t connect_failures = 0;
    std::uint64_t discarded = 0;          // broken or closed connections not taken back
  };

  // Throws std::invalid_argument when settings.url does not parse.
  explicit ConnectionPool(ConnectionPoolSettings settings);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, else a new one while fewer than `size` exist; throws
  // PoolUnavailable (above) or the error of the session setup.
  Lease lease();

  // f(connection) on a leased connection; a connection that threw
  // pqxx::broken_connection out of f is discarded. Returns what f returns.
  template <class F> decltype(auto) with_connection(F&& f) {
    Lease leased = lease();
    try {
      return std::forward<F>(f)(*leased);
    } catch (const pqxx::broken_connection&) {
      leased.discard();
      throw;
    }
  }

  Stats stats() const;

 private:
  std::chrono::steady_clock::time_point now() const;
  std::unique_ptr<pqxx::connection> open_session() const;
  Lease connect(std::unique_lock<std::mutex>& lock);
  void give_back(std::unique_ptr<pqxx::connection> conn, bool keep);

  const ConnectionPoolSettings settings_;
  const std::string conninfo_;  // url with connect_timeout
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  unsigned leased_ = 0;
  unsigned connecting_ = 0;
  int failures_ = 0;                               // failed connects in a row
  std::chrono::steady_clock::time_point retry_at_;  // no connect before, while failures_ > 0
  std::mt19937_64 rng_{std::random_device{}()};
  Stats counters_;
};

}  // namespace headroom::db
