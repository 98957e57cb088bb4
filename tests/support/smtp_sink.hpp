#pragma once
// A private scripts/smtp_sink.py for one test (HEADROOM_TEST_SMTP_SINK), so
// the test reads its own maildir: on a free port, or on a given one (a sink
// started late on the port the daemon was already told). The hold control of
// the fault tests (--hold-dir) lets a test stop a sender after the server
// stored its message and before the 250 reached it. Stopped by its pid when
// destroyed.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "edge/smtp_mailer.hpp"
#include "tests/support/child_process.hpp"

namespace headroom::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string smtp_sink_script() {
  const char* v = std::getenv("HEADROOM_TEST_SMTP_SINK");
  return v ? v : "";
}

// A loopback TCP port nothing listens on right now (bound, read, closed).
inline unsigned short free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_loopback_port: cannot bind a loopback socket");
  ::close(fd);
  return ntohs(a.sin_port);
}

// Mailer settings for a sink's URL (plain SMTP: the sink offers no STARTTLS).
inline edge::SmtpSettings sink_settings(const std::string& url) {
  edge::SmtpSettings s;
  s.url = url;
  s.allow_insecure = true;
  s.from = "alerts@bank.example";
  return s;
}

class SmtpSink {
 public:
  // `port` 0: the sink picks a free one.
  explicit SmtpSink(const std::string& name, unsigned short port = 0) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (name + ".XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("SmtpSink: mkdtemp failed");
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ / "hold");
    std::vector<std::string> argv = {"/usr/bin/python3", smtp_sink_script(), "--maildir", (dir_ / "mail").string(),
                                     "--port-file", (dir_ / "port").string(), "--hold-dir", (dir_ / "hold").string()};
    if (port != 0) {
      argv.push_back("--port");
      argv.push_back(std::to_string(port));
    }
    process_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, (dir_ / "sink.log").string());
  }
  ~SmtpSink() {
    release_replies();
    process_->signal(SIGTERM);
    process_->wait_exit(std::chrono::seconds(10));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // The sink's URL once it listens (it writes the port file then); empty if
  // it did not start within 20 s.
  std::string url() {
    const bool up = eventually(
        [&] {
          std::error_code ec;
          return std::filesystem::file_size(dir_ / "port", ec) > 0 && !ec;
        },
        std::chrono::seconds(20));
    return up ? "smtp://127.0.0.1:" + slurp(dir_ / "port") : "";
  }
  // Message-ID -> number of stored messages carrying it.
  std::map<std::string, int> messages() const {
    std::map<std::string, int> ids;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "mail", ec)) {
      if (e.path().extension() != ".eml") continue;
      const std::string text = slurp(e.path());
      const auto at = text.find("\r\nMessage-ID: ");
      if (at == std::string::npos) continue;
      const auto end = text.find("\r\n", at + 2);
      ++ids[text.substr(at + 14, end - at - 14)];
    }
    return ids;
  }
  std::size_t files() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "mail", ec)) n += e.path().extension() == ".eml";
    return n;
  }
  const std::filesystem::path& dir() const { return dir_; }

  // From now on every stored message waits for its 250 until release_replies().
  void hold_replies() { std::ofstream(dir_ / "hold" / "hold") << "hold\n"; }
  void release_replies() {
    std::error_code ec;
    std::filesystem::remove(dir_ / "hold" / "hold", ec);
  }
  // The Message-ID of the message whose 250 is being held, once one is
  // (bounded wait); empty if none was within `limit`.
  std::string wait_held(std::chrono::seconds limit) const {
    std::string id;
    eventually(
        [&] {
          std::error_code ec;
          if (std::filesystem::file_size(dir_ / "hold" / "held", ec) == 0 || ec) return false;
          id = slurp(dir_ / "hold" / "held");
          return !id.empty();
        },
        limit);
    return id;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace headroom::testing
