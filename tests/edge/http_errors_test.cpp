// handle_request() never throws: backend failures become JSON errors with a
// request id, logged once without the path or a token. And the split of
// routes between the I/O thread and the backend threads.
#include <set>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/http_api.hpp"
#include "tests/support/immediate_reads.hpp"
#include "tests/edge/log_capture.hpp"

using namespace headroom::edge;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

enum class Failure { kNone, kDatabaseDown, kRuntimeError, kNotAnException };

// Fails every blocking call the chosen way, and records which methods the
// routes called.
class FailingBackend : public headroom::testing::ImmediateReads {
 public:
  explicit FailingBackend(Failure failure) : failure_(failure) {}
  std::set<std::string> called;

  Readiness readiness() override {
    called.insert("readiness");
    return {true, 1.0, 60.0};
  }
  std::string metrics_text() override {
    called.insert("metrics_text");
    return "headroom_up 1\n";
  }
  std::optional<headroom::forecast::StoredForecast> stored_forecast(std::string_view) override {
    fail("stored_forecast");
    return headroom::forecast::StoredForecast{};
  }
  std::optional<std::string> nudge_feed_json(std::string_view) override {
    fail("nudge_feed_json");
    return "{}";
  }
  std::optional<AckOutcome> ack_nudge(std::string_view, std::int64_t, AckStatus) override {
    fail("ack_nudge");
    return AckOutcome::kUpdated;
  }
  UnsubscribeOutcome unsubscribe(std::string_view) override {
    fail("unsubscribe");
    return UnsubscribeOutcome::kRecorded;
  }
  std::optional<ErasureOutcome> forget_account(std::string_view) override {
    fail("forget_account");
    return ErasureOutcome{};
  }

 private:
  void fail(const char* method) {
    called.insert(method);
    switch (failure_) {
      case Failure::kNone: return;
      case Failure::kDatabaseDown: throw BackendUnavailable("connection to server lost");
      case Failure::kRuntimeError: throw std::runtime_error("unexpected row shape");
      case Failure::kNotAnException: throw 42;
    }
  }
  Failure failure_;
};

const ApiAuth kAuth{"s3cret-token"};

HttpRequest get(std::string target, std::string request_id = "") {
  HttpRequest req{http::verb::get, target, 11};
  req.set(http::field::authorization, "Bearer " + kAuth.bearer_token);
  if (!request_id.empty()) req.set("X-Request-Id", request_id);
  req.prepare_payload();
  return req;
}

std::string header(const HttpResponse& res, const char* name) { return std::string(res[name]); }
nlohmann::json body_of(const HttpResponse& res) { return nlohmann::json::parse(res.body()); }

// A request per documented route, with its placeholders filled in.
HttpRequest request_for(const ApiRoute& route) {
  std::string target(route.path);
  for (const auto& [name, value] : {std::pair{"{account_id}", "acct-1"}, std::pair{"{nudge_id}", "7"}}) {
    const auto at = target.find(name);
    if (at != std::string::npos) target.replace(at, std::string(name).size(), value);
  }
  if (target == "/unsubscribe") target += "?token=t";
  HttpRequest req = get(target);
  req.method(route.method);
  if (target.ends_with("/ack")) req.body() = R"({"status":"seen"})";
  req.prepare_payload();
  return req;
}

}  // namespace

TEST(HttpErrors, AnUnreachableDatabaseIs503WithRetryAfterAndTheRequestId) {
  FailingBackend backend{Failure::kDatabaseDown};
  const auto res = handle_request(get("/v1/accounts/acct-1/forecast"), backend, kAuth);
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(header(res, "Retry-After"), std::to_string(kDatabaseRetryAfterSeconds));
  const auto body = body_of(res);
  EXPECT_EQ(body.at("error"), "database_unavailable");
  EXPECT_FALSE(header(res, "X-Request-Id").empty());
  EXPECT_EQ(body.at("request_id"), header(res, "X-Request-Id"));
}

