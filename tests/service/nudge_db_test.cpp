// Nudge decisions written with the scoring cycle, idempotent re-runs, policy
// reload without restart, the in-app feed, acks and opt-outs, against a real
// PostgreSQL.
#include <atomic>
#include <chrono>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "db/nudge_store.hpp"
#include "service/nudge_delivery.hpp"
#include "service/scoring.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;
using headroom::forecast::make_date;

namespace {

constexpr int kAccounts = 80;

struct NudgeNotifications : pqxx::notification_receiver {
  explicit NudgeNotifications(pqxx::connection& c) : pqxx::notification_receiver(c, "headroom_nudges") {}
  void operator()(const std::string&, int) override { ++count; }
  long long count = 0;
};

class NudgeCycle : public headroom::testing::MigratedDatabase {
 protected:
  void SetUp() override {
    MigratedDatabase::SetUp();
    if (HasFatalFailure()) return;
    // Pay on the 1st, rent on the 27th that takes the balance to about zero,
    // card spending every day: the balance runs out at each month's end, so
    // a forecast as of the 25th sees a risky day a few days ahead.
    headroom::testing::PayRentCardHistory history;
    history.accounts = kAccounts;
    history.days = 175;
    history.opening = "200";
    history.pay = "2750.00";
    history.rent_day = 27;
    history.rent = "-2000.00";
    history.card_account_mod = 5;
    history.card_account_step = 1;
    history.card_day_mod = 7;
    pqxx::work tx{*conn_};
    headroom::testing::seed_pay_rent_card(tx, history);
    // Even accounts have an address and consent; odd ones have no row at all.
    tx.exec_params(
        "INSERT INTO headroom.accounts (account_id, email, email_consent) "
        "SELECT 'acct-' || lpad(a::text, 3, '0'), 'customer' || a || '@example.com', true "
        "FROM generate_series(0, $1 - 1, 2) a",
        kAccounts);
    tx.commit();
    if (live_default_) enable_default_policy();
  }

  // What an operator does on a fresh install, whose default policy is in
  // shadow mode (migration 0014): switch it on.
  void enable_default_policy() {
    pqxx::work tx{*conn_};
    tx.exec("UPDATE headroom.nudge_policies SET definition = definition || '{\"shadow\": false}' WHERE name = 'default'");
    tx.commit();
  }
  bool live_default_ = true;

  service::CycleResult run_cycle(forecast::Date as_of) {
    std::atomic<bool> stop{false};
    return service::run_scoring_cycle(*conn_, as_of, settings_, stop);
  }

  static service::ScoringSettings make_settings() {
    service::ScoringSettings s;
    s.replica_id = "nudge-test";
    s.accounts_per_chunk = 25;
    s.lease = std::chrono::seconds(5);
    s.worker_threads = 2;
    s.forecast.projection.paths = 64;
    s.nudges.unsubscribe_secret = "test-secret";
    return s;
  }

  service::ScoringSettings settings_ = make_settings();
  const forecast::Date as_of_ = make_date(2026, 6, 25);
};

}  // namespace

// A fresh install messages nobody until an operator says so: the shipped
// policy decides in shadow mode (what it would send is recorded), no outbox
// or in-app row is written. (Switched on, the same fixture sends: every other
// NudgeCycle test.)
class FreshInstall : public NudgeCycle {
 protected:
  FreshInstall() { live_default_ = false; }
};

TEST_F(FreshInstall, TheShippedPolicyDecidesInShadowAndSendsNothingUntilSwitchedOn) {
  ASSERT_TRUE(run_cycle(as_of_).finished);
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE reason = 'shadow'"), 0)
      << "the fixture should put accounts at risk";
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudges"), 0);
}

