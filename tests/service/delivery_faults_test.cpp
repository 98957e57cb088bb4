// Fault matrix, rows 3, 4 and 6 (docs/operations.md, "Fault matrix"): email
// delivery against a real PostgreSQL and a private scripts/smtp_sink.py.
//
// A delivery worker claims a batch (one committed UPDATE), then for each row
// sends outside any transaction and marks the outcome in a transaction of
// its own (db::mark_sent). Row 3 kills `headroom run --once` while the sink,
// having stored the message, holds back its 250; row 4 lets the 250 through
// and kills it while its sent-mark waits on a row lock the test holds. Row 6
// is the SMTP server answering 4xx, 5xx, or not there at all.
#include <atomic>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "service/nudge_delivery.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/due_nudges.hpp"
#include "tests/support/fault_matrix.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/write_gate.hpp"

using namespace std::chrono_literals;
using namespace headroom;
using namespace headroom::testing;

namespace {

constexpr int kNudges = 20;

class DeliveryFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    ASSERT_FALSE(smtp_sink_script().empty()) << "HEADROOM_TEST_SMTP_SINK not set: run through scripts/test.sh";
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    db::migrate(*conn_);
  }

  std::vector<std::string> run_once(const std::string& replica) const {
    return {HEADROOM_BINARY, "run", "--once", "--lease-seconds", "2", "--replica-id", replica};
  }

  // Starts the first sender with the sink holding its replies; returns the
  // Message-ID of the message stored and waiting for its 250.
  std::string start_first_sender_until_held(SmtpSink& sink, std::unique_ptr<ChildProcess>& first) {
    sink.hold_replies();
    const std::string url = sink.url();
    if (url.empty()) return "";
    first = std::make_unique<ChildProcess>(run_once("first"), daemon_environment(db_.url(), url),
                                           (sink.dir() / "first.log").string());
    return sink.wait_held(120s);
  }

  // The restarted sender delivers the rest; the outbox says sent once per
  // row, every message arrived, and only `in_flight` may have arrived twice.
  void restart_and_expect_every_email_delivered(SmtpSink& sink, const std::string& in_flight) {
    ChildProcess second{run_once("second"), daemon_environment(db_.url(), sink.url()),
                        (sink.dir() / "second.log").string()};
    ASSERT_EQ(second.wait_exit(120s), 0) << slurp(sink.dir() / "second.log");
    EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'sent'"),
              kNudges);
    EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudges WHERE status = 'available'"), kNudges);
    const auto repeated = expect_every_email_sent_once(db_.url(), sink, {in_flight});
    // The documented window (docs/policies.md, "The residual window"): the
    // server had the message, the mark never committed, so it went again
    // after the lease, with the same Message-ID.
    EXPECT_EQ(repeated, std::set<std::string>{in_flight});
    EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE message_id = " + conn_->quote(in_flight) +
                                " AND status = 'sent' AND attempts = 2"),
              1);
  }

  TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

// Row 3.
TEST_F(DeliveryFaults, KilledAfterTheServerAcceptedAMessageTheRestartDeliversEveryNudgeAndRepeatsOnlyThatOne) {
  seed_due_nudges(*conn_, kNudges);
  SmtpSink sink{"headroom-held-send"};
  std::unique_ptr<ChildProcess> first;
  const std::string held = start_first_sender_until_held(sink, first);
  ASSERT_FALSE(held.empty()) << "no message reached the sink";
  ASSERT_EQ(sink.messages()[held], 1) << "the sink holds its reply only after storing the message";
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait_exit(30s), 128 + SIGKILL);
  sink.release_replies();
  // The message is stored; its row is still claimed by the dead sender.
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE message_id = " + conn_->quote(held) +
                              " AND status = 'pending' AND claimed_by = 'first'"),
            1);
  restart_and_expect_every_email_delivered(sink, held);
}

// Row 4.
TEST_F(DeliveryFaults, KilledWhileMarkingAnAcceptedMessageSentTheRestartDeliversEveryNudgeAndRepeatsOnlyThatOne) {
  seed_due_nudges(*conn_, kNudges);
  SmtpSink sink{"headroom-held-mark"};
  std::unique_ptr<ChildProcess> first;
  const std::string held = start_first_sender_until_held(sink, first);
  ASSERT_FALSE(held.empty()) << "no message reached the sink";
  // The claim has committed; the test now holds the row, so the sent-mark
  // that follows the 250 waits for it.
  pqxx::connection locker{db_.url()};
  auto lock = std::make_unique<pqxx::work>(locker);
  ASSERT_EQ(lock->exec_params("SELECT 1 FROM headroom.nudge_outbox WHERE message_id = $1 FOR UPDATE", held).size(), 1u);
  sink.release_replies();
  const auto marking = wait_backend_waiting_on_lock(*conn_, "", "%SET status = 'sent'%", 60s);
  ASSERT_TRUE(marking) << "the sent-mark never waited on the row\n" << slurp(sink.dir() / "first.log");
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait_exit(30s), 128 + SIGKILL);
  lock->abort();
  lock.reset();
  ASSERT_TRUE(wait_backend_gone(db_.url(), *marking, 60s)) << "the killed sender's mark never ended";
  // The mark did not commit: its client died before COMMIT.
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE message_id = " + conn_->quote(held) +
                              " AND status = 'pending'"),
            1);
  restart_and_expect_every_email_delivered(sink, held);
}

