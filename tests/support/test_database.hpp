#pragma once
// A fresh, empty PostgreSQL database per test, on the server that
// scripts/test.sh starts (HEADROOM_TEST_DATABASE_URL, key=value form).
// Tests in different binaries run in parallel, so each gets its own database
// and drops it afterwards.

#include <atomic>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace headroom::testing {

inline std::string admin_database_url() {
  const char* url = std::getenv("HEADROOM_TEST_DATABASE_URL");
  return url ? url : "";
}

class TestDatabase {
 public:
  TestDatabase() {
    admin_url_ = admin_database_url();
    if (admin_url_.empty()) return;
    static std::atomic<int> counter{0};
    name_ = "headroom_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    pqxx::connection admin{admin_url_};
    pqxx::nontransaction tx{admin};
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  }
  ~TestDatabase() {
    if (name_.empty()) return;
    try {
      pqxx::connection admin{admin_url_};
      pqxx::nontransaction tx{admin};
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (...) {
      // A leftover database in a throwaway cluster is harmless.
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool available() const { return !name_.empty(); }
  // libpq key=value URL of this test's database ("dbname" given last wins).
  std::string url() const { return admin_url_ + " dbname=" + name_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_;
  std::string name_;
};

// Use at the top of a fixture's SetUp(): fails loudly rather than skipping,
// so a suite run without a server never reports green.
#define HEADROOM_REQUIRE_DATABASE(db)                                                     \
  do {                                                                                    \
    if (!(db).available())                                                                \
      GTEST_FAIL() << "HEADROOM_TEST_DATABASE_URL is not set: run the suite through "     \
                      "scripts/test.sh, which starts PostgreSQL";                         \
  } while (0)

}  // namespace headroom::testing
