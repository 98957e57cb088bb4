#pragma once
// The private PostgreSQL cluster used when no database URL is configured.
//
// Layout under `dir` (default .headroom/pg in the working folder):
//   data/        the cluster (initdb: superuser "headroom", trust auth, UTF8)
//   .s.PGSQL.5432  the server's Unix socket; TCP is off (listen_addresses = '')
//   server.log   server output;  keep  marker: started by `headroom db start`
//   .lock        flock that counts the headroom processes using the cluster
// PostgreSQL refuses to run as root: under root the server binaries run as the
// `postgres` system user through runuser, and `dir` is owned by that user.
//
// Lifetime: a process that needs the cluster calls acquire(), which creates
// and starts it if needed and holds a shared lock until release(). release()
// stops the server when no other headroom process holds the lock and the
// cluster was not started with keep (headroom db start). So a second headroom
// reuses a running cluster, and the last one out shuts it down.
// Methods throw EmbeddedClusterError with what to do when something fails.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace headroom::db {

class EmbeddedClusterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ClusterState { kNotCreated, kStopped, kRunning };
const char* to_string(ClusterState state);

struct EmbeddedClusterOptions {
  std::filesystem::path dir = ".headroom/pg";  // relative paths resolve against the working folder
  std::filesystem::path bindir;                // PostgreSQL server binaries; empty = newest /usr/lib/postgresql/*/bin
};

class EmbeddedCluster {
 public:
  explicit EmbeddedCluster(EmbeddedClusterOptions options);
  ~EmbeddedCluster();  // release()s, never throws
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  ClusterState state() const;
  // libpq key=value URL of the cluster's "headroom" database (socket path).
  std::string url() const;
  const std::filesystem::path& dir() const { return dir_; }

  // Creates and starts the cluster if needed and registers this process as a
  // user. `keep`: leave it running when the last user goes (headroom db start).
  // Returns true when this call started the server.
  bool acquire(bool keep = false);
  // Unregisters; stops the server if this was the last user and it is not kept.
  void release();
  // Stops the server now (fast shutdown: open sessions are disconnected) and
  // clears the keep marker. No-op when it is not running.
  void stop();

 private:
  int run(const std::vector<std::string>& argv, bool as_owner) const;
  void run_checked(const std::vector<std::string>& argv, const std::string& what) const;
  void ensure_created();
  void start_server();
  void stop_server();
  int lock_fd();

  std::filesystem::path dir_;
  std::filesystem::path bindir_;
  int lock_fd_ = -1;      // open while this process is a registered user
  bool as_postgres_ = false;
};

// Newest /usr/lib/postgresql/<major>/bin holding initdb; empty if none.
std::filesystem::path find_postgres_bindir();

}  // namespace headroom::db
