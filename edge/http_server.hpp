#pragma once
// HTTP/1.1 listener for the API (Boost.Beast). Sessions own their sockets;
// each request is mapped by handle_request() (http_api.hpp). Requests larger
// than the limits are refused by the parser before the body is buffered.
// Thread safety: run the io_context on any number of threads; the backend
// must be safe to call concurrently.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/http_api.hpp"

namespace headroom::edge {

class HttpServer {
 public:
  // Binds and listens immediately; throws boost::system::system_error when it cannot.
  HttpServer(boost::asio::io_context& io, const std::string& address, unsigned short port, ApiBackend& backend,
             ApiAuth auth);
  ~HttpServer();
  // The bound port (useful when constructed with port 0).
  unsigned short port() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace headroom::edge
