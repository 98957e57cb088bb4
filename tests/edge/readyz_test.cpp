// GET /readyz names the checks that failed: "database" (the probe's last
// success is too old) and "last_cycle_age" (the last full cycle is older
// than allowed), none when ready.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/http_api.hpp"
#include "tests/support/immediate_reads.hpp"

using namespace headroom::edge;

namespace {

class ReadinessOnly : public headroom::testing::ImmediateReads {
 public:
  explicit ReadinessOnly(Readiness r) : ready_(r) {}
  Readiness readiness() override { return ready_; }
  std::string metrics_text() override { return ""; }
  std::optional<headroom::forecast::StoredForecast> stored_forecast(std::string_view) override { return std::nullopt; }
  std::optional<std::string> nudge_feed_json(std::string_view) override { return std::nullopt; }
  std::optional<AckOutcome> ack_nudge(std::string_view, std::int64_t, AckStatus) override { return std::nullopt; }
  UnsubscribeOutcome unsubscribe(std::string_view) override { return UnsubscribeOutcome::kInvalidToken; }
  std::optional<ErasureOutcome> forget_account(std::string_view) override { return std::nullopt; }

 private:
  Readiness ready_;
};

nlohmann::json readyz(Readiness r, http::status expected) {
  ReadinessOnly backend{r};
  const auto res = handle_request(HttpRequest{http::verb::get, "/readyz", 11}, backend, ApiAuth{});
  EXPECT_EQ(res.result(), expected);
  return nlohmann::json::parse(res.body());
}

}  // namespace

TEST(Readyz, NamesEachFailedCheck) {
  EXPECT_EQ(readyz({true, 10.0, 60.0}, http::status::ok).at("failed_checks"), nlohmann::json::array());
  EXPECT_EQ(readyz({false, 10.0, 60.0}, http::status::service_unavailable).at("failed_checks"),
            nlohmann::json::array({"database"}));
  EXPECT_EQ(readyz({true, 61.0, 60.0}, http::status::service_unavailable).at("failed_checks"),
            nlohmann::json::array({"last_cycle_age"}));
  EXPECT_EQ(readyz({false, 61.0, 60.0}, http::status::service_unavailable).at("failed_checks"),
            nlohmann::json::array({"database", "last_cycle_age"}));
}

TEST(Readyz, BeforeTheFirstCycleOnlyTheDatabaseCounts) {
  const auto body = readyz({true, std::nullopt, 0.0}, http::status::ok);
  EXPECT_TRUE(body.at("ready").get<bool>());
  EXPECT_TRUE(body.at("last_cycle_age_seconds").is_null());
}
