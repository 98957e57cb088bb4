#pragma once
// Shared helpers for the db tests: a migrated per-test database and files.

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/support/test_database.hpp"

namespace headroom::testing {

// A temporary folder (mode 0755 so the postgres user can reach it when the
// tests run as root), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/hr-db-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline const std::string kCsvHeader = "account_id,txn_id,posted_at,amount,balance_after,description,kind\n";

// Output (stdout and stderr) and exit code of a shell command.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Records the payloads of one channel's notifications, in arrival order.
struct NotificationRecorder : pqxx::notification_receiver {
  using pqxx::notification_receiver::notification_receiver;
  std::vector<std::string> payloads;
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
};

// Fixture: a fresh database with the embedded migrations applied.
class MigratedDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    db::migrate(*conn_);
  }
  long long count(const std::string& sql) {
    pqxx::read_transaction tx(*conn_);
    return tx.exec1(sql)[0].as<long long>();
  }

  TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
  TempDir dir_;
};

}  // namespace headroom::testing
