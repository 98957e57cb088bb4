#pragma once
// HTTP/1.1 listener for the API (Boost.Beast). Sessions own their sockets;
// each request is mapped by handle_request() (http_api.hpp). Requests larger
// than the limits are refused by the parser before the body is buffered.
// Thread safety: run the io_context on any number of threads; the backend
// must be safe to call concurrently.

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/http_api.hpp"

namespace headroom::edge {

struct HttpServerSettings {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;                  // 0 = any free port
  // Threads running the backend's database work, off the I/O thread; the
  // backend's connection pool has as many connections. 0 = one per core.
  unsigned backend_threads = 0;
  // Requests waiting for a backend thread beyond those running; a request
  // finding the queue full is answered 503 at once. 0 = 4 per backend thread.
  unsigned backend_queue = 0;
  // Open connections beyond this are answered 503 and closed.
  unsigned max_connections = 512;
  std::chrono::seconds idle_timeout{30};       // no request on an open connection
  std::chrono::seconds header_timeout{10};     // first byte to the end of the headers
};

class HttpServer {
 public:
  // Binds and listens immediately; throws boost::system::system_error when it cannot.
  HttpServer(boost::asio::io_context& io, const HttpServerSettings& settings, ApiBackend& backend, ApiAuth auth);
  ~HttpServer();
  // The bound port (useful when constructed with port 0).
  unsigned short port() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace headroom::edge
