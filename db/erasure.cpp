#include "db/erasure.hpp"

#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <pqxx/transaction>

namespace headroom::db {
namespace {

// Any row of the account, the erasure record included. Rejected feed rows
// count too (an account whose every transaction was refused); that check
// reads the whole quarantine table, acceptable for a rare request.
bool account_known(pqxx::transaction_base& tx, const std::string& id) {
  return tx.exec_params1(
               "SELECT EXISTS (SELECT 1 FROM headroom.accounts WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.transactions WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.forecasts WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.nudge_decisions WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.nudge_outbox WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.nudges WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.erasures WHERE account_id = $1)"
               " OR EXISTS (SELECT 1 FROM headroom.quarantined_transactions"
               "            WHERE starts_with(raw, $1 || ',') OR starts_with(raw, '\"' || replace($1, '\"', '\"\"') || '\",'))",
               id)[0]
      .as<bool>();
}

// Removes the address and consent and records an opt-out (an earlier one
// kept), so that no channel plans for the account again. Returns the address
// that was held ("" when none), to find it in the quarantine.
std::string erase_contact(pqxx::transaction_base& tx, const std::string& id, ErasureReport& report) {
  const auto old =
      tx.exec_params("SELECT coalesce(email, ''), email_consent FROM headroom.accounts WHERE account_id = $1 FOR UPDATE", id);
  std::string email;
  if (!old.empty()) {
    email = old[0][0].as<std::string>();
    report.email_erased = !email.empty() || old[0][1].as<bool>();
  }
  // The WHERE keeps a repeat from writing a new row version.
  tx.exec_params(
      "INSERT INTO headroom.accounts (account_id, opted_out_at) VALUES ($1, now()) "
      "ON CONFLICT (account_id) DO UPDATE SET email = NULL, email_consent = false,"
      " opted_out_at = coalesce(headroom.accounts.opted_out_at, now()) "
      "WHERE headroom.accounts.email IS NOT NULL OR headroom.accounts.email_consent"
      "   OR headroom.accounts.opted_out_at IS NULL",
      id);
  return email;
}

// Cancels pending deliveries and replaces every payload's rendered copy.
// The rows are locked first, so the counts are of the rows the UPDATE
// then changes (a sender marking one meanwhile waits for this transaction;
// its mark then finds the row no longer pending and changes nothing).
void erase_outbox(pqxx::transaction_base& tx, const std::string& id, ErasureReport& report) {
  const auto locked = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE pending), count(*) FILTER (WHERE pending AND claimed) FROM ("
      "  SELECT status = 'pending' AS pending, claimed_at IS NOT NULL AS claimed FROM headroom.nudge_outbox"
      "  WHERE account_id = $1 AND (status = 'pending' OR NOT payload ? 'erased') FOR UPDATE) s",
      id);
  report.deliveries_cancelled = locked[0].as<std::size_t>();
  report.deliveries_claimed = locked[1].as<std::size_t>();
  report.outbox_rows_erased =
      tx.exec_params(
            "UPDATE headroom.nudge_outbox SET payload = jsonb_build_object('erased', true, 'variant', payload -> 'variant'),"
            " last_error = CASE WHEN status = 'pending' THEN 'erased' ELSE last_error END,"
            " status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END "
            "WHERE account_id = $1 AND (status = 'pending' OR NOT payload ? 'erased')",
            id)
          .affected_rows();
}

// Empties the in-app texts and takes every nudge out of the feed now; seen
// and dismissed keep their status (engagement is an outcome the report counts).
void erase_in_app(pqxx::transaction_base& tx, const std::string& id, ErasureReport& report) {
  report.nudges_erased =
      tx.exec_params(
            "UPDATE headroom.nudges SET body = '', expires_at = least(expires_at, now()), updated_at = now(),"
            " status = CASE WHEN status IN ('pending', 'available') THEN 'expired' ELSE status END "
            "WHERE account_id = $1 AND (body <> '' OR status IN ('pending', 'available') OR expires_at > now())",
            id)
          .affected_rows();
}

// Rejected feed rows are diagnostics for the bank's feed, read by no
// analysis: those of the account (its id as the first CSV field, bare or
// quoted) and any quoting its address go.
void erase_quarantine(pqxx::transaction_base& tx, const std::string& id, const std::string& email,
                      ErasureReport& report) {
  report.quarantined_deleted =
      tx.exec_params(
            "DELETE FROM headroom.quarantined_transactions "
            "WHERE starts_with(raw, $1 || ',') OR starts_with(raw, '\"' || replace($1, '\"', '\"\"') || '\",')"
            "   OR ($2 <> '' AND strpos(lower(raw), lower($2)) > 0)",
            id, email)
          .affected_rows();
}

// The record, once; a repeat reads the first erasure's time.
void record_erasure(pqxx::transaction_base& tx, const std::string& id, ErasureSource source, ErasureReport& report) {
  const auto inserted = tx.exec_params(
      "INSERT INTO headroom.erasures (account_id, source, email_erased, deliveries_cancelled, outbox_rows_erased,"
      " nudges_erased, quarantined_deleted) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (account_id) DO NOTHING RETURNING extract(epoch FROM erased_at)::bigint",
      id, source == ErasureSource::kApi ? "api" : "cli", report.email_erased,
      static_cast<long long>(report.deliveries_cancelled), static_cast<long long>(report.outbox_rows_erased),
      static_cast<long long>(report.nudges_erased), static_cast<long long>(report.quarantined_deleted));
  report.already_erased = inserted.empty();
  const auto at = report.already_erased
                      ? tx.exec_params1("SELECT extract(epoch FROM erased_at)::bigint FROM headroom.erasures "
                                        "WHERE account_id = $1",
                                        id)[0]
                            .as<long long>()
                      : inserted[0][0].as<long long>();
  report.erased_at = std::chrono::sys_seconds{std::chrono::seconds{at}};
}

}  // namespace

