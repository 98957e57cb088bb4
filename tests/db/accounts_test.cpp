#include "db/accounts.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"

namespace headroom::db {
namespace {

class Accounts : public headroom::testing::MigratedDatabase {
 protected:
  std::vector<std::string> row(const std::string& account_id) {
    pqxx::read_transaction tx(*conn_);
    const auto r = tx.exec_params1(
        "SELECT time_zone, currency, coalesce(locale, '<null>'), coalesce(email, '<null>'), email_consent::text,"
        " coalesce(opted_out_at::text, '<null>') FROM headroom.accounts WHERE account_id = $1",
        account_id);
    std::vector<std::string> out;
    for (const auto& f : r) out.push_back(f.as<std::string>());
    return out;
  }
};

TEST_F(Accounts, InsertsNewAccountsWithEveryField) {
  EXPECT_EQ(upsert_accounts(*conn_, {{"a1", "America/Chicago", "USD", "en-US", "a1@example.test", true},
                                     {"a2", "UTC", "EUR", std::nullopt, std::nullopt, false}}),
            2u);
  EXPECT_EQ(row("a1"), (std::vector<std::string>{"America/Chicago", "USD", "en-US", "a1@example.test", "true", "<null>"}));
  EXPECT_EQ(row("a2"), (std::vector<std::string>{"UTC", "EUR", "<null>", "<null>", "false", "<null>"}));
}

TEST_F(Accounts, UpdatesKnownAccountsButKeepsTheirOptOut) {
  upsert_accounts(*conn_, {{"a1", "UTC", "USD", std::nullopt, "old@example.test", true}});
  {
    pqxx::work tx(*conn_);
    tx.exec0("UPDATE headroom.accounts SET opted_out_at = '2026-01-02 03:04:05+00' WHERE account_id = 'a1'");
    tx.commit();
  }
  EXPECT_EQ(upsert_accounts(*conn_, {{"a1", "Europe/Paris", "EUR", "fr-FR", "new@example.test", false}}), 1u);
  EXPECT_EQ(row("a1"), (std::vector<std::string>{"Europe/Paris", "EUR", "fr-FR", "new@example.test", "false",
                                                 "2026-01-02 03:04:05+00"}));
  EXPECT_EQ(count("SELECT count(*) FROM headroom.accounts"), 1);
}

TEST_F(Accounts, TheLastRecordOfARepeatedAccountWins) {
  EXPECT_EQ(upsert_accounts(*conn_, {{"a1", "UTC", "USD", std::nullopt, std::nullopt, false},
                                     {"a1", "Asia/Tokyo", "JPY", std::nullopt, std::nullopt, false}}),
            1u);
  EXPECT_EQ(row("a1")[0], "Asia/Tokyo");
}

TEST_F(Accounts, ABadCurrencyWritesNothing) {
  EXPECT_THROW(upsert_accounts(*conn_, {{"a1", "UTC", "USD", std::nullopt, std::nullopt, false},
                                        {"a2", "UTC", "EURO", std::nullopt, std::nullopt, false}}),
               pqxx::data_exception);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.accounts"), 0);
}

TEST_F(Accounts, AnEmptyListWritesNothing) {
  EXPECT_EQ(upsert_accounts(*conn_, {}), 0u);
}

}  // namespace
}  // namespace headroom::db
