// db::erase_account against a real PostgreSQL (migration 0015): what an
// erasure removes and what it keeps, that a repeat writes no row, that the
// address cannot come back through the feed, and the contacts lock that
// keeps a planner's copy from outliving an erasure.
#include "db/erasure.hpp"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/accounts.hpp"
#include "db/nudge_store.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/schema_search.hpp"
#include "tests/support/write_gate.hpp"

namespace headroom::db {
namespace {

using headroom::testing::where_in_schema;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Per account, three policies' nudges in every delivery state:
//   p1  email pending and claimed by a sender, in-app pending (not yet due)
//   p2  email sent, in-app delivered and seen
//   p3  email failed, in-app delivered and available in the feed
// Copy names the account, so each account's copy is its own.
constexpr const char* kSeedNudges =
    "WITH d AS ("
    "  INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment, arm,"
    "    channel, outcome, reason, variant, risky_day, lead_time_days, assignment_hash, as_of, window_probability,"
    "    buffer_cents, expected_shortfall_cents, forecast, explanation)"
    "  SELECT now(), $1, p, 1, 'default', 'treatment', ch, 'send', 'none', 'v1', '2026-07-03', 3, 42, '2026-06-30',"
    "    0.6, 0, 4000, '{\"drivers\": [{\"label\": \"oak apts rent\"}]}', 'P(below 0.00) = 0.600; send'"
    "  FROM (VALUES ('p1', 'email'), ('p1', 'in_app'), ('p2', 'email'), ('p2', 'in_app'), ('p3', 'email'),"
    "               ('p3', 'in_app')) v(p, ch)"
    "  RETURNING decision_id, policy, channel),"
    " o AS ("
    "  INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload,"
    "    status, claimed_at, claimed_by, attempts, sent_at, failed_at, last_error)"
    "  SELECT d.decision_id, $1, d.policy, '2026-07-03', d.channel,"
    "    '<' || $1 || '.' || d.policy || '.' || d.channel || '@bank.example>',"
    "    jsonb_build_object('variant', 'v1', 'subject', 'Low balance ahead, ' || $1,"
    "      'text', E'Text body for ' || $1 || E'\\nSee \"what is coming\"', 'html', '<p>HTML body for ' || $1 || '</p>',"
    "      'in_app', 'In-app text for ' || $1, 'unsubscribe_url', 'https://bank.example/unsubscribe?token=tok-' || $1),"
    "    s.status, CASE WHEN s.claimed THEN now() END, CASE WHEN s.claimed THEN 'sender-1' END,"
    "    CASE WHEN s.claimed THEN 1 ELSE 0 END, CASE WHEN s.status = 'sent' THEN now() END,"
    "    CASE WHEN s.status = 'failed' THEN now() END, CASE WHEN s.status = 'failed' THEN 'mailbox full (SMTP 552)' END"
    "  FROM d JOIN (VALUES ('p1', 'email', 'pending', true), ('p1', 'in_app', 'pending', false),"
    "                      ('p2', 'email', 'sent', false), ('p2', 'in_app', 'sent', false),"
    "                      ('p3', 'email', 'failed', false), ('p3', 'in_app', 'sent', false))"
    "       s(policy, channel, status, claimed) USING (policy, channel)"
    "  RETURNING 1)"
    "INSERT INTO headroom.nudges (decision_id, account_id, policy, risky_day, variant, body, status, available_at,"
    "  expires_at)"
    "SELECT d.decision_id, $1, d.policy, '2026-07-03', 'v1', 'In-app text for ' || $1,"
    "  CASE d.policy WHEN 'p1' THEN 'pending' WHEN 'p2' THEN 'seen' ELSE 'available' END, now() - interval '1 hour',"
    "  now() + interval '3 days' "
    "FROM d WHERE d.channel = 'in_app' AND (SELECT count(*) FROM o) = 6";

class Erasure : public headroom::testing::MigratedDatabase {
 protected:
  void SetUp() override {
    MigratedDatabase::SetUp();
    if (HasFatalFailure()) return;
    pqxx::work tx{*conn_};
    for (const char* id : {"acct-a", "acct-b"}) {
      tx.exec_params("INSERT INTO headroom.accounts (account_id, email, email_consent) VALUES ($1, $2, true)", id,
                     email(id));
      tx.exec_params(
          "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, description) VALUES "
          "($1, 't1', '2026-06-01', 2500.00, 'ACME PAYROLL'), ($1, 't2', '2026-06-03', -1400.00, 'OAK APTS RENT')",
          id);
      tx.exec_params(
          "INSERT INTO headroom.forecasts (account_id, as_of, horizon_days, start_balance_cents, p_overdraft_window,"
          " p_below_buffer_window, model_kind, summary) VALUES ($1, '2026-06-30', 30, 4000, 0.6, 0.6, 'full',"
          " 'rent of 1,400.00 on the 3rd')",
          id);
      tx.exec_params(kSeedNudges, id);
    }
    // Rejected feed rows: acct-a's own (bare and quoted id), acct-b's quoting
    // acct-a's address in a description, and acct-b's own.
    tx.exec(
        "INSERT INTO headroom.quarantined_transactions (source, line, field, raw, reason) VALUES"
        " ('feed.csv', 2, 'posted_at', 'acct-a,t9,2026-13-01,-5.00,,CARD SHOP 1,', 'not a date'),"
        " ('feed.csv', 3, 'amount', '\"acct-a\",t10,2026-06-02,x,,CARD SHOP 2,', 'not a number'),"
        " ('feed.csv', 4, 'amount', 'acct-b,t11,2026-06-02,y,,\"ZELLE TO A@EXAMPLE.TEST\",', 'not a number'),"
        " ('feed.csv', 5, 'amount', 'acct-b,t12,2026-06-02,z,,CARD SHOP 3,', 'not a number')");
    tx.commit();
  }

