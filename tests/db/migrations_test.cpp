#include "db/migrations.hpp"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"

namespace headroom::db {
namespace {

using headroom::testing::TestDatabase;

class Migrations : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    conn_ = std::make_unique<pqxx::connection>(db_.url());
  }
  std::vector<std::string> recorded() {
    pqxx::read_transaction tx(*conn_);
    std::vector<std::string> names;
    for (const auto& r : tx.exec("SELECT name FROM headroom.schema_migrations ORDER BY applied_at, version"))
      names.push_back(r[0].as<std::string>());
    return names;
  }
  bool table_exists(const std::string& name) {
    pqxx::read_transaction tx(*conn_);
    return !tx.exec_params1("SELECT to_regclass($1) IS NULL", name)[0].as<bool>();
  }

  TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

const Migration kFirst{1, "0001_create_a.sql", "CREATE TABLE headroom.a (id int PRIMARY KEY);"};
const Migration kSecond{2, "0002_create_b.sql", "CREATE TABLE headroom.b (id int REFERENCES headroom.a);"};
const Migration kThird{10, "0010_fill_a.sql", "INSERT INTO headroom.a VALUES (1); INSERT INTO headroom.b VALUES (1);"};

TEST_F(Migrations, AppliesInVersionOrderWhateverTheListOrder) {
  const auto report = apply_migrations(*conn_, {kThird, kFirst, kSecond});
  EXPECT_EQ(report.applied, (std::vector<std::string>{"0001_create_a.sql", "0002_create_b.sql", "0010_fill_a.sql"}));
  EXPECT_EQ(recorded(), report.applied);
}

TEST_F(Migrations, RerunIsANoOp) {
  apply_migrations(*conn_, {kFirst, kSecond});
  const auto again = apply_migrations(*conn_, {kFirst, kSecond});
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.already_applied, 2u);
  EXPECT_EQ(recorded().size(), 2u);
}

TEST_F(Migrations, AppliesOnlyTheNewOnesLater) {
  apply_migrations(*conn_, {kFirst});
  const auto later = apply_migrations(*conn_, {kFirst, kSecond});
  EXPECT_EQ(later.applied, (std::vector<std::string>{"0002_create_b.sql"}));
  EXPECT_EQ(later.already_applied, 1u);
}

TEST_F(Migrations, RefusesAnEditedAppliedFileNamingItAndAppliesNothingElse) {
  apply_migrations(*conn_, {kFirst});
  Migration edited = kFirst;
  edited.sql += "\n-- a harmless-looking edit\n";
  try {
    apply_migrations(*conn_, {edited, kSecond});
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("0001_create_a.sql was edited after it was applied"));
  }
  EXPECT_FALSE(table_exists("headroom.b"));
  EXPECT_EQ(recorded(), (std::vector<std::string>{"0001_create_a.sql"}));
}

TEST_F(Migrations, RefusesADatabaseMigratedByANewerBinary) {
  apply_migrations(*conn_, {kFirst, kSecond});
  try {
    apply_migrations(*conn_, {kFirst});
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("0002_create_b.sql which this headroom does not know"));
  }
}

TEST_F(Migrations, AFailingMigrationLeavesNoTraceAndNamesTheFile) {
  const Migration broken{2, "0002_broken.sql", "CREATE TABLE headroom.half (id int); SELECT no_such_function();"};
  try {
    apply_migrations(*conn_, {kFirst, broken});
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("migration 0002_broken.sql failed"));
  }
  EXPECT_FALSE(table_exists("headroom.half"));
  EXPECT_EQ(recorded(), (std::vector<std::string>{"0001_create_a.sql"}));
}

TEST_F(Migrations, RefusesTwoFilesWithOneVersion) {
  Migration twin = kSecond;
  twin.version = 1;
  EXPECT_THROW(apply_migrations(*conn_, {kFirst, twin}), MigrationError);
}

TEST_F(Migrations, ConcurrentMigratorsApplyEachFileOnce) {
  std::vector<MigrationReport> reports(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < reports.size(); ++i)
    threads.emplace_back([&, i] {
      pqxx::connection c(db_.url());
      reports[i] = apply_migrations(c, {kFirst, kSecond, kThird});
    });
  for (auto& t : threads) t.join();
  std::size_t applied = 0;
  for (const auto& r : reports) applied += r.applied.size();
  EXPECT_EQ(applied, 3u);
  EXPECT_EQ(recorded().size(), 3u);
}

// The read-only check every verb but migrate runs: each refusal names the
// command that fixes it, and nothing is created.
std::string refusal(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  try {
    require_schema(conn, migrations);
  } catch (const SchemaNotCurrent& e) {
    return e.what();
  }
  return "";
}

TEST_F(Migrations, CheckRefusesADatabaseWithoutTheSchemaAndCreatesNothing) {
  EXPECT_EQ(refusal(*conn_, {kFirst}),
            "the database has no Headroom schema: run 'headroom migrate' (as the owner role, docs/deployment.md)");
  pqxx::read_transaction tx(*conn_);
  EXPECT_TRUE(tx.exec1("SELECT to_regnamespace('headroom') IS NULL")[0].as<bool>());
}

TEST_F(Migrations, CheckRefusesASchemaBehindThisBinaryNamingBothVersions) {
  apply_migrations(*conn_, {kFirst, kSecond});
  EXPECT_EQ(refusal(*conn_, {kFirst, kSecond, kThird}),
            "schema at 0002, this headroom needs 0010 (0010_fill_a.sql not applied): run 'headroom migrate' (as the "
            "owner role, docs/deployment.md)");
  EXPECT_EQ(recorded().size(), 2u);
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM headroom.a")[0].as<int>(), 0);
}

TEST_F(Migrations, CheckRefusesWhatMigrateRefusesWithTheSameWords) {
  apply_migrations(*conn_, {kFirst, kSecond});
  EXPECT_THAT(refusal(*conn_, {kFirst}), ::testing::HasSubstr("0002_create_b.sql which this headroom does not know"));
  Migration edited = kFirst;
  edited.sql += "\n-- a harmless-looking edit\n";
  EXPECT_THAT(refusal(*conn_, {edited, kSecond}),
              ::testing::HasSubstr("0001_create_a.sql was edited after it was applied"));
}

TEST_F(Migrations, CheckPassesAFullyMigratedDatabase) {
  apply_migrations(*conn_, {kThird, kFirst, kSecond});
  EXPECT_NO_THROW(require_schema(*conn_, {kFirst, kSecond, kThird}));
}

TEST_F(Migrations, EmbeddedMigrationsCreateTheCoreTables) {
  ASSERT_FALSE(embedded_migrations().empty());
  EXPECT_EQ(embedded_migrations().front().name, "0001_create_core_tables.sql");
  migrate(*conn_);
  migrate(*conn_);
  EXPECT_NO_THROW(require_current_schema(*conn_));
  for (const char* table : {"headroom.transactions", "headroom.accounts", "headroom.quarantined_transactions",
                            "headroom.schema_migrations"})
    EXPECT_TRUE(table_exists(table)) << table;
  pqxx::read_transaction tx(*conn_);
  // Primary key, per-account date order (0001), inserting transaction (0009).
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_indexes WHERE schemaname = 'headroom' AND tablename = 'transactions'")[0]
                .as<int>(),
            3);
}

}  // namespace
}  // namespace headroom::db
