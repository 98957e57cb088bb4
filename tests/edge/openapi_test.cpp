// docs/openapi.yaml and the router describe the same routes, and every
// documented route is really served.
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/http_api.hpp"
#include "tests/support/immediate_reads.hpp"

using namespace headroom::edge;

namespace {

using RouteKey = std::pair<std::string, std::string>;  // method, path template

std::string spec_text() {
  std::ifstream in(std::string(HEADROOM_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml not readable";
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Each documented operation's response lines ("        '503': {$ref: ...}"
// or "        '200':"), as written, keyed by method and path.
std::map<RouteKey, std::vector<std::string>> documented_responses() {
  std::istringstream in(spec_text());
  std::map<RouteKey, std::vector<std::string>> responses;
  std::string line, path, method;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") in_paths = true;
    if (!in_paths || line == "paths:") continue;
    if (!line.empty() && line[0] != ' ') break;
    if (line.rfind("  /", 0) == 0 && line.back() == ':') path = line.substr(2, line.size() - 3);
    else if (line.rfind("    ", 0) == 0 && line.size() > 4 && line[4] != ' ') method = line.substr(4, line.find(':') - 4);
    else if (line.rfind("        '", 0) == 0) responses[{method, path}].push_back(line.substr(8));
  }
  return responses;
}

bool has_response(const std::vector<std::string>& lines, const std::string& code, const std::string& ref) {
  for (const auto& line : lines)
    if (line.rfind("'" + code + "':", 0) == 0 && (ref.empty() || line.find("#/components/responses/" + ref) != std::string::npos))
      return true;
  return false;
}

// The paths section of the document: "  /path:" then "    get:" lines.
std::set<RouteKey> documented_routes() {
  std::ifstream in(std::string(HEADROOM_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml not readable";
  std::set<RouteKey> routes;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
    } else if (line.rfind("    ", 0) == 0 && line.size() > 4 && line[4] != ' ') {
      const std::string method = line.substr(4, line.find(':') - 4);
      if (method == "get" || method == "post" || method == "put" || method == "delete" || method == "patch")
        routes.emplace(method, path);
    }
  }
  return routes;
}

std::string method_name(http::verb v) {
  std::string s(http::to_string(v));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class AcceptingBackend : public headroom::testing::ImmediateReads {
 public:
  Readiness readiness() override { return {true, 1.0, 60.0}; }
  std::string metrics_text() override { return "headroom_up 1\n"; }
  std::optional<headroom::forecast::StoredForecast> stored_forecast(std::string_view) override {
    return headroom::forecast::StoredForecast{};
  }
  std::optional<std::string> nudge_feed_json(std::string_view) override { return "{}"; }
  std::optional<AckOutcome> ack_nudge(std::string_view, std::int64_t, AckStatus) override { return AckOutcome::kUpdated; }
  UnsubscribeOutcome unsubscribe(std::string_view) override { return UnsubscribeOutcome::kRecorded; }
  std::optional<ErasureOutcome> forget_account(std::string_view) override { return ErasureOutcome{}; }
};

std::string instantiate(std::string path) {
  for (const auto& [name, value] : {std::pair{"{account_id}", "acct-1"}, std::pair{"{nudge_id}", "7"}}) {
    const auto at = path.find(name);
    if (at != std::string::npos) path.replace(at, std::string(name).size(), value);
  }
  return path == "/unsubscribe" ? path + "?token=t" : path;
}

}  // namespace

TEST(OpenApi, DocumentsExactlyTheRoutesTheRouterServes) {
  std::set<RouteKey> served;
  for (const auto& r : api_routes()) served.emplace(method_name(r.method), std::string(r.path));
  EXPECT_EQ(documented_routes(), served);
}

TEST(OpenApi, EveryDocumentedRouteAnswersWithSuccess) {
  AcceptingBackend backend;
  const ApiAuth auth{"token"};
  for (const auto& [method, path] : documented_routes()) {
    HttpRequest req{method == "post" ? http::verb::post : http::verb::get, instantiate(path), 11};
    req.set(http::field::authorization, "Bearer token");
    if (path.find("/ack") != std::string::npos) req.body() = R"({"status":"seen"})";
    req.prepare_payload();
    const auto res = handle_request(req, backend, auth);
    EXPECT_EQ(res.result_int(), 200u) << method << " " << path << ": " << res.body();
  }
}

// handle_request() turns any exception into a 500 on every route; the
// routes that read or write the database also answer 503 (unreachable, or
// its connections or the backend threads full), with Retry-After.
TEST(OpenApi, DocumentsTheErrorsEachRouteCanGive) {
  const auto responses = documented_responses();
  for (const auto& r : api_routes()) {
    const RouteKey key{method_name(r.method), std::string(r.path)};
    ASSERT_TRUE(responses.count(key)) << key.first << " " << key.second;
    const auto& lines = responses.at(key);
    EXPECT_TRUE(has_response(lines, "500", "Internal")) << key.second;
    if (r.path.starts_with("/v1/") || r.path == "/unsubscribe")
      EXPECT_TRUE(has_response(lines, "503", "Unavailable")) << key.first << " " << key.second;
    else
      EXPECT_FALSE(has_response(lines, "503", "Unavailable")) << key.second << " never waits for the database";
  }
}

TEST(OpenApi, DocumentsRetryAfterRequestIdAndTheErrorCodesOfA503) {
  const std::string spec = spec_text();
  const auto unavailable = spec.find("\n    Unavailable:\n");
  ASSERT_NE(unavailable, std::string::npos);
  const std::string block = spec.substr(unavailable, spec.find("\n    Internal:\n") - unavailable);
  for (const char* needle : {"Retry-After:", "X-Request-Id:", "database_unavailable", "busy", "too_many_connections"})
    EXPECT_NE(block.find(needle), std::string::npos) << needle;
  EXPECT_NE(spec.find("request_id: {type: string"), std::string::npos) << "Error schema lacks request_id";
}
