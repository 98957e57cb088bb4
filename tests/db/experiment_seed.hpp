#pragma once
// A small hand-made experiment in a migrated database: a policy, decision
// rows as the daemon writes them, deliveries and transactions whose
// end-of-day balances are known day by day. Used by the experiment store test
// (tests/db), and by the report inputs and `headroom report` process tests (tests/cli).

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "nudges/assignment.hpp"

namespace headroom::testing {

inline constexpr const char* kSeedExperiment = "exp-a";
inline constexpr double kSeedHoldoutShare = 0.5;

// The first `n` ids "acct-<k>" that the assignment hash puts in the wanted arm.
inline std::vector<std::string> ids_in_arm(bool holdout, std::size_t n, const std::string& prefix = "acct-") {
  std::vector<std::string> out;
  for (int k = 0; out.size() < n; ++k) {
    const std::string id = prefix + std::to_string(k);
    if (nudges::in_holdout(kSeedExperiment, id, kSeedHoldoutShare) == holdout) out.push_back(id);
  }
  return out;
}

inline void seed_policy(pqxx::connection& conn) {
  pqxx::work tx{conn};
  tx.exec(
      "INSERT INTO headroom.nudge_policies (name, definition) VALUES ('exp-policy', "
      "'{\"experiment\": \"exp-a\", \"holdout_share\": 0.5, \"risk_threshold\": 0.4, \"variants\": [{\"name\": "
      "\"gentle\", \"subject\": \"Low balance ahead\", \"text\": \"Stop: {{unsubscribe_url}}\", \"html\": "
      "\"<p>Stop: {{unsubscribe_url}}</p>\", \"in_app\": \"Low balance ahead\"}]}')");
  tx.commit();
}

// One decision row; returns its decision_id.
inline long long seed_decision(pqxx::connection& conn, const std::string& account, const std::string& arm,
                               const std::string& outcome, const std::string& as_of, double p,
                               const std::string& channel = "in_app", long long buffer_cents = 0,
                               const std::string& experiment = kSeedExperiment) {
  pqxx::work tx{conn};
  const std::string reason = outcome == "suppressed" ? "below_threshold" : "none";
  const auto r = tx.exec_params1(
      "INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment, arm, channel,"
      "  outcome, reason, variant, risky_day, assignment_hash, as_of, window_probability, buffer_cents,"
      "  expected_shortfall_cents, forecast, explanation)"
      " VALUES (now(), $1, 'exp-policy', 1, $2, $3, $4, $5, $6, 'gentle', $7::date + 2, 0, $7::date, $8, $9, 0,"
      "  '{}', '') RETURNING decision_id",
      account, experiment, arm, channel, outcome, reason, as_of, p, buffer_cents);
  tx.commit();
  return r[0].as<long long>();
}

// A delivered in-app nudge for a decision: outbox row sent, nudge row `status`.
inline void seed_delivery(pqxx::connection& conn, long long decision_id, const std::string& nudge_status) {
  pqxx::work tx{conn};
  tx.exec_params(
      "INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload,"
      "  status, sent_at)"
      " SELECT decision_id, account_id, policy, risky_day, channel, 'm-' || decision_id, '{}', 'sent', now()"
      " FROM headroom.nudge_decisions WHERE decision_id = $1",
      decision_id);
  tx.exec_params(
      "INSERT INTO headroom.nudges (decision_id, account_id, policy, risky_day, variant, body, status, available_at,"
      "  expires_at)"
      " SELECT decision_id, account_id, policy, risky_day, 'gentle', 'b', $2, now(), now()"
      " FROM headroom.nudge_decisions WHERE decision_id = $1",
      decision_id, nudge_status);
  tx.commit();
}

struct SeedTxn {
  std::string account;
  std::string posted_at;
  std::string amount;
  std::string balance_after;
  std::string description;
  std::string kind;
};

inline void seed_transactions(pqxx::connection& conn, const std::vector<SeedTxn>& rows) {
  pqxx::work tx{conn};
  int n = 0;
  for (const auto& t : rows)
    tx.exec_params(
        "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind)"
        " VALUES ($1, $2, $3::date, $4::numeric, $5::numeric, $6, $7)",
        t.account, "t" + std::to_string(n++), t.posted_at, t.amount, t.balance_after, t.description, t.kind);
  tx.commit();
}

// The worked example of tests/cli/experiment_inputs_db_test.cpp. Period
// [2026-03-02, 2026-03-16), two weeks; pre-period from 2026-01-05.
//   overdrawn (treatment): overdrawn 2026-02-10..11 (pre) and 2026-03-03..04;
//     an overdraft fee of 35.00 and a service fee of 5.00 in the period;
//     decisions on 03-02 (p 0.7, send, delivered and seen; two channels),
//     03-09 (p 0.2, suppressed) and 03-14 (window not observed before the end).
//   steady (holdout): 1,000.00 since 2025-01-01, never overdrawn; a holdout
//     (would have sent) decision on 03-02 with p 0.45.
struct WorkedExample {
  std::string overdrawn;
  std::string steady;
};

inline WorkedExample seed_worked_example(pqxx::connection& conn) {
  WorkedExample w{ids_in_arm(false, 1).front(), ids_in_arm(true, 1).front()};
  seed_policy(conn);
  seed_transactions(conn, {
      {w.overdrawn, "2026-01-01", "100.00", "100.00", "PAYROLL ACME", "deposit"},
      {w.overdrawn, "2026-02-10", "-150.00", "-50.00", "RENT", ""},
      {w.overdrawn, "2026-02-12", "200.00", "150.00", "PAYROLL ACME", "deposit"},
      {w.overdrawn, "2026-03-03", "-200.00", "-50.00", "RENT", ""},
      {w.overdrawn, "2026-03-03", "-35.00", "-85.00", "OVERDRAFT FEE", "fee"},
      {w.overdrawn, "2026-03-05", "300.00", "215.00", "PAYROLL ACME", "deposit"},
      {w.overdrawn, "2026-03-10", "-5.00", "210.00", "MONTHLY SERVICE FEE", "Fee"},
      {w.steady, "2025-01-01", "1000.00", "1000.00", "OPENING DEPOSIT", "deposit"},
      // Live: an account silent through the period's last 28 days would be
      // taken as closed (measurement::kSilentDays).
      {w.steady, "2026-03-13", "-1.00", "999.00", "CARD COFFEE", ""},
  });
  const long long sent = seed_decision(conn, w.overdrawn, "treatment", "send", "2026-03-02", 0.7, "in_app");
  seed_decision(conn, w.overdrawn, "treatment", "send", "2026-03-02", 0.7, "email");
  seed_delivery(conn, sent, "seen");
  seed_decision(conn, w.overdrawn, "treatment", "suppressed", "2026-03-09", 0.2);
  seed_decision(conn, w.overdrawn, "treatment", "suppressed", "2026-03-14", 0.3);
  seed_decision(conn, w.steady, "holdout", "holdout", "2026-03-02", 0.45);
  return w;
}

}  // namespace headroom::testing
