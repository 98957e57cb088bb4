#pragma once
// Account histories kept in memory between scoring cycles, so that a cycle
// reads only the transactions that committed since the previous one instead
// of every account's whole history (db::read_transactions_since). The read is
// exact, not a heuristic: it goes by database snapshot, so no row is missed
// however commits interleave, and rows read twice are dropped by txn_id.
//
// Cost: memory, about 200 bytes per transaction row (20,000 accounts with
// seven months of history, 6.5 million rows: ~1.3 GB). Off by default
// (`headroom run --history-cache`); worth it when cycles are frequent, as in
// the lockstep experiment, where it turns a 20-second read per simulated day
// into a read of that day's rows.
//
// Not thread-safe: refresh() and the reads must not overlap. The scoring
// thread refreshes once at the start of a cycle and only reads afterwards.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "forecast/transaction.hpp"

namespace headroom::service {

class HistoryCache {
 public:
  struct Refresh {
    std::size_t rows_read = 0;   // rows streamed, repeats included
    std::size_t rows_added = 0;  // new to the cache
    std::size_t undecodable = 0;
    bool full = false;           // the first read: every row
  };

  // Brings the cache up to date with everything committed by now.
  Refresh refresh(pqxx::connection& conn);

  // Each account in [first, last] (inclusive; both empty = all), in account
  // order, with its rows in (posted_at, txn_id) order and forecast::payee_hash
  // of each row (parallel to the rows: the forecast's text normalization,
  // done once per row when it enters the cache instead of at every cycle).
  // The spans stay valid until the next refresh().
  void for_each_in_range(std::string_view first, std::string_view last,
                         const std::function<void(const std::string& account_id,
                                                  std::span<const forecast::Transaction> history,
                                                  std::span<const std::uint64_t> payee_hashes)>& visit) const;

  std::size_t accounts() const { return histories_.size(); }
  std::size_t rows() const { return rows_; }

  // Merges `incoming` (sorted by posted_at, txn_id) into `history` (sorted
  // likewise), dropping rows whose txn_id is already there. Returns how many
  // rows were added. Exposed for tests.
  static std::size_t merge_rows(std::vector<forecast::Transaction>& history,
                                std::vector<forecast::Transaction>&& incoming);

 private:
  struct Account {
    std::vector<forecast::Transaction> rows;
    std::vector<std::uint64_t> payee_hashes;  // forecast::payee_hash of each row
  };
  std::map<std::string, Account, std::less<>> histories_;
  std::optional<std::int64_t> snapshot_xmin_;
  std::size_t rows_ = 0;
};

}  // namespace headroom::service
