#pragma once
// The three roles of docs/deployment.md on a PostgreSQL cluster of the test's
// own (roles are cluster-wide: the shared test server is left alone). The SQL
// run is the documented SQL itself, cut from the file between its markers and
// fed to psql as an operator would.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/private_cluster.hpp"
#include "tests/support/run_command.hpp"

namespace headroom::testing {

// The ```sql block between <!-- NAME:begin --> and <!-- NAME:end --> of
// docs/deployment.md; empty when the markers or the fence are missing.
inline std::string documented_sql(const std::string& name) {
  std::ifstream in(std::filesystem::path(HEADROOM_SOURCE_DIR) / "docs" / "deployment.md");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- " + name + ":begin -->", end = "<!-- " + name + ":end -->";
  const auto from = doc.find(begin), to = doc.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) return "";
  const std::string section = doc.substr(from + begin.size(), to - from - begin.size());
  const auto open = section.find("```sql\n"), close = section.rfind("```");
  if (open == std::string::npos || close == std::string::npos || close <= open) return "";
  return section.substr(open + 7, close - open - 7);
}

// A private cluster with a database `dbname` whose PUBLIC rights are revoked,
// so that only what docs/deployment.md grants counts, and the roles block
// run in it by the superuser.
class LeastPrivilegeCluster {
 public:
  explicit LeastPrivilegeCluster(const std::string& dbname) : dbname_(dbname) {
    if (!cluster_.available()) return;
    {
      pqxx::connection admin{cluster_.url()};
      pqxx::nontransaction tx{admin};
      tx.exec("CREATE DATABASE " + tx.quote_name(dbname_));
      tx.exec("REVOKE ALL ON DATABASE " + tx.quote_name(dbname_) + " FROM PUBLIC");
    }
    run_documented("roles", "headroom");
  }

  bool available() const { return cluster_.available(); }
  const std::string& dbname() const { return dbname_; }
  // libpq URL as `role` in `dbname` (PrivateCluster's superuser is "headroom").
  std::string url(const std::string& role, const std::string& dbname) const {
    return cluster_.url() + " user=" + role + " dbname=" + dbname;
  }
  std::string url(const std::string& role) const { return url(role, dbname_); }

  // psql -v dbname=… runs the documented block `name` as `role`; throws with
  // psql's output when a statement fails.
  void run_documented(const std::string& name, const std::string& role) const {
    const std::string sql = documented_sql(name);
    if (sql.empty()) throw std::runtime_error("docs/deployment.md has no ```sql block marked " + name);
    const auto file =
        std::filesystem::temp_directory_path() / ("headroom-" + name + "-" + std::to_string(::getpid()) + ".sql");
    std::ofstream(file) << sql;
    const CommandResult r = run_command("psql -X -q -v ON_ERROR_STOP=1 -v dbname=" + shell_quote(dbname_) + " " +
                                        shell_quote(url(role)) + " -f " + shell_quote(file.string()));
    std::filesystem::remove(file);
    if (r.exit_code != 0) throw std::runtime_error("the " + name + " SQL failed as " + role + ":\n" + r.output);
  }

 private:
  PrivateCluster cluster_;
  std::string dbname_;
};

// The output and exit code of the real binary run with `env` (VAR=value ...)
// against the database at `url`.
inline CommandResult headroom_as(const std::string& url, const std::string& args, const std::string& env = "") {
  return run_command("env HEADROOM_DATABASE_URL=" + shell_quote(url) + " " + env + " " + shell_quote(HEADROOM_BINARY) +
                     " " + args);
}

}  // namespace headroom::testing
