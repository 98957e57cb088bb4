#include "db/connection_pool.hpp"

#include <algorithm>
#include <utility>


#include "db/conninfo.hpp"
#include "db/reconnect_backoff.hpp"

namespace headroom::db {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), discard_(other.discard_) {}

ConnectionPool::Lease::~Lease() {
  if (!conn_) return;  // moved from
  const bool keep = !discard_ && conn_->is_open();
  pool_->give_back(std::move(conn_), keep);
}

ConnectionPool::ConnectionPool(ConnectionPoolSettings settings)
    : settings_(std::move(settings)),
      conninfo_(conninfo_with(settings_.url, {{"connect_timeout", std::to_string(settings_.connect_timeout.count())}})) {}

std::chrono::steady_clock::time_point ConnectionPool::now() const {
  return settings_.clock ? settings_.clock() : std::chrono::steady_clock::now();
}

ConnectionPool::Lease ConnectionPool::lease() {
  std::unique_lock lock(mutex_);
  const unsigned size = std::max(1u, settings_.size);
  const auto slot = [&] { return !idle_.empty() || leased_ + connecting_ < size; };
  if (!slot_freed_.wait_for(lock, settings_.lease_wait, slot))
    throw PoolUnavailable("connection pool: all " + std::to_string(size) + " connections in use for " +
                          std::to_string(settings_.lease_wait.count()) + " ms");
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    ++leased_;
    return Lease(*this, std::move(conn));
  }
  return connect(lock);
}

// Called with the lock held and a free slot; connects without the lock.
ConnectionPool::Lease ConnectionPool::connect(std::unique_lock<std::mutex>& lock) {
  if (failures_ > 0) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now());
    if (wait.count() > 0)
      throw PoolUnavailable("connection pool: database unreachable at the last attempt; next attempt in " +
                            std::to_string(wait.count()) + " ms");
    // After an outage one lease tries; the others keep failing fast.
    if (connecting_ > 0) throw PoolUnavailable("connection pool: reconnecting to the database");
  }
  ++connecting_;
  ++counters_.connects;
  lock.unlock();
  try {
    auto conn = open_session();
    lock.lock();
    --connecting_;
    ++leased_;
    failures_ = 0;
    return Lease(*this, std::move(conn));
  } catch (const std::exception& e) {
    if (!lock.owns_lock()) lock.lock();
    --connecting_;
    ++counters_.connect_failures;
    retry_at_ = now() + reconnect_backoff(failures_++, settings_.max_backoff, rng_);
    slot_freed_.notify_one();
    // A refused connection is an outage; a failed session setup (a bad
    // setting, a missing grant) is not, and keeps its own type.
    if (dynamic_cast<const pqxx::broken_connection*>(&e)) throw PoolUnavailable(std::string("connection pool: ") + e.what());
    throw;
  }
}

std::unique_ptr<pqxx::connection> ConnectionPool::open_session() const {
  auto conn = std::make_unique<pqxx::connection>(conninfo_);
  // Through set_variable, which libpqxx replays should it ever reconnect this
  // connection object on its own (6.4 may, in a nontransaction's exec).
  conn->set_variable("statement_timeout", std::to_string(settings_.statement_timeout.count()));
  conn->set_variable("application_name", conn->quote(settings_.application_name));
  return conn;
}

void ConnectionPool::give_back(std::unique_ptr<pqxx::connection> conn, bool keep) {
  {
    std::lock_guard lock(mutex_);
    --leased_;
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      ++counters_.discarded;
    }
  }
  slot_freed_.notify_one();
  // A discarded connection closes here, outside the lock.
}

ConnectionPool::Stats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats s = counters_;
  s.idle = static_cast<unsigned>(idle_.size());
  s.leased = leased_;
  return s;
}

}  // namespace headroom::db
