#include "db/nudge_store.hpp"

#include <algorithm>

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <nlohmann/json.hpp>

#include "db/copy_writer.hpp"
#include "db/erasure.hpp"

namespace headroom::db {
namespace {

using std::chrono::sys_seconds;

// A PostgreSQL text[] literal ({"a","b"}) for `= ANY($1::text[])`; libpqxx
// 6.4 has no array parameters. Every element is quoted and escaped, and the
// literal travels as a bind parameter, never pasted into SQL.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

double epoch(sys_seconds t) { return static_cast<double>(t.time_since_epoch().count()); }
// Microseconds kept: "due by now" must not round now down below a row's
// next_attempt_at (PostgreSQL timestamps have microseconds).
double epoch_fraction(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}
sys_seconds from_epoch(long long s) { return sys_seconds{std::chrono::seconds{s}}; }


}  // namespace

PolicyLoad load_active_policies(pqxx::transaction_base& tx) {
  PolicyLoad load;
  for (const auto& row : tx.exec(
           "SELECT name, definition::text, version FROM headroom.nudge_policies WHERE active ORDER BY name")) {
    const std::string name = row[0].as<std::string>();
    try {
      nlohmann::json j = nlohmann::json::parse(row[1].as<std::string>());
      j["name"] = name;
      j["active"] = true;
      load.policies.push_back({nudges::parse_policy_json(j, "headroom.nudge_policies"), row[2].as<std::int64_t>()});
    } catch (const std::exception& e) {
      // PolicyError and TemplateError already name the policy and field;
      // a JSON syntax error (impossible for jsonb, kept for safety) does not.
      std::string message = e.what();
      if (message.find("'" + name + "'") == std::string::npos)
        message = "headroom.nudge_policies: policy '" + name + "': " + message;
      load.errors.push_back(std::move(message));
    }
  }
  return load;
}

std::size_t store_policies(pqxx::connection& conn, const std::vector<nudges::Policy>& policies) {
  pqxx::work tx{conn};
  std::size_t changed = 0;
  for (const auto& p : policies) {
    nlohmann::json definition = nudges::policy_to_json(p);
    // name and active are columns of their own.
    definition.erase("name");
    definition.erase("active");
    changed += tx.exec_params(
                     "INSERT INTO headroom.nudge_policies (name, active, definition) VALUES ($1, $2, $3::jsonb) "
                     "ON CONFLICT (name) DO UPDATE SET active = EXCLUDED.active, definition = EXCLUDED.definition "
                     "WHERE (headroom.nudge_policies.active, headroom.nudge_policies.definition) "
                     "  IS DISTINCT FROM (EXCLUDED.active, EXCLUDED.definition)",
                     p.name, p.active, definition.dump())
                   .affected_rows();
  }
  tx.commit();
  return changed;
}

std::unordered_map<std::string, nudges::AccountContact> load_contacts(pqxx::transaction_base& tx,
                                                                      const std::vector<std::string>& account_ids,
                                                                      std::size_t* unknown_zones) {
  std::unordered_map<std::string, nudges::AccountContact> contacts;
  for (const auto& id : account_ids) {
    nudges::AccountContact c;
    c.account_id = id;
    contacts.emplace(id, std::move(c));
  }
  if (account_ids.empty()) return contacts;
  // The contacts lock, shared until this transaction ends (db/erasure.hpp):
  // an erasure waits for the copy rendered from these contacts to commit.
  // Its own statement, so the reads below see an erasure that committed
  // while this waited.
  tx.exec_params("SELECT pg_advisory_xact_lock_shared($1)", kContactsLockKey);
  const auto rows = tx.exec_params(
      "SELECT account_id, time_zone, currency, locale, email, email_consent,"
      "       extract(epoch FROM opted_out_at)::bigint "
      "FROM headroom.accounts WHERE account_id = ANY($1::text[])",
      text_array(account_ids));
  for (const auto& row : rows) {
    auto& c = contacts[row[0].as<std::string>()];
    c.account_id = row[0].as<std::string>();
    const std::string zone = row[1].as<std::string>();
    c.time_zone = zone == "UTC" ? nullptr : nudges::find_time_zone(zone);
    if (zone != "UTC" && !c.time_zone && unknown_zones) ++*unknown_zones;
    c.currency = row[2].as<std::string>();
    if (!row[3].is_null()) c.locale = row[3].as<std::string>();
    if (!row[4].is_null()) c.email = row[4].as<std::string>();
    c.email_consent = row[5].as<bool>();
    if (!row[6].is_null()) c.opted_out_at = from_epoch(row[6].as<long long>());
  }
  // An erased account has no address and counts as opted out at any planning
  // time, a replay of a day before its erasure included: it gets no nudge of
  // any kind again, whatever its accounts row says now (the row may even
  // have been deleted).
  for (const auto& row : tx.exec_params("SELECT account_id FROM headroom.erasures WHERE account_id = ANY($1::text[])",
                                        text_array(account_ids))) {
    auto& c = contacts[row[0].as<std::string>()];
    c.email.clear();
    c.email_consent = false;
    c.opted_out_at = sys_seconds{};
  }
  return contacts;
}

std::unordered_map<std::string, std::vector<nudges::PastNudge>> load_past_nudges(
    pqxx::transaction_base& tx, const std::vector<std::string>& account_ids, sys_seconds since,
    forecast::Date risky_from) {
  std::unordered_map<std::string, std::vector<nudges::PastNudge>> past;
  if (account_ids.empty()) return past;
  const auto rows = tx.exec_params(
      "SELECT account_id, policy, risky_day::text, channel, extract(epoch FROM decided_at)::bigint, outcome = 'send' "
      "FROM headroom.nudge_decisions "
      "WHERE account_id = ANY($1::text[]) AND (outcome IN ('send', 'holdout') OR reason = 'shadow')"
      "  AND risky_day IS NOT NULL AND (decided_at >= to_timestamp($2) OR risky_day >= $3::date)",
      text_array(account_ids), epoch(since), forecast::to_iso_string(risky_from));
  for (const auto& row : rows) {
    nudges::PastNudge p;
    p.policy = row[1].as<std::string>();
    p.risky_day = *forecast::parse_iso_date(row[2].as<std::string>());
    p.channel = *nudges::parse_channel(row[3].as<std::string>());
    p.decided_at = from_epoch(row[4].as<long long>());
    p.delivered = row[5].as<bool>();
    past[row[0].as<std::string>()].push_back(std::move(p));
  }
  return past;
}

WriteCounts write_decisions(pqxx::transaction_base& tx, const std::vector<DecisionRecord>& records) {
  WriteCounts counts;
  if (records.empty()) return counts;
  // Decisions are staged with a binary COPY and written by one statement: a
  // cycle decides for every account (20,000 rows for 20,000 accounts, more
  // where the checks reach the channels), and a statement per row cost 8 s
  // of a cycle.
  if (tx.exec("SELECT to_regclass('pg_temp.decision_batch')")[0][0].is_null())
    tx.exec(
        "CREATE TEMP TABLE decision_batch (seq bigint, decided_at double precision, account_id text COLLATE \"C\","
        " policy text COLLATE \"C\", policy_version bigint, experiment text, arm text, channel text, outcome text,"
        " reason text, variant text, risky_day date, lead_time_days bigint, deferred_until double precision,"
        " assignment_hash bigint, as_of date, window_probability double precision, buffer_cents bigint,"
        " expected_shortfall_cents bigint, forecast text, explanation text, deliverable boolean, message_id text,"
        " payload text, due_at double precision, in_app_body text, expires_at double precision)"
        " ON COMMIT DELETE ROWS");
  {
    CopyWriter batch(tx, "decision_batch",
                     {"seq", "decided_at", "account_id", "policy", "policy_version", "experiment", "arm", "channel",
                      "outcome", "reason", "variant", "risky_day", "lead_time_days", "deferred_until",
                      "assignment_hash", "as_of", "window_probability", "buffer_cents", "expected_shortfall_cents",
                      "forecast", "explanation", "deliverable", "message_id", "payload", "due_at", "in_app_body",
                      "expires_at"});
    std::int64_t seq = 0;
    for (const auto& r : records) {
      const auto& d = r.decision;
      const bool deliverable = r.deliverable && d.risky_day;
      batch.begin_row();
      batch.add_int64(seq++);
      batch.add_double(epoch(r.decided_at));
      batch.add_text(r.account_id);
      batch.add_text(r.policy);
      batch.add_int64(r.policy_version);
      batch.add_text(r.experiment);
      batch.add_text(nudges::to_string(d.arm));
      d.channel ? batch.add_text(nudges::to_string(*d.channel)) : batch.add_null();
      batch.add_text(nudges::to_string(d.outcome));
      batch.add_text(nudges::to_string(d.reason));
      r.variant ? batch.add_text(*r.variant) : batch.add_null();
      d.risky_day ? batch.add_date(*d.risky_day) : batch.add_null();
      d.lead_time_days ? batch.add_int64(*d.lead_time_days) : batch.add_null();
      d.deferred_until ? batch.add_double(epoch(*d.deferred_until)) : batch.add_null();
      batch.add_int64(static_cast<std::int64_t>(d.assignment_hash));
      batch.add_date(r.as_of);
      batch.add_double(r.window_probability);
      batch.add_int64(r.buffer_cents);
      batch.add_int64(r.expected_shortfall_cents);
      batch.add_text(r.forecast_json);
      batch.add_text(r.explanation);
      batch.add_bool(deliverable);
      batch.add_text(r.message_id);
      batch.add_text(deliverable ? std::string_view(r.payload_json) : std::string_view("{}"));
      batch.add_double(epoch(r.due_at));
      batch.add_text(r.in_app_body);
      batch.add_double(epoch(r.expires_at));
      batch.end_row();
    }
    batch.complete();
  }
  // The decision is skipped when its dedupe key already holds a
  // send/holdout/shadow row; outbox and in-app rows follow only the decisions
  // inserted now, each idempotent on its own unique key.
  const auto res = tx.exec(
      "WITH d AS ("
      "  INSERT INTO headroom.nudge_decisions (decided_at, account_id, policy, policy_version, experiment, arm,"
      "    channel, outcome, reason, variant, risky_day, lead_time_days, deferred_until, assignment_hash, as_of,"
      "    window_probability, buffer_cents, expected_shortfall_cents, forecast, explanation)"
      "  SELECT to_timestamp(decided_at), account_id, policy, policy_version, experiment, arm, channel, outcome,"
      "    reason, variant, risky_day, lead_time_days::integer, to_timestamp(deferred_until), assignment_hash, as_of,"
      "    window_probability, buffer_cents, expected_shortfall_cents, forecast::jsonb, explanation"
      "  FROM decision_batch ORDER BY seq"
      "  ON CONFLICT (account_id, policy, risky_day, channel) WHERE outcome IN ('send', 'holdout') OR reason = 'shadow'"
      "  DO NOTHING RETURNING decision_id, account_id, policy, risky_day, channel),"
      " deliver AS ("
      "  SELECT d.decision_id, b.account_id, b.policy, b.risky_day, b.channel, b.variant, b.message_id, b.payload,"
      "    b.due_at, b.in_app_body, b.expires_at"
      "  FROM d JOIN decision_batch b ON b.account_id = d.account_id AND b.policy = d.policy"
      "    AND b.risky_day = d.risky_day AND b.channel = d.channel"
      "  WHERE b.deliverable),"
      " o AS ("
      "  INSERT INTO headroom.nudge_outbox (decision_id, account_id, policy, risky_day, channel, message_id, payload,"
      "    next_attempt_at)"
      "  SELECT decision_id, account_id, policy, risky_day, channel, message_id, payload::jsonb, to_timestamp(due_at)"
      "  FROM deliver ORDER BY decision_id"
      "  ON CONFLICT ON CONSTRAINT nudge_outbox_dedupe DO NOTHING RETURNING 1),"
      " n AS ("
      "  INSERT INTO headroom.nudges (decision_id, account_id, policy, risky_day, variant, body, available_at,"
      "    expires_at)"
      "  SELECT decision_id, account_id, policy, risky_day, coalesce(variant, ''), in_app_body, to_timestamp(due_at),"
      "    to_timestamp(expires_at)"
      "  FROM deliver WHERE channel = 'in_app' ORDER BY decision_id"
      "  ON CONFLICT ON CONSTRAINT nudges_dedupe DO NOTHING RETURNING 1)"
      "SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM o), (SELECT count(*) FROM n)");
  counts.decisions = res[0][0].as<std::size_t>();
  counts.outbox = res[0][1].as<std::size_t>();
  counts.in_app = res[0][2].as<std::size_t>();
  tx.exec("TRUNCATE decision_batch");
  return counts;
}

std::vector<ClaimedEmail> claim_due_emails(pqxx::connection& conn, std::string_view replica, std::chrono::seconds lease,
                                           int limit, std::chrono::system_clock::time_point due_by) {
  pqxx::work tx{conn};
  const auto rows = tx.exec_params(
      "UPDATE headroom.nudge_outbox o SET claimed_at = now(), claimed_by = $1, attempts = o.attempts + 1,"
      "       first_attempt_at = coalesce(o.first_attempt_at, to_timestamp($4)) "
      "FROM (SELECT ob.outbox_id, a.email, coalesce(a.email_consent, false) AS consent,"
      "             a.opted_out_at IS NOT NULL AS opted_out"
      "      FROM headroom.nudge_outbox ob LEFT JOIN headroom.accounts a ON a.account_id = ob.account_id"
      "      WHERE ob.status = 'pending' AND ob.channel = 'email' AND ob.next_attempt_at <= to_timestamp($4)"
      "        AND (ob.claimed_at IS NULL OR ob.claimed_at < now() - make_interval(secs => $2))"
      "      ORDER BY ob.next_attempt_at, ob.outbox_id LIMIT $3 FOR UPDATE OF ob SKIP LOCKED) due "
      "WHERE o.outbox_id = due.outbox_id "
      "RETURNING o.outbox_id, o.account_id, o.message_id, o.payload::text, extract(epoch FROM o.created_at)::bigint,"
      "          extract(epoch FROM o.first_attempt_at)::bigint, o.attempts, due.email, due.consent, due.opted_out",
      std::string(replica), static_cast<double>(lease.count()), limit, epoch_fraction(due_by));
  tx.commit();
  std::vector<ClaimedEmail> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    ClaimedEmail c;
    c.outbox_id = row[0].as<std::int64_t>();
    c.account_id = row[1].as<std::string>();
    c.message_id = row[2].as<std::string>();
    c.payload_json = row[3].as<std::string>();
    c.created_at = from_epoch(row[4].as<long long>());
    c.first_attempt_at = from_epoch(row[5].as<long long>());
    c.attempts = row[6].as<int>();
    if (!row[7].is_null()) c.email = row[7].as<std::string>();
    c.email_consent = row[8].as<bool>();
    c.opted_out = row[9].as<bool>();
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const ClaimedEmail& a, const ClaimedEmail& b) { return a.outbox_id < b.outbox_id; });
  return out;
}

