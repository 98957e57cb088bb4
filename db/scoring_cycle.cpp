#include "db/scoring_cycle.hpp"

#include <pqxx/nontransaction>
#include <pqxx/stream_from>
#include <pqxx/stream_to>
#include <pqxx/transaction>

#include "db/copy_text.hpp"
#include "db/forecast_store.hpp"

namespace headroom::db {
namespace {

// Advisory lock key serialising cycle creation ("hrcycle" in ASCII).
constexpr long long kCycleLockKey = 0x68726379636c65LL;

}  // namespace

std::string_view to_string(CycleClock clock) {
  switch (clock) {
    case CycleClock::wall: return "wall";
    case CycleClock::replay: return "replay";
    case CycleClock::simulated: return "simulated";
  }
  return "wall";
}

CycleHandle start_or_join_cycle(pqxx::connection& conn, forecast::Date as_of, int accounts_per_chunk,
                                CycleClock clock) {
  if (accounts_per_chunk < 1) accounts_per_chunk = 1;
  const std::string as_of_text = forecast::to_iso_string(as_of);
  pqxx::work tx{conn};
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kCycleLockKey);
  const auto open = tx.exec_params(
      "SELECT cycle_id, chunks, accounts FROM headroom.scoring_cycles "
      "WHERE as_of = $1::date AND finished_at IS NULL ORDER BY cycle_id DESC LIMIT 1",
      as_of_text);
  CycleHandle handle;
  if (!open.empty()) {
    handle.cycle_id = open[0][0].as<std::int64_t>();
    handle.chunks = open[0][1].as<int>();
    handle.accounts = open[0][2].as<int>();
    tx.commit();
    return handle;
  }
  handle.cycle_id = tx.exec_params1(
                          "INSERT INTO headroom.scoring_cycles (as_of, chunks, accounts, clock) "
                          "VALUES ($1::date, 0, 0, $2) RETURNING cycle_id",
                          as_of_text, std::string(to_string(clock)))[0]
                        .as<std::int64_t>();
  // Distinct accounts by a skip scan over the (account_id, …) index: one
  // index probe per account instead of reading every transaction.
  const auto counts = tx.exec_params1(
      "WITH RECURSIVE ids AS ("
      "  (SELECT account_id FROM headroom.transactions ORDER BY account_id LIMIT 1)"
      "  UNION ALL"
      "  SELECT (SELECT t.account_id FROM headroom.transactions t WHERE t.account_id > ids.account_id"
      "          ORDER BY t.account_id LIMIT 1)"
      "  FROM ids WHERE ids.account_id IS NOT NULL),"
      " numbered AS (SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1) / $2 AS chunk"
      "              FROM ids WHERE account_id IS NOT NULL),"
      " inserted AS (INSERT INTO headroom.scoring_chunks (cycle_id, chunk, first_account, last_account)"
      "              SELECT $1, chunk, min(account_id), max(account_id) FROM numbered GROUP BY chunk"
      "              RETURNING 1)"
      "SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM numbered)",
      handle.cycle_id, accounts_per_chunk);
  handle.chunks = counts[0].as<int>();
  handle.accounts = counts[1].as<int>();
  tx.exec_params(
      "UPDATE headroom.scoring_cycles SET chunks = $2, accounts = $3, "
      "finished_at = CASE WHEN $2 = 0 THEN now() END WHERE cycle_id = $1",
      handle.cycle_id, handle.chunks, handle.accounts);
  tx.commit();
  handle.created = true;
  return handle;
}

