// HistoryCache::merge_rows: the pure merge behind each refresh.
#include <gtest/gtest.h>

#include "service/history_cache.hpp"

using namespace headroom;
using forecast::make_date;

namespace {

forecast::Transaction row(const char* txn, int day, long long cents) {
  forecast::Transaction t;
  t.account_id = "acct-1";
  t.txn_id = txn;
  t.posted_at = make_date(2026, 3, day);
  t.amount = forecast::Money::from_cents(cents);
  return t;
}

std::vector<std::string> ids(const std::vector<forecast::Transaction>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.txn_id);
  return out;
}

}  // namespace

TEST(HistoryCacheMerge, AppendsRowsThatPostAfterTheCachedOnes) {
  std::vector<forecast::Transaction> history{row("a", 1, -100), row("b", 2, -200)};
  EXPECT_EQ(service::HistoryCache::merge_rows(history, {row("c", 3, -300)}), 1u);
  EXPECT_EQ(ids(history), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(HistoryCacheMerge, DropsRepeatsAndPlacesBackDatedRowsInOrder) {
  std::vector<forecast::Transaction> history{row("a", 1, -100), row("c", 3, -300), row("d", 5, -400)};
  // "c" again (read twice across snapshots) and a back-dated "b".
  EXPECT_EQ(service::HistoryCache::merge_rows(history, {row("b", 2, -200), row("c", 3, -300)}), 1u);
  EXPECT_EQ(ids(history), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(HistoryCacheMerge, AddsNothingWhenEveryRowIsARepeat) {
  std::vector<forecast::Transaction> history{row("a", 1, -100), row("b", 2, -200)};
  EXPECT_EQ(service::HistoryCache::merge_rows(history, {row("a", 1, -100), row("b", 2, -200)}), 0u);
  EXPECT_EQ(history.size(), 2u);
}
