#pragma once
// A PostgreSQL cluster of a test's own (initdb in a temp folder, Unix socket
// only), for tests that restart the server and must not disturb others.
// Server binaries from HEADROOM_TEST_PG_BINDIR (set by scripts/test.sh).
// PostgreSQL refuses root, so as root the server runs as 'postgres'.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace headroom::testing {

class PrivateCluster {
 public:
  PrivateCluster() {
    const char* bindir = std::getenv("HEADROOM_TEST_PG_BINDIR");
    if (!bindir || !*bindir) return;
    bindir_ = bindir;
    char tmpl[] = "/tmp/headroom-pc.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    if (::geteuid() == 0) run("chown postgres: " + dir_);
    run(as_owner() + bindir_ + "/initdb -D " + dir_ + "/data -U headroom --auth=trust -E UTF8 --locale=C.UTF-8 >" +
        dir_ + "/initdb.log 2>&1");
    start();
  }
  ~PrivateCluster() {
    if (dir_.empty()) return;
    std::system((as_owner() + bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1").c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  bool available() const { return !dir_.empty(); }
  std::string url() const { return "host=" + dir_ + " user=headroom dbname=postgres"; }
  void start() {
    run(as_owner() + bindir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-k " + dir_ +
        " -c listen_addresses='' -c fsync=off\" start >/dev/null");
  }
  void stop() { run(as_owner() + bindir_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop >/dev/null"); }

 private:
  std::string as_owner() const { return ::geteuid() == 0 ? "runuser -u postgres -- " : ""; }
  static void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
  }
  std::string bindir_;
  std::string dir_;
};

}  // namespace headroom::testing