// Row 6: 4xx and 5xx.
TEST_F(DeliveryFaults, AFourHundredIsRetriedAndDeliveredOnceAndAFiveHundredFailsForGood) {
  seed_due_nudges(*conn_, 1, "tempfail-1-a");
  {
    pqxx::work tx{*conn_};
    tx.exec("INSERT INTO headroom.accounts (account_id, email, email_consent) VALUES ('acct-perm', 'permfail-b@example.com', true)");
    tx.exec("INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment, arm,"
            " channel, outcome, reason, variant, risky_day, assignment_hash, as_of, window_probability, buffer_cents,"
            " expected_shortfall_cents, forecast, explanation) VALUES (now(), 'acct-perm', 'default', 1, 'default',"
            " 'treatment', 'email', 'send', 'none', 'default', current_date + 2, 0, current_date, 0.9, 0, 0, '{}', 'seeded')");
    tx.exec("INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload) "
            "SELECT decision_id, account_id, policy, risky_day, channel, '<perm@bank.example>',"
            " '{\"subject\": \"s\", \"text\": \"t\", \"html\": \"<p>h</p>\"}' FROM headroom.nudge_decisions "
            "WHERE account_id = 'acct-perm'");
    tx.commit();
  }
  SmtpSink sink{"headroom-retry"};
  const std::string url = sink.url();
  ASSERT_FALSE(url.empty());
  service::DeliveryWorker worker{{"w1", 60s, 10, "", {}, {}}, service::make_mailer(sink_settings(url)), "alerts@bank.example"};
  std::atomic<bool> stop{false};
  const auto first = worker.deliver_due(*conn_, stop);
  EXPECT_EQ(first.emails_retried, 1u);
  EXPECT_EQ(first.emails_failed, 1u);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE message_id = '<perm@bank.example>' "
                          "AND status = 'failed' AND last_smtp_code = 550"),
            1);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-00000' AND channel = 'email'"
                          " AND status = 'pending' AND last_smtp_code = 451 AND claimed_by IS NULL"
                          " AND next_attempt_at > now()"),
            1);
  // Not due yet: nothing happens until the backoff has passed.
  EXPECT_EQ(worker.deliver_due(*conn_, stop).total(), 0u);
  // Time passes (the backoff is over).
  pqxx::nontransaction{*conn_}.exec("UPDATE headroom.nudge_outbox SET next_attempt_at = now() WHERE status = 'pending'");
  const auto second = worker.deliver_due(*conn_, stop);
  EXPECT_EQ(second.emails_sent, 1u);
  EXPECT_EQ(second.emails_failed, 0u) << "a 5xx is never retried";
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = 'acct-00000' AND channel = 'email'"
                          " AND status = 'sent' AND attempts = 2"),
            1);
  // At the server: the retried message once, the refused one never.
  const auto received = sink.messages();
  EXPECT_EQ(sink.files(), 1u);
  EXPECT_EQ(received.count("<perm@bank.example>"), 0u);
  const std::string retried = pqxx::nontransaction{*conn_}
                                  .exec("SELECT message_id FROM headroom.nudge_outbox WHERE account_id = 'acct-00000'"
                                        " AND channel = 'email'")[0][0]
                                  .as<std::string>();
  EXPECT_EQ(received.count(retried) ? received.at(retried) : 0, 1);
}

// Row 6: the server is down, then comes back on the same address.
TEST_F(DeliveryFaults, WithTheServerDownEveryEmailIsRetriedAndOnceItIsBackEachIsDeliveredOnce) {
  constexpr int kDown = 5;
  seed_due_nudges(*conn_, kDown);
  const unsigned short port = free_loopback_port();
  service::DeliveryWorker worker{{"w1", 60s, 10, "", {}, {}},
                                 service::make_mailer(sink_settings("smtp://127.0.0.1:" + std::to_string(port))),
                                 "alerts@bank.example"};
  std::atomic<bool> stop{false};
  const auto down = worker.deliver_due(*conn_, stop);
  EXPECT_EQ(down.emails_retried, static_cast<std::size_t>(kDown));
  EXPECT_EQ(down.emails_sent + down.emails_failed, 0u);
  // Connection refused: transient, no SMTP code, released for a later attempt.
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'pending'"
                          " AND attempts = 1 AND last_smtp_code = 0 AND claimed_by IS NULL AND next_attempt_at > now()"),
            kDown);

  SmtpSink sink{"headroom-down", port};
  ASSERT_FALSE(sink.url().empty()) << "the sink did not start on port " << port;
  EXPECT_EQ(sink.files(), 0u) << "nothing reached a server that was down";
  // Time passes (the backoff is over).
  pqxx::nontransaction{*conn_}.exec("UPDATE headroom.nudge_outbox SET next_attempt_at = now() WHERE status = 'pending'");
  const auto back = worker.deliver_due(*conn_, stop);
  EXPECT_EQ(back.emails_sent, static_cast<std::size_t>(kDown));
  EXPECT_EQ(worker.deliver_due(*conn_, stop).total(), 0u) << "nothing is sent twice";
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'sent'"
                          " AND attempts = 2 AND last_smtp_code = 250"),
            kDown);
  expect_every_email_sent_once(db_.url(), sink);
}