// Two experiments side by side: the default policy leaves the other's
// holdout alone (one channel-less row each), and nothing it sends reaches it.
TEST_F(NudgeCycle, APolicyLeavesAnotherExperimentsHoldoutAlone) {
  {
    pqxx::work tx{*conn_};
    tx.exec("INSERT INTO headroom.nudge_policies (name, definition) VALUES ('payday', "
            "'{\"experiment\": \"payday-gap\", \"holdout_share\": 0.5, \"risk_threshold\": 0.99, \"shadow\": true}')");
    tx.commit();
  }
  ASSERT_TRUE(run_cycle(as_of_).finished);
  const long long elsewhere = count(
      "SELECT count(*) FROM headroom.nudge_decisions WHERE policy = 'default' AND reason = 'held_out_elsewhere' "
      "AND channel IS NULL");
  EXPECT_GT(elsewhere, 0) << "the fixture should put some at-risk accounts in payday-gap's holdout";
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox o JOIN headroom.nudge_decisions p "
                  "ON p.account_id = o.account_id AND p.experiment = 'payday-gap' AND p.arm = 'holdout'"),
            0);
}

TEST_F(NudgeCycle, TheCycleWritesADecisionPerAccountAndChannelWithOutboxRowsForSendsOnly) {
  const auto r = run_cycle(as_of_);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions"), kAccounts);
  // An account suppressed before the channels has one channel-less row;
  // every other account one row per channel of the policy.
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE channel IS NULL"), 0)
      << "the fixture should leave some accounts below the threshold";
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT account_id FROM headroom.nudge_decisions GROUP BY account_id"
                  " HAVING NOT (count(*) = 1 AND bool_and(channel IS NULL)"
                  "  AND bool_and(reason IN ('below_threshold', 'low_confidence', 'outside_lead_time', 'opted_out')))"
                  " AND NOT (count(*) = 2 AND count(DISTINCT channel) = 2)) odd"),
            0);
  const long long sends = count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send'");
  ASSERT_GT(sends, 0) << "the fixture should put accounts at risk";
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'holdout'"), 0);
  // Every send has exactly its outbox row; a holdout ("would have sent") has none.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox"), sends);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox o JOIN headroom.nudge_decisions d USING (decision_id) "
                  "WHERE d.outcome <> 'send'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudges WHERE status = 'pending'"),
            count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send' AND channel = 'in_app'"));
  // Accounts without an address are suppressed on the email channel only.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE channel = 'email' AND reason = 'no_contact' "
                  "AND account_id NOT IN (SELECT account_id FROM headroom.accounts)"),
            count("SELECT count(*) FROM headroom.nudge_decisions WHERE channel = 'email' AND reason = 'no_contact'"));
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions d JOIN headroom.nudge_decisions e "
                  "ON (d.account_id, d.channel) = (e.account_id, 'email') WHERE d.channel = 'in_app' "
                  "AND d.outcome = 'holdout' AND e.outcome = 'send'"),
            0);
  // The snapshot and explanation travel with each decision.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE explanation = '' OR forecast IS NULL "
                  "OR as_of <> '2026-06-25' "
                  "OR policy_version <> (SELECT version FROM headroom.nudge_policies WHERE name = 'default')"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND "
                  "(payload->>'unsubscribe_url' NOT LIKE 'http%/unsubscribe?token=%' OR payload->>'subject' = '' "
                  "OR message_id NOT LIKE '<%@localhost>')"),
            0);
}

