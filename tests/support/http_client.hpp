#pragma once
// Small HTTP/1.1 clients for tests of the real server on loopback: HttpClient
// (one connection, deadlines, raw bytes, closes) and, on it, HttpConnection
// and http_call()/http_get() for process-level tests of the daemon's API,
// whose errors come back as an unanswered reply, never as an exception.

#include <array>
#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
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

// One connection with its own io_context, every operation bounded by a
// deadline (kBound), so a server that never answers fails the test instead
// of hanging it; for tests of the server's own behaviour (raw bytes, closes).
class HttpClient {
 public:
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  static constexpr std::chrono::seconds kBound{10};

  HttpClient() : stream_(io_) {}
  explicit HttpClient(unsigned short port) : HttpClient() { connect(port); }

  // Opens the socket (a descriptor taken now) without connecting.
  void open() { stream_.socket().open(boost::asio::ip::tcp::v4()); }
  void connect(unsigned short port) {
    stream_.socket().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  void connect(unsigned short port, boost::system::error_code& ec) {
    stream_.socket().connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  }

  // Sends a request without waiting for the answer; false if it could not
  // be written within kBound. `bearer` empty: no Authorization header.
  bool send(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
            const std::string& bearer = "token") {
    namespace http = boost::beast::http;
    request_ = {method, target, 11};
    request_.set(http::field::host, "127.0.0.1");
    if (!bearer.empty()) request_.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) request_.set(http::field::content_type, "application/json");
    request_.body() = body;
    request_.prepare_payload();
    return run([&](auto done) {
      http::async_write(stream_, request_, [done](auto ec, std::size_t) { done(ec); });
    });
  }
  // The next response, or nullopt if none arrives within kBound.
  std::optional<Response> receive() {
    Response res;
    const bool ok = run([&](auto done) {
      boost::beast::http::async_read(stream_, buffer_, res, [done](auto ec, std::size_t) { done(ec); });
    });
    if (!ok) return std::nullopt;
    return res;
  }
  std::optional<Response> get(const std::string& target) {
    send(boost::beast::http::verb::get, target);
    return receive();
  }
  // Bytes as they are, for requests no well-behaved client would send.
  void send_raw(const std::string& bytes) {
    run([&](auto done) {
      boost::asio::async_write(stream_, boost::asio::buffer(bytes), [done](auto ec, std::size_t) { done(ec); });
    });
  }
  // True once the server closes the connection (within kBound), reading
  // and dropping anything it sends first.
  bool wait_closed() {
    std::array<char, 1024> scratch{};
    for (;;) {
      boost::beast::error_code result = boost::asio::error::timed_out;
      stream_.expires_after(kBound);
      stream_.async_read_some(boost::asio::buffer(scratch), [&](auto ec, std::size_t) { result = ec; });
      io_.restart();
      io_.run();
      if (result == boost::asio::error::eof || result == boost::asio::error::connection_reset) return true;
      if (result) return false;
    }
  }

 private:
  // Starts one operation and runs it to completion or the deadline.
  template <class Start>
  bool run(Start&& start) {
    boost::beast::error_code result = boost::asio::error::timed_out;
    stream_.expires_after(kBound);
    start([&result](boost::beast::error_code ec) { result = ec; });
    io_.restart();
    io_.run();
    return !result;
  }

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
};

// One keep-alive connection to 127.0.0.1:`port`, its failures folded into
// an unanswered reply: for tests that count answers rather than expect them.
class HttpConnection {
 public:
  explicit HttpConnection(unsigned short port) {
    boost::system::error_code ec;
    client_.connect(port, ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  HttpReply request(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                    const std::string& bearer = "") {
    HttpReply reply;
    if (!connected_) return reply;
    const auto res = client_.send(method, target, body, bearer) ? client_.receive() : std::nullopt;
    if (!res) {
      connected_ = false;
      return reply;
    }
    reply.answered = true;
    reply.status = static_cast<int>(res->result_int());
    reply.body = res->body();
    if (const auto it = res->find(boost::beast::http::field::retry_after); it != res->end())
      reply.retry_after.assign(it->value().data(), it->value().size());
    if (!res->keep_alive()) connected_ = false;
    return reply;
  }

 private:
  HttpClient client_;
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
