#include "db/async_connection.hpp"

#include <libpq-fe.h>

namespace headroom::db {
namespace {

std::string first_line(const char* text) {
  std::string line = text ? text : "";
  if (const auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  return line.empty() ? "unknown error" : line;
}

}  // namespace

PqReply::PqReply(pg_result* result) : result_(result, PQclear) {
  const auto status = PQresultStatus(result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return;
  error_ = first_line(PQresultErrorMessage(result));
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  sqlstate_ = state ? state : "";
}

int PqReply::rows() const { return result_ ? PQntuples(result_.get()) : 0; }
int PqReply::columns() const { return result_ ? PQnfields(result_.get()) : 0; }

const char* PqReply::value(int row, int column) const {
  if (!result_ || PQgetisnull(result_.get(), row, column)) return nullptr;
  return PQgetvalue(result_.get(), row, column);
}

AsyncConnection::AsyncConnection(const std::string& conninfo, std::span<const PreparedStatement> statements)
    : conn_(PQconnectStart(conninfo.c_str())), statements_(statements) {
  if (!conn_) fail("out of memory");
  else if (PQstatus(conn_) == CONNECTION_BAD) fail(first_line(PQerrorMessage(conn_)));
}

AsyncConnection::~AsyncConnection() {
  if (conn_) PQfinish(conn_);
}

int AsyncConnection::socket() const { return conn_ && phase_ != Phase::kFailed ? PQsocket(conn_) : -1; }

bool AsyncConnection::usable() const { return conn_ && phase_ != Phase::kFailed && PQstatus(conn_) == CONNECTION_OK; }

PqWait AsyncConnection::fail(std::string reason) {
  phase_ = Phase::kFailed;
  error_ = std::move(reason);
  return PqWait::kFailed;
}

PqWait AsyncConnection::advance_connect() {
  if (phase_ == Phase::kFailed) return PqWait::kFailed;
  if (phase_ == Phase::kPreparing) {
    const PqWait w = advance();
    if (w != PqWait::kDone) return w;
    for (const auto& reply : replies_)
      if (!reply.ok()) return fail("preparing a statement: " + reply.error());
    replies_.clear();
    return prepare_next();
  }
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING: return PqWait::kReadable;
    case PGRES_POLLING_WRITING: return PqWait::kWritable;
    case PGRES_POLLING_OK: break;
    default: return fail(first_line(PQerrorMessage(conn_)));
  }
  if (PQsetnonblocking(conn_, 1) != 0) return fail(first_line(PQerrorMessage(conn_)));
  phase_ = Phase::kPreparing;
  return prepare_next();
}

PqWait AsyncConnection::prepare_next() {
  if (prepared_ == statements_.size()) {
    phase_ = Phase::kReady;
    return PqWait::kDone;
  }
  const auto& s = statements_[prepared_++];
  if (!PQsendPrepare(conn_, s.name, s.sql, 0, nullptr)) return fail(first_line(PQerrorMessage(conn_)));
  return flush_then_read();
}

PqWait AsyncConnection::send(const char* statement, std::span<const std::string> params) {
  if (phase_ != Phase::kReady) return fail("connection not ready for a statement");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  if (!PQsendQueryPrepared(conn_, statement, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0))
    return fail(first_line(PQerrorMessage(conn_)));
  phase_ = Phase::kQuery;
  return flush_then_read();
}

PqWait AsyncConnection::flush_then_read() {
  const int pending = PQflush(conn_);
  if (pending < 0) return fail(first_line(PQerrorMessage(conn_)));
  flushing_ = pending == 1;
  return flushing_ ? PqWait::kWritable : PqWait::kReadable;
}

PqWait AsyncConnection::advance() {
  if (phase_ == Phase::kFailed) return PqWait::kFailed;
  if (flushing_) return flush_then_read();
  return collect();
}

// Reads what arrived; the statement is done when libpq has every result and
// the server's ready-for-query (PQgetResult returns null).
PqWait AsyncConnection::collect() {
  if (!PQconsumeInput(conn_)) return fail(first_line(PQerrorMessage(conn_)));
  while (!PQisBusy(conn_)) {
    PGresult* result = PQgetResult(conn_);
    if (!result) {
      if (phase_ == Phase::kQuery) phase_ = Phase::kReady;
      return PqWait::kDone;
    }
    replies_.emplace_back(result);
  }
  return PqWait::kReadable;
}

// The error if any result had one (a statement sends one result, or one
// error), else the result.
PqReply AsyncConnection::take_reply() {
  PqReply reply;
  for (auto& r : replies_)
    if (reply.ok()) reply = std::move(r);
  replies_.clear();
  return reply;
}

}  // namespace headroom::db
