#pragma once
// Accounts that run out of money before their next pay, so a scoring cycle
// forecasts a risk and the default policy decides to nudge every one of them
// on both channels: the fixture of the process-level tests whose end state
// includes decisions, outbox rows and emails.

#include <pqxx/pqxx>

namespace headroom::testing {

// `accounts` accounts 'acct-000'..., 150 days up to the day before the day
// `days_ago` days before today (UTC; 0: up to yesterday): card spending of
// $30-34 a day and $400 pay every 14 days, the last 4 days before that day;
// $100 left then, so each runs out days before the next pay and the default policy
// (risk >= 0.2, 1-14 days ahead) decides to nudge. Every account has an
// address and consent; the first `bouncing` addresses bounce at the sink
// (permfail-). These are the rows a bank's feed writes (its role may write
// nothing else: docs/deployment.md).
inline void feed_accounts_running_low(pqxx::connection& conn, int accounts, int bouncing = 0, int days_ago = 0) {
  pqxx::work tx{conn};
  tx.exec_params(
      "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind) "
      "SELECT account_id, txn_id, posted_at, amount, 100 + sum(amount) OVER (PARTITION BY account_id ORDER BY posted_at,"
      "  txn_id) - sum(amount) OVER (PARTITION BY account_id), description, '' FROM ("
      "  SELECT 'acct-' || lpad(a::text, 3, '0') AS account_id, kind || k AS txn_id,"
      "         (now() AT TIME ZONE 'UTC')::date - $2::int - k AS posted_at,"
      "         CASE kind WHEN 'pay' THEN 400.00 ELSE -(30 + a % 5)::numeric END AS amount,"
      "         CASE kind WHEN 'pay' THEN 'ACME PAYROLL' ELSE 'CARD SHOP ' || (k % 7) END AS description"
      "  FROM generate_series(0, $1 - 1) a, generate_series(1, 150) k, unnest(ARRAY['pay', 'card']) kind"
      "  WHERE kind = 'card' OR k % 14 = 4) s",
      accounts, days_ago);
  tx.exec_params(
      "INSERT INTO headroom.accounts (account_id, email, email_consent) "
      "SELECT 'acct-' || lpad(a::text, 3, '0'), CASE WHEN a < $2 THEN 'permfail-' ELSE 'customer' END || a"
      "  || '@example.com', true FROM generate_series(0, $1 - 1) a",
      accounts, bouncing);
  tx.commit();
}

// The same accounts, with every policy live (a fresh install ships the
// default in shadow mode, migration 0014) and quiet hours off: the test may
// run at night.
inline void seed_accounts_running_low(pqxx::connection& conn, int accounts, int bouncing = 0, int days_ago = 0) {
  pqxx::work tx{conn};
  tx.exec("UPDATE headroom.nudge_policies SET definition = definition || '{\"quiet_hours\": false, \"shadow\": false}'");
  tx.commit();
  feed_accounts_running_low(conn, accounts, bouncing, days_ago);
}

}  // namespace headroom::testing
