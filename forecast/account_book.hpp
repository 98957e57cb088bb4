#pragma once
// Many accounts' transactions in one place, grouped per account and sorted by
// posted date, so a backtest can hand the engine "rows before the origin" as a
// prefix span without copying. Pure data; built once, then read-only and safe
// to share between threads.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "forecast/transaction.hpp"

namespace headroom::forecast {

struct AccountBook {
  std::vector<Transaction> rows;  // grouped by account (first-seen order), each group by posted_at (stable)
  struct Range {
    std::size_t begin = 0, end = 0;
  };
  std::unordered_map<std::string, Range> accounts;
  std::vector<std::string> order;  // account ids in first-seen order
  std::vector<std::uint64_t> payee_hashes;  // payee_hash() of each row, parallel to rows

  // All rows of `account` (empty when unknown).
  std::span<const Transaction> all(const std::string& account) const;
  // Rows of `account` with posted_at < before.
  std::span<const Transaction> before(const std::string& account, Date before) const;
  // payee_hashes matching a span returned by all() / before().
  std::span<const std::uint64_t> hashes_of(std::span<const Transaction> rows_span) const;
};

AccountBook group_by_account(std::vector<Transaction> rows);

}  // namespace headroom::forecast
