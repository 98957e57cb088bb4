#include "db/transaction_watermark.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

namespace headroom::db {
namespace {

// Repeatable read: the snapshot the first statement reports is the one every
// later statement of the transaction reads with.
using SnapshotRead = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>;

TransactionWatermark snapshot_of(SnapshotRead& tx) {
  const auto row = tx.exec1("SELECT s::text, txid_snapshot_xmin(s) FROM txid_current_snapshot() s");
  return {row[0].as<std::string>(), row[1].as<std::int64_t>()};
}

}  // namespace

TransactionWatermark current_watermark(pqxx::connection& conn) {
  SnapshotRead tx{conn};
  TransactionWatermark mark = snapshot_of(tx);
  tx.commit();
  return mark;
}

ChangedAccounts accounts_changed_since(pqxx::connection& conn, const TransactionWatermark& since) {
  SnapshotRead tx{conn};
  ChangedAccounts out;
  out.next = snapshot_of(tx);
  // A row is new when its inserting transaction was not visible to `since`:
  // committed after it, or still running then (in its xip list). Every such
  // id is >= since's xmin, which bounds the BRIN scan.
  const auto rows = tx.exec_params(
      "SELECT DISTINCT account_id FROM headroom.transactions "
      "WHERE inserted_xid >= $1 AND NOT txid_visible_in_snapshot(inserted_xid, $2::txid_snapshot) "
      "ORDER BY account_id",
      since.snapshot_xmin, since.snapshot);
  out.accounts.reserve(rows.size());
  for (const auto& r : rows) out.accounts.push_back(r[0].as<std::string>());
  tx.commit();
  return out;
}

}  // namespace headroom::db