TEST_F(NudgeCycle, ForecastsAreMadeAgainstTheBufferTheActivePoliciesNameAndAnOddOneOutIsMismatched) {
  nudges::Policy fifty;
  {
    pqxx::read_transaction tx{*conn_};
    const auto load = db::load_active_policies(tx);
    ASSERT_EQ(load.policies.size(), 1u);
    fifty = load.policies[0].policy;  // the shipped `default`
  }
  fifty.buffer = forecast::Money::from_cents(30000);
  nudges::Policy second = fifty;
  second.name = "second-300";
  nudges::Policy odd = fifty;
  odd.name = "odd-one-out";
  odd.buffer = forecast::Money::from_cents(5000);
  db::store_policies(*conn_, {fifty, second, odd});

  ASSERT_TRUE(run_cycle(as_of_).finished);
  ASSERT_EQ(count("SELECT count(*) FROM headroom.forecasts"), kAccounts);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE buffer_cents <> 30000"), 0);
  // The line at 300 is crossed whenever zero is, and before it.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE p_below_buffer_window < p_overdraft_window"), 0);
  EXPECT_GT(count("SELECT count(*) FROM headroom.forecasts WHERE p_below_buffer_window > p_overdraft_window"), 0);
  // The two policies at 300 are planned; the one at 50 is told why not.
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE reason = 'buffer_mismatch' "
                  "AND policy <> 'odd-one-out'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE policy = 'odd-one-out' "
                  "AND reason <> 'buffer_mismatch'"),
            0);
  EXPECT_EQ(count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions WHERE policy = 'odd-one-out'"),
            kAccounts);
  EXPECT_GT(count("SELECT count(*) FROM headroom.nudge_decisions WHERE policy = 'default' AND outcome = 'send'"), 0);
}

TEST_F(NudgeCycle, AnIncrementalRoundResolvedOnceUsesThePolicyBufferToo) {
  nudges::Policy policy;
  {
    pqxx::read_transaction tx{*conn_};
    policy = db::load_active_policies(tx).policies.at(0).policy;
  }
  policy.buffer = forecast::Money::from_cents(30000);
  db::store_policies(*conn_, {policy});
  const service::ScoringSettings round = service::with_policy_buffer(*conn_, settings_, as_of_, false);
  EXPECT_EQ(round.forecast.projection.buffer, forecast::Money::from_cents(30000));
  ASSERT_EQ(service::rescore_accounts(*conn_, {"acct-000", "acct-001", "acct-002"}, as_of_, round), 3u);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.forecasts WHERE buffer_cents = 30000"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE reason = 'buffer_mismatch'"), 0);
  // With nudges off the configured forecast is left alone.
  service::ScoringSettings forecasts_only = settings_;
  forecasts_only.nudges.enabled = false;
  EXPECT_EQ(service::with_policy_buffer(*conn_, forecasts_only, as_of_, false).forecast.projection.buffer,
            forecast::Money::from_cents(0));
}

// Without a clock a past as_of is planned at 16:00 UTC (planning_time); an
// injected clock on as_of's date is the planner's now, in full cycles and
// incremental rounds alike.
TEST_F(NudgeCycle, DecisionsAreStampedByTheInjectedClock) {
  using namespace std::chrono_literals;
  const std::chrono::sys_seconds morning = std::chrono::sys_days(as_of_) + 9h + 30min;
  settings_.clock = [morning] { return std::chrono::system_clock::time_point(morning); };
  ASSERT_TRUE(run_cycle(as_of_).finished);
  EXPECT_EQ(count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions "
                  "WHERE decided_at = '2026-06-25 09:30:00+00'"),
            kAccounts);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE decided_at <> '2026-06-25 09:30:00+00'"), 0);

  settings_.clock = [morning] { return std::chrono::system_clock::time_point(morning + 1h); };
  const service::ScoringSettings round = service::with_policy_buffer(*conn_, settings_, as_of_, false);
  ASSERT_EQ(service::rescore_accounts(*conn_, {"acct-000", "acct-001"}, as_of_, round), 2u);
  EXPECT_EQ(count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions "
                  "WHERE decided_at = '2026-06-25 10:30:00+00'"),
            2);
}

TEST_F(NudgeCycle, RerunningTheCycleDoesNotDuplicateOutboxOrInAppRows) {
  ASSERT_TRUE(run_cycle(as_of_).finished);
  const long long outbox = count("SELECT count(*) FROM headroom.nudge_outbox");
  const long long nudges = count("SELECT count(*) FROM headroom.nudges");
  const long long sends = count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send'");
  const long long reached = count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome IN ('send', 'holdout')");
  ASSERT_GT(outbox, 0);
  ASSERT_TRUE(run_cycle(as_of_).finished);  // a second cycle for the same day (a replay, a restart)
  ASSERT_TRUE(run_cycle(as_of_).finished);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.scoring_cycles"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox"), outbox);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudges"), nudges);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send'"), sends);
  // The re-plans are recorded, as already_nudged (holdouts too: they were "would have sent").
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE reason = 'already_nudged'"), 2 * reached);
}

