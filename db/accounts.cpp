#include "db/accounts.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "db/copy_writer.hpp"

namespace headroom::db {

std::size_t upsert_accounts(pqxx::connection& conn, const std::vector<AccountRecord>& accounts) {
  if (accounts.empty()) return 0;
  pqxx::work tx(conn, "upsert_accounts");
  // COPY into a temporary table and one INSERT … ON CONFLICT: a population
  // of a million accounts costs seconds, not a million round trips.
  tx.exec0("CREATE TEMPORARY TABLE headroom_accounts_in (ord bigint NOT NULL, account_id text NOT NULL,"
           " time_zone text NOT NULL, currency text NOT NULL, locale text, email text, email_consent boolean NOT NULL)"
           " ON COMMIT DROP");
  {
    CopyWriter copy(tx, "headroom_accounts_in",
                    {"ord", "account_id", "time_zone", "currency", "locale", "email", "email_consent"});
    std::int64_t ord = 0;
    for (const auto& a : accounts) {
      copy.begin_row();
      copy.add_int64(ord++);
      copy.add_text(a.account_id);
      copy.add_text(a.time_zone);
      copy.add_text(a.currency);
      if (a.locale) copy.add_text(*a.locale);
      else copy.add_null();
      if (a.email) copy.add_text(*a.email);
      else copy.add_null();
      copy.add_bool(a.email_consent);
      copy.end_row();
    }
    copy.complete();
  }
  // ON CONFLICT DO UPDATE may touch a row once per statement: keep the last
  // record of each account.
  const auto written =
      tx.exec0("INSERT INTO headroom.accounts (account_id, time_zone, currency, locale, email, email_consent) "
               "SELECT DISTINCT ON (account_id) account_id, time_zone, currency, locale, email, email_consent "
               "FROM headroom_accounts_in ORDER BY account_id, ord DESC "
               "ON CONFLICT (account_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, currency = EXCLUDED.currency,"
               " locale = EXCLUDED.locale, email = EXCLUDED.email, email_consent = EXCLUDED.email_consent")
          .affected_rows();
  tx.commit();
  spdlog::debug("[db] upsert_accounts: {} accounts written", written);
  return written;
}

}  // namespace headroom::db
