#pragma once
// The HTTP API as a pure mapping from request to response (no sockets here;
// http_server.* owns those). Routes, per docs/openapi.yaml:
//   GET  /healthz                                  process up (no auth)
//   GET  /readyz                                   database reachable, last cycle age (no auth)
//   GET  /metrics                                  Prometheus text (no auth; bind to loopback)
//   GET  /v1/accounts/{id}/forecast                latest forecast (bearer token)
//   GET  /v1/accounts/{id}/nudges                  in-app feed (bearer token)
//   POST /v1/accounts/{id}/nudges/{nudge_id}/ack   body {"status":"seen"|"dismissed"} (bearer token)
//   POST /v1/accounts/{id}/forget                  erase the customer's contact data and copy (bearer token)
//   GET|POST /unsubscribe?token=…                  one-click opt-out from the email link (RFC 8058)
// Errors are JSON bodies {"error": code, "message": text, "request_id": id};
// every response carries X-Request-Id.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
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
inline constexpr std::size_t kMaxRequestIdBytes = 64;
// Retry-After of a 503 for an unreachable database: a restart or failover
// takes seconds, and clients retrying sooner only add to the reconnect storm.
inline constexpr int kDatabaseRetryAfterSeconds = 5;
// Retry-After of a 503 for a full backend queue or connection table: load
// passes in well under a second.
inline constexpr int kBusyRetryAfterSeconds = 1;

enum class AckStatus { kSeen, kDismissed };
enum class AckOutcome { kUpdated, kUnknownNudge };
enum class UnsubscribeOutcome { kRecorded, kInvalidToken };

// What an erasure did (db/erasure.hpp, docs/privacy.md); on a repeat
// already_erased, the first erasure's time, and nothing removed.
struct ErasureOutcome {
  bool already_erased = false;
  std::chrono::sys_seconds erased_at{};
  bool email_erased = false;
  std::size_t deliveries_cancelled = 0;
  std::size_t deliveries_claimed = 0;  // of those, claimed by a sender at that moment
  std::size_t outbox_rows_erased = 0;
  std::size_t nudges_erased = 0;
  std::size_t quarantined_deleted = 0;
};

// Thrown by a backend when the database cannot answer now (unreachable,
// restarting, out of connections or disk, statement timed out): the route
// answers 503 with Retry-After. Any other exception out of a backend is a 500.
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown (or passed to a read's continuation) when the backend is at
// capacity: every database connection busy and its queue full. The route
// answers 503 {"error":"busy"} with Retry-After kBusyRetryAfterSeconds.
class BackendBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The continuation of an asynchronous read: the value, nullopt for an
// unknown account, or (error set) why the read failed.
template <class T>
using BackendDone = std::function<void(std::optional<T> value, std::exception_ptr error)>;

struct Readiness {
  bool database_reachable = false;
  std::optional<double> last_cycle_age_seconds;  // none before the first cycle
  double max_cycle_age_seconds = 0;              // older than this = not ready; 0 = no limit
};

// What the routes need from the rest of the daemon, in three kinds:
// - readiness() and metrics_text() answer from memory, on the I/O thread;
// - the hot reads, read_forecast() and read_nudge_feed(), are called on the
//   I/O thread and must not block: they start the read and call `done`
//   exactly once, later or before they return (a backend answering from
//   memory), on any thread; if they throw, `done` is never called;
// - the writes, ack_nudge(), unsubscribe() and forget_account(), may block
//   on the database and run on the server's backend threads, several at
//   once (http_server.hpp).
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;
  virtual Readiness readiness() = 0;
  virtual std::string metrics_text() = 0;
  // The route renders the forecast (forecast_json.hpp).
  virtual void read_forecast(std::string account_id, BackendDone<forecast::StoredForecast> done) = 0;
  // The feed as JSON, ready to send.
  virtual void read_nudge_feed(std::string account_id, BackendDone<std::string> done) = 0;
  virtual std::optional<AckOutcome> ack_nudge(std::string_view account_id, std::int64_t nudge_id,
                                              AckStatus status) = 0;
  virtual UnsubscribeOutcome unsubscribe(std::string_view token) = 0;
  // nullopt: the account is unknown here (nothing erased, nothing recorded).
  virtual std::optional<ErasureOutcome> forget_account(std::string_view account_id) = 0;
};

// The bearer token that /v1 requires; empty means /v1 refuses every request.
struct ApiAuth {
  std::string bearer_token;
};

// Maps a request to its response and hands it to `respond`, exactly once:
// before handle_request() returns, except on the hot read routes, whose
// backend continuation answers later (on the thread it runs on). `request`
// must live until then. Never throws. A BackendUnavailable out of the
// backend is answered 503 {"error":"database_unavailable"} with Retry-After
// (kDatabaseRetryAfterSeconds), a BackendBusy 503 {"error":"busy"}, any
// other exception 500 {"error":"internal"}; each is logged once ([http],
// with the request id, method and route template: never the path, which
// holds account ids, nor a token). The response carries X-Request-Id
// (request_id()) and an error body its "request_id". Safe to call from
// several threads at once when the backend is.
using Responder = std::function<void(HttpResponse response)>;
void handle_request(const HttpRequest& request, ApiBackend& backend, const ApiAuth& auth, Responder respond);

// The same for a backend whose reads answer before they return (tests,
// fuzzing): the response. Throws std::logic_error if the backend deferred it.
HttpResponse handle_request(const HttpRequest& request, ApiBackend& backend, const ApiAuth& auth);

// The client's X-Request-Id when it is 1-64 characters of [A-Za-z0-9._-];
// otherwise a new id, unique within this process and, by a random
// per-process prefix, very likely across replicas. Thread-safe.
std::string request_id(const HttpRequest& request);

// A JSON error as handle_request() writes it, for the answers the server
// gives without routing (queue full, connection cap, size limits).
HttpResponse error_response(const HttpRequest& request, http::status status, std::string_view code,
                            std::string_view message, std::string_view request_id);

// Every route handle_request() serves, as in docs/openapi.yaml (a test keeps
// the two in step). Path templates use {account_id} and {nudge_id}.
struct ApiRoute {
  http::verb method;
  std::string_view path;
};
const std::vector<ApiRoute>& api_routes();

// The path template of api_routes() that the target's path matches
// ("/v1/accounts/{account_id}/forecast"; a {name} matches one non-empty
// segment, whatever the method), or "other". The label of the request
// metrics and of the log lines: a handful of values, and no customer data.
std::string_view route_template(std::string_view target);

// Where a route is answered: on the I/O thread when it never waits (health,
// readiness and metrics answer from memory, the hot reads are asynchronous,
// refusals need no backend), on a backend thread when it calls a blocking
// ApiBackend method (the writes).
enum class RouteThread { kIoThread, kBackendThread };
RouteThread route_thread(std::string_view route_template);

// The method as a metric label: the verb's name, "other" for a method Beast
// does not know (a label value the client could otherwise choose).
std::string_view method_label(http::verb method);

}  // namespace headroom::edge
