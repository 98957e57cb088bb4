// `headroom forget ACCOUNT` on the real binary after a real cycle: the
// customer's address and every copy rendered for them are gone from every
// column of every table of the schema, a second call writes nothing, no
// later cycle nudges the account again, and an email a sender claimed just
// before the erasure is not sent.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/erasure.hpp"
#include "service/nudge_delivery.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/schema_search.hpp"
#include "tests/support/test_database.hpp"

using headroom::testing::CommandResult;
using headroom::testing::where_in_schema;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace {

class Forget : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    ASSERT_EQ(run_headroom("migrate").exit_code, 0);
  }
  // The real binary against this test's database. The unsubscribe secret
  // makes every email's copy carry a link of its own account.
  CommandResult run_headroom(const std::string& args) {
    using headroom::testing::shell_quote;
    return headroom::testing::run_command("env HEADROOM_DATABASE_URL=" + shell_quote(db_.url()) +
                                          " HEADROOM_UNSUBSCRIBE_SECRET=forget-test-secret " +
                                          shell_quote(HEADROOM_BINARY) + " " + args);
  }
  long long count(const std::string& sql) {
    pqxx::nontransaction tx{*conn_};
    return tx.exec(sql)[0][0].as<long long>();
  }
  void exec(const std::string& sql) {
    pqxx::work tx{*conn_};
    tx.exec(sql);
    tx.commit();
  }
  // The address and every piece of copy stored for `account`: outbox
  // payloads' subject, bodies, in-app text and unsubscribe link, the in-app
  // nudges' texts.
  std::vector<std::string> personal_strings(const std::string& account, const std::string& email) {
    pqxx::nontransaction tx{*conn_};
    std::vector<std::string> out{email};
    for (const auto& row : tx.exec_params(
             "SELECT DISTINCT v FROM headroom.nudge_outbox o,"
             "  unnest(ARRAY[o.payload ->> 'subject', o.payload ->> 'text', o.payload ->> 'html',"
             "               o.payload ->> 'in_app', o.payload ->> 'unsubscribe_url']) v "
             "WHERE o.account_id = $1 AND coalesce(v, '') <> '' "
             "UNION SELECT body FROM headroom.nudges WHERE account_id = $1 AND body <> ''",
             account))
      out.push_back(row[0].as<std::string>());
    return out;
  }

  headroom::testing::TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

TEST_F(Forget, LeavesNoAddressOrCopyOfTheAccountAnywhereInTheSchemaAndASecondCallChangesNothing) {
  headroom::testing::seed_accounts_running_low(*conn_, 1);  // acct-000, customer0@example.com
  exec("INSERT INTO headroom.quarantined_transactions (source, line, field, raw, reason) VALUES"
       " ('feed.csv', 7, 'posted_at', 'acct-000,late-1,2026-02-30,-12.00,,CARD SHOP 1,', 'not a date')");
  const CommandResult run = run_headroom("run --once --threads 1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto strings = personal_strings("acct-000", "customer0@example.com");
  // Address, subject, text and HTML bodies, in-app text, unsubscribe link.
  ASSERT_GE(strings.size(), 6u) << "the cycle did not render email and in-app copy for the account";
  ASSERT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-000' AND channel = 'email'"
                  " AND status = 'pending'"),
            1)
      << "no pending email to cancel (the email channel is off here: rows wait)";
  for (const auto& s : strings) ASSERT_THAT(where_in_schema(*conn_, s), Not(IsEmpty())) << s;

  const CommandResult forget = run_headroom("forget acct-000");
  ASSERT_EQ(forget.exit_code, 0) << forget.output;
  EXPECT_THAT(forget.output, HasSubstr("forget: account acct-000 erased at "));
  EXPECT_THAT(forget.output, HasSubstr("address and consent removed, 1 pending deliveries cancelled"));
  EXPECT_THAT(forget.output, Not(HasSubstr("customer0")));
  for (const auto& s : strings) EXPECT_THAT(where_in_schema(*conn_, s), IsEmpty()) << s;
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-000' AND channel = 'email'"
                  " AND status = 'cancelled' AND last_error = 'erased'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.quarantined_transactions"), 0);
  // What analysis needs stays, keyed by the account id.
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE account_id = 'acct-000'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-000'"), 1);

  const std::string before = headroom::testing::schema_snapshot(*conn_);
  const CommandResult again = run_headroom("forget acct-000");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("forget: account acct-000 was already erased at "));
  EXPECT_THAT(again.output, HasSubstr("nothing left to erase"));
  EXPECT_EQ(headroom::testing::schema_snapshot(*conn_), before) << "the second call wrote a row";

  const CommandResult unknown = run_headroom("forget acct-999");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("headroom forget: account acct-999 is unknown here"));
  EXPECT_EQ(headroom::testing::schema_snapshot(*conn_), before);
}

