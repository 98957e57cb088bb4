#include "service/history_cache.hpp"

#include <algorithm>
#include <unordered_set>

#include "db/scoring_cycle.hpp"
#include "forecast/history.hpp"

namespace headroom::service {
namespace {

bool posted_before(const forecast::Transaction& a, const forecast::Transaction& b) {
  return a.posted_at != b.posted_at ? a.posted_at < b.posted_at : a.txn_id < b.txn_id;
}

}  // namespace

std::size_t HistoryCache::merge_rows(std::vector<forecast::Transaction>& history,
                                     std::vector<forecast::Transaction>&& incoming) {
  if (incoming.empty()) return 0;
  if (history.empty()) {
    history = std::move(incoming);
    return history.size();
  }
  // The usual case: every new row posts after the last cached one.
  if (posted_before(history.back(), incoming.front())) {
    const std::size_t added = incoming.size();
    history.insert(history.end(), std::make_move_iterator(incoming.begin()), std::make_move_iterator(incoming.end()));
    return added;
  }
  // Repeats of cached rows, or rows posted back-dated: drop the repeats and
  // merge the rest into place. Only the cached rows from the earliest incoming
  // date on can hold a repeat (a txn_id posts on one date only).
  const auto tail = std::lower_bound(history.begin(), history.end(), incoming.front().posted_at,
                                     [](const forecast::Transaction& t, forecast::Date d) { return t.posted_at < d; });
  const std::ptrdiff_t tail_index = tail - history.begin();
  std::unordered_set<std::string_view> known;
  for (auto it = tail; it != history.end(); ++it) known.insert(it->txn_id);
  std::vector<forecast::Transaction> fresh;
  for (auto& t : incoming)
    if (!known.contains(t.txn_id)) fresh.push_back(std::move(t));
  if (fresh.empty()) return 0;
  const std::size_t added = fresh.size();
  const auto middle = static_cast<std::ptrdiff_t>(history.size());
  history.insert(history.end(), std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
  std::inplace_merge(history.begin() + tail_index, history.begin() + middle, history.end(), posted_before);
  return added;
}

HistoryCache::Refresh HistoryCache::refresh(pqxx::connection& conn) {
  Refresh r;
  r.full = !snapshot_xmin_;
  const auto read = db::read_transactions_since(
      conn, snapshot_xmin_, [&](std::string_view account_id, std::vector<forecast::Transaction>&& rows) {
        r.rows_read += rows.size();
        if (rows.empty()) return;
        auto it = histories_.find(account_id);
        if (it == histories_.end()) it = histories_.emplace(std::string(account_id), Account{}).first;
        Account& a = it->second;
        const std::size_t before = a.rows.size();
        const bool appended = before == 0 || posted_before(a.rows.back(), rows.front());
        r.rows_added += merge_rows(a.rows, std::move(rows));
        // Appended rows (the usual case) get their hashes; a merge into place
        // reorders, so the account's hashes are recomputed.
        if (!appended) a.payee_hashes.clear();
        a.payee_hashes.reserve(a.rows.size());
        for (std::size_t i = a.payee_hashes.size(); i < a.rows.size(); ++i)
          a.payee_hashes.push_back(forecast::payee_hash(a.rows[i]));
      });
  snapshot_xmin_ = read.snapshot_xmin;
  r.undecodable = read.undecodable;
  rows_ += r.rows_added;
  return r;
}

void HistoryCache::for_each_in_range(
    std::string_view first, std::string_view last,
    const std::function<void(const std::string&, std::span<const forecast::Transaction>,
                             std::span<const std::uint64_t>)>& visit) const {
  const bool all = first.empty() && last.empty();
  auto it = all ? histories_.begin() : histories_.lower_bound(first);
  for (; it != histories_.end(); ++it) {
    if (!all && std::string_view(it->first) > last) break;
    visit(it->first, it->second.rows, it->second.payee_hashes);
  }
}

}  // namespace headroom::service
