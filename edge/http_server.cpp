#include "edge/http_server.hpp"

#include <chrono>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace headroom::edge {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ApiBackend& backend, const ApiAuth& auth)
      : stream_(std::move(socket)), backend_(backend), auth_(auth) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxRequestBodyBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      HttpRequest stub;
      stub.version(11);
      stub.keep_alive(false);
      const bool body = ec == http::error::body_limit;
      HttpResponse res{body ? http::status::payload_too_large : http::status::request_header_fields_too_large, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = body ? R"({"error":"payload_too_large","message":"request body too large"})"
                        : R"({"error":"headers_too_large","message":"request headers too large"})";
      res.keep_alive(false);
      res.prepare_payload();
      return write(std::move(res));
    }
    if (ec) return close();
    write(handle_request(parser_->get(), backend_, auth_));
  }

  void write(HttpResponse&& res) {
    auto owned = std::make_shared<HttpResponse>(std::move(res));
    const bool close_after = !owned->keep_alive();
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned, close_after](beast::error_code ec, std::size_t) {
                        if (ec || close_after) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ApiBackend& backend_;
  const ApiAuth& auth_;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, ApiBackend& b, ApiAuth a) : io(io), acceptor(asio::make_strand(io)), backend(b), auth(std::move(a)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), self->backend, self->auth)->start();
      self->accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  ApiBackend& backend;
  ApiAuth auth;
};

HttpServer::HttpServer(asio::io_context& io, const HttpServerSettings& settings, ApiBackend& backend, ApiAuth auth)
    : impl_(std::make_shared<Impl>(io, backend, std::move(auth))) {
  const tcp::endpoint endpoint{asio::ip::make_address(settings.address), settings.port};
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
}

HttpServer::~HttpServer() { stop(); }

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::stop() {
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
}

}  // namespace headroom::edge
