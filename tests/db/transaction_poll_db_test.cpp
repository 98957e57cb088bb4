// The polling fallback's high-water mark (db/transaction_watermark.hpp)
// against a real PostgreSQL: what a poll reports, and the interleavings a
// timestamp or largest-id mark would get wrong.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/transaction_watermark.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;
using Accounts = std::vector<std::string>;

namespace {

void insert_row(pqxx::transaction_base& tx, const std::string& account, const std::string& txn_id) {
  tx.exec_params(
      "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, description, kind) "
      "VALUES ($1, $2, '2026-06-29', -12.50, 'CARD SHOP', '')",
      account, txn_id);
}

class TransactionPoll : public headroom::testing::MigratedDatabase {
 protected:
  void commit_row(const std::string& account, const std::string& txn_id) {
    pqxx::work tx{*conn_};
    insert_row(tx, account, txn_id);
    tx.commit();
  }
  // Polls from `mark_` and moves it on.
  Accounts poll() {
    auto changed = db::accounts_changed_since(*conn_, mark_);
    mark_ = changed.next;
    return changed.accounts;
  }
  db::TransactionWatermark mark_;
};

}  // namespace

TEST_F(TransactionPoll, ReportsEachAccountWithRowsCommittedSinceTheMarkOnce) {
  commit_row("acct-old", "t1");
  mark_ = db::current_watermark(*conn_);
  EXPECT_EQ(poll(), Accounts{}) << "rows committed before the mark are not reported";
  commit_row("acct-b", "t2");
  commit_row("acct-a", "t3");
  commit_row("acct-b", "t4");
  EXPECT_EQ(poll(), (Accounts{"acct-a", "acct-b"}));
  EXPECT_EQ(poll(), Accounts{}) << "nothing new: nothing reported again";
}

TEST_F(TransactionPoll, ATransactionThatTookItsIdEarlierAndCommitsLaterIsStillFound) {
  mark_ = db::current_watermark(*conn_);
  // `slow` inserts first (the lower transaction id) and commits last.
  pqxx::connection other{db_.url()};
  pqxx::work slow{other};
  insert_row(slow, "acct-slow", "s1");
  commit_row("acct-fast", "f1");
  EXPECT_EQ(poll(), Accounts{"acct-fast"}) << "uncommitted rows are invisible";
  slow.commit();
  EXPECT_EQ(poll(), Accounts{"acct-slow"}) << "a mark past acct-fast's id would have skipped this commit";
}

TEST_F(TransactionPoll, ALongOpenTransactionDoesNotMakeEveryPollRepeatTheSameAccounts) {
  // An open transaction with an id holds the snapshot's xmin back, so every
  // row after it stays above the index bound; the snapshot excludes those
  // already reported.
  pqxx::connection other{db_.url()};
  pqxx::work open{other};
  open.exec("SELECT txid_current()");
  mark_ = db::current_watermark(*conn_);
  commit_row("acct-a", "a1");
  EXPECT_EQ(poll(), Accounts{"acct-a"});
  EXPECT_EQ(poll(), Accounts{});
  commit_row("acct-b", "b1");
  EXPECT_EQ(poll(), Accounts{"acct-b"});
  open.abort();
}

TEST_F(TransactionPoll, RolledBackRowsAreNeverReported) {
  mark_ = db::current_watermark(*conn_);
  {
    pqxx::work tx{*conn_};
    insert_row(tx, "acct-gone", "g1");
    tx.abort();
  }
  commit_row("acct-kept", "k1");
  EXPECT_EQ(poll(), Accounts{"acct-kept"});
}