ClaimState claim_state(pqxx::connection& conn, std::int64_t outbox_id, std::string_view replica, int attempts) {
  pqxx::nontransaction tx{conn};
  const auto r = tx.exec_params(
      "SELECT o.status = 'pending', o.claimed_by IS NOT DISTINCT FROM $2 AND o.attempts = $3,"
      "       coalesce(a.opted_out_at IS NOT NULL, false) "
      "FROM headroom.nudge_outbox o LEFT JOIN headroom.accounts a ON a.account_id = o.account_id "
      "WHERE o.outbox_id = $1",
      outbox_id, std::string(replica), attempts);
  if (r.empty() || !r[0][0].as<bool>()) return ClaimState::kWithdrawn;
  if (!r[0][1].as<bool>()) return ClaimState::kLost;
  return r[0][2].as<bool>() ? ClaimState::kOptedOut : ClaimState::kHeld;
}

void mark_sent(pqxx::connection& conn, std::int64_t outbox_id, int smtp_code) {
  pqxx::work tx{conn};
  tx.exec_params(
      "UPDATE headroom.nudge_outbox SET status = 'sent', sent_at = now(), last_smtp_code = $2 "
      "WHERE outbox_id = $1 AND status = 'pending'",
      outbox_id, smtp_code);
  tx.commit();
}

