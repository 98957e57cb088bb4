#pragma once
// Full scoring cycles shared among daemon replicas through PostgreSQL
// (migration 0004). A cycle cuts the accounts into contiguous account_id
// ranges ("chunks"); replicas lease chunks with FOR UPDATE SKIP LOCKED, and a
// chunk's forecasts, risk days, scoring log and completion commit in one
// transaction. So every account is scored exactly once per cycle: a replica
// that dies loses only its uncommitted chunk, whose lease then expires and is
// taken by another replica; a replica whose lease was taken over finds out at
// commit time and discards its work.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

#include "forecast/date.hpp"
#include "forecast/forecast.hpp"
#include "forecast/transaction.hpp"

namespace headroom::db {

struct ScoringChunk {
  std::int64_t cycle_id = 0;
  int chunk = 0;
  std::string first_account;  // inclusive
  std::string last_account;   // inclusive
};

struct CycleHandle {
  std::int64_t cycle_id = 0;
  bool created = false;  // this call created it (false: joined an open one)
  int chunks = 0;
  int accounts = 0;
};

// The clock a cycle's nudges are planned and delivered on (migration 0013):
// the system clock, a replay of a past or future day (fixed at that day's
// planning time), or a lockstep simulation's instant.
enum class CycleClock { wall, replay, simulated };
std::string_view to_string(CycleClock clock);

// Joins the open cycle for `as_of`, or creates one from the accounts that
// have transactions, `accounts_per_chunk` per chunk, recording `clock`.
// Serialised among replicas by an advisory lock, so concurrent callers join
// the same cycle.
CycleHandle start_or_join_cycle(pqxx::connection& conn, forecast::Date as_of, int accounts_per_chunk,
                                CycleClock clock = CycleClock::wall);

// Leases the next chunk that is neither done nor validly leased; nullopt when
// none is left to take (the cycle may still have chunks leased by others).
std::optional<ScoringChunk> lease_chunk(pqxx::connection& conn, std::int64_t cycle_id, std::string_view replica_id,
                                        std::chrono::seconds lease);

// True when every chunk of the cycle is done.
bool cycle_finished(pqxx::connection& conn, std::int64_t cycle_id);

// Streams the transactions of the accounts in [first_account, last_account]
// (every account when both are empty) with COPY, in (account_id, posted_at,
// txn_id) order, handing each account's history to `on_account`.
// Rows that cannot be decoded are skipped and counted in the return value.
std::size_t read_account_histories(
    pqxx::connection& conn, std::string_view first_account, std::string_view last_account,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& history)>& on_account);

// The same for a set of named accounts (the incremental path: one COPY for
// every account notified since the last round). Accounts without rows are
// not handed over; duplicates in `accounts` are read once.
std::size_t read_histories_of(
    pqxx::connection& conn, const std::vector<std::string>& accounts,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& history)>& on_account);

// For processes that keep histories in memory (service/history_cache.hpp):
// streams the rows that became visible since the snapshot whose xmin is
// `since_xmin` (every row when nullopt), in (account_id, posted_at, txn_id)
// order, and returns the xmin of the snapshot it read with — the `since_xmin`
// of the next call. Rows may repeat ones handed over before (same
// account_id and txn_id, same content): callers drop those. Relies on rows
// never being updated or deleted, which the import guarantees.
struct TransactionsRead {
  std::int64_t snapshot_xmin = 0;
  std::size_t undecodable = 0;
};
TransactionsRead read_transactions_since(
    pqxx::connection& conn, std::optional<std::int64_t> since_xmin,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& rows)>& on_account);

// Called inside the chunk's transaction after its forecasts are written
// (nudge decisions and outbox rows), so they commit or roll back together.
using ChunkHook = std::function<void(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts)>;

// Writes the chunk's forecasts (and runs `in_transaction`, if any) and marks
// it done, in one transaction, if this replica still holds its lease. Returns
// false (and writes nothing) when the lease was lost to another replica.
bool complete_chunk(pqxx::connection& conn, const ScoringChunk& chunk, std::string_view replica_id,
                    const std::vector<forecast::AccountForecast>& forecasts, const ChunkHook& in_transaction = {});

}  // namespace headroom::db
