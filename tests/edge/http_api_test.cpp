#include "edge/http_api.hpp"
#include "tests/support/immediate_reads.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace headroom::edge;

namespace {

class FakeBackend : public headroom::testing::ImmediateReads {
 public:
  Readiness ready{true, 12.0, 3600.0};
  std::string last_unsubscribe_token;
  std::int64_t acked_nudge = 0;

  Readiness readiness() override { return ready; }
  std::string metrics_text() override { return "headroom_up 1\n"; }
  std::optional<headroom::forecast::StoredForecast> stored_forecast(std::string_view id) override {
    if (id != "acct-1") return std::nullopt;
    headroom::forecast::StoredForecast f;
    f.account_id = "acct-1";
    f.risk_days_json = f.anomalies_json = "[]";
    return f;
  }
  std::optional<std::string> nudge_feed_json(std::string_view id) override {
    if (id != "acct-1") return std::nullopt;
    return R"({"nudges":[]})";
  }
  std::optional<AckOutcome> ack_nudge(std::string_view id, std::int64_t nudge_id, AckStatus) override {
    if (id != "acct-1") return std::nullopt;
    if (nudge_id != 7) return AckOutcome::kUnknownNudge;
    acked_nudge = nudge_id;
    return AckOutcome::kUpdated;
  }
  UnsubscribeOutcome unsubscribe(std::string_view token) override {
    last_unsubscribe_token = std::string(token);
    return token == "good" ? UnsubscribeOutcome::kRecorded : UnsubscribeOutcome::kInvalidToken;
  }
  // acct-1 is erased by its first call; later calls find it done.
  std::optional<ErasureOutcome> forget_account(std::string_view id) override {
    if (id != "acct-1") return std::nullopt;
    ErasureOutcome e;
    e.erased_at = std::chrono::sys_seconds{std::chrono::seconds{1782820800}};  // 2026-06-30T12:00:00Z
    e.already_erased = forgotten++ > 0;
    if (!e.already_erased) {
      e.email_erased = true;
      e.deliveries_cancelled = 2;
      e.deliveries_claimed = 1;
      e.outbox_rows_erased = 3;
      e.nudges_erased = 1;
    }
    return e;
  }
  int forgotten = 0;
};

HttpRequest request(http::verb verb, std::string target, std::string token = "", std::string body = "") {
  HttpRequest req{verb, target, 11};
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

std::string error_code_of(const HttpResponse& res) { return nlohmann::json::parse(res.body()).at("error"); }

const ApiAuth kAuth{"s3cret-token"};

}  // namespace

TEST(HttpApi, HealthzAnswersWithoutToken) {
  FakeBackend backend;
  const auto res = handle_request(request(http::verb::get, "/healthz"), backend, kAuth);
  EXPECT_EQ(res.result(), http::status::ok);
}

TEST(HttpApi, ReadyzIsUnavailableWhenDatabaseUnreachable) {
  FakeBackend backend;
  backend.ready.database_reachable = false;
  const auto res = handle_request(request(http::verb::get, "/readyz"), backend, kAuth);
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_FALSE(nlohmann::json::parse(res.body()).at("ready").get<bool>());
}

TEST(HttpApi, ReadyzIsUnavailableWhenLastCycleIsTooOld) {
  FakeBackend backend;
  backend.ready.last_cycle_age_seconds = 7200;
  EXPECT_EQ(handle_request(request(http::verb::get, "/readyz"), backend, kAuth).result(),
            http::status::service_unavailable);
  backend.ready.last_cycle_age_seconds = 10;
  EXPECT_EQ(handle_request(request(http::verb::get, "/readyz"), backend, kAuth).result(), http::status::ok);
}

TEST(HttpApi, V1RefusesMissingAndWrongTokens) {
  FakeBackend backend;
  const auto missing = handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast"), backend, kAuth);
  EXPECT_EQ(missing.result(), http::status::unauthorized);
  EXPECT_EQ(error_code_of(missing), "unauthorized");
  const auto wrong = handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast", "s3cret-tokeN"), backend, kAuth);
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  const auto prefix = handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast", "s3cret"), backend, kAuth);
  EXPECT_EQ(prefix.result(), http::status::unauthorized);
  const auto longer =
      handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast", "s3cret-token2"), backend, kAuth);
  EXPECT_EQ(longer.result(), http::status::unauthorized);
}

// RFC 7235: the scheme is case-insensitive and followed by one or more
// spaces; the token is compared exactly.
TEST(HttpApi, TheBearerSchemeIsCaseInsensitiveTheTokenIsNot) {
  FakeBackend backend;
  const auto status_with = [&](const std::string& authorization) {
    HttpRequest req{http::verb::get, "/v1/accounts/acct-1/forecast", 11};
    req.set(http::field::authorization, authorization);
    return handle_request(req, backend, kAuth).result();
  };
  for (const char* ok : {"Bearer s3cret-token", "bearer s3cret-token", "BEARER s3cret-token", "bEaReR  s3cret-token"})
    EXPECT_EQ(status_with(ok), http::status::ok) << ok;
  // (Leading and trailing white space is not part of a field's value: HTTP
  // parsers, Beast's among them, drop it.)
  for (const char* refused : {"bearer S3CRET-TOKEN", "Basic s3cret-token", "Bearers3cret-token", "Bearer", "Bearer ",
                              "Bearer\ts3cret-token", "Bearer s3cret-token x"})
    EXPECT_EQ(status_with(refused), http::status::unauthorized) << refused;
}

TEST(HttpApi, V1RefusesEverythingWhenNoTokenIsConfigured) {
  FakeBackend backend;
  const auto res = handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast", "anything"), backend, ApiAuth{});
  EXPECT_EQ(res.result(), http::status::unauthorized);
}

TEST(HttpApi, ServesForecastAndFeedWithRightToken) {
  FakeBackend backend;
  const auto forecast = handle_request(request(http::verb::get, "/v1/accounts/acct-1/forecast", kAuth.bearer_token), backend, kAuth);
  EXPECT_EQ(forecast.result(), http::status::ok);
  EXPECT_EQ(nlohmann::json::parse(forecast.body()).at("account_id"), "acct-1");
  const auto feed = handle_request(request(http::verb::get, "/v1/accounts/acct-1/nudges", kAuth.bearer_token), backend, kAuth);
  EXPECT_EQ(feed.result(), http::status::ok);
}

TEST(HttpApi, UnknownAccountIs404WithJsonError) {
  FakeBackend backend;
  const auto res = handle_request(request(http::verb::get, "/v1/accounts/nobody/forecast", kAuth.bearer_token), backend, kAuth);
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(error_code_of(res), "unknown_account");
}

TEST(HttpApi, MalformedPathsAre400Or404) {
  FakeBackend backend;
  EXPECT_EQ(handle_request(request(http::verb::get, "/v1/accounts/a%20b/forecast", kAuth.bearer_token), backend, kAuth).result(),
            http::status::bad_request);
  EXPECT_EQ(handle_request(request(http::verb::get, "/v1/accounts/acct-1/balance", kAuth.bearer_token), backend, kAuth).result(),
            http::status::not_found);
  EXPECT_EQ(handle_request(request(http::verb::get, "/nope"), backend, kAuth).result(), http::status::not_found);
  EXPECT_EQ(handle_request(request(http::verb::post, "/v1/accounts/acct-1/nudges/x/ack", kAuth.bearer_token, R"({"status":"seen"})"),
                           backend, kAuth).result(),
            http::status::bad_request);
}

TEST(HttpApi, OversizedTargetAndBodyAreRefused) {
  FakeBackend backend;
  std::string long_target = "/v1/";
  long_target.append(kMaxTargetBytes, 'a');
  EXPECT_EQ(handle_request(request(http::verb::get, long_target, kAuth.bearer_token), backend, kAuth)
                .result(),
            http::status::uri_too_long);
  EXPECT_EQ(handle_request(request(http::verb::post, "/v1/accounts/acct-1/nudges/7/ack", kAuth.bearer_token,
                                   std::string(kMaxRequestBodyBytes + 1, ' ')),
                           backend, kAuth)
                .result(),
            http::status::payload_too_large);
}

TEST(HttpApi, AckRecordsSeenAndRejectsUnknownNudgeAndBadBody) {
  FakeBackend backend;
  const auto ok = handle_request(request(http::verb::post, "/v1/accounts/acct-1/nudges/7/ack", kAuth.bearer_token, R"({"status":"seen"})"),
                                 backend, kAuth);
  EXPECT_EQ(ok.result(), http::status::ok);
  EXPECT_EQ(backend.acked_nudge, 7);
  const auto unknown = handle_request(
      request(http::verb::post, "/v1/accounts/acct-1/nudges/8/ack", kAuth.bearer_token, R"({"status":"dismissed"})"), backend, kAuth);
  EXPECT_EQ(unknown.result(), http::status::not_found);
  EXPECT_EQ(error_code_of(unknown), "unknown_nudge");
  const auto bad = handle_request(
      request(http::verb::post, "/v1/accounts/acct-1/nudges/7/ack", kAuth.bearer_token, R"({"status":"read"})"), backend, kAuth);
  EXPECT_EQ(bad.result(), http::status::bad_request);
  const auto wrong_method = handle_request(request(http::verb::get, "/v1/accounts/acct-1/nudges/7/ack", kAuth.bearer_token), backend, kAuth);
  EXPECT_EQ(wrong_method.result(), http::status::method_not_allowed);
}

TEST(HttpApi, UnsubscribeNeedsAValidTokenButNoBearer) {
  FakeBackend backend;
  EXPECT_EQ(handle_request(request(http::verb::post, "/unsubscribe?token=good"), backend, kAuth).result(), http::status::ok);
  EXPECT_EQ(backend.last_unsubscribe_token, "good");
  EXPECT_EQ(handle_request(request(http::verb::post, "/unsubscribe?token=forged"), backend, kAuth).result(),
            http::status::bad_request);
  EXPECT_EQ(handle_request(request(http::verb::post, "/unsubscribe"), backend, kAuth).result(), http::status::bad_request);
}

TEST(HttpApi, ForgetErasesOnceReportsARepeatAndNeedsTheTokenAndPost) {
  FakeBackend backend;
  const std::string target = "/v1/accounts/acct-1/forget";
  const auto first = handle_request(request(http::verb::post, target, kAuth.bearer_token), backend, kAuth);
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_EQ(first[http::field::content_type], "application/json");
  EXPECT_EQ(nlohmann::json::parse(first.body()),
            (nlohmann::json{{"account_id", "acct-1"},
                            {"erased_at", "2026-06-30T12:00:00Z"},
                            {"already_erased", false},
                            {"email_erased", true},
                            {"deliveries_cancelled", 2},
                            {"deliveries_claimed", 1},
                            {"outbox_rows_erased", 3},
                            {"nudges_erased", 1},
                            {"quarantined_deleted", 0}}));
  const auto repeat = nlohmann::json::parse(
      handle_request(request(http::verb::post, target, kAuth.bearer_token), backend, kAuth).body());
  EXPECT_EQ(repeat.at("already_erased"), true);
  EXPECT_EQ(repeat.at("erased_at"), "2026-06-30T12:00:00Z");
  EXPECT_EQ(repeat.at("outbox_rows_erased"), 0);

  const auto unknown =
      handle_request(request(http::verb::post, "/v1/accounts/acct-2/forget", kAuth.bearer_token), backend, kAuth);
  EXPECT_EQ(unknown.result(), http::status::not_found);
  EXPECT_EQ(error_code_of(unknown), "unknown_account");
  EXPECT_EQ(handle_request(request(http::verb::post, target), backend, kAuth).result(), http::status::unauthorized);
  EXPECT_EQ(handle_request(request(http::verb::post, target, "wrong"), backend, kAuth).result(),
            http::status::unauthorized);
  EXPECT_EQ(handle_request(request(http::verb::get, target, kAuth.bearer_token), backend, kAuth).result(),
            http::status::method_not_allowed);
  EXPECT_EQ(handle_request(request(http::verb::delete_, target, kAuth.bearer_token), backend, kAuth).result(),
            http::status::method_not_allowed);
  EXPECT_EQ(handle_request(request(http::verb::post, "/v1/accounts/a%40b/forget", kAuth.bearer_token), backend, kAuth)
                .result(),
            http::status::bad_request);
  EXPECT_EQ(backend.forgotten, 2) << "a refused request reached the backend";
}
