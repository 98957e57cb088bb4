#pragma once
// Which database errors mean "the database cannot answer now" rather than
// "this request is wrong": the API answers the first kind 503 with
// Retry-After, since the same request may succeed once the database is back,
// and anything else 500.

#include <exception>
#include <string_view>

namespace headroom::db {

// True for: a lost or refused connection (pqxx::broken_connection, which
// includes too_many_connections, SQLSTATE 53300) and the pool's
// PoolUnavailable; insufficient resources, class 53 (disk full, out of
// memory); a cancelled statement, 57014 (statement_timeout); the server
// shutting down or starting, 57P01, 57P02, 57P03; a transaction rolled back
// by the server, class 40 (serialization failure, deadlock) and a commit in
// doubt (the callers' writes are idempotent, so repeating one is safe); a
// write refused by a read-only server, 25006 (a standby during failover).
bool database_unavailable(const std::exception& e);

// The SQLSTATEs of those faults, for a caller reading libpq's replies
// itself (db/async_connection.hpp).
bool sqlstate_unavailable(std::string_view sqlstate);

}  // namespace headroom::db
