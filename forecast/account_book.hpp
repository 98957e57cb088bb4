#pragma once
// Many accounts' transactions in one place, grouped per account and sorted by
// posted date, so a backtest can hand the engine "rows before the origin" as a
// prefix span without copying. Pure data; built once, then read-only and safe
// to share between threads.

#include <cstddef>
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

  // All rows of `account` (empty when unknown).
  std::span<const Transaction> all(const std::string& account) const;
  // Rows of `account` with posted_at < before.
  std::span<const Transaction> before(const std::string& account, Date before) const;
};

AccountBook group_by_account(std::vector<Transaction> rows);

}  // namespace headroom::forecast
