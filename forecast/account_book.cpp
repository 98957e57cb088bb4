#include "forecast/account_book.hpp"

#include "forecast/history.hpp"

#include <algorithm>
#include <numeric>

namespace headroom::forecast {

std::span<const Transaction> AccountBook::all(const std::string& account) const {
  const auto it = accounts.find(account);
  if (it == accounts.end()) return {};
  return std::span<const Transaction>(rows.data() + it->second.begin, it->second.end - it->second.begin);
}

std::span<const Transaction> AccountBook::before(const std::string& account, Date before) const {
  const auto span = all(account);
  const auto end = std::lower_bound(span.begin(), span.end(), before,
                                    [](const Transaction& t, Date d) { return t.posted_at < d; });
  return span.first(static_cast<std::size_t>(end - span.begin()));
}

std::span<const std::uint64_t> AccountBook::hashes_of(std::span<const Transaction> rows_span) const {
  if (rows_span.empty()) return {};
  const auto offset = static_cast<std::size_t>(rows_span.data() - rows.data());
  return std::span<const std::uint64_t>(payee_hashes.data() + offset, rows_span.size());
}

AccountBook group_by_account(std::vector<Transaction> rows) {
  AccountBook book;
  std::unordered_map<std::string, std::size_t> rank;
  for (const auto& t : rows)
    if (rank.emplace(t.account_id, rank.size()).second) book.order.push_back(t.account_id);
  std::vector<std::size_t> key(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) key[i] = rank[rows[i].account_id];
  std::vector<std::size_t> idx(rows.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (key[a] != key[b]) return key[a] < key[b];
    return rows[a].posted_at < rows[b].posted_at;
  });
  book.rows.reserve(rows.size());
  for (std::size_t i : idx) book.rows.push_back(std::move(rows[i]));
  book.payee_hashes.reserve(book.rows.size());
  for (const auto& t : book.rows) book.payee_hashes.push_back(payee_hash(t));
  for (std::size_t i = 0; i < book.rows.size();) {
    std::size_t j = i;
    while (j < book.rows.size() && book.rows[j].account_id == book.rows[i].account_id) ++j;
    book.accounts[book.rows[i].account_id] = AccountBook::Range{i, j};
    i = j;
  }
  return book;
}

}  // namespace headroom::forecast