TEST_F(NudgeCycle, AThresholdChangedInTheTableIsUsedByTheNextDecisionsWithoutRestart) {
  ASSERT_TRUE(run_cycle(as_of_).finished);
  // The shipped default nudges from 0.2 (migration 0010).
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE reason = 'below_threshold' "
                  "AND window_probability >= 0.2"),
            0);
  const long long version = count("SELECT version FROM headroom.nudge_policies WHERE name = 'default'");
  {
    pqxx::work tx{*conn_};
    tx.exec("UPDATE headroom.nudge_policies SET definition = definition || '{\"risk_threshold\": 0.999}' "
            "WHERE name = 'default'");
    tx.commit();
  }
  const forecast::Date next = as_of_ + forecast::Date::duration(1);
  ASSERT_TRUE(run_cycle(next).finished);
  const std::string second = " FROM headroom.nudge_decisions WHERE as_of = '2026-06-26'";
  // An account below the new threshold is suppressed before the channels: one row.
  EXPECT_EQ(count("SELECT count(DISTINCT account_id)" + second), kAccounts);
  EXPECT_EQ(count("SELECT count(*)" + second + " AND window_probability < 0.999 AND channel IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT count(*)" + second + " AND policy_version <> " + std::to_string(version + 1)), 0);
  EXPECT_EQ(count("SELECT count(*)" + second + " AND explanation NOT LIKE '%threshold 0.999%'"), 0);
  // Every account below the new threshold is suppressed for it.
  EXPECT_EQ(count("SELECT count(*)" + second + " AND window_probability < 0.999 AND reason <> 'below_threshold'"), 0);
  EXPECT_GT(count("SELECT count(*)" + second + " AND reason = 'below_threshold' AND window_probability >= 0.2"), 0)
      << "with the old threshold these would have been nudged";
}

TEST_F(NudgeCycle, ABadPolicyRowIsReportedWithItsNameAndSkipped) {
  {
    pqxx::work tx{*conn_};
    tx.exec("INSERT INTO headroom.nudge_policies (name, definition) VALUES ('broken', '{\"risk_threshold\": 2}')");
    tx.commit();
  }
  pqxx::read_transaction tx{*conn_};
  const auto load = db::load_active_policies(tx);
  ASSERT_EQ(load.policies.size(), 1u);
  EXPECT_EQ(load.policies[0].policy.name, "default");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].find("'broken'"), std::string::npos) << load.errors[0];
  EXPECT_NE(load.errors[0].find("risk_threshold"), std::string::npos) << load.errors[0];
}

