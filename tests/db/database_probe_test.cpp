// db::DatabaseProbe: SELECT 1 on a private cluster, false while it is
// stopped and true again once it is back; and false within its bound when
// the server accepts the connection but never answers (a listening socket
// nobody serves), the case that would hold a blocking client forever.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "db/database_probe.hpp"
#include "tests/support/private_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using headroom::db::DatabaseProbe;

TEST(DatabaseProbe, AnswersWhileTheServerRunsAndReconnectsAfterARestart) {
  headroom::testing::PrivateCluster cluster;
  ASSERT_TRUE(cluster.available()) << "HEADROOM_TEST_PG_BINDIR is not set: run through scripts/test.sh";
  DatabaseProbe probe{cluster.url(), 2000ms};
  EXPECT_TRUE(probe.check()) << probe.last_error();
  EXPECT_TRUE(probe.check()) << probe.last_error();
  cluster.stop();
  EXPECT_FALSE(probe.check());
  EXPECT_FALSE(probe.last_error().empty());
  EXPECT_FALSE(probe.check());  // connecting to a stopped server fails too
  cluster.start();
  EXPECT_TRUE(probe.check()) << probe.last_error();
  EXPECT_TRUE(probe.last_error().empty());
}

// A TCP listener on loopback that completes handshakes (the kernel's
// backlog) but never reads or writes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("silent server: bind or listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  unsigned short port() const { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

TEST(DatabaseProbe, GivesUpOnAServerThatNeverAnswers) {
  SilentServer server;
  DatabaseProbe probe{"host=127.0.0.1 port=" + std::to_string(server.port()) + " user=headroom dbname=postgres",
                      300ms};
  EXPECT_FALSE(probe.check());
  EXPECT_EQ(probe.last_error(), "connect timed out");
}

}  // namespace
