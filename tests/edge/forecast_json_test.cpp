// The /v1 forecast body's formats (edge/forecast_json.hpp). Expected texts are
// what PostgreSQL 15's json_build_object printed for the same values; the db
// test tests/service/forecast_api_db_test.cpp compares against it directly.
#include "edge/forecast_json.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using headroom::edge::forecast_json;
using headroom::forecast::make_date;
using headroom::forecast::Money;
using headroom::forecast::StoredForecast;

namespace {

StoredForecast stored() {
  StoredForecast f;
  f.account_id = "acct-1";
  f.as_of = make_date(2026, 6, 30);
  f.horizon_days = 30;
  f.model_kind = "full";
  f.risk_days_json = "[]";
  f.anomalies_json = "[]";
  f.computed_at = std::chrono::sys_days(make_date(2026, 6, 30)) + std::chrono::hours(12);
  return f;
}

// The value text of `"key" : value` in a rendered body.
std::string value_of(const std::string& body, const std::string& key) {
  const std::string start = "\"" + key + "\" : ";
  const auto a = body.find(start) + start.size();
  return body.substr(a, body.find(", \"", a) - a);
}

TEST(ForecastJson, DoublesAreFloat8sShortestRoundTripText) {
  const struct {
    double value;
    const char* text;
  } cases[] = {{0.5, "0.5"},
               {0.25, "0.25"},
               {0.1 + 0.2, "0.30000000000000004"},
               {1e-4, "0.0001"},
               {0.00012345, "0.00012345"},
               {2.5e-5, "2.5e-05"},
               {1e-5, "1e-05"},
               {5e-324, "5e-324"},
               {0, "0"},
               {-0.0, "-0"},
               {1, "1"},
               {100, "100"},
               {-0.001, "-0.001"},
               {123456789012345.6, "123456789012345.6"},
               {1e14, "100000000000000"},
               {1e15, "1e+15"},
               {12345678901234567890.0, "1.2345678901234567e+19"},
               {1.7976931348623157e308, "1.7976931348623157e+308"},
               {std::nan(""), "\"NaN\""},
               {std::numeric_limits<double>::infinity(), "\"Infinity\""},
               {-std::numeric_limits<double>::infinity(), "\"-Infinity\""}};
  for (const auto& c : cases) {
    StoredForecast f = stored();
    f.p_overdraft_window = c.value;
    EXPECT_EQ(value_of(forecast_json(f), "p_overdraft_window"), c.text) << c.text;
  }
}

TEST(ForecastJson, ComputedAtIsLocalTimeAtTheStoredOffset) {
  using std::chrono::microseconds;
  using std::chrono::seconds;
  const auto noon = std::chrono::sys_days(make_date(2026, 6, 30)) + std::chrono::hours(12);
  const struct {
    microseconds after_noon;
    seconds offset;
    const char* text;
  } cases[] = {{microseconds(0), seconds(0), "\"2026-06-30T12:00:00+00:00\""},
               {microseconds(789000), seconds(0), "\"2026-06-30T12:00:00.789+00:00\""},
               {microseconds(1), seconds(0), "\"2026-06-30T12:00:00.000001+00:00\""},
               {microseconds(0), seconds(-9000), "\"2026-06-30T09:30:00-02:30\""},         // St John's, summer
               {microseconds(0), seconds(20700), "\"2026-06-30T17:45:00+05:45\""},         // Kathmandu
               {microseconds(0), seconds(50400), "\"2026-07-01T02:00:00+14:00\""},         // Kiritimati
               {microseconds(0), seconds(-37760), "\"2026-06-30T01:30:40-10:29:20\""}};    // a local mean time
  for (const auto& c : cases) {
    StoredForecast f = stored();
    f.computed_at = noon + c.after_noon;
    f.computed_at_utc_offset = c.offset;
    EXPECT_EQ(value_of(forecast_json(f), "computed_at"), c.text) << c.text;
  }
}

TEST(ForecastJson, StringsAreEscapedAsPostgresEscapesThem) {
  StoredForecast f = stored();
  f.summary = "rent \"due\"\n\ton the 3rd \\ caf\xc3\xa9 \x01 / end";
  EXPECT_EQ(value_of(forecast_json(f), "summary"), R"("rent \"due\"\n\ton the 3rd \\ café \u0001 / end")");
}

TEST(ForecastJson, MissingValuesAreNullAndTheBodyIsValidJson) {
  StoredForecast f = stored();
  f.days.push_back({make_date(2026, 6, 30), 0.5, std::nullopt, Money::from_cents(-100), std::nullopt, std::nullopt});
  const std::string body = forecast_json(f);
  EXPECT_EQ(value_of(body, "first_risky_day"), "null");
  EXPECT_EQ(value_of(body, "fallback_reason"), "null");
  EXPECT_NE(body.find(R"("days" : [{"date" : "2026-06-30", "p_below_zero" : 0.5, "p_below_buffer" : null, )"
                      R"("p10_cents" : -100, "p50_cents" : null, "p90_cents" : null}]})"),
            std::string::npos)
      << body;
  const auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed.at("account_id"), "acct-1");
  EXPECT_EQ(parsed.at("horizon_days"), 30);
}

}  // namespace