void mark_failed(pqxx::connection& conn, std::int64_t outbox_id, int smtp_code, std::string_view error) {
  pqxx::work tx{conn};
  tx.exec_params(
      "UPDATE headroom.nudge_outbox SET status = 'failed', failed_at = now(), last_smtp_code = $2, last_error = $3 "
      "WHERE outbox_id = $1 AND status = 'pending'",
      outbox_id, smtp_code, std::string(error));
  tx.commit();
}

void mark_cancelled(pqxx::connection& conn, std::int64_t outbox_id, std::string_view reason) {
  pqxx::work tx{conn};
  tx.exec_params(
      "UPDATE headroom.nudge_outbox SET status = 'cancelled', last_error = $2 WHERE outbox_id = $1 AND status = 'pending'",
      outbox_id, std::string(reason));
  tx.commit();
}

void mark_retry(pqxx::connection& conn, std::int64_t outbox_id, std::string_view replica, int attempts,
                sys_seconds next_attempt_at, int smtp_code, std::string_view error) {
  pqxx::work tx{conn};
  tx.exec_params(
      "UPDATE headroom.nudge_outbox SET next_attempt_at = to_timestamp($4), claimed_at = NULL, claimed_by = NULL,"
      "       last_smtp_code = $5, last_error = $6 "
      "WHERE outbox_id = $1 AND status = 'pending' AND claimed_by = $2 AND attempts = $3",
      outbox_id, std::string(replica), attempts, epoch(next_attempt_at), smtp_code, std::string(error));
  tx.commit();
}

