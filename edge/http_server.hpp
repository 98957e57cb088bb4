#pragma once
// HTTP/1.1 listener for the API (Boost.Beast). Sessions own their sockets;
// each request is mapped by handle_request() (http_api.hpp). Requests larger
// than the limits are refused by the parser before the body is buffered.
// Routes that call a blocking backend method (route_thread(): /v1,
// /unsubscribe) run on the server's own backend threads and their responses
// are written back on the session's strand; /healthz, /readyz and /metrics
// are answered on the I/O thread and never wait for them. A request finding
// the backend threads and queue full is answered 503 "busy" (Retry-After: 1)
// at once. The server counts its requests and connections (HttpMetrics,
// metrics.hpp) and adds them to every /metrics it serves. Failed accepts
// (EMFILE, ENFILE, ...) are retried with a backoff of 50 ms doubling to 1 s,
// logged once per episode. Nothing thrown reaches io.run().
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
  // finding the queue full is answered 503 at once. 0 = 64 per backend
  // thread: 64 busy client connections wait rather than fail (4 per thread
  // turned most of scripts/bench.sh api's requests into 503s), and the wait
  // stays bounded.
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
  ~HttpServer();  // stop()
  // The bound port (useful when constructed with port 0).
  unsigned short port() const;
  // Stops accepting and joins the backend threads: waits for the requests
  // they are running, drops those waiting (their connections close).
  // Idempotent; call it from any thread but a backend thread.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace headroom::edge
