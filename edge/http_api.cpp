#include "edge/http_api.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <ctime>
#include <random>
#include <vector>

#include <boost/core/demangle.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "edge/forecast_json.hpp"
#include "nudges/sha256.hpp"

namespace headroom::edge {
namespace {

HttpResponse make_response(const HttpRequest& req, http::status status, std::string body,
                           std::string_view content_type) {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, "headroom");
  res.set(http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse json_response(const HttpRequest& req, http::status status, std::string body) {
  return make_response(req, status, std::move(body), "application/json");
}

HttpResponse error_response(const HttpRequest& req, http::status status, std::string_view code,
                            std::string_view message) {
  const nlohmann::json body{{"error", code}, {"message", message}};
  auto res = json_response(req, status, body.dump());
  if (status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer realm=\"headroom\"");
  return res;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Account ids are the bank's keys; we accept the characters such keys use and
// nothing that would need decoding, so an id in a path is the id in the table.
bool valid_account_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxAccountIdBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  std::size_t start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const auto pair = query.substr(start, amp - start);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) return std::string(pair.substr(eq + 1));
    start = amp + 1;
  }
  return std::nullopt;
}

bool authorized(const HttpRequest& req, const ApiAuth& auth) {
  if (auth.bearer_token.empty()) return false;
  const auto raw = req[http::field::authorization];
  const std::string_view header{raw.data(), raw.size()};
  // RFC 7235: credentials = auth-scheme 1*SP token68, the scheme compared
  // without regard to case ("bearer", "BEARER"); the token itself exactly,
  // in constant time.
  const auto space = header.find(' ');
  if (space == std::string_view::npos || !boost::beast::iequals(boost::beast::string_view(raw.data(), space), "Bearer"))
    return false;
  const auto token = header.find_first_not_of(' ', space);
  if (token == std::string_view::npos) return false;
  return nudges::constant_time_equal(header.substr(token), auth.bearer_token);
}

// Where an asynchronous read's continuation sends its answer.
class Answer {
 public:
  Answer(const HttpRequest& req, std::string id, Responder respond)
      : state_(std::make_shared<State>(State{req, std::move(id), std::move(respond)})) {}
  const HttpRequest& request() const { return state_->request; }
  const std::string& id() const { return state_->id; }
  void send(HttpResponse res) const;          // stamps the request id
  void fail(std::exception_ptr error) const;  // the error's response, logged

 private:
  struct State {
    const HttpRequest& request;
    std::string id;
    Responder respond;
  };
  std::shared_ptr<State> state_;
};

HttpResponse unknown_account(const HttpRequest& req) {
  return error_response(req, http::status::not_found, "unknown_account", "no such account");
}

// Starts the read; the continuation answers (nullopt: answered later).
std::optional<HttpResponse> read_route(std::string_view what, std::string_view account_id, ApiBackend& backend,
                                       const Answer& answer) {
  auto finish = [answer](std::exception_ptr error, auto&& render) {
    try {
      if (error) std::rethrow_exception(error);
      answer.send(render());
    } catch (...) {
      answer.fail(std::current_exception());
    }
  };
  if (what == "forecast") {
    backend.read_forecast(std::string(account_id),
                          [answer, finish](std::optional<forecast::StoredForecast> f, std::exception_ptr error) {
                            finish(error, [&] {
                              const auto& req = answer.request();
                              return f ? json_response(req, http::status::ok, forecast_json(*f)) : unknown_account(req);
                            });
                          });
  } else {
    backend.read_nudge_feed(std::string(account_id), [answer, finish](std::optional<std::string> feed,
                                                                      std::exception_ptr error) {
      finish(error, [&] {
        const auto& req = answer.request();
        return feed ? json_response(req, http::status::ok, std::move(*feed)) : unknown_account(req);
      });
    });
  }
  return std::nullopt;
}

std::string erasure_json(std::string_view account_id, const ErasureOutcome& e) {
  const std::time_t t = std::chrono::system_clock::to_time_t(e.erased_at);
  return nlohmann::json{{"account_id", std::string(account_id)},
                        {"erased_at", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(t))},
                        {"already_erased", e.already_erased},
                        {"email_erased", e.email_erased},
                        {"deliveries_cancelled", e.deliveries_cancelled},
                        {"deliveries_claimed", e.deliveries_claimed},
                        {"outbox_rows_erased", e.outbox_rows_erased},
                        {"nudges_erased", e.nudges_erased},
                        {"quarantined_deleted", e.quarantined_deleted}}
      .dump();
}

