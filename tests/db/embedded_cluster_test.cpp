#include "db/embedded_cluster.hpp"

#include <cstdlib>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"

namespace headroom::db {
namespace {

std::filesystem::path test_bindir() {
  const char* dir = std::getenv("HEADROOM_TEST_PG_BINDIR");
  return dir != nullptr ? std::filesystem::path(dir) : find_postgres_bindir();
}

class EmbeddedClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test_bindir().empty()) GTEST_FAIL() << "PostgreSQL server binaries not found: run scripts/bootstrap.sh";
  }
  void TearDown() override {
    EmbeddedCluster(options()).stop();
  }
  EmbeddedClusterOptions options() const { return {dir_.path() / ".headroom" / "pg", test_bindir()}; }

  headroom::testing::TempDir dir_;
};

TEST_F(EmbeddedClusterTest, CreatesStartsServesAndStopsWhenTheLastUserLeaves) {
  EmbeddedCluster first(options());
  EXPECT_EQ(first.state(), ClusterState::kNotCreated);
  EXPECT_TRUE(first.acquire());
  EXPECT_EQ(first.state(), ClusterState::kRunning);
  {
    pqxx::connection conn(first.url());
    pqxx::read_transaction tx(conn);
    EXPECT_EQ(tx.exec1("SELECT current_user || '@' || current_database()")[0].as<std::string>(), "headroom@headroom");
    EXPECT_EQ(tx.exec1("SHOW listen_addresses")[0].as<std::string>(), "");
  }

  EmbeddedCluster second(options());
  EXPECT_FALSE(second.acquire()) << "a second user reuses the running server";
  first.release();
  EXPECT_EQ(second.state(), ClusterState::kRunning) << "still in use by the second";
  second.release();
  EXPECT_EQ(second.state(), ClusterState::kStopped);

  EmbeddedCluster third(options());
  EXPECT_TRUE(third.acquire()) << "restarts the existing cluster";
  pqxx::connection conn(third.url());
  EXPECT_TRUE(conn.is_open());
}

TEST_F(EmbeddedClusterTest, KeptClusterOutlivesItsStarterUntilStopped) {
  {
    EmbeddedCluster starter(options());
    starter.acquire(/*keep=*/true);
  }
  EmbeddedCluster probe(options());
  EXPECT_EQ(probe.state(), ClusterState::kRunning);
  probe.stop();
  EXPECT_EQ(probe.state(), ClusterState::kStopped);
}

TEST_F(EmbeddedClusterTest, UrlPointsAtTheSocketFolder) {
  EmbeddedCluster cluster(options());
  EXPECT_EQ(cluster.url(), "host='" + options().dir.string() + "' user=headroom dbname=headroom");
}

}  // namespace
}  // namespace headroom::db
