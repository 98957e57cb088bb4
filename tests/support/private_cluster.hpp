#pragma once
// A PostgreSQL cluster of a test's own (initdb in a temp folder, Unix socket
// only), for tests that restart the server and must not disturb others.
// Server binaries from HEADROOM_TEST_PG_BINDIR (set by scripts/test.sh).
// PostgreSQL refuses root, so as root the server runs as 'postgres'.
// `data_directory`, when given, is where initdb puts the cluster (a folder
// that does not exist yet, on a volume of the test's choosing: the disk-full
// fault puts it on a small tmpfs); the socket and logs stay in the temp folder.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace headroom::testing {

class PrivateCluster {
 public:
  explicit PrivateCluster(const std::string& data_directory = "") {
    const char* bindir = std::getenv("HEADROOM_TEST_PG_BINDIR");
    if (!bindir || !*bindir) return;
    bindir_ = bindir;
    char tmpl[] = "/tmp/headroom-pc.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    if (::geteuid() == 0) run("chown postgres: " + dir_);
    data_ = data_directory.empty() ? dir_ + "/data" : data_directory;
    run(as_owner() + bindir_ + "/initdb -D " + data_ + " -U headroom --auth=trust -E UTF8 --locale=C.UTF-8 >" +
        dir_ + "/initdb.log 2>&1");
    start();
  }
  ~PrivateCluster() {
    if (dir_.empty()) return;
    std::system((as_owner() + bindir_ + "/pg_ctl -D " + data_ + " -m immediate -w stop >/dev/null 2>&1").c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    std::filesystem::remove_all(data_, ignored);
  }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  bool available() const { return !dir_.empty(); }
  const std::string& data_directory() const { return data_; }
  // The server's log (startup, errors, PANICs), for a failing test's message.
  std::string server_log_path() const { return dir_ + "/server.log"; }
  std::string url() const { return "host=" + dir_ + " user=headroom dbname=postgres"; }
  void start() {
    run(as_owner() + bindir_ + "/pg_ctl -D " + data_ + " -l " + dir_ + "/server.log -w -t 60 -o \"-k " + dir_ +
        " -c listen_addresses='' -c fsync=off\" start >/dev/null");
  }
  void stop() { run(as_owner() + bindir_ + "/pg_ctl -D " + data_ + " -m fast -w -t 60 stop >/dev/null"); }

 private:
  std::string as_owner() const { return ::geteuid() == 0 ? "runuser -u postgres -- " : ""; }
  static void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
  }
  std::string bindir_;
  std::string dir_;
  std::string data_;
};

}  // namespace headroom::testing
