#pragma once
// Due nudges as a scoring cycle leaves them (decision, outbox rows, pending
// in-app nudge), for delivery tests that need no cycle first.

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace headroom::testing {

// `n` accounts 'acct-00000'... with an address (`local_part_prefix` + index
// @example.com; the sink steers on the prefix) and consent, each with a due
// email and a due in-app nudge. Message-IDs are '<md5(account_id channel)@bank.example>'.
inline void seed_due_nudges(pqxx::connection& conn, int n, const std::string& local_part_prefix = "customer") {
  pqxx::work tx{conn};
  tx.exec_params(
      "INSERT INTO headroom.accounts (account_id, email, email_consent) "
      "SELECT 'acct-' || lpad(i::text, 5, '0'), $2 || i || '@example.com', true FROM generate_series(0, $1 - 1) i",
      n, local_part_prefix);
  tx.exec_params(
      "INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment, arm, channel,"
      "  outcome, reason, variant, risky_day, lead_time_days, assignment_hash, as_of, window_probability, buffer_cents,"
      "  expected_shortfall_cents, forecast, explanation) "
      "SELECT now(), 'acct-' || lpad(i::text, 5, '0'), 'default', 1, 'default', 'treatment', ch, 'send', 'none',"
      "  'default', current_date + 3, 3, 0, current_date, 0.9, 0, 8450, '{}', 'seeded' "
      "FROM generate_series(0, $1 - 1) i, unnest(ARRAY['in_app', 'email']) ch",
      n);
  tx.exec(
      "INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload) "
      "SELECT decision_id, account_id, policy, risky_day, channel, '<' || md5(account_id || channel) || '@bank.example>',"
      "  '{\"variant\": \"default\", \"subject\": \"Heads-up: your balance may run low\","
      "    \"text\": \"Your balance may run low in 3 days.\", \"html\": \"<p>Your balance may run low in 3 days.</p>\","
      "    \"in_app\": \"Low balance ahead\", \"unsubscribe_url\": \"https://bank.example/unsubscribe?token=t\"}' "
      "FROM headroom.nudge_decisions");
  tx.exec(
      "INSERT INTO headroom.nudges (decision_id, account_id, policy, risky_day, variant, body, available_at, expires_at) "
      "SELECT decision_id, account_id, policy, risky_day, 'default', 'Low balance ahead', now(),"
      "  now() + interval '3 days' FROM headroom.nudge_decisions WHERE channel = 'in_app'");
  tx.commit();
}

inline long long count(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction tx{conn};
  return tx.exec(sql)[0][0].as<long long>();
}

// The Message-IDs of every email row in the outbox.
inline std::vector<std::string> email_message_ids(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  std::vector<std::string> ids;
  for (const auto& r : tx.exec("SELECT message_id FROM headroom.nudge_outbox WHERE channel = 'email'"))
    ids.push_back(r[0].as<std::string>());
  return ids;
}

}  // namespace headroom::testing
