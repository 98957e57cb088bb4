#include "db/database_probe.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <libpq-fe.h>

#include "db/conninfo.hpp"

namespace headroom::db {

DatabaseProbe::DatabaseProbe(const std::string& url, std::chrono::milliseconds timeout)
    : conninfo_(conninfo_with(url, {{"application_name", "headroom-readiness"}})), timeout_(timeout) {}

DatabaseProbe::~DatabaseProbe() {
  if (conn_) PQfinish(conn_);
}

bool DatabaseProbe::check() {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout_;
  if (conn_ && PQstatus(conn_) != CONNECTION_OK) fail("connection lost");
  if (!conn_ && !connect(deadline)) return false;
  if (!select_one(deadline)) return false;
  error_.clear();
  return true;
}

bool DatabaseProbe::fail(const std::string& reason) {
  error_ = reason;
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  return false;
}

// libpq's asynchronous connect: before the first PQconnectPoll, wait as if
// it had asked to write; the socket may change between calls (several hosts).
bool DatabaseProbe::connect(Deadline deadline) {
  conn_ = PQconnectStart(conninfo_.c_str());
  if (!conn_) return fail("out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) return fail(PQerrorMessage(conn_));
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) return fail(PQerrorMessage(conn_));
    if (!wait_socket(status == PGRES_POLLING_WRITING, deadline)) return fail("connect timed out");
    status = PQconnectPoll(conn_);
  }
  if (PQsetnonblocking(conn_, 1) != 0) return fail(PQerrorMessage(conn_));
  return true;
}

bool DatabaseProbe::select_one(Deadline deadline) {
  if (!PQsendQuery(conn_, "SELECT 1")) return fail(PQerrorMessage(conn_));
  for (int pending = PQflush(conn_); pending != 0; pending = PQflush(conn_)) {
    if (pending < 0) return fail(PQerrorMessage(conn_));
    if (!wait_socket(true, deadline)) return fail("query timed out");
  }
  bool answered = false;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!wait_socket(false, deadline)) return fail("query timed out");
      if (!PQconsumeInput(conn_)) return fail(PQerrorMessage(conn_));
    }
    PGresult* result = PQgetResult(conn_);
    if (!result) break;
    const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!ok) error_ = PQresultErrorMessage(result);
    answered = answered || ok;
    PQclear(result);
    if (!ok) return fail(error_);
  }
  return answered || fail("no answer");
}

// True when the socket is ready (or reports an error, which the next libpq
// call reads) before the deadline.
bool DatabaseProbe::wait_socket(bool for_write, Deadline deadline) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return false;
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

}  // namespace headroom::db
