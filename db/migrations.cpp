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
using AppliedMigrations = std::map<int, Applied>;

std::string pad_version(int version) {
  std::string s = std::to_string(version);
  return std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

void sort_by_version(std::vector<Migration>& migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version)
      throw MigrationError("two migrations share version " + pad_version(migrations[i].version) + ": " +
                           migrations[i - 1].name + " and " + migrations[i].name);
  }
}

AppliedMigrations read_applied(pqxx::transaction_base& tx) {
  AppliedMigrations applied;
  for (const auto& row : tx.exec("SELECT version, name, checksum FROM headroom.schema_migrations"))
    applied[row[0].as<int>()] = Applied{row[1].as<std::string>(), row[2].as<std::string>()};
  return applied;
}

// The server computes the checksums so that client and record agree on the
// exact bytes hashed (the database encoding); one query for all of them, the
// texts as parameters. Same order as `migrations`.
std::vector<std::string> server_checksums(pqxx::transaction_base& tx, const std::vector<Migration>& migrations) {
  if (migrations.empty()) return {};
  std::vector<std::string> texts;
  std::string placeholders;
  for (const auto& m : migrations) {
    texts.push_back(m.sql);
    placeholders += (placeholders.empty() ? "$" : ", $") + std::to_string(texts.size()) + "::text";
  }
  std::vector<std::string> checksums;
  for (const auto& row : tx.exec_params("SELECT encode(sha256(convert_to(sql, 'UTF8')), 'hex') FROM unnest(ARRAY[" +
                                            placeholders + "]) WITH ORDINALITY AS t(sql, ord) ORDER BY ord",
                                        pqxx::prepare::make_dynamic_params(texts)))
    checksums.push_back(row[0].as<std::string>());
  return checksums;
}

// What migrate and require_schema both refuse: a migration this binary does
// not know, or an applied one whose text changed. Returns how many of
// `migrations` are applied. Error is MigrationError or SchemaNotCurrent.
template <class Error>
std::size_t refuse_unknown_or_edited(const AppliedMigrations& applied, const std::vector<Migration>& migrations,
                                     const std::vector<std::string>& checksums) {
  for (const auto& [version, record] : applied) {
    const bool known = std::any_of(migrations.begin(), migrations.end(),
                                   [&, v = version](const Migration& m) { return m.version == v; });
    if (!known)
      throw Error("the database has migration " + record.name +
                  " which this headroom does not know; it was migrated by a newer version: "
                  "use that version (migrations are forward-only)");
  }
  std::size_t already_applied = 0;
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto it = applied.find(migrations[i].version);
    if (it == applied.end()) continue;
    if (it->second.checksum != checksums[i])
      throw Error("migration " + migrations[i].name + " was edited after it was applied (checksum in database " +
                  it->second.checksum.substr(0, 12) + "…, in this build " + checksums[i].substr(0, 12) +
                  "…): restore the file and put the change in a new migration");
    ++already_applied;
  }
  return already_applied;
}

constexpr const char* kRunMigrate = "run 'headroom migrate' (as the owner role, docs/deployment.md)";

// The schema_migrations table, or the refusal that says why it cannot be read.
bool has_migration_table(pqxx::transaction_base& tx) {
  try {
    return !tx.exec1("SELECT to_regclass('headroom.schema_migrations') IS NULL")[0].as<bool>();
  } catch (const pqxx::insufficient_privilege&) {
    // to_regclass() still needs USAGE on the schema it looks in.
    throw SchemaNotCurrent("this role may not use schema headroom (no USAGE): connect as a role with the "
                           "rights docs/deployment.md lists");
  }
}

AppliedMigrations read_applied_as_reader(pqxx::transaction_base& tx) {
  try {
    return read_applied(tx);
  } catch (const pqxx::insufficient_privilege&) {
    throw SchemaNotCurrent("this role may not read headroom.schema_migrations (no SELECT): connect as a role with "
                           "the rights docs/deployment.md lists");
  }
}

}  // namespace

void migrate(pqxx::connection& conn) { apply_migrations(conn, embedded_migrations()); }

MigrationReport apply_migrations(pqxx::connection& conn, std::vector<Migration> migrations) {
  sort_by_version(migrations);
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

  AppliedMigrations applied;
  std::vector<std::string> checksums;
  {
    pqxx::read_transaction tx(conn, "migrate_read");
    applied = read_applied(tx);
    checksums = server_checksums(tx, migrations);
  }
  MigrationReport report;
  report.already_applied = refuse_unknown_or_edited<MigrationError>(applied, migrations, checksums);

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

void require_current_schema(pqxx::connection& conn) { require_schema(conn, embedded_migrations()); }

void require_schema(pqxx::connection& conn, std::vector<Migration> migrations) {
  sort_by_version(migrations);
  pqxx::read_transaction tx(conn, "schema_check");
  if (!has_migration_table(tx))
    throw SchemaNotCurrent(std::string("the database has no Headroom schema: ") + kRunMigrate);
  const AppliedMigrations applied = read_applied_as_reader(tx);
  const std::vector<std::string> checksums = server_checksums(tx, migrations);
  const std::size_t current = refuse_unknown_or_edited<SchemaNotCurrent>(applied, migrations, checksums);
  if (current == migrations.size()) return;
  std::string missing;
  for (const auto& m : migrations)
    if (applied.count(m.version) == 0) missing += (missing.empty() ? "" : ", ") + m.name;
  const std::string at = applied.empty() ? "empty" : "at " + pad_version(applied.rbegin()->first);
  throw SchemaNotCurrent("schema " + at + ", this headroom needs " + pad_version(migrations.back().version) + " (" +
                         missing + " not applied): " + kRunMigrate);
}

}  // namespace headroom::db