std::optional<ScoringChunk> lease_chunk(pqxx::connection& conn, std::int64_t cycle_id, std::string_view replica_id,
                                        std::chrono::seconds lease) {
  pqxx::work tx{conn};
  const auto r = tx.exec_params(
      "UPDATE headroom.scoring_chunks c SET leased_by = $2, lease_until = now() + make_interval(secs => $3),"
      "       attempts = c.attempts + 1 "
      "WHERE (c.cycle_id, c.chunk) = ("
      "  SELECT cycle_id, chunk FROM headroom.scoring_chunks"
      "  WHERE cycle_id = $1 AND done_at IS NULL AND (lease_until IS NULL OR lease_until < now())"
      "  ORDER BY chunk LIMIT 1 FOR UPDATE SKIP LOCKED) "
      "RETURNING c.chunk, c.first_account, c.last_account",
      cycle_id, std::string(replica_id), static_cast<double>(lease.count()));
  tx.commit();
  if (r.empty()) return std::nullopt;
  return ScoringChunk{cycle_id, r[0][0].as<int>(), r[0][1].as<std::string>(), r[0][2].as<std::string>()};
}

bool cycle_finished(pqxx::connection& conn, std::int64_t cycle_id) {
  pqxx::work tx{conn};
  const bool finished =
      tx.exec_params1(
            "SELECT finished_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM headroom.scoring_chunks "
            "WHERE cycle_id = $1 AND done_at IS NULL) FROM headroom.scoring_cycles WHERE cycle_id = $1",
            cycle_id)[0]
          .as<bool>();
  if (finished)
    tx.exec_params("UPDATE headroom.scoring_cycles SET finished_at = now() WHERE cycle_id = $1 AND finished_at IS NULL",
                   cycle_id);
  tx.commit();
  return finished;
}

namespace {

// Streams `query` (a parenthesised SELECT of the contract columns in
// (account_id, posted_at, txn_id) order) with COPY and hands over each
// account's rows. Returns the number of rows that could not be decoded.
std::size_t stream_histories(
    pqxx::transaction_base& tx, const std::string& query,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& history)>& on_account) {
  // libpqxx 6.4's stream_from runs "COPY <name> TO STDOUT"; a parenthesised
  // query in place of the table name is PostgreSQL's COPY (query) form.
  pqxx::stream_from stream{tx, query};

  std::size_t undecodable = 0;
  std::string line;
  std::vector<std::optional<std::string_view>> fields;
  std::vector<std::string> scratch;
  std::string current;
  std::vector<forecast::Transaction> history;
  while (stream.get_raw_line(line)) {
    split_copy_line(line, fields, scratch);
    if (fields.size() != 7 || !fields[0] || !fields[1] || !fields[2] || !fields[3]) {
      ++undecodable;
      continue;
    }
    const auto date = forecast::parse_iso_date(*fields[2]);
    const auto amount = parse_numeric_cents(*fields[3]);
    std::optional<std::int64_t> balance;
    if (fields[4]) balance = parse_numeric_cents(*fields[4]);
    if (!date || !amount || (fields[4] && !balance)) {
      ++undecodable;
      continue;
    }
    if (*fields[0] != current) {
      if (!history.empty()) on_account(current, std::move(history));
      history.clear();
      current.assign(fields[0]->data(), fields[0]->size());
    }
    forecast::Transaction t;
    t.account_id = current;
    t.txn_id.assign(fields[1]->data(), fields[1]->size());
    t.posted_at = *date;
    t.amount = forecast::Money::from_cents(*amount);
    if (balance) t.balance_after = forecast::Money::from_cents(*balance);
    if (fields[5]) t.description.assign(fields[5]->data(), fields[5]->size());
    if (fields[6]) t.kind.assign(fields[6]->data(), fields[6]->size());
    history.push_back(std::move(t));
  }
  stream.complete();
  if (!history.empty()) on_account(current, std::move(history));
  return undecodable;
}

constexpr const char* kContractSelect =
    "(SELECT account_id, txn_id, posted_at, amount, balance_after, description, kind FROM headroom.transactions";

}  // namespace

std::size_t read_account_histories(
    pqxx::connection& conn, std::string_view first_account, std::string_view last_account,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& history)>& on_account) {
  pqxx::read_transaction tx{conn};
  // COPY takes no bind parameters; the bounds are escaped by the server's own
  // quoting (tx.quote), never pasted raw.
  std::string query = kContractSelect;
  if (!first_account.empty() || !last_account.empty())
    query += " WHERE account_id BETWEEN " + tx.quote(std::string(first_account)) + " AND " +
             tx.quote(std::string(last_account));
  query += " ORDER BY account_id, posted_at, txn_id)";
  const std::size_t undecodable = stream_histories(tx, query, on_account);
  tx.commit();
  return undecodable;
}

