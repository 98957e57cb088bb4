#pragma once
// Erasure of one customer's data (migration 0015; docs/privacy.md says what
// goes, what stays and why): `headroom forget ACCOUNT` and
// POST /v1/accounts/{id}/forget.
//
// One transaction, under the contacts lock (below):
//   headroom.accounts       email NULL, consent false, opted_out_at set (an
//                           earlier opt-out kept); a row is created if none
//   headroom.nudge_outbox   pending rows cancelled (last_error 'erased'),
//                           every row's payload (subject, bodies, in-app text,
//                           unsubscribe link) replaced by {"erased": true, "variant": …}
//   headroom.nudges         body emptied; pending and available nudges
//                           expired; every one leaves the feed now
//   headroom.quarantined_transactions  rejected feed rows of the account
//                           (first CSV field = the id) or quoting its address deleted
//   headroom.erasures       the record, with what was removed
// Decisions, assignments, forecasts, delivery statuses and engagement (seen,
// dismissed) stay, keyed by the bank's opaque account id; the bank's
// transactions are not Headroom's to change (the service role cannot).
//
// Idempotent: a second erasure of the account finds nothing left, changes
// no row and reports already_erased with the first erasure's time.
//
// The contacts lock: every transaction that renders copy from contact data
// (load_contacts, db/nudge_store.hpp) holds it shared until it ends; an
// erasure takes it exclusively first. So an erasure waits for copy rendered
// from the old address to commit and then removes it, and a planner that
// starts after it sees the erasure. A sender that claimed an email before the
// erasure re-checks its claim just before sending (claim_state); only a
// message already being handed to the SMTP server can still arrive.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <pqxx/connection>

namespace headroom::db {

// Advisory lock key of the contacts lock ("hrcontct" in ASCII).
inline constexpr long long kContactsLockKey = 0x6872636f6e746374LL;

enum class ErasureSource { kCli, kApi };

struct ErasureReport {
  // The account has rows here (settings, transactions, forecast, decisions,
  // nudges or an erasure). false: nothing was erased and nothing recorded.
  bool known = false;
  bool already_erased = false;           // an earlier erasure is on record
  std::chrono::sys_seconds erased_at{};  // the (first) erasure's time
  // What this call removed (all zero on a repeat).
  bool email_erased = false;
  std::size_t deliveries_cancelled = 0;  // pending outbox rows, email and in-app
  std::size_t deliveries_claimed = 0;    // of those, claimed by a sender at that moment
  std::size_t outbox_rows_erased = 0;
  std::size_t nudges_erased = 0;
  std::size_t quarantined_deleted = 0;
};

ErasureReport erase_account(pqxx::connection& conn, std::string_view account_id, ErasureSource source);

// One line for the log and the CLI, by account id and counts only.
std::string describe_erasure(std::string_view account_id, const ErasureReport& report);

}  // namespace headroom::db
