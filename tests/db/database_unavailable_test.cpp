// db::database_unavailable: the faults the API answers 503 (the same request
// may succeed later) against the errors of the request itself (500), by
// libpqxx type and SQLSTATE; and db::conninfo_with, which gives the pool's
// and the probe's connections their settings whatever form the URL has.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/except>

#include "db/connection_pool.hpp"
#include "db/conninfo.hpp"
#include "db/database_faults.hpp"

namespace {

using headroom::db::database_unavailable;

TEST(DatabaseFaults, FaultsThatMayPassAreUnavailable) {
  EXPECT_TRUE(database_unavailable(pqxx::broken_connection("could not connect to server")));
  EXPECT_TRUE(database_unavailable(pqxx::too_many_connections("sorry, too many clients already")));
  EXPECT_TRUE(database_unavailable(headroom::db::PoolUnavailable("connection pool: reconnecting")));
  EXPECT_TRUE(database_unavailable(pqxx::serialization_failure("could not serialize access")));
  EXPECT_TRUE(database_unavailable(pqxx::deadlock_detected("deadlock detected")));
  EXPECT_TRUE(database_unavailable(pqxx::in_doubt_error("commit outcome unknown")));
  EXPECT_TRUE(database_unavailable(pqxx::disk_full("could not extend file", "", "53100")));
  const struct {
    const char* sqlstate;
    const char* meaning;
  } passing[] = {
      {"57014", "statement timeout (query_canceled)"}, {"57P01", "admin_shutdown"},
      {"57P02", "crash_shutdown"},                     {"57P03", "cannot_connect_now"},
      {"53000", "insufficient_resources"},             {"53100", "disk_full"},
      {"53200", "out_of_memory"},                      {"53300", "too_many_connections"},
      {"40001", "serialization_failure"},              {"40P01", "deadlock_detected"},
      {"08006", "connection_failure"},                 {"25006", "read_only_sql_transaction (a standby)"},
  };
  for (const auto& p : passing) EXPECT_TRUE(database_unavailable(pqxx::sql_error("x", "", p.sqlstate))) << p.meaning;
}

TEST(DatabaseFaults, ErrorsOfTheRequestOrTheCodeAreNot) {
  const struct {
    const char* sqlstate;
    const char* meaning;
  } failing[] = {
      {"23505", "unique_violation"}, {"42P01", "undefined_table"},      {"42501", "insufficient_privilege"},
      {"22P02", "invalid_text_representation"}, {"57P04", "database_dropped"}, {"", "no SQLSTATE"},
  };
  for (const auto& f : failing) EXPECT_FALSE(database_unavailable(pqxx::sql_error("x", "", f.sqlstate))) << f.meaning;
  EXPECT_FALSE(database_unavailable(pqxx::conversion_error("cannot convert")));
  EXPECT_FALSE(database_unavailable(pqxx::usage_error("misuse")));
  EXPECT_FALSE(database_unavailable(std::runtime_error("headroom.forecasts: unreadable array element")));
}

TEST(Conninfo, AddsSettingsToAKeyValueStringOrAUriAndReplacesTheirOwn) {
  EXPECT_EQ(headroom::db::conninfo_with("host=/run/pg dbname=bank connect_timeout=30", {{"connect_timeout", "2"}}),
            "connect_timeout='2' dbname='bank' host='/run/pg'");
  EXPECT_EQ(headroom::db::conninfo_with("postgresql://svc@db.bank.example:5433/bank?sslmode=require",
                                        {{"connect_timeout", "2"}}),
            "connect_timeout='2' dbname='bank' host='db.bank.example' port='5433' sslmode='require' user='svc'");
  EXPECT_EQ(headroom::db::conninfo_with("dbname='it\\'s'", {{"application_name", "a b"}}),
            "application_name='a b' dbname='it\\'s'");
}

TEST(Conninfo, AUrlThatDoesNotParseIsRefusedWithoutRepeatingIt) {
  try {
    headroom::db::conninfo_with("host=/x secret_option=hunter2", {});
    FAIL() << "an unknown option must be refused";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("database URL: ", 0), 0u) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

}  // namespace
