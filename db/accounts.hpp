#pragma once
// Writes headroom.accounts rows (migration 0001): the per-account settings
// the engine reads (time zone, currency, locale, email channel).
//
// upsert_accounts() inserts new accounts and overwrites these six columns of
// known ones, in one transaction; opted_out_at and created_at of a known
// account are kept (an upsert never undoes an opt-out). When an account_id
// appears more than once in `accounts`, the last record wins. Values are not
// checked here beyond what the table enforces (currency is char(3); a longer
// code fails the whole call with a pqxx::data_exception and nothing is written).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace headroom::db {

struct AccountRecord {
  std::string account_id;
  std::string time_zone = "UTC";       // IANA name
  std::string currency = "USD";        // ISO 4217
  std::optional<std::string> locale;   // BCP 47; nullopt: engine default
  std::optional<std::string> email;    // nullopt: no email channel
  bool email_consent = false;
};

// Returns the number of accounts written (inserted or updated).
std::size_t upsert_accounts(pqxx::connection& conn, const std::vector<AccountRecord>& accounts);

}  // namespace headroom::db