std::optional<HttpResponse> handle_v1(const HttpRequest& req, const std::vector<std::string_view>& parts,
                                      ApiBackend& backend, const Answer& answer) {
  // parts: "", "v1", "accounts", id, …
  if (parts.size() < 5 || parts[2] != "accounts")
    return error_response(req, http::status::not_found, "not_found", "no such route");
  const std::string_view account_id = parts[3];
  if (!valid_account_id(account_id))
    return error_response(req, http::status::bad_request, "bad_account_id",
                          "account id must be 1-128 characters of [A-Za-z0-9._:-]");

  if (parts.size() == 5 && (parts[4] == "forecast" || parts[4] == "nudges")) {
    if (req.method() != http::verb::get)
      return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use GET");
    return read_route(parts[4], account_id, backend, answer);
  }

  if (parts.size() == 5 && parts[4] == "forget") {
    if (req.method() != http::verb::post)
      return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use POST");
    const auto outcome = backend.forget_account(account_id);
    if (!outcome) return unknown_account(req);
    return json_response(req, http::status::ok, erasure_json(account_id, *outcome));
  }

  if (parts.size() == 7 && parts[4] == "nudges" && parts[6] == "ack") {
    if (req.method() != http::verb::post)
      return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use POST");
    const auto nudge_id = parse_positive_id(parts[5]);
    if (!nudge_id) return error_response(req, http::status::bad_request, "bad_nudge_id", "nudge id must be a positive integer");
    const auto body = nlohmann::json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("status") || !body["status"].is_string())
      return error_response(req, http::status::bad_request, "bad_body", R"(body must be {"status":"seen"|"dismissed"})");
    const auto status_text = body["status"].get<std::string>();
    AckStatus status;
    if (status_text == "seen") status = AckStatus::kSeen;
    else if (status_text == "dismissed") status = AckStatus::kDismissed;
    else return error_response(req, http::status::bad_request, "bad_status", "status must be seen or dismissed");
    const auto outcome = backend.ack_nudge(account_id, *nudge_id, status);
    if (!outcome) return unknown_account(req);
    if (*outcome == AckOutcome::kUnknownNudge)
      return error_response(req, http::status::not_found, "unknown_nudge", "no such nudge for this account");
    return json_response(req, http::status::ok, nlohmann::json{{"nudge_id", *nudge_id}, {"status", status_text}}.dump());
  }
  return error_response(req, http::status::not_found, "not_found", "no such route");
}

}  // namespace

const std::vector<ApiRoute>& api_routes() {
  static const std::vector<ApiRoute> routes = {
      {http::verb::get, "/healthz"},
      {http::verb::get, "/readyz"},
      {http::verb::get, "/metrics"},
      {http::verb::get, "/unsubscribe"},
      {http::verb::post, "/unsubscribe"},
      {http::verb::get, "/v1/accounts/{account_id}/forecast"},
      {http::verb::get, "/v1/accounts/{account_id}/nudges"},
      {http::verb::post, "/v1/accounts/{account_id}/nudges/{nudge_id}/ack"},
      {http::verb::post, "/v1/accounts/{account_id}/forget"},
  };
  return routes;
}

