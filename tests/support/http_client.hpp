#pragma once
// A small blocking HTTP/1.1 client for process-level tests of the daemon's
// API: every read and write is bounded by a socket timeout, so a daemon that
// stops answering fails the test instead of hanging it. Errors come back as
// an unanswered reply, never as an exception.

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/smtp_sink.hpp"

namespace headroom::testing {

struct HttpReply {
  bool answered = false;  // false: refused, reset, closed or timed out before a whole response
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, empty when absent
};

// One keep-alive connection to 127.0.0.1:`port`.
class HttpConnection {
 public:
  explicit HttpConnection(unsigned short port, std::chrono::seconds timeout = std::chrono::seconds(10))
      : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
    if (!connected_) return;
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  bool connected() const { return connected_; }

  HttpReply request(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                    const std::string& bearer = "") {
    namespace http = boost::beast::http;
    HttpReply reply;
    if (!connected_) return reply;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    if (ec) return fail(reply);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) return fail(reply);
    reply.answered = true;
    reply.status = static_cast<int>(res.result_int());
    reply.body = res.body();
    if (const auto it = res.find(http::field::retry_after); it != res.end())
      reply.retry_after.assign(it->value().data(), it->value().size());
    if (!res.keep_alive()) connected_ = false;
    return reply;
  }

 private:
  HttpReply& fail(HttpReply& reply) {
    connected_ = false;
    return reply;
  }
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

// One request on a connection of its own.
inline HttpReply http_call(unsigned short port, boost::beast::http::verb method, const std::string& target,
                           const std::string& body = "", const std::string& bearer = "") {
  HttpConnection c{port};
  return c.request(method, target, body, bearer);
}
inline HttpReply http_get(unsigned short port, const std::string& target, const std::string& bearer = "") {
  return http_call(port, boost::beast::http::verb::get, target, "", bearer);
}

// The port `headroom run` listens on (it logs "listening on 127.0.0.1:N"),
// once its log says so within `limit`.
inline std::optional<unsigned short> wait_listening_port(const std::string& log_path, std::chrono::seconds limit) {
  std::optional<unsigned short> port;
  eventually(
      [&] {
        std::smatch m;
        const std::string text = slurp(log_path);
        if (!std::regex_search(text, m, std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"))) return false;
        port = static_cast<unsigned short>(std::stoi(m[1]));
        return true;
      },
      limit);
  return port;
}

}  // namespace headroom::testing
