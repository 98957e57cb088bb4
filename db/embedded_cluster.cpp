#include "db/embedded_cluster.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

namespace headroom::db {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSocketName = ".s.PGSQL.5432";
// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

std::string quote_conninfo(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Holds an flock for a scope; the descriptor is close-on-exec so that the
// server processes we spawn never inherit it.
class FileLock {
 public:
  FileLock(const fs::path& path, int how) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw EmbeddedClusterError("cannot open " + path.string() + ": " + std::strerror(errno));
    while (::flock(fd_, how) != 0) {
      if (errno != EINTR) throw EmbeddedClusterError("cannot lock " + path.string() + ": " + std::strerror(errno));
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

const fs::path kRunuserCandidates[] = {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"};

}  // namespace

const char* to_string(ClusterState state) {
  switch (state) {
    case ClusterState::kNotCreated: return "not created";
    case ClusterState::kStopped: return "stopped";
    case ClusterState::kRunning: return "running";
  }
  return "unknown";
}

fs::path find_postgres_bindir() {
  fs::path best;
  int best_major = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!fs::exists(entry.path() / "bin" / "initdb")) continue;
    const int major = std::stoi(name);
    if (major > best_major) {
      best_major = major;
      best = entry.path() / "bin";
    }
  }
  return best;
}

EmbeddedCluster::EmbeddedCluster(EmbeddedClusterOptions options)
    : dir_(fs::absolute(options.dir).lexically_normal()), bindir_(std::move(options.bindir)),
      as_postgres_(::geteuid() == 0) {
  if (bindir_.empty()) bindir_ = find_postgres_bindir();
  if (!dir_.empty() && dir_.filename().empty()) dir_ = dir_.parent_path();  // drop a trailing slash
}

EmbeddedCluster::~EmbeddedCluster() {
  try {
    release();
  } catch (const std::exception& e) {
    spdlog::warn("[db] embedded cluster: {}", e.what());
  }
}

std::string EmbeddedCluster::url() const {
  return "host=" + quote_conninfo(dir_.string()) + " user=headroom dbname=headroom";
}

int EmbeddedCluster::run(const std::vector<std::string>& argv, bool as_owner) const {
  std::vector<std::string> full;
  if (as_owner && as_postgres_) {
    fs::path runuser;
    for (const auto& c : kRunuserCandidates)
      if (fs::exists(c)) runuser = c;
    if (runuser.empty()) throw EmbeddedClusterError("running as root needs runuser(1) to start PostgreSQL as 'postgres'");
    full = {runuser.string(), "-u", "postgres", "--"};
  }
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const fs::path log = dir_ / "commands.log";

  const pid_t pid = ::fork();
  if (pid < 0) throw EmbeddedClusterError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw EmbeddedClusterError(std::string("waitpid failed: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void EmbeddedCluster::run_checked(const std::vector<std::string>& argv, const std::string& what) const {
  const int rc = run(argv, true);
  if (rc != 0)
    throw EmbeddedClusterError(what + " failed (exit " + std::to_string(rc) + "); see " +
                               (dir_ / "commands.log").string() + " and " + (dir_ / "server.log").string());
}

ClusterState EmbeddedCluster::state() const {
  if (!fs::exists(dir_ / "data" / "PG_VERSION")) return ClusterState::kNotCreated;
  if (bindir_.empty()) throw EmbeddedClusterError("PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/bootstrap.sh");
  // pg_ctl status: 0 running, 3 not running.
  return run({(bindir_ / "pg_ctl").string(), "status", "-D", (dir_ / "data").string()}, true) == 0
             ? ClusterState::kRunning
             : ClusterState::kStopped;
}

void EmbeddedCluster::ensure_created() {
  if (bindir_.empty() || !fs::exists(bindir_ / "initdb"))
    throw EmbeddedClusterError("PostgreSQL server binaries not found (looked in " +
                               (bindir_.empty() ? std::string("/usr/lib/postgresql/*/bin") : bindir_.string()) +
                               "): run scripts/bootstrap.sh, or set HEADROOM_DATABASE_URL to use another server");
  if ((dir_ / kSocketName).string().size() > kMaxSocketPath)
    throw EmbeddedClusterError("the embedded cluster folder " + dir_.string() +
                               " is too deep for a Unix socket path: run from a shorter folder, or set "
                               "HEADROOM_DATABASE_URL");
  if (as_postgres_) {
    if (run({"/usr/bin/test", "-w", dir_.string(), "-a", "-x", dir_.string()}, true) != 0)
      throw EmbeddedClusterError("running as root, the embedded cluster runs as the 'postgres' user, which cannot "
                                 "reach " + dir_.string() +
                                 ": make its parent folders traversable (chmod o+x), run headroom as a normal user, "
                                 "or set HEADROOM_DATABASE_URL");
  }
  if (fs::exists(dir_ / "data" / "PG_VERSION")) return;

  spdlog::info("[db] creating the embedded cluster in {}", dir_.string());
  const fs::path data = dir_ / "data";
  try {
    run_checked({(bindir_ / "initdb").string(), "-D", data.string(), "-U", "headroom", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-instructions"},
                "initdb");
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    std::string socket_dir;
    for (char c : dir_.string()) socket_dir += (c == '\'') ? std::string("''") : std::string(1, c);
    conf << "\n# Added by headroom: a private cluster reachable only through the socket in its folder.\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = '" << socket_dir << "'\n"
         << "unix_socket_permissions = 0700\n"
         // Nothing replicates a private cluster; minimal WAL lets a bulk import
         // into an empty table skip writing the data twice.
         << "wal_level = minimal\n"
         << "max_wal_senders = 0\n"
         // A scoring cycle rewrites every account's forecast row and appends
         // its decisions. With the stock 1 GB of WAL between checkpoints, a
         // cycle over 20,000 accounts forces a checkpoint every few cycles, and
         // each one makes the next writes log whole pages again. Room for
         // 4 GB of WAL and a larger buffer cache keep the working set
         // (forecasts, decision indexes) in memory between checkpoints.
         << "shared_buffers = 1GB\n"
         << "max_wal_size = 4GB\n"
         << "checkpoint_timeout = 15min\n";
    if (!conf) throw EmbeddedClusterError("cannot write " + (data / "postgresql.conf").string());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(data, ec);  // a half-made cluster would block the next try
    throw;
  }
}

void EmbeddedCluster::start_server() {
  run_checked({(bindir_ / "pg_ctl").string(), "start", "-D", (dir_ / "data").string(), "-l",
               (dir_ / "server.log").string(), "-w", "-t", "60", "-s"},
              "starting the embedded PostgreSQL");
  pqxx::connection admin("host=" + quote_conninfo(dir_.string()) + " user=headroom dbname=postgres");
  pqxx::nontransaction tx(admin);
  if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'headroom'").empty()) tx.exec0("CREATE DATABASE headroom");
  spdlog::info("[db] embedded cluster started in {}", dir_.string());
}

void EmbeddedCluster::stop_server() {
  if (state() != ClusterState::kRunning) return;
  run_checked({(bindir_ / "pg_ctl").string(), "stop", "-D", (dir_ / "data").string(), "-m", "fast", "-w", "-s"},
              "stopping the embedded PostgreSQL");
  spdlog::info("[db] embedded cluster stopped");
}

bool EmbeddedCluster::acquire(bool keep) {
  if (lock_fd_ >= 0 && !keep) return false;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw EmbeddedClusterError("cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  if (as_postgres_) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr)
      throw EmbeddedClusterError("running as root needs the 'postgres' system user to run the embedded cluster "
                                 "(it comes with Debian's postgresql package): run scripts/bootstrap.sh");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw EmbeddedClusterError("cannot give " + dir_.string() + " to the postgres user: " + std::strerror(errno));
  }
  // .start.lock serialises starting and stopping; .users.lock is held shared
  // by every process using the cluster, which is how the last one knows.
  FileLock starting(dir_ / ".start.lock", LOCK_EX);
  ensure_created();
  bool started = false;
  if (state() != ClusterState::kRunning) {
    start_server();
    started = true;
  }
  if (keep) std::ofstream(dir_ / "keep") << "started by headroom db start\n";
  if (lock_fd_ < 0) {
    lock_fd_ = ::open((dir_ / ".users.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_SH) != 0)
      throw EmbeddedClusterError("cannot lock " + (dir_ / ".users.lock").string() + ": " + std::strerror(errno));
  }
  return started;
}

void EmbeddedCluster::release() {
  if (lock_fd_ < 0) return;
  FileLock stopping(dir_ / ".start.lock", LOCK_EX);
  ::flock(lock_fd_, LOCK_UN);
  const bool last = ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
  ::close(lock_fd_);
  lock_fd_ = -1;
  if (last && !fs::exists(dir_ / "keep")) stop_server();
}

void EmbeddedCluster::stop() {
  if (!fs::exists(dir_)) return;
  FileLock stopping(dir_ / ".start.lock", LOCK_EX);
  std::error_code ec;
  fs::remove(dir_ / "keep", ec);
  stop_server();
}

}  // namespace headroom::db