std::size_t read_histories_of(
    pqxx::connection& conn, const std::vector<std::string>& accounts,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& history)>& on_account) {
  if (accounts.empty()) return 0;
  pqxx::read_transaction tx{conn};
  // COPY takes no bind parameters: each id is quoted by the server's rules.
  std::string query = kContractSelect;
  query += " WHERE account_id IN (";
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (i) query += ',';
    query += tx.quote(accounts[i]);
  }
  query += ") ORDER BY account_id, posted_at, txn_id)";
  const std::size_t undecodable = stream_histories(tx, query, on_account);
  tx.commit();
  return undecodable;
}

TransactionsRead read_transactions_since(
    pqxx::connection& conn, std::optional<std::int64_t> since_xmin,
    const std::function<void(std::string_view account_id, std::vector<forecast::Transaction>&& rows)>& on_account) {
  // Repeatable read: the snapshot whose xmin is returned is the one the COPY
  // reads with (taken by the first statement, kept for the transaction).
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only> tx{conn};
  TransactionsRead read;
  read.snapshot_xmin = tx.exec("SELECT txid_snapshot_xmin(txid_current_snapshot())")[0][0].as<std::int64_t>();
  std::string query = kContractSelect;
  // Every row this snapshot shows that the previous one did not was inserted
  // by a transaction with id >= the previous snapshot's xmin. Some rows with
  // such ids were already visible then: the caller drops them by txn_id.
  if (since_xmin) query += " WHERE inserted_xid >= " + tx.quote(*since_xmin);
  query += " ORDER BY account_id, posted_at, txn_id)";
  read.undecodable = stream_histories(tx, query, on_account);
  tx.commit();
  return read;
}

bool complete_chunk(pqxx::connection& conn, const ScoringChunk& chunk, std::string_view replica_id,
                    const std::vector<forecast::AccountForecast>& forecasts, const ChunkHook& in_transaction) {
  pqxx::work tx{conn};
  // Completions of one cycle take turns on the cycle row, so the last one
  // sees every other completion and marks the cycle finished (under READ
  // COMMITTED two concurrent last chunks would otherwise each miss the other).
  tx.exec_params("SELECT 1 FROM headroom.scoring_cycles WHERE cycle_id = $1 FOR UPDATE", chunk.cycle_id);
  const auto holder = tx.exec_params(
      "SELECT leased_by, done_at IS NOT NULL FROM headroom.scoring_chunks "
      "WHERE cycle_id = $1 AND chunk = $2 FOR UPDATE",
      chunk.cycle_id, chunk.chunk);
  if (holder.empty() || holder[0][0].is_null() || holder[0][0].as<std::string>() != replica_id ||
      holder[0][1].as<bool>()) {
    tx.abort();
    return false;
  }
  write_forecasts(tx, forecasts, chunk.cycle_id);
  if (in_transaction) in_transaction(tx, forecasts);
  {
    pqxx::stream_to scoring_log{tx, "headroom.scoring_log", std::vector<std::string>{"cycle_id", "account_id", "scored_by"}};
    for (const auto& f : forecasts)
      scoring_log << std::make_tuple(chunk.cycle_id, f.forecast.account_id, std::string(replica_id));
    scoring_log.complete();
  }
  tx.exec_params(
      "UPDATE headroom.scoring_chunks SET done_at = now(), done_by = $3, accounts_scored = $4 "
      "WHERE cycle_id = $1 AND chunk = $2",
      chunk.cycle_id, chunk.chunk, std::string(replica_id), static_cast<int>(forecasts.size()));
  tx.exec_params(
      "UPDATE headroom.scoring_cycles SET finished_at = now() WHERE cycle_id = $1 AND finished_at IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM headroom.scoring_chunks WHERE cycle_id = $1 AND done_at IS NULL)",
      chunk.cycle_id);
  tx.commit();
  return true;
}

}  // namespace headroom::db
