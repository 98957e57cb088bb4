#pragma once
// The HTTP API as a pure mapping from request to response (no sockets here;
// http_server.* owns those). Routes, per docs/openapi.yaml:
//   GET  /healthz                                  process up (no auth)
//   GET  /readyz                                   database reachable, last cycle age (no auth)
//   GET  /metrics                                  Prometheus text (no auth; bind to loopback)
//   GET  /v1/accounts/{id}/forecast                latest forecast (bearer token)
//   GET  /v1/accounts/{id}/nudges                  in-app feed (bearer token)
//   POST /v1/accounts/{id}/nudges/{nudge_id}/ack   body {"status":"seen"|"dismissed"} (bearer token)
//   GET|POST /unsubscribe?token=…                  one-click opt-out from the email link (RFC 8058)
// Errors are JSON bodies {"error": code, "message": text}.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "forecast/stored_forecast.hpp"

namespace headroom::edge {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

inline constexpr std::size_t kMaxRequestBodyBytes = 16 * 1024;
inline constexpr std::size_t kMaxTargetBytes = 2048;
inline constexpr std::size_t kMaxAccountIdBytes = 128;

enum class AckStatus { kSeen, kDismissed };
enum class AckOutcome { kUpdated, kUnknownNudge };
enum class UnsubscribeOutcome { kRecorded, kInvalidToken };

// Thrown by a backend when the database cannot answer now (unreachable,
// restarting, out of connections or disk, statement timed out): the route
// answers 503 with Retry-After. Any other exception out of a backend is a 500.
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Readiness {
  bool database_reachable = false;
  std::optional<double> last_cycle_age_seconds;  // none before the first cycle
  double max_cycle_age_seconds = 0;              // older than this = not ready; 0 = no limit
};

// What the routes need from the rest of the daemon. readiness() and
// metrics_text() answer from memory, on the I/O thread; the other methods may
// block on the database and run on the server's backend threads, several at
// once (http_server.hpp).
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;
  virtual Readiness readiness() = 0;
  virtual std::string metrics_text() = 0;
  // nullopt: unknown account. The route renders it (forecast_json.hpp).
  virtual std::optional<forecast::StoredForecast> stored_forecast(std::string_view account_id) = 0;
  virtual std::optional<std::string> nudge_feed_json(std::string_view account_id) = 0;
  virtual std::optional<AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id,
                                              AckStatus status) = 0;
  virtual UnsubscribeOutcome unsubscribe(std::string_view token) = 0;
};

// The bearer token that /v1 requires; empty means /v1 refuses every request.
struct ApiAuth {
  std::string bearer_token;
};

HttpResponse handle_request(const HttpRequest& request, ApiBackend& backend, const ApiAuth& auth);

// Every route handle_request() serves, as in docs/openapi.yaml (a test keeps
// the two in step). Path templates use {account_id} and {nudge_id}.
struct ApiRoute {
  http::verb method;
  std::string_view path;
};
const std::vector<ApiRoute>& api_routes();

}  // namespace headroom::edge
