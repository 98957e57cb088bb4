// Fuzz target: the HTTP API (edge/http_api.hpp) over raw request bytes.
// The bytes go through Beast's request parser with the server's limits
// (8 KiB of header, kMaxRequestBodyBytes of body), request after request as
// on a keep-alive connection, and each parsed request through
// handle_request with a fake backend. The backend answers account "acct-1"
// with a forecast whose numbers and summary come from the request body (so
// forecast_json is fuzzed too), fails for accounts "down", "busy" and "boom",
// and checks unsubscribe tokens with verify_unsubscribe_token. Properties of
// every response:
//  - it carries a valid X-Request-Id, the client's own when that was valid;
//  - Content-Length matches the body, and it serialises and parses back;
//  - a JSON body parses; an error body (any but /readyz's 503, which is the
//    readiness report) is {"error","message","request_id"} with the response's id; a forecast body has the forecast's values;
//  - 500 only for the backend's "boom", 503 only for "down" and "busy";
//  - /v1 answers 2xx only with the right bearer token; /unsubscribe answers
//    200 only for a token that verifies.

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "edge/http_api.hpp"
#include "ingest/csv_reader.hpp"
#include "nudges/unsubscribe.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/immediate_reads.hpp"

using namespace headroom;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kSecret = "fuzz-unsubscribe-secret";
const edge::ApiAuth kAuth{"s3cret-token"};

// Little-endian bytes of `body` from `at`, zero past its end.
std::uint64_t word(std::string_view body, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < 8 && at + k < body.size(); ++k)
    v |= std::uint64_t(static_cast<unsigned char>(body[at + k])) << (8 * k);
  return v;
}