TEST_F(NudgeCycle, ReleasedInAppNudgesAppearInTheFeedAndAcksChangeTheirStatus) {
  ASSERT_TRUE(run_cycle(as_of_).finished);
  const long long pending = count("SELECT count(*) FROM headroom.nudges WHERE status = 'pending'");
  ASSERT_GT(pending, 0);
  // The fixture's risky days are in June 2026; as if it were that week now,
  // the nudges have not expired yet.
  pqxx::nontransaction{*conn_}.exec("UPDATE headroom.nudges SET expires_at = now() + interval '2 days'");
  pqxx::connection listen{db_.url()};
  NudgeNotifications notified{listen};
  // No SMTP: email rows stay pending, in-app rows become available.
  service::DeliveryWorker worker{{}, nullptr, "headroom@localhost"};
  std::atomic<bool> stop{false};
  const auto stats = worker.deliver_due(*conn_, stop);
  EXPECT_EQ(static_cast<long long>(stats.in_app_released), pending);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudges WHERE status = 'available'"), pending);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'pending'"),
            count("SELECT count(*) FROM headroom.nudge_decisions WHERE outcome = 'send' AND channel = 'email'"));
  EXPECT_EQ(worker.deliver_due(*conn_, stop).total(), 0u);
  // Notifications reach the listening connection asynchronously after the
  // commit: wait for them, bounded, rather than read whatever has arrived.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (notified.count < pending && std::chrono::steady_clock::now() < deadline) listen.await_notification(1, 0);
  EXPECT_EQ(notified.count, pending) << "one NOTIFY headroom_nudges per nudge made available";

  pqxx::work tx{*conn_};
  const auto row = tx.exec("SELECT account_id, nudge_id FROM headroom.nudges ORDER BY nudge_id LIMIT 1")[0];
  const std::string account = row[0].as<std::string>();
  const std::int64_t nudge_id = row[1].as<std::int64_t>();
  const auto feed = db::read_nudge_feed_json(tx, account);
  ASSERT_TRUE(feed);
  EXPECT_NE(feed->find("\"nudge_id\" : " + std::to_string(nudge_id)), std::string::npos) << *feed;
  EXPECT_EQ(db::ack_nudge(tx, account, nudge_id, "dismissed"), db::AckResult::kUpdated);
  EXPECT_EQ(db::ack_nudge(tx, account, nudge_id, "seen"), db::AckResult::kUpdated);
  EXPECT_EQ(tx.exec_params1("SELECT status FROM headroom.nudges WHERE nudge_id = $1", nudge_id)[0].as<std::string>(),
            "dismissed");
  EXPECT_EQ(db::ack_nudge(tx, account, nudge_id + 100000, "seen"), db::AckResult::kUnknownNudge);
  EXPECT_EQ(db::ack_nudge(tx, "acct-999", nudge_id, "seen"), db::AckResult::kUnknownNudge);
  EXPECT_FALSE(db::read_nudge_feed_json(tx, "nobody"));
  const auto empty = db::read_nudge_feed_json(tx, "acct-000");
  ASSERT_TRUE(empty);
}

TEST_F(NudgeCycle, AnOptOutSuppressesEveryLaterDecisionAndCancelsPendingEmail) {
  ASSERT_TRUE(run_cycle(as_of_).finished);
  const std::string account = [&] {
    pqxx::nontransaction tx{*conn_};
    return tx.exec("SELECT account_id FROM headroom.nudge_outbox WHERE channel = 'email' ORDER BY 1 LIMIT 1")[0][0]
        .as<std::string>();
  }();
  {
    pqxx::work tx{*conn_};
    db::record_opt_out(tx, account);
    db::record_opt_out(tx, "acct-001");  // no accounts row yet: created
    // The fixture lives in June 2026; the click happened on its 25th.
    tx.exec("UPDATE headroom.accounts SET opted_out_at = '2026-06-25T12:00:00Z' WHERE opted_out_at IS NOT NULL");
    tx.commit();
  }
  EXPECT_EQ(count("SELECT count(*) FROM headroom.accounts WHERE opted_out_at IS NOT NULL"), 2);
  ASSERT_TRUE(run_cycle(as_of_ + forecast::Date::duration(1)).finished);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_decisions WHERE as_of = '2026-06-26' AND account_id = '" +
                  account + "' AND reason NOT IN ('opted_out', 'below_threshold', 'outside_lead_time', "
                  "'low_confidence')"),
            0);
  // The sender re-reads the account at send time: the pending email is cancelled, not sent.
  edge::SmtpSettings unreachable;
  unreachable.url = "smtp://127.0.0.1:1";
  unreachable.allow_insecure = true;
  unreachable.connect_timeout = std::chrono::milliseconds(500);
  service::DeliveryWorker worker{{"w", std::chrono::seconds(60), 500, "", {}, {}}, service::make_mailer(unreachable),
                                 "headroom@localhost"};
  std::atomic<bool> stop{false};
  worker.deliver_due(*conn_, stop);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE account_id = '" + account +
                  "' AND channel = 'email' AND status = 'cancelled' AND last_error = 'opted_out'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email' AND status = 'sent'"), 0);
}