namespace {

// The routes proper: may throw whatever the backend throws (handle_request
// catches). nullopt: an asynchronous read answers through `answer`.
std::optional<HttpResponse> route_request(const HttpRequest& req, ApiBackend& backend, const ApiAuth& auth,
                                          const Answer& answer) {
  const std::string_view target{req.target().data(), req.target().size()};
  if (target.size() > kMaxTargetBytes)
    return error_response(req, http::status::uri_too_long, "uri_too_long", "request target too long");
  if (req.body().size() > kMaxRequestBodyBytes)
    return error_response(req, http::status::payload_too_large, "payload_too_large", "request body too large");
  if (target.empty() || target.front() != '/')
    return error_response(req, http::status::bad_request, "bad_target", "request target must be an absolute path");

  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);

  if (path == "/healthz") {
    if (req.method() != http::verb::get) return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use GET");
    return json_response(req, http::status::ok, R"({"status":"up"})");
  }
  if (path == "/readyz") {
    if (req.method() != http::verb::get) return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use GET");
    const Readiness r = backend.readiness();
    const bool fresh = r.max_cycle_age_seconds <= 0 ||
                       (r.last_cycle_age_seconds && *r.last_cycle_age_seconds <= r.max_cycle_age_seconds);
    const bool ready = r.database_reachable && fresh;
    nlohmann::json body{{"ready", ready}, {"database_reachable", r.database_reachable}};
    body["last_cycle_age_seconds"] =
        r.last_cycle_age_seconds ? nlohmann::json(*r.last_cycle_age_seconds) : nlohmann::json(nullptr);
    // Which checks failed, so a probe's log says why without a second look.
    body["failed_checks"] = nlohmann::json::array();
    if (!r.database_reachable) body["failed_checks"].push_back("database");
    if (!fresh) body["failed_checks"].push_back("last_cycle_age");
    return json_response(req, ready ? http::status::ok : http::status::service_unavailable, body.dump());
  }
  if (path == "/metrics") {
    if (req.method() != http::verb::get) return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use GET");
    return make_response(req, http::status::ok, backend.metrics_text(), "text/plain; version=0.0.4");
  }
  if (path == "/unsubscribe") {
    if (req.method() != http::verb::get && req.method() != http::verb::post)
      return error_response(req, http::status::method_not_allowed, "method_not_allowed", "use GET or POST");
    const auto token = query_param(query, "token");
    if (!token || token->empty()) return error_response(req, http::status::bad_request, "missing_token", "token is required");
    if (backend.unsubscribe(*token) == UnsubscribeOutcome::kInvalidToken)
      return error_response(req, http::status::bad_request, "invalid_token", "unsubscribe link is not valid");
    return make_response(req, http::status::ok, "You are unsubscribed from Headroom alerts.\n", "text/plain; charset=utf-8");
  }

  const auto parts = split_path(path);
  if (parts.size() >= 2 && parts[1] == "v1") {
    if (!authorized(req, auth))
      return error_response(req, http::status::unauthorized, "unauthorized", "a valid bearer token is required");
    return handle_v1(req, parts, backend, answer);
  }
  return error_response(req, http::status::not_found, "not_found", "no such route");
}

}  // namespace

namespace {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A random per-process prefix and a counter: unique here without a lock, and
// two replicas collide only when their 32-bit prefixes do.
std::string new_request_id() {
  static const std::uint32_t prefix = [] {
    try {
      return static_cast<std::uint32_t>(std::random_device{}());
    } catch (const std::exception&) {
      // No entropy source (say, at the file-descriptor limit): still unique here.
      return static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
  }();
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("{:08x}-{:012x}", prefix, ++counter);
}

// The first line of an exception's message, capped: a database error's
// detail lines can quote row values (customer data); its first line names
// the failure.
std::string first_line(const char* what) {
  constexpr std::size_t kMaxLogged = 200;
  std::string_view text{what};
  text = text.substr(0, std::min(text.find('\n'), kMaxLogged));
  return std::string(text);
}

void log_failure(spdlog::level::level_enum level, const HttpRequest& req, std::string_view id, unsigned status,
                 std::string_view kind, std::string_view what) {
  spdlog::log(level, "[http] request {} {} {}: {} ({}: {})", id, method_label(req.method()),
              route_template({req.target().data(), req.target().size()}), status, kind, what);
}

// Added after routing, so every error the routes build carries the id
// without each being handed it.
void stamp_request_id(HttpResponse& res, const std::string& id) {
  res.set("X-Request-Id", id);
  if (res.result_int() < 400 || res[http::field::content_type] != "application/json") return;
  auto body = nlohmann::json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("error")) return;
  body["request_id"] = id;
  res.body() = body.dump();
  res.prepare_payload();
}

}  // namespace

