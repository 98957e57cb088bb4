#pragma once
// A minimal HTTP/1.1 client for tests of the real server on loopback: one
// connection, its own io_context, every operation bounded by a deadline so a
// server that never answers fails the test instead of hanging it.

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace headroom::testing {

namespace http = boost::beast::http;

class HttpClient {
 public:
  using Response = http::response<http::string_body>;
  static constexpr std::chrono::seconds kBound{10};

  HttpClient() : stream_(io_) {}
  explicit HttpClient(unsigned short port) : HttpClient() { connect(port); }

  // Opens the socket (a descriptor taken now) without connecting.
  void open() { stream_.socket().open(boost::asio::ip::tcp::v4()); }
  void connect(unsigned short port) {
    stream_.socket().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  // Sends a request without waiting for the answer.
  void send(http::verb method, const std::string& target, const std::string& body = "") {
    request_ = {method, target, 11};
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::authorization, "Bearer token");
    if (!body.empty()) request_.set(http::field::content_type, "application/json");
    request_.body() = body;
    request_.prepare_payload();
    run([&](auto done) { http::async_write(stream_, request_, [done](auto ec, std::size_t) { done(ec); }); });
  }
  // The next response, or nullopt if none arrives within kBound.
  std::optional<Response> receive() {
    Response res;
    const bool ok = run([&](auto done) {
      http::async_read(stream_, buffer_, res, [done](auto ec, std::size_t) { done(ec); });
    });
    if (!ok) return std::nullopt;
    return res;
  }
  std::optional<Response> get(const std::string& target) {
    send(http::verb::get, target);
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
  http::request<http::string_body> request_;
};

}  // namespace headroom::testing