  static std::string email(const std::string& id) { return id.substr(5) + "@example.test"; }
  // Everything written for the account that must not outlive its erasure.
  static std::vector<std::string> needles(const std::string& id) {
    return {email(id), "Low balance ahead, " + id, "Text body for " + id + "\nSee \"what is coming\"",
            "<p>HTML body for " + id + "</p>", "In-app text for " + id,
            "https://bank.example/unsubscribe?token=tok-" + id};
  }
  std::string text(const std::string& sql) {
    pqxx::read_transaction tx(*conn_);
    return tx.exec1(sql)[0].as<std::string>();
  }
  void exec(const std::string& sql) {
    pqxx::work tx(*conn_);
    tx.exec(sql);
    tx.commit();
  }
};

TEST_F(Erasure, RemovesTheAddressAndEveryCopyCancelsPendingDeliveriesAndKeepsTheAnalysis) {
  for (const auto& needle : needles("acct-a")) ASSERT_THAT(where_in_schema(*conn_, needle), Not(IsEmpty())) << needle;
  const ErasureReport r = erase_account(*conn_, "acct-a", ErasureSource::kCli);
  EXPECT_TRUE(r.known);
  EXPECT_FALSE(r.already_erased);
  EXPECT_TRUE(r.email_erased);
  EXPECT_EQ(r.deliveries_cancelled, 2u);  // p1 email and in-app
  EXPECT_EQ(r.deliveries_claimed, 1u);    // p1 email
  EXPECT_EQ(r.outbox_rows_erased, 6u);
  EXPECT_EQ(r.nudges_erased, 3u);
  EXPECT_EQ(r.quarantined_deleted, 3u);

  for (const auto& needle : needles("acct-a")) EXPECT_THAT(where_in_schema(*conn_, needle), IsEmpty()) << needle;
  // The other account is untouched, which also shows the search finds what is there.
  for (const auto& needle : needles("acct-b")) EXPECT_THAT(where_in_schema(*conn_, needle), Not(IsEmpty())) << needle;

  EXPECT_EQ(text("SELECT concat_ws(' ', email IS NULL, email_consent, opted_out_at IS NOT NULL) FROM headroom.accounts "
                 "WHERE account_id = 'acct-a'"),
            "t f t");
  EXPECT_EQ(text("SELECT string_agg(policy || '/' || channel || ':' || status || ':' || coalesce(last_error, '-'), ' '"
                 " ORDER BY policy, channel) FROM headroom.nudge_outbox WHERE account_id = 'acct-a'"),
            "p1/email:cancelled:erased p1/in_app:cancelled:erased p2/email:sent:- p2/in_app:sent:- "
            "p3/email:failed:mailbox full (SMTP 552) p3/in_app:sent:-");
  EXPECT_EQ(text("SELECT string_agg(DISTINCT payload::text, ' ') FROM headroom.nudge_outbox WHERE account_id = 'acct-a'"),
            R"({"erased": true, "variant": "v1"})");
  EXPECT_EQ(text("SELECT string_agg(policy || ':' || status || ':' || (body = '')::text || ':' || (expires_at <= now())::text, ' '"
                 " ORDER BY policy) FROM headroom.nudges WHERE account_id = 'acct-a'"),
            "p1:expired:true:true p2:seen:true:true p3:expired:true:true");
  {
    pqxx::read_transaction tx(*conn_);
    EXPECT_THAT(*read_nudge_feed_json(tx, "acct-a"), Not(HasSubstr("nudge_id")));
  }
  // Kept: decisions with their snapshots, forecasts, the bank's transactions, delivery timestamps.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE account_id = 'acct-a'"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE account_id = 'acct-a' AND forecast ? 'drivers'"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE account_id = 'acct-a'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.transactions WHERE account_id = 'acct-a'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-a' AND sent_at IS NOT NULL"), 3);
  EXPECT_EQ(text("SELECT string_agg(line::text, ',' ORDER BY line) FROM headroom.quarantined_transactions"), "5");
  EXPECT_EQ(text("SELECT concat_ws(' ', source, email_erased, deliveries_cancelled, outbox_rows_erased, nudges_erased,"
                 " quarantined_deleted, erased_at = (SELECT opted_out_at FROM headroom.accounts WHERE account_id = 'acct-a'))"
                 " FROM headroom.erasures WHERE account_id = 'acct-a'"),
            "cli t 2 6 3 3 t");
  EXPECT_THAT(describe_erasure("acct-a", r),
              HasSubstr("account acct-a erased at 20"));
  EXPECT_THAT(describe_erasure("acct-a", r), Not(HasSubstr("a@example.test")));
}

TEST_F(Erasure, ASecondErasureWritesNoRowAndReportsTheFirst) {
  const ErasureReport first = erase_account(*conn_, "acct-a", ErasureSource::kApi);
  ASSERT_TRUE(first.known);
  const std::string before = headroom::testing::schema_snapshot(*conn_);
  const ErasureReport second = erase_account(*conn_, "acct-a", ErasureSource::kCli);
  EXPECT_TRUE(second.known);
  EXPECT_TRUE(second.already_erased);
  EXPECT_EQ(second.erased_at, first.erased_at);
  EXPECT_FALSE(second.email_erased);
  EXPECT_EQ(second.deliveries_cancelled + second.outbox_rows_erased + second.nudges_erased + second.quarantined_deleted,
            0u);
  EXPECT_EQ(headroom::testing::schema_snapshot(*conn_), before);
  EXPECT_EQ(text("SELECT source FROM headroom.erasures WHERE account_id = 'acct-a'"), "api");
  EXPECT_THAT(describe_erasure("acct-a", second), HasSubstr("account acct-a was already erased at "));
  EXPECT_THAT(describe_erasure("acct-a", second), HasSubstr(": nothing left to erase"));
}

TEST_F(Erasure, AnUnknownAccountIsNeitherErasedNorRecorded) {
  const std::string before = headroom::testing::schema_snapshot(*conn_);
  const ErasureReport r = erase_account(*conn_, "acct-nobody", ErasureSource::kCli);
  EXPECT_FALSE(r.known);
  EXPECT_EQ(headroom::testing::schema_snapshot(*conn_), before);
  EXPECT_THAT(describe_erasure("acct-nobody", r), HasSubstr("unknown here"));
}

TEST_F(Erasure, AnAccountKnownOnlyByItsTransactionsIsOptedOutAndRecorded) {
  exec("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount) VALUES ('acct-c', 't1', '2026-06-01', 5)");
  const ErasureReport r = erase_account(*conn_, "acct-c", ErasureSource::kCli);
  EXPECT_TRUE(r.known);
  EXPECT_FALSE(r.email_erased);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.accounts WHERE account_id = 'acct-c' AND email IS NULL"
                  " AND opted_out_at IS NOT NULL"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.erasures WHERE account_id = 'acct-c'"), 1);
  EXPECT_THAT(describe_erasure("acct-c", r), HasSubstr("no address held"));
}

TEST_F(Erasure, AnEarlierOptOutIsKept) {
  exec("UPDATE headroom.accounts SET opted_out_at = '2026-01-02 03:04:05+00' WHERE account_id = 'acct-a'");
  erase_account(*conn_, "acct-a", ErasureSource::kCli);
  EXPECT_EQ(text("SELECT opted_out_at = '2026-01-02 03:04:05+00' FROM headroom.accounts WHERE account_id = 'acct-a'"),
            "t");
}

// The bank's feed keeps sending the accounts it has: whatever writes the
// row, an erased account's address and consent stay erased.
TEST_F(Erasure, TheFeedCannotBringAnErasedAddressBack) {
  erase_account(*conn_, "acct-a", ErasureSource::kCli);
  const std::string erased_row =
      "SELECT concat_ws(' ', email IS NULL, email_consent, opted_out_at IS NOT NULL) FROM headroom.accounts "
      "WHERE account_id = 'acct-a'";
  exec("UPDATE headroom.accounts SET email = 'a@example.test', email_consent = true, opted_out_at = NULL "
       "WHERE account_id = 'acct-a'");
  EXPECT_EQ(text(erased_row), "t f t") << "UPDATE";
  upsert_accounts(*conn_, {{"acct-a", "UTC", "USD", std::nullopt, "a@example.test", true},
                           {"acct-b", "UTC", "USD", std::nullopt, "b-new@example.test", true}});
  EXPECT_EQ(text(erased_row), "t f t") << "upsert";
  EXPECT_EQ(text("SELECT email FROM headroom.accounts WHERE account_id = 'acct-b'"), "b-new@example.test");
  exec("DELETE FROM headroom.accounts WHERE account_id = 'acct-a'");
  exec("INSERT INTO headroom.accounts (account_id, email, email_consent) VALUES ('acct-a', 'a@example.test', true)");
  EXPECT_EQ(text(erased_row), "t f t") << "INSERT after DELETE";
  EXPECT_THAT(where_in_schema(*conn_, "a@example.test"), IsEmpty());
}

TEST_F(Erasure, ThePlannerSeesAnErasedAccountOptedOutWithoutAnAddressEvenWithoutItsRow) {
  erase_account(*conn_, "acct-a", ErasureSource::kCli);
  exec("DELETE FROM headroom.accounts WHERE account_id = 'acct-a'");
  pqxx::work tx(*conn_);
  const auto contacts = load_contacts(tx, {"acct-a", "acct-b"});
  EXPECT_EQ(contacts.at("acct-a").email, "");
  EXPECT_FALSE(contacts.at("acct-a").email_consent);
  // Opted out before any planning time, so a replay of a past day does not nudge it either.
  EXPECT_EQ(contacts.at("acct-a").opted_out_at, std::optional<std::chrono::sys_seconds>(std::chrono::sys_seconds{}));
  EXPECT_EQ(contacts.at("acct-b").email, "b@example.test");
  EXPECT_FALSE(contacts.at("acct-b").opted_out_at.has_value());
}

// A planner read acct-a's contacts and is writing copy rendered from them
// when the erasure starts: the erasure waits for it to commit, then removes
// that copy too.
TEST_F(Erasure, WaitsForAPlannerThatReadTheOldContactsThenRemovesWhatItWrote) {
  pqxx::connection planner_conn{db_.url()};
  pqxx::work planner{planner_conn};
  ASSERT_EQ(load_contacts(planner, {"acct-a"}).at("acct-a").email, "a@example.test");

  ErasureReport report;
  std::thread eraser([&] {
    pqxx::connection c{db_.url()};
    report = erase_account(c, "acct-a", ErasureSource::kApi);
  });
  const bool waited = headroom::testing::wait_backend_waiting_on_lock(*conn_, "advisory", "%pg_advisory_xact_lock(%",
                                                                      std::chrono::seconds(30))
                          .has_value();
  planner.exec(
      "WITH d AS (INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment,"
      "  arm, channel, outcome, reason, variant, risky_day, assignment_hash, as_of, window_probability, buffer_cents,"
      "  expected_shortfall_cents, forecast, explanation) VALUES (now(), 'acct-a', 'p4', 1, 'default', 'treatment',"
      "  'email', 'send', 'none', 'v1', '2026-07-03', 7, '2026-06-30', 0.6, 0, 4000, '{}', 'send')"
      "  RETURNING decision_id)"
      "INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload)"
      "SELECT decision_id, 'acct-a', 'p4', '2026-07-03', 'email', '<late@bank.example>',"
      "  '{\"variant\": \"v1\", \"subject\": \"Late copy for acct-a\"}' FROM d");
  planner.commit();
  eraser.join();

  EXPECT_TRUE(waited) << "the erasure did not wait for the planner's contacts lock";
  EXPECT_EQ(report.deliveries_cancelled, 3u);
  EXPECT_EQ(report.outbox_rows_erased, 7u);
  EXPECT_THAT(where_in_schema(*conn_, "Late copy for acct-a"), IsEmpty());
}

// The sender re-reads its claim just before a send (service/nudge_delivery.cpp).
TEST_F(Erasure, ASenderSeesAnErasureOrAnOptOutSinceItsClaim) {
  const auto claimed = [&](const std::string& account) {
    return std::stoll(text("SELECT outbox_id FROM headroom.nudge_outbox WHERE account_id = '" + account +
                           "' AND policy = 'p1' AND channel = 'email'"));
  };
  const auto a = claimed("acct-a"), b = claimed("acct-b");
  EXPECT_EQ(claim_state(*conn_, a, "sender-1", 1), ClaimState::kHeld);
  EXPECT_EQ(claim_state(*conn_, a, "sender-2", 1), ClaimState::kLost);
  EXPECT_EQ(claim_state(*conn_, a, "sender-1", 2), ClaimState::kLost);
  erase_account(*conn_, "acct-a", ErasureSource::kCli);
  EXPECT_EQ(claim_state(*conn_, a, "sender-1", 1), ClaimState::kWithdrawn);
  {
    pqxx::work tx(*conn_);
    record_opt_out(tx, "acct-b");
    tx.commit();
  }
  EXPECT_EQ(claim_state(*conn_, b, "sender-1", 1), ClaimState::kOptedOut);
  // A mark after the erasure changes nothing: the row is no longer pending.
  mark_sent(*conn_, a, 250);
  EXPECT_EQ(text("SELECT status FROM headroom.nudge_outbox WHERE outbox_id = " + std::to_string(a)), "cancelled");
}

}  // namespace
}  // namespace headroom::db