ErasureReport erase_account(pqxx::connection& conn, std::string_view account_id, ErasureSource source) {
  const std::string id(account_id);
  ErasureReport report;
  pqxx::work tx{conn, "erase_account"};
  // First, before any row is read: waits for planners holding it shared.
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kContactsLockKey);
  report.known = account_known(tx, id);
  if (!report.known) return report;  // rolled back: nothing recorded
  const std::string email = erase_contact(tx, id, report);
  erase_outbox(tx, id, report);
  erase_in_app(tx, id, report);
  erase_quarantine(tx, id, email, report);
  record_erasure(tx, id, source, report);
  tx.commit();
  return report;
}

std::string describe_erasure(std::string_view account_id, const ErasureReport& r) {
  if (!r.known)
    return fmt::format("account {} is unknown here (no settings, transactions, forecast, decisions or nudges): "
                       "nothing erased, nothing recorded",
                       account_id);
  const std::time_t t = std::chrono::system_clock::to_time_t(r.erased_at);
  const std::string when = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(t));
  const bool removed_now = r.email_erased || r.deliveries_cancelled || r.outbox_rows_erased || r.nudges_erased ||
                           r.quarantined_deleted;
  if (r.already_erased && !removed_now)
    return fmt::format("account {} was already erased at {}: nothing left to erase", account_id, when);
  return fmt::format(
      "account {} {} at {}: {}, {} pending deliveries cancelled ({} claimed by a sender), copy erased from {} outbox "
      "rows and {} in-app nudges, {} quarantined rows deleted",
      account_id, r.already_erased ? "was already erased" : "erased", when,
      r.email_erased ? "address and consent removed" : "no address held", r.deliveries_cancelled, r.deliveries_claimed,
      r.outbox_rows_erased, r.nudges_erased, r.quarantined_deleted);
}

}  // namespace headroom::db
