#include "db/migrations.hpp"

#include <algorithm>
#include <map>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

namespace headroom::db {

namespace {

// Released on every path out of apply_migrations(); if the connection is
// gone, the server has dropped the lock with the session anyway.
class AdvisoryLock {
 public:
  explicit AdvisoryLock(pqxx::connection& conn) : conn_(conn) {
    pqxx::nontransaction tx(conn_);
    tx.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  }
  ~AdvisoryLock() {
    try {
      pqxx::nontransaction tx(conn_);
      tx.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (...) {
    }
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

 private:
  pqxx::connection& conn_;
};

struct Applied {
  std::string name;
  std::string checksum;
};

std::string pad_version(int version) {
  std::string s = std::to_string(version);
  return std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

}  // namespace

void migrate(pqxx::connection& conn) { apply_migrations(conn, embedded_migrations()); }

MigrationReport apply_migrations(pqxx::connection& conn, std::vector<Migration> migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version)
      throw MigrationError("two migrations share version " + pad_version(migrations[i].version) + ": " +
                           migrations[i - 1].name + " and " + migrations[i].name);
  }

  AdvisoryLock lock(conn);
  {
    pqxx::work tx(conn, "migrate_bootstrap");
    tx.exec0("CREATE SCHEMA IF NOT EXISTS headroom");
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS headroom.schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"  // sha256 of the SQL text, hex
        " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }

  std::map<int, Applied> applied;
  std::vector<std::string> checksums;
  {
    pqxx::read_transaction tx(conn, "migrate_read");
    for (const auto& row : tx.exec("SELECT version, name, checksum FROM headroom.schema_migrations"))
      applied[row[0].as<int>()] = Applied{row[1].as<std::string>(), row[2].as<std::string>()};
    // The server computes the checksums so that client and record agree on
    // the exact bytes hashed (the database encoding).
    for (const auto& m : migrations)
      checksums.push_back(
          tx.exec_params1("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", m.sql)[0].as<std::string>());
  }

  for (const auto& [version, record] : applied) {
    const bool known = std::any_of(migrations.begin(), migrations.end(),
                                   [&, v = version](const Migration& m) { return m.version == v; });
    if (!known)
      throw MigrationError("the database has migration " + record.name +
                           " which this headroom does not know; it was migrated by a newer version: "
                           "use that version (migrations are forward-only)");
  }
  MigrationReport report;
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto it = applied.find(migrations[i].version);
    if (it == applied.end()) continue;
    if (it->second.checksum != checksums[i])
      throw MigrationError("migration " + migrations[i].name +
                           " was edited after it was applied (checksum in database " +
                           it->second.checksum.substr(0, 12) + "…, in this build " + checksums[i].substr(0, 12) +
                           "…): restore the file and put the change in a new migration");
    ++report.already_applied;
  }

  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (applied.count(m.version) != 0) continue;
    pqxx::work tx(conn, "migrate");
    try {
      tx.exec(m.sql);
    } catch (const pqxx::sql_error& e) {
      throw MigrationError("migration " + m.name + " failed, nothing of it was applied: " + e.what());
    }
    tx.exec_params0("INSERT INTO headroom.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version, m.name, checksums[i]);
    tx.commit();
    spdlog::info("[db] applied migration {}", m.name);
    report.applied.push_back(m.name);
  }
  return report;
}

}  // namespace headroom::db