std::string request_id(const HttpRequest& req) {
  const auto raw = req["X-Request-Id"];
  const std::string_view presented{raw.data(), raw.size()};
  return valid_request_id(presented) ? std::string(presented) : new_request_id();
}

HttpResponse error_response(const HttpRequest& req, http::status status, std::string_view code,
                            std::string_view message, std::string_view id) {
  auto res = error_response(req, status, code, message);
  stamp_request_id(res, std::string(id));
  return res;
}

namespace {

void Answer::send(HttpResponse res) const {
  stamp_request_id(res, state_->id);
  state_->respond(std::move(res));
}

void Answer::fail(std::exception_ptr error) const {
  const auto& req = state_->request;
  HttpResponse res;
  try {
    std::rethrow_exception(error);
  } catch (const BackendUnavailable& e) {
    log_failure(spdlog::level::warn, req, id(), 503, "database unavailable", first_line(e.what()));
    res = error_response(req, http::status::service_unavailable, "database_unavailable",
                         "the database cannot answer now; retry later");
    res.set(http::field::retry_after, std::to_string(kDatabaseRetryAfterSeconds));
  } catch (const BackendBusy& e) {
    log_failure(spdlog::level::warn, req, id(), 503, "busy", first_line(e.what()));
    res = error_response(req, http::status::service_unavailable, "busy", "the server is at capacity; retry shortly");
    res.set(http::field::retry_after, std::to_string(kBusyRetryAfterSeconds));
  } catch (const std::exception& e) {
    log_failure(spdlog::level::err, req, id(), 500, boost::core::demangle(typeid(e).name()), first_line(e.what()));
    res = error_response(req, http::status::internal_server_error, "internal", "internal error");
  } catch (...) {
    log_failure(spdlog::level::err, req, id(), 500, "exception", "not a std::exception");
    res = error_response(req, http::status::internal_server_error, "internal", "internal error");
  }
  send(std::move(res));
}

}  // namespace

void handle_request(const HttpRequest& req, ApiBackend& backend, const ApiAuth& auth, Responder respond) {
  const Answer answer{req, request_id(req), std::move(respond)};
  try {
    if (auto res = route_request(req, backend, auth, answer)) answer.send(std::move(*res));
  } catch (...) {
    answer.fail(std::current_exception());
  }
}

HttpResponse handle_request(const HttpRequest& req, ApiBackend& backend, const ApiAuth& auth) {
  std::optional<HttpResponse> answered;
  handle_request(req, backend, auth, [&](HttpResponse res) { answered = std::move(res); });
  if (!answered) throw std::logic_error("handle_request: the backend answered later; pass a Responder");
  return std::move(*answered);
}

std::string_view route_template(std::string_view target) {
  const auto path = split_path(target.substr(0, target.find('?')));
  for (const auto& route : api_routes()) {
    const auto pattern = split_path(route.path);
    if (pattern.size() != path.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < path.size() && match; ++i)
      match = pattern[i].starts_with('{') ? !path[i].empty() : pattern[i] == path[i];
    if (match) return route.path;
  }
  return "other";
}

RouteThread route_thread(std::string_view route) {
  // Exactly the routes whose handlers call ack_nudge, unsubscribe or forget_account.
  return route == "/v1/accounts/{account_id}/nudges/{nudge_id}/ack" || route == "/unsubscribe" ||
                 route == "/v1/accounts/{account_id}/forget"
             ? RouteThread::kBackendThread
             : RouteThread::kIoThread;
}

std::string_view method_label(http::verb method) {
  if (method == http::verb::unknown) return "other";
  const auto name = http::to_string(method);
  return {name.data(), name.size()};
}
}  // namespace headroom::edge