TEST(HttpErrors, EveryBlockingRouteAnswers503WhenTheDatabaseIsDown) {
  for (const auto& route : api_routes()) {
    FailingBackend backend{Failure::kDatabaseDown};
    const auto res = handle_request(request_for(route), backend, kAuth);
    if (route_thread(route.path) == RouteThread::kIoThread) continue;
    EXPECT_EQ(res.result(), http::status::service_unavailable) << route.path;
    EXPECT_EQ(body_of(res).at("error"), "database_unavailable") << route.path;
  }
}

TEST(HttpErrors, AnyOtherExceptionIs500Internal) {
  FailingBackend backend{Failure::kRuntimeError};
  const auto res = handle_request(get("/v1/accounts/acct-1/nudges"), backend, kAuth);
  EXPECT_EQ(res.result(), http::status::internal_server_error);
  EXPECT_EQ(body_of(res).at("error"), "internal");
  EXPECT_EQ(body_of(res).at("request_id"), header(res, "X-Request-Id"));
  EXPECT_TRUE(header(res, "Retry-After").empty());
}

TEST(HttpErrors, AThrownNonExceptionIs500TooRatherThanAnEscape) {
  FailingBackend backend{Failure::kNotAnException};
  HttpRequest req{http::verb::post, "/unsubscribe?token=t", 11};
  req.prepare_payload();
  const auto res = handle_request(req, backend, kAuth);
  EXPECT_EQ(res.result(), http::status::internal_server_error);
  EXPECT_EQ(body_of(res).at("error"), "internal");
}

TEST(HttpErrors, AFailureIsLoggedOnceWithTheRouteTemplateNeverThePathOrToken) {
  headroom::testing::LogCapture log;
  FailingBackend backend{Failure::kDatabaseDown};
  const auto res = handle_request(get("/v1/accounts/acct-secret-42/forecast", "trace-1"), backend, kAuth);
  HttpRequest unsubscribe{http::verb::get, "/unsubscribe?token=signed-token-value", 11};
  handle_request(unsubscribe, backend, kAuth);
  const auto lines = log.lines_with("[http]");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("trace-1"));
  EXPECT_THAT(lines[0], HasSubstr("GET /v1/accounts/{account_id}/forecast"));
  EXPECT_THAT(lines[0], HasSubstr("503"));
  EXPECT_THAT(lines[1], HasSubstr("GET /unsubscribe"));
  for (const auto& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr("acct-secret-42")));
    EXPECT_THAT(line, Not(HasSubstr("signed-token-value")));
    EXPECT_THAT(line, Not(HasSubstr(kAuth.bearer_token)));
  }
}

TEST(HttpErrors, SuccessAndOrdinaryErrorsAreNotLogged) {
  headroom::testing::LogCapture log;
  FailingBackend backend{Failure::kNone};
  handle_request(get("/v1/accounts/acct-1/forecast"), backend, kAuth);
  handle_request(get("/nope"), backend, kAuth);
  EXPECT_TRUE(log.lines_with("[http]").empty());
}

TEST(HttpErrors, EveryResponseCarriesARequestIdAndErrorsRepeatItInTheBody) {
  FailingBackend backend{Failure::kNone};
  const auto ok = handle_request(get("/healthz"), backend, kAuth);
  EXPECT_FALSE(header(ok, "X-Request-Id").empty());
  const auto not_found = handle_request(get("/nope"), backend, kAuth);
  EXPECT_EQ(body_of(not_found).at("error"), "not_found");
  EXPECT_EQ(body_of(not_found).at("request_id"), header(not_found, "X-Request-Id"));
  const auto unauthorized = handle_request(HttpRequest{http::verb::get, "/v1/accounts/a/nudges", 11}, backend, kAuth);
  EXPECT_EQ(body_of(unauthorized).at("request_id"), header(unauthorized, "X-Request-Id"));
}

TEST(HttpErrors, AWellFormedClientRequestIdIsKeptAndAnyOtherReplaced) {
  FailingBackend backend{Failure::kNone};
  const std::string longest(kMaxRequestIdBytes, 'a');
  for (const std::string& kept : {std::string("abc-123_X.y"), longest})
    EXPECT_EQ(header(handle_request(get("/healthz", kept), backend, kAuth), "X-Request-Id"), kept);
  for (const std::string& replaced : {longest + "a", std::string("has space"), std::string("a/b"), std::string("é")}) {
    const auto id = header(handle_request(get("/healthz", replaced), backend, kAuth), "X-Request-Id");
    EXPECT_NE(id, replaced);
    EXPECT_FALSE(id.empty());
  }
}