InAppRelease release_due_in_app(pqxx::connection& conn, int limit, std::chrono::system_clock::time_point due_by) {
  pqxx::work tx{conn};
  const auto r = tx.exec_params1(
      "WITH due AS ("
      "  SELECT o.outbox_id, n.nudge_id,"
      "         (a.opted_out_at IS NOT NULL OR n.expires_at <= to_timestamp($2) OR n.nudge_id IS NULL) AS dropped"
      "  FROM headroom.nudge_outbox o"
      "  LEFT JOIN headroom.accounts a ON a.account_id = o.account_id"
      "  LEFT JOIN headroom.nudges n ON (n.account_id, n.policy, n.risky_day) = (o.account_id, o.policy, o.risky_day)"
      "  WHERE o.status = 'pending' AND o.channel = 'in_app' AND o.next_attempt_at <= to_timestamp($2)"
      "  ORDER BY o.next_attempt_at, o.outbox_id LIMIT $1 FOR UPDATE OF o SKIP LOCKED),"
      " n AS ("
      "  UPDATE headroom.nudges n SET status = CASE WHEN due.dropped THEN 'expired' ELSE 'available' END,"
      "         updated_at = now()"
      "  FROM due WHERE n.nudge_id = due.nudge_id AND n.status = 'pending' RETURNING n.status),"
      " o AS ("
      "  UPDATE headroom.nudge_outbox o SET status = CASE WHEN due.dropped THEN 'cancelled' ELSE 'sent' END,"
      "         sent_at = CASE WHEN due.dropped THEN NULL ELSE now() END, attempts = o.attempts + 1,"
      "         first_attempt_at = coalesce(o.first_attempt_at, to_timestamp($2))"
      "  FROM due WHERE o.outbox_id = due.outbox_id RETURNING o.status)"
      "SELECT (SELECT count(*) FROM n WHERE status = 'available'), (SELECT count(*) FROM o WHERE status = 'cancelled')",
      limit, epoch_fraction(due_by));
  tx.commit();
  return InAppRelease{r[0].as<std::size_t>(), r[1].as<std::size_t>()};
}