// After the erasure the feed sends the address again and a second policy
// comes in: a new account is nudged under it, the erased one is not, on
// any channel, and its address stays out.
TEST_F(Forget, NoLaterCycleNudgesAnErasedAccountAgain) {
  headroom::testing::seed_accounts_running_low(*conn_, 1);
  ASSERT_EQ(run_headroom("run --once --threads 1").exit_code, 0);
  ASSERT_EQ(run_headroom("forget acct-000").exit_code, 0);
  exec("UPDATE headroom.accounts SET email = 'customer0@example.com', email_consent = true WHERE account_id = 'acct-000'");
  exec("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind) "
       "SELECT 'acct-001', txn_id, posted_at, amount, balance_after, description, kind FROM headroom.transactions "
       "WHERE account_id = 'acct-000'");
  exec("INSERT INTO headroom.accounts (account_id, email, email_consent) VALUES ('acct-001', 'customer1@example.com', true)");
  exec("INSERT INTO headroom.nudge_policies (name, definition) SELECT 'second', definition ||"
       " '{\"experiment\": \"second\", \"holdout_share\": 0, \"global_cap\": {\"max_nudges\": 10, \"window_days\": 7}}'"
       " FROM headroom.nudge_policies WHERE name = 'default'");

  const CommandResult run = run_headroom("run --once --threads 1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-001' AND policy = 'second'"), 0)
      << "the cycle planned no nudge at all, so it shows nothing about the erased account";
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE account_id = 'acct-000' AND policy = 'second'"
                  " AND reason = 'opted_out'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE account_id = 'acct-000' AND policy = 'second'"
                  " AND reason <> 'opted_out'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-000' AND NOT payload ? 'erased'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudges WHERE account_id = 'acct-000' AND body <> ''"), 0);
  EXPECT_THAT(where_in_schema(*conn_, "customer0@example.com"), IsEmpty());
}

namespace {

// Sends nothing anywhere; on its first message it erases the account of the
// other address, as an erasure arriving while the worker is mid-batch would.
class ErasingMailer : public headroom::edge::Mailer {
 public:
  ErasingMailer(std::string url, std::map<std::string, std::string> account_of)
      : url_(std::move(url)), account_of_(std::move(account_of)) {}
  headroom::edge::DeliveryResult send(const headroom::edge::OutgoingEmail& email) override {
    recipients.push_back(email.recipient);
    if (recipients.size() == 1) {
      for (const auto& [address, account] : account_of_) {
        if (address == email.recipient) continue;
        pqxx::connection c{url_};
        headroom::db::erase_account(c, account, headroom::db::ErasureSource::kApi);
        erased = account;
      }
    }
    return {headroom::edge::DeliveryStatus::kDelivered, 250, "accepted"};
  }
  std::vector<std::string> recipients;
  std::string erased;

 private:
  std::string url_;
  std::map<std::string, std::string> account_of_;
};

}  // namespace

TEST_F(Forget, AnEmailClaimedBeforeItsAccountWasErasedIsNotSent) {
  headroom::testing::seed_accounts_running_low(*conn_, 2);
  ASSERT_EQ(run_headroom("run --once --threads 1").exit_code, 0);
  ASSERT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'pending'"), 2);

  auto mailer = std::make_unique<ErasingMailer>(
      db_.url(), std::map<std::string, std::string>{{"customer0@example.com", "acct-000"},
                                                    {"customer1@example.com", "acct-001"}});
  ErasingMailer& seen = *mailer;
  // One batch claims both rows before the first is sent.
  headroom::service::DeliveryWorker worker{{"forget-test", std::chrono::seconds(60), 10, "", {}, {}},
                                           std::move(mailer), "headroom@localhost"};
  std::atomic<bool> stop{false};
  const auto stats = worker.deliver_due(*conn_, stop);

  ASSERT_EQ(seen.recipients.size(), 1u) << "the erased account's email was sent";
  ASSERT_FALSE(seen.erased.empty());
  EXPECT_EQ(stats.emails_sent, 1u);
  EXPECT_EQ(stats.emails_cancelled, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND account_id = '" + seen.erased +
                  "' AND status = 'cancelled' AND last_error = 'erased' AND payload ? 'erased'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'sent'"), 1);
}