double as_double(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

class Backend : public testing::ImmediateReads {
 public:
  std::string body;  // of the request being answered
  forecast::StoredForecast last;
  bool threw_internal = false;
  bool threw_unavailable = false;

  edge::Readiness readiness() override {
    const auto w = word(body, 0);
    return {(w & 1) != 0, (w & 2) ? std::optional<double>(as_double(word(body, 8))) : std::nullopt,
            as_double(word(body, 16))};
  }
  std::string metrics_text() override { return "headroom_up 1\n"; }
  std::optional<forecast::StoredForecast> stored_forecast(std::string_view id) override {
    fail_for(id);
    if (id != "acct-1") return std::nullopt;
    forecast::StoredForecast f;
    f.account_id = std::string(id);
    f.as_of = forecast::make_date(1900, 1, 1) + std::chrono::days{static_cast<int>(word(body, 0) % 2'900'000)};
    f.horizon_days = static_cast<int>(word(body, 8) % 400);
    f.start_balance = forecast::Money::from_cents(static_cast<std::int64_t>(word(body, 16)));
    f.buffer = forecast::Money::from_cents(static_cast<std::int64_t>(word(body, 24)));
    f.p_overdraft_window = as_double(word(body, 32));
    f.p_below_buffer_window = as_double(word(body, 40));
    if (word(body, 48) & 1) f.first_risky_day = f.as_of + std::chrono::days{3};
    f.model_kind = (word(body, 48) & 2) ? "full" : "fallback";
    if (word(body, 48) & 4) f.fallback_reason = "short_history";
    // The store's text is valid UTF-8 (PostgreSQL text); keep only such summaries.
    const std::string_view rest = body.size() > 64 ? std::string_view(body).substr(64) : std::string_view{};
    if (ingest::is_valid_utf8(rest)) f.summary = std::string(rest);
    f.risk_days_json = "[]";
    f.anomalies_json = "[]";
    f.computed_at = std::chrono::sys_time<std::chrono::microseconds>{
        std::chrono::microseconds{static_cast<std::int64_t>(word(body, 56) % 253'402'300'800'000'000ULL)}};
    f.computed_at_utc_offset = std::chrono::seconds{static_cast<int>(word(body, 52) % 129'601) - 64'800};
    for (int i = 0; i < static_cast<int>(word(body, 60) % 4); ++i) {
      forecast::StoredForecastDay d;
      d.date = f.as_of + std::chrono::days{i};
      if (i % 2 == 0) d.p_below_zero = as_double(word(body, 32 + 8 * static_cast<std::size_t>(i)));
      d.p50 = forecast::Money::from_cents(static_cast<std::int64_t>(word(body, 24 + static_cast<std::size_t>(i))));
      f.days.push_back(d);
    }
    last = f;
    return f;
  }
  std::optional<std::string> nudge_feed_json(std::string_view id) override {
    fail_for(id);
    if (id != "acct-1") return std::nullopt;
    return R"({"nudges":[]})";
  }
  std::optional<edge::AckOutcome> ack_nudge(std::string_view id, std::int64_t nudge_id, edge::AckStatus) override {
    fail_for(id);
    if (id != "acct-1") return std::nullopt;
    return nudge_id == 7 ? edge::AckOutcome::kUpdated : edge::AckOutcome::kUnknownNudge;
  }
  edge::UnsubscribeOutcome unsubscribe(std::string_view token) override {
    return nudges::verify_unsubscribe_token(kSecret, token) ? edge::UnsubscribeOutcome::kRecorded
                                                            : edge::UnsubscribeOutcome::kInvalidToken;
  }
  std::optional<edge::ErasureOutcome> forget_account(std::string_view id) override {
    fail_for(id);
    if (id != "acct-1") return std::nullopt;
    edge::ErasureOutcome e;
    e.erased_at = std::chrono::sys_seconds{std::chrono::seconds{1782820800}};
    e.already_erased = forgotten++ > 0;
    return e;
  }
  int forgotten = 0;

 private:
  void fail_for(std::string_view id) {
    if (id == "down") {
      threw_unavailable = true;
      throw edge::BackendUnavailable("connection refused");
    }
    if (id == "busy") {
      threw_unavailable = true;
      throw edge::BackendBusy("queue full");
    }
    if (id == "boom") {
      threw_internal = true;
      throw std::runtime_error("boom\nsecond line");
    }
  }
};

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// The double a float8 text (forecast_json) reads back as; "NaN" and the infinities quoted.
bool same_double(const nlohmann::json& value, double expected) {
  if (value.is_string()) {
    const auto s = value.get<std::string>();
    if (std::isnan(expected)) return s == "NaN";
    if (std::isinf(expected)) return s == (expected > 0 ? "Infinity" : "-Infinity");
    return false;
  }
  return value.is_number() && value.get<double>() == expected;
}

void check_forecast(const nlohmann::json& j, const forecast::StoredForecast& f, const std::string& body) {
  FUZZ_CHECK(j.at("account_id") == f.account_id, body);
  FUZZ_CHECK(j.at("as_of") == forecast::to_iso_string(f.as_of), body);
  FUZZ_CHECK(j.at("horizon_days") == f.horizon_days, body);
  FUZZ_CHECK(j.at("start_balance_cents") == f.start_balance.cents(), body);
  FUZZ_CHECK(j.at("buffer_cents") == f.buffer.cents(), body);
  FUZZ_CHECK(same_double(j.at("p_overdraft_window"), f.p_overdraft_window), body);
  FUZZ_CHECK(same_double(j.at("p_below_buffer_window"), f.p_below_buffer_window), body);
  FUZZ_CHECK(j.at("summary") == f.summary, body);
  FUZZ_CHECK(j.at("days").size() == f.days.size(), body);
  for (std::size_t i = 0; i < f.days.size(); ++i) {
    const auto& d = j.at("days")[i];
    FUZZ_CHECK(d.at("date") == forecast::to_iso_string(f.days[i].date), body);
    if (f.days[i].p_below_zero) FUZZ_CHECK(same_double(d.at("p_below_zero"), *f.days[i].p_below_zero), body);
    else FUZZ_CHECK(d.at("p_below_zero").is_null(), body);
    FUZZ_CHECK(d.at("p50_cents") == f.days[i].p50->cents(), body);
  }
}

void check_response(const edge::HttpRequest& req, const edge::HttpResponse& res, const Backend& backend) {
  const std::string target(req.target());
  const auto id_field = res["X-Request-Id"];
  const std::string id(id_field.data(), id_field.size());
  FUZZ_CHECK(valid_request_id(id), fuzz::show(id));
  const auto presented = req["X-Request-Id"];
  if (valid_request_id({presented.data(), presented.size()})) FUZZ_CHECK(id == std::string(presented), id);
  FUZZ_CHECK(res[http::field::content_length] == std::to_string(res.body().size()), target);

  const unsigned status = res.result_int();
  FUZZ_CHECK(status != 500 || backend.threw_internal, fuzz::show(target) + " answered 500: " + res.body());
  FUZZ_CHECK(status != 503 || backend.threw_unavailable || target.starts_with("/readyz"),
             fuzz::show(target) + " answered 503");
  const auto type = res[http::field::content_type];
  if (type == "application/json") {
    const auto j = nlohmann::json::parse(res.body(), nullptr, false);
    FUZZ_CHECK(!j.is_discarded(), fuzz::show(res.body()));
    const bool readiness = std::string_view(target).substr(0, target.find('?')) == "/readyz" && status == 503;
    if (status >= 400 && !readiness) {
      FUZZ_CHECK(j.is_object() && j.contains("error") && j.contains("message") && j.value("request_id", "") == id,
                 res.body());
    }
    if (status == 200 && target.find("/forecast") != std::string::npos) check_forecast(j, backend.last, res.body());
  }
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  if (path.starts_with("/v1/") && status < 300) {
    const auto auth = req[http::field::authorization];
    const std::string_view a(auth.data(), auth.size());
    const auto token = a.find_first_not_of(' ', 6);
    FUZZ_CHECK(a.size() > 7 && boost::beast::iequals(boost::beast::string_view(a.data(), 7), "bearer ") && token != std::string_view::npos &&
                   a.substr(token) == kAuth.bearer_token,
               "answered " + std::to_string(status) + " with authorization " + fuzz::show(a));
  }
  if (path == "/unsubscribe" && status == 200) {
    const auto at = target.find("token=");
    FUZZ_CHECK(at != std::string::npos, target);
  }

  // What the server writes parses back as the same response.
  std::ostringstream wire;
  wire << res;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  const std::string bytes = wire.str();
  parser.put(boost::asio::buffer(bytes), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  FUZZ_CHECK(!ec && parser.is_done(), ec.message() + ": " + fuzz::show(bytes));
  FUZZ_CHECK(parser.get().result_int() == status && parser.get().body() == res.body(), fuzz::show(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    // The routes log failures: format them (the code runs), write them nowhere.
    auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)quiet;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int requests = 0; requests < 8 && !input.empty(); ++requests) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(edge::kMaxRequestBodyBytes);
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec || !parser.is_done()) return 0;  // the server answers a bad or cut request without routing
    input.remove_prefix(used);
    if (used == 0) return 0;

    Backend backend;
    backend.body = parser.get().body();
    const auto res = edge::handle_request(parser.get(), backend, kAuth);
    check_response(parser.get(), res, backend);
  }
  return 0;
}