OutboxBacklog outbox_backlog(pqxx::connection& conn, std::string_view channel, std::chrono::seconds lease,
                             std::chrono::system_clock::time_point due_by) {
  pqxx::read_transaction tx{conn};
  const auto r = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2)),"
      "       count(*) FILTER (WHERE claimed_at >= now() - make_interval(secs => $2)) "
      "FROM headroom.nudge_outbox WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= to_timestamp($3)",
      std::string(channel), static_cast<double>(lease.count()), epoch_fraction(due_by));
  return OutboxBacklog{r[0].as<std::size_t>(), r[1].as<std::size_t>()};
}

double server_clock_seconds(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  return tx.exec("SELECT extract(epoch FROM clock_timestamp())::double precision")[0][0].as<double>();
}

std::vector<DeliveredNudge> read_deliveries_since(pqxx::connection& conn, double since) {
  pqxx::read_transaction tx{conn};
  const auto rows = tx.exec_params(
      "SELECT o.account_id, o.channel, o.risky_day::text, coalesce(d.variant, ''), coalesce(d.lead_time_days, 0) "
      "FROM headroom.nudge_outbox o JOIN headroom.nudge_decisions d ON d.decision_id = o.decision_id "
      "WHERE o.status = 'sent' AND o.sent_at >= to_timestamp($1) ORDER BY o.sent_at, o.outbox_id",
      since);
  std::vector<DeliveredNudge> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    DeliveredNudge n;
    n.account_id = row[0].as<std::string>();
    n.channel = *nudges::parse_channel(row[1].as<std::string>());
    n.risky_day = *forecast::parse_iso_date(row[2].as<std::string>());
    n.variant = row[3].as<std::string>();
    n.lead_time_days = row[4].as<int>();
    out.push_back(std::move(n));
  }
  return out;
}

