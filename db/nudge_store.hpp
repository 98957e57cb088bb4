#pragma once
// Persistence of nudges (migrations 0002, 0007): policies, contacts and past
// nudges the planner reads; decisions, outbox and in-app rows it writes; the
// outbox claims and marks of the delivery workers; the in-app feed, acks and
// opt-outs of the HTTP API.
//
// Exactly-once effect (docs/policies.md): write_decisions() runs inside the
// caller's transaction (the scoring chunk's, so forecasts and decisions
// commit together) and inserts with ON CONFLICT DO NOTHING on the dedupe key
// (account, policy, risky day, channel), so re-planning is a no-op. Senders
// claim due rows in a short transaction of their own (FOR UPDATE SKIP LOCKED,
// a lease in claimed_at/claimed_by), send after that commit, then mark. A row
// whose claim is older than the lease and still pending is claimed again.
// Functions taking a pqxx::connection& run their own transaction.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

#include "db/async_connection.hpp"
#include "nudges/planner.hpp"
#include "nudges/policy.hpp"

namespace headroom::db {

struct StoredPolicy {
  nudges::Policy policy;
  std::int64_t version = 0;  // headroom.nudge_policies.version, recorded on each decision
};

struct PolicyLoad {
  std::vector<StoredPolicy> policies;  // valid active rows, by name
  // One message per bad row, naming the table, the policy and the field; the
  // row is skipped, the others load.
  std::vector<std::string> errors;
};

// Rows with active = true, each validated with nudges::parse_policy_json.
PolicyLoad load_active_policies(pqxx::transaction_base& tx);

// Writes policies (from a config file) into headroom.nudge_policies, one
// transaction: a new name is inserted, a known one gets this definition and
// active flag (the version moves only when something changed). Others are
// left alone. Returns how many rows were inserted or changed.
std::size_t store_policies(pqxx::connection& conn, const std::vector<nudges::Policy>& policies);

// One contact per requested id. An account without a headroom.accounts row
// gets the defaults (UTC, USD, en-US, no email); an unknown time zone name
// falls back to UTC (counted in *unknown_zones when given). An erased account
// (headroom.erasures) has no address and is opted out since the epoch, so
// no planning time, a replay's included, nudges it.
// Takes the contacts lock shared for the rest of the transaction
// (db/erasure.hpp), which must be READ COMMITTED.
std::unordered_map<std::string, nudges::AccountContact> load_contacts(pqxx::transaction_base& tx,
                                                                      const std::vector<std::string>& account_ids,
                                                                      std::size_t* unknown_zones = nullptr);

// Decisions that reached or would have reached the customer (send, holdout,
// shadow) decided at or after `since`, or for a risky day on or after
// `risky_from` (so already_nudged holds however old the decision).
std::unordered_map<std::string, std::vector<nudges::PastNudge>> load_past_nudges(
    pqxx::transaction_base& tx, const std::vector<std::string>& account_ids, std::chrono::sys_seconds since,
    forecast::Date risky_from);

// One planner decision with its forecast snapshot, and for a deliverable
// decision the rendered copy.
struct DecisionRecord {
  std::chrono::sys_seconds decided_at{};
  std::string account_id;
  std::string policy;
  std::int64_t policy_version = 0;
  std::string experiment;
  nudges::Decision decision;
  std::optional<std::string> variant;  // name; none when suppressed before the variant matters
  forecast::Date as_of{};
  double window_probability = 0;
  std::int64_t buffer_cents = 0;
  std::int64_t expected_shortfall_cents = 0;
  std::string forecast_json;  // snapshot: drivers, flags, next income
  std::string explanation;
  // Deliverable (send, or treatment deferred by quiet hours): an outbox row
  // due at due_at, and for in-app a pending headroom.nudges row.
  bool deliverable = false;
  std::string message_id;
  std::string payload_json;  // {"variant","subject","text","html","in_app","unsubscribe_url"}
  std::string in_app_body;
  std::chrono::sys_seconds due_at{};
  std::chrono::sys_seconds expires_at{};
};

struct WriteCounts {
  std::size_t decisions = 0;  // rows inserted (a repeat of a dedupe key inserts none)
  std::size_t outbox = 0;
  std::size_t in_app = 0;
};

WriteCounts write_decisions(pqxx::transaction_base& tx, const std::vector<DecisionRecord>& records);

// ---- Delivery -------------------------------------------------------------

struct ClaimedEmail {
  std::int64_t outbox_id = 0;
  std::string account_id;
  std::string message_id;
  std::string payload_json;
  std::chrono::sys_seconds created_at{};        // the email's Date header
  std::chrono::sys_seconds first_attempt_at{};  // retry deadline base
  int attempts = 0;                             // including this claim
  // Read at claim time, so an opt-out or address change after the decision wins.
  std::string email;
  bool email_consent = false;
  bool opted_out = false;
};

// "Due" compares a row's next_attempt_at (and an in-app nudge's expiry) with
// `due_by`, the caller's clock: the wall clock in the daemon, the simulated
// instant in a lockstep experiment. Leases always use the server's clock,
// since they measure real time between processes.

// Claims up to `limit` due email rows (pending, next_attempt_at <= due_by, no
// live lease) for `replica`, commits, and returns them.
std::vector<ClaimedEmail> claim_due_emails(pqxx::connection& conn, std::string_view replica,
                                           std::chrono::seconds lease, int limit,
                                           std::chrono::system_clock::time_point due_by);

// Just before sending a claimed row: kHeld when it is still pending under
// this claim (replica and attempt) and the account has not opted out;
// kOptedOut when it has since; kWithdrawn when the row is no longer pending
// (an erasure cancelled it); kLost when another replica claimed it after
// this claim's lease ran out. One statement, no transaction block.
enum class ClaimState { kHeld, kOptedOut, kWithdrawn, kLost };
ClaimState claim_state(pqxx::connection& conn, std::int64_t outbox_id, std::string_view replica, int attempts);

// Marks, each its own short transaction; only a still-pending row changes.
void mark_sent(pqxx::connection& conn, std::int64_t outbox_id, int smtp_code);
void mark_failed(pqxx::connection& conn, std::int64_t outbox_id, int smtp_code, std::string_view error);
void mark_cancelled(pqxx::connection& conn, std::int64_t outbox_id, std::string_view reason);
// Releases the claim and schedules the next attempt; a no-op when another
// replica has claimed the row since (attempts moved on).
void mark_retry(pqxx::connection& conn, std::int64_t outbox_id, std::string_view replica, int attempts,
                std::chrono::sys_seconds next_attempt_at, int smtp_code, std::string_view error);

struct InAppRelease {
  std::size_t released = 0;   // nudges that became available (NOTIFY headroom_nudges, by trigger)
  std::size_t cancelled = 0;  // opted out or expired before they became due
};
// Makes up to `limit` due in-app rows available, in one transaction (the
// nudge's status and its outbox row change together, so this is exactly once).
InAppRelease release_due_in_app(pqxx::connection& conn, int limit, std::chrono::system_clock::time_point due_by);

// Pending rows of `channel` that are due by `due_by` or whose claim is live (work a
// draining sender must still wait for); and whether any of them is claimable.
struct OutboxBacklog {
  std::size_t due = 0;     // pending, due, not validly leased
  std::size_t leased = 0;  // pending, due, leased by someone (maybe a dead replica)
};
OutboxBacklog outbox_backlog(pqxx::connection& conn, std::string_view channel, std::chrono::seconds lease,
                             std::chrono::system_clock::time_point due_by);

// ---- Lockstep experiments -------------------------------------------------

// A nudge that went out: an in-app nudge made available, or an email the
// SMTP server accepted.
struct DeliveredNudge {
  std::string account_id;
  nudges::Channel channel = nudges::Channel::kInApp;
  forecast::Date risky_day{};
  std::string variant;
  int lead_time_days = 0;  // as the planner computed it
};
// The server's clock now, as seconds since the epoch (fractional).
double server_clock_seconds(pqxx::connection& conn);
// Nudges whose outbox row was marked sent at or after `since` (server clock,
// from server_clock_seconds), oldest first.
std::vector<DeliveredNudge> read_deliveries_since(pqxx::connection& conn, double since);

// ---- HTTP API -------------------------------------------------------------

// {"account_id": …, "nudges": [{"nudge_id", "policy", "risky_day", "body",
// "status", "available_at", "expires_at"}, …]} newest first: available and
// seen nudges that have not expired. nullopt when the account is unknown (no
// forecast, no accounts row, no nudge).
std::optional<std::string> read_nudge_feed_json(pqxx::transaction_base& tx, std::string_view account_id);
// Its statement ($1: the account id; no row = unknown account, else one
// text column, the JSON), for a caller that runs it itself.
extern const PreparedStatement kReadNudgeFeed;

enum class AckResult { kUpdated, kUnknownNudge };
// seen or dismissed; dismissed is final (a later "seen" leaves it dismissed).
AckResult ack_nudge(pqxx::transaction_base& tx, std::string_view account_id, std::int64_t nudge_id,
                    std::string_view status);

// Sets accounts.opted_out_at (keeping an earlier value), creating the row if needed.
void record_opt_out(pqxx::transaction_base& tx, std::string_view account_id);

}  // namespace headroom::db
