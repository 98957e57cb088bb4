#pragma once
// Which PostgreSQL Headroom talks to: the configured URL, or else the
// embedded cluster (db/embedded_cluster.hpp), acquired for the lifetime of a
// DatabaseSession and released (stopped when it was the last user) after.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <pqxx/connection>

#include "db/embedded_cluster.hpp"

namespace headroom::db {

struct DatabaseOptions {
  // libpq connection string (key=value or postgresql:// URI). Empty: embedded cluster.
  std::string url;
  // Folder of the embedded cluster; relative to the working folder. Default .headroom/pg.
  std::filesystem::path embedded_dir = ".headroom/pg";
  // PostgreSQL server binaries for the embedded cluster. Empty: newest /usr/lib/postgresql/*/bin.
  std::filesystem::path pg_bindir;
  // Leave the embedded cluster running when this process exits. Default false.
  bool keep_embedded = false;
};

class DatabaseSession {
 public:
  // Starts (or joins) the embedded cluster when options.url is empty;
  // throws EmbeddedClusterError when that fails.
  explicit DatabaseSession(const DatabaseOptions& options);

  const std::string& url() const { return url_; }
  bool embedded() const { return cluster_ != nullptr; }
  // A new connection; throws pqxx::broken_connection when the server is unreachable.
  std::unique_ptr<pqxx::connection> connect() const;

 private:
  std::unique_ptr<EmbeddedCluster> cluster_;
  std::string url_;
};

}  // namespace headroom::db