const PreparedStatement kReadNudgeFeed{
    "headroom_read_nudge_feed",
    "SELECT json_build_object('account_id', $1::text, 'nudges', coalesce((SELECT json_agg(json_build_object("
    "  'nudge_id', n.nudge_id, 'policy', n.policy, 'risky_day', n.risky_day, 'body', n.body, 'status', n.status,"
    "  'available_at', n.available_at, 'expires_at', n.expires_at) ORDER BY n.available_at DESC, n.nudge_id DESC)"
    "  FROM headroom.nudges n WHERE n.account_id = $1 AND n.status IN ('available', 'seen') AND n.expires_at > now()),"
    "  '[]'::json))::text "
    "WHERE EXISTS (SELECT 1 FROM headroom.forecasts WHERE account_id = $1)"
    "   OR EXISTS (SELECT 1 FROM headroom.accounts WHERE account_id = $1)"
    "   OR EXISTS (SELECT 1 FROM headroom.nudges WHERE account_id = $1)"};

std::optional<std::string> read_nudge_feed_json(pqxx::transaction_base& tx, std::string_view account_id) {
  // Prepared, as read_forecast's statement (db/forecast_store.cpp says how).
  tx.conn().prepare(kReadNudgeFeed.name, kReadNudgeFeed.sql);
  const auto r = tx.exec_prepared(kReadNudgeFeed.name, std::string(account_id));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

AckResult ack_nudge(pqxx::transaction_base& tx, std::string_view account_id, std::int64_t nudge_id,
                    std::string_view status) {
  const auto r = tx.exec_params(
      "UPDATE headroom.nudges SET status = CASE WHEN status = 'dismissed' THEN status ELSE $3 END, updated_at = now() "
      "WHERE account_id = $1 AND nudge_id = $2 AND status IN ('available', 'seen', 'dismissed') RETURNING 1",
      std::string(account_id), nudge_id, std::string(status));
  return r.empty() ? AckResult::kUnknownNudge : AckResult::kUpdated;
}

void record_opt_out(pqxx::transaction_base& tx, std::string_view account_id) {
  tx.exec_params(
      "INSERT INTO headroom.accounts (account_id, opted_out_at) VALUES ($1, now()) "
      "ON CONFLICT (account_id) DO UPDATE SET opted_out_at = coalesce(headroom.accounts.opted_out_at, now())",
      std::string(account_id));
}

}  // namespace headroom::db
