#pragma once
// Forward-only schema migrations (db/migrations/NNNN_verb_noun.sql).
//
// The SQL files are compiled into the binary at build time. migrate() applies
// the ones a database lacks in version order, each in its own transaction
// together with its row in headroom.schema_migrations (version, name, sha256
// checksum of the SQL text, applied_at). Running it again is a no-op.
// Refused with MigrationError, before anything is applied:
//   - an applied migration whose SQL no longer matches its recorded checksum
//     (someone edited an applied file: add a new migration instead);
//   - a database that has a migration this binary does not know (it was
//     migrated by a newer headroom).
// Safe to call from several processes at once: a session-level advisory lock
// serialises them, and the later ones find nothing left to do.
//
// Only `headroom migrate` changes the schema. Every other verb calls
// require_current_schema(), which reads and never creates, so the daemon runs
// under a role with data rights only (docs/deployment.md).

#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace headroom::db {

struct Migration {
  int version = 0;   // NNNN prefix of the file name
  std::string name;  // file name, e.g. "0001_create_core_tables.sql"
  std::string sql;
};

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this call, in order
  std::size_t already_applied = 0;
};

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database's schema is not the one this binary was built for (none yet,
// behind, ahead, or an applied file edited); the message names the command
// that fixes it. The CLI exits 3 on it.
class SchemaNotCurrent : public MigrationError {
 public:
  using MigrationError::MigrationError;
};

// The migrations compiled into this binary, ascending by version.
const std::vector<Migration>& embedded_migrations();

// Applies embedded_migrations().
void migrate(pqxx::connection& conn);

// Applies `migrations` (any order; sorted by version here). Tests use it to
// feed edited or extra migrations.
MigrationReport apply_migrations(pqxx::connection& conn, std::vector<Migration> migrations);

// Refuses, with SchemaNotCurrent, a database whose applied migrations are not
// exactly embedded_migrations(): no schema_migrations table ("run headroom
// migrate"), fewer applied ("schema at 0011, this headroom needs 0012"), one
// this binary lacks, or one whose recorded checksum differs from this build's
// (the same refusals as migrate). Versions, names and checksums are compared;
// the checksums of this build are computed by the server in one query, as
// migrate computes them. Changes nothing and takes no lock: it needs only
// USAGE on schema headroom and SELECT on headroom.schema_migrations. A role
// without those is refused with a message naming the missing grant.
void require_current_schema(pqxx::connection& conn);

// require_current_schema() against `migrations` (any order). For tests.
void require_schema(pqxx::connection& conn, std::vector<Migration> migrations);

// Key of the advisory lock held while migrating ("headroom" in ASCII).
inline constexpr long long kMigrationLockKey = 0x68656164726f6f6dLL;

}  // namespace headroom::db