TEST(HttpErrors, GeneratedRequestIdsAreUniqueAndWellFormed) {
  FailingBackend backend{Failure::kNone};
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const auto id = header(handle_request(get("/healthz"), backend, kAuth), "X-Request-Id");
    EXPECT_LE(id.size(), kMaxRequestIdBytes);
    EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
              std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(HttpErrors, AServerErrorResponseHasTheSameShape) {
  HttpRequest req{http::verb::get, "/v1/accounts/a/forecast", 11};
  const auto res = error_response(req, http::status::service_unavailable, "busy", "at capacity", "r-1");
  EXPECT_EQ(header(res, "X-Request-Id"), "r-1");
  EXPECT_EQ(body_of(res), (nlohmann::json{{"error", "busy"}, {"message", "at capacity"}, {"request_id", "r-1"}}));
}

TEST(RouteTemplate, NamesTheTemplateAPathMatchesOrOther) {
  EXPECT_EQ(route_template("/v1/accounts/acct-1/forecast"), "/v1/accounts/{account_id}/forecast");
  EXPECT_EQ(route_template("/v1/accounts/acct-1/nudges?x=1"), "/v1/accounts/{account_id}/nudges");
  EXPECT_EQ(route_template("/v1/accounts/a/nudges/7/ack"), "/v1/accounts/{account_id}/nudges/{nudge_id}/ack");
  EXPECT_EQ(route_template("/v1/accounts/acct-1/forget"), "/v1/accounts/{account_id}/forget");
  EXPECT_EQ(route_template("/unsubscribe?token=abc"), "/unsubscribe");
  EXPECT_EQ(route_template("/healthz"), "/healthz");
  EXPECT_EQ(route_template("/v1/accounts//forecast"), "other");
  EXPECT_EQ(route_template("/v1/accounts/a/forecast/"), "other");
  EXPECT_EQ(route_template("/v1/accounts/a/balance"), "other");
  EXPECT_EQ(route_template("/nope"), "other");
  EXPECT_EQ(route_template(""), "other");
}

TEST(RouteThread, OnlyTheWritesLeaveTheIoThread) {
  for (const auto* route : {"/healthz", "/readyz", "/metrics", "other", "/v1/accounts/{account_id}/forecast",
                            "/v1/accounts/{account_id}/nudges"})
    EXPECT_EQ(route_thread(route), RouteThread::kIoThread) << route;
  for (const auto* route :
       {"/unsubscribe", "/v1/accounts/{account_id}/nudges/{nudge_id}/ack", "/v1/accounts/{account_id}/forget"})
    EXPECT_EQ(route_thread(route), RouteThread::kBackendThread) << route;
}

// The split follows what the handlers do: a route calling a blocking backend
// method runs on a backend thread, one calling only readiness(),
// metrics_text() or an asynchronous read (here answered at once by
// ImmediateReads through stored_forecast() and nudge_feed_json()) on the I/O
// thread.
TEST(RouteThread, AgreesWithTheBackendMethodsEachRouteCalls) {
  for (const auto& route : api_routes()) {
    FailingBackend backend{Failure::kNone};
    const auto res = handle_request(request_for(route), backend, kAuth);
    ASSERT_EQ(res.result(), http::status::ok) << route.path;
    for (const char* answered_on_the_io_thread : {"readiness", "metrics_text", "stored_forecast", "nudge_feed_json"})
      backend.called.erase(answered_on_the_io_thread);
    const bool blocks = !backend.called.empty();
    EXPECT_EQ(route_thread(route_template(route.path)),
              blocks ? RouteThread::kBackendThread : RouteThread::kIoThread)
        << route.path;
  }
}

TEST(MethodLabel, IsTheVerbOrOther) {
  EXPECT_EQ(method_label(http::verb::get), "GET");
  EXPECT_EQ(method_label(http::verb::post), "POST");
  EXPECT_EQ(method_label(http::verb::unknown), "other");
}
