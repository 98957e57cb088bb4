#pragma once
// The high-water mark of the incremental path's polling fallback: which
// accounts received transactions since the last look, for feeds that cannot
// send NOTIFY headroom_transactions (service/daemon.hpp).
//
// Same mechanism as read_transactions_since (db/scoring_cycle.hpp): each row
// records the id of the transaction that inserted it (migration 0009, BRIN
// index), and the mark is a database snapshot, not a timestamp or a largest
// id. A transaction that took its id early and commits late is still running
// at the snapshot, so its id is in the snapshot's in-progress list and at or
// above its xmin: the next look reports its rows. Rows the previous snapshot
// already showed are excluded exactly (txid_visible_in_snapshot), so a long
// open transaction elsewhere does not make every poll report the same
// accounts again. Rows with no inserted_xid (stored before 0009) are never
// reported. Relies on rows being inserted, not updated in place, as
// read_transactions_since does.

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace headroom::db {

struct TransactionWatermark {
  std::string snapshot;            // txid_snapshot text, "xmin:xmax:xip,..."
  std::int64_t snapshot_xmin = 0;  // its oldest running transaction: the index bound
};

// The mark of everything committed now: a later accounts_changed_since(mark)
// reports only what commits after this call's snapshot.
TransactionWatermark current_watermark(pqxx::connection& conn);

struct ChangedAccounts {
  std::vector<std::string> accounts;  // sorted, each once
  TransactionWatermark next;          // pass to the next call
};

// The accounts with rows visible now that `since` did not show, and the mark
// of this read. One read-only repeatable-read transaction; cost is an index
// range scan over rows inserted by transactions from since.snapshot_xmin on.
ChangedAccounts accounts_changed_since(pqxx::connection& conn, const TransactionWatermark& since);

}  // namespace headroom::db
