// GET /v1/accounts/{id}/forecast over a real PostgreSQL: the stored row read
// by db::read_forecast and rendered by the edge (edge/forecast_json.hpp) is,
// byte for byte, the body PostgreSQL used to build itself (kBodyAsPostgresBuiltIt
// below, the query the API ran before the edge owned the document).
#include <atomic>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/forecast_store.hpp"
#include "edge/forecast_json.hpp"
#include "edge/http_api.hpp"
#include "tests/support/immediate_reads.hpp"
#include "service/scoring.hpp"
#include "tests/db/db_test_support.hpp"

using namespace headroom;
using headroom::forecast::make_date;

namespace {

constexpr const char* kBodyAsPostgresBuiltIt =
    "SELECT json_build_object("
    " 'account_id', f.account_id, 'as_of', f.as_of, 'horizon_days', f.horizon_days,"
    " 'start_balance_cents', f.start_balance_cents, 'buffer_cents', f.buffer_cents,"
    " 'p_overdraft_window', f.p_overdraft_window, 'p_below_buffer_window', f.p_below_buffer_window,"
    " 'first_risky_day', f.first_risky_day, 'model_kind', f.model_kind, 'fallback_reason', f.fallback_reason,"
    " 'summary', f.summary, 'risk_days', f.drivers, 'anomalies', f.anomalies, 'computed_at', f.computed_at,"
    " 'days', (SELECT coalesce(json_agg(json_build_object('date', d.day, 'p_below_zero', d.p_below_zero,"
    "          'p_below_buffer', d.p_below_buffer, 'p10_cents', d.p10_cents, 'p50_cents', d.p50_cents,"
    "          'p90_cents', d.p90_cents) ORDER BY d.day), '[]'::json)"
    "          FROM headroom.risk_days d WHERE d.account_id = f.account_id))::text "
    "FROM headroom.forecasts f WHERE f.account_id = $1";

// The daemon's backend reduced to the route under test, on one transaction.
class StoreBackend : public headroom::testing::ImmediateReads {
 public:
  explicit StoreBackend(pqxx::transaction_base& tx) : tx_(tx) {}
  edge::Readiness readiness() override { return {}; }
  std::string metrics_text() override { return ""; }
  std::optional<forecast::StoredForecast> stored_forecast(std::string_view id) override {
    return db::read_forecast(tx_, id);
  }
  std::optional<std::string> nudge_feed_json(std::string_view) override { return std::nullopt; }
  std::optional<edge::AckOutcome> ack_nudge(std::string_view, std::int64_t, edge::AckStatus) override {
    return std::nullopt;
  }
  edge::UnsubscribeOutcome unsubscribe(std::string_view) override { return edge::UnsubscribeOutcome::kInvalidToken; }
  std::optional<edge::ErasureOutcome> forget_account(std::string_view) override { return std::nullopt; }

 private:
  pqxx::transaction_base& tx_;
};

class ForecastApi : public headroom::testing::MigratedDatabase {
 protected:
  // What the route answers for `account_id`, read in a session whose time zone is `zone`.
  edge::HttpResponse get(const std::string& account_id, const std::string& zone = "UTC") {
    pqxx::read_transaction tx{*conn_};
    tx.exec("SET LOCAL TIME ZONE " + tx.quote(zone));
    StoreBackend backend{tx};
    edge::HttpRequest req{edge::http::verb::get, "/v1/accounts/" + account_id + "/forecast", 11};
    req.set(edge::http::field::authorization, "Bearer t");
    return edge::handle_request(req, backend, edge::ApiAuth{"t"});
  }
  std::string body_as_postgres_built_it(const std::string& account_id, const std::string& zone = "UTC") {
    pqxx::read_transaction tx{*conn_};
    tx.exec("SET LOCAL TIME ZONE " + tx.quote(zone));
    return tx.exec_params1(kBodyAsPostgresBuiltIt, account_id)[0].as<std::string>();
  }
  void exec(const std::string& sql) {
    pqxx::work tx{*conn_};
    tx.exec(sql);
    tx.commit();
  }
  // A forecast row written by hand: the columns write_forecasts fills, with
  // values picked to exercise the rendering.
  void insert_row(const std::string& values) {
    exec("INSERT INTO headroom.forecasts (account_id, as_of, horizon_days, start_balance_cents, buffer_cents,"
         " p_overdraft_window, p_below_buffer_window, first_risky_day, model_kind, fallback_reason, summary,"
         " drivers, anomalies, computed_at, day_p_below_zero, day_p_below_buffer, day_p10_cents, day_p50_cents,"
         " day_p90_cents) VALUES (" + values + ")");
  }
};

TEST_F(ForecastApi, TheBodyOfAStoredRowIsExactlyTheDocumentedText) {
  insert_row(
      "'acct-exact', '2026-06-30', 3, 12345, 5000, 0.25, 1e-05, '2026-07-02', 'fallback', 'short_history',"
      " E'rent of 1,200.00 on the 1st, \"pay\" due\\n on the 3rd',"
      " '[{\"kind\": \"bill\", \"amount_cents\": -120000, \"label\": \"oak apts rent\", \"date\": \"2026-07-01\"}]',"
      " '[]', '2026-06-30 12:34:56.789+00', '{0.1,0.5,1}', '{0.2,0.75,1}', '{-100,-5000,-9000}', '{100,0,-2000}',"
      " '{5000,3000,1000}'");
  const auto res = get("acct-exact", "America/St_Johns");  // -02:30 in summer
  EXPECT_EQ(res.result(), edge::http::status::ok);
  EXPECT_EQ(res[edge::http::field::content_type], "application/json");
  EXPECT_EQ(res.body(),
            R"({"account_id" : "acct-exact", "as_of" : "2026-06-30", "horizon_days" : 3, )"
            R"("start_balance_cents" : 12345, "buffer_cents" : 5000, "p_overdraft_window" : 0.25, )"
            R"("p_below_buffer_window" : 1e-05, "first_risky_day" : "2026-07-02", "model_kind" : "fallback", )"
            R"("fallback_reason" : "short_history", "summary" : "rent of 1,200.00 on the 1st, \"pay\" due\n on the 3rd", )"
            R"("risk_days" : [{"date": "2026-07-01", "kind": "bill", "label": "oak apts rent", "amount_cents": -120000}], )"
            R"("anomalies" : [], "computed_at" : "2026-06-30T10:04:56.789-02:30", "days" : [)"
            R"({"date" : "2026-06-30", "p_below_zero" : 0.1, "p_below_buffer" : 0.2, "p10_cents" : -100, )"
            R"("p50_cents" : 100, "p90_cents" : 5000}, )"
            R"({"date" : "2026-07-01", "p_below_zero" : 0.5, "p_below_buffer" : 0.75, "p10_cents" : -5000, )"
            R"("p50_cents" : 0, "p90_cents" : 3000}, )"
            R"({"date" : "2026-07-02", "p_below_zero" : 1, "p_below_buffer" : 1, "p10_cents" : -9000, )"
            R"("p50_cents" : -2000, "p90_cents" : 1000}]})");
  EXPECT_EQ(res.body(), body_as_postgres_built_it("acct-exact", "America/St_Johns"));
}

TEST_F(ForecastApi, NullsEmptyDaysAndAWholeSecondInUtc) {
  insert_row("'acct-calm', '2026-06-30', 30, -250, 0, 0, 0, NULL, 'full', NULL, '', '[]', '[]',"
             " '2026-06-30 12:00:00+00', '{}', '{}', '{}', '{}', '{}'");
  EXPECT_EQ(get("acct-calm").body(),
            R"({"account_id" : "acct-calm", "as_of" : "2026-06-30", "horizon_days" : 30, )"
            R"("start_balance_cents" : -250, "buffer_cents" : 0, "p_overdraft_window" : 0, )"
            R"("p_below_buffer_window" : 0, "first_risky_day" : null, "model_kind" : "full", )"
            R"("fallback_reason" : null, "summary" : "", "risk_days" : [], "anomalies" : [], )"
            R"("computed_at" : "2026-06-30T12:00:00+00:00", "days" : []})");
}

TEST_F(ForecastApi, AnUnknownAccountIsNotFound) {
  const auto res = get("nobody");
  EXPECT_EQ(res.result(), edge::http::status::not_found);
  EXPECT_EQ(nlohmann::json::parse(res.body()).at("error"), "unknown_account");
}

// Rows no writer produces, still rendered as PostgreSQL rendered them: odd
// floats, NULL elements, arrays of different lengths, control characters and
// non-ASCII text, an offset with seconds (local mean time before 1935).
TEST_F(ForecastApi, OddRowsRenderAsPostgresRenderedThem) {
  insert_row(
      "'acct-odd', '2026-06-30', 2, 9223372036854775807, -9223372036854775807, 1, 0.30000000000000004,"
      " '2026-06-30', 'full', NULL, E'tab\\there \\u0001 caf\\u00e9 / \\\\ end',"
      " '[{\"p\": 1.0, \"ratio\": 1e-05, \"s\": \"x\"}]', '[{\"kind\": \"windfall\", \"count\": 2}]',"
      " '1890-01-01 12:00:00.000001+00', '{NaN,Infinity,-Infinity,5e-324,1e15,123456789012345.6,-0.0001,NULL}',"
      " '{1.7976931348623157e308}', '{1,NULL,3}', '{}', '{-9223372036854775808}'");
  for (const char* zone : {"UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"})
    EXPECT_EQ(get("acct-odd", zone).body(), body_as_postgres_built_it("acct-odd", zone)) << zone;
}

// Every forecast a scoring cycle writes, for accounts with and without risk,
// a fallback and an anomaly: the edge's body is PostgreSQL's.
TEST_F(ForecastApi, EveryScoredForecastRendersAsPostgresRenderedIt) {
  headroom::testing::PayRentCardHistory history;
  history.accounts = 40;
  history.card_account_step = 9;  // from comfortable to overdrawn before payday
  headroom::testing::seed_pay_rent_card(*conn_, history);
  exec("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind)"
       " VALUES ('acct-new', 'n1', '2026-06-20', 50.00, 50.00, 'OPENING DEPOSIT', ''),"
       "        ('acct-001', 'w1', '2026-05-20', 9000.00, NULL, 'LOTTERY WIN', '')");
  service::ScoringSettings settings;
  settings.replica_id = "solo";
  settings.forecast.projection.paths = 64;
  std::atomic<bool> stop{false};
  ASSERT_TRUE(service::run_scoring_cycle(*conn_, make_date(2026, 6, 30), settings, stop).finished);

  EXPECT_GT(count("SELECT count(*) FROM headroom.forecasts WHERE fallback_reason IS NOT NULL"), 0);
  EXPECT_GT(count("SELECT count(*) FROM headroom.forecasts WHERE first_risky_day IS NOT NULL"), 0);
  EXPECT_GT(count("SELECT count(*) FROM headroom.forecasts WHERE first_risky_day IS NULL"), 0);
  EXPECT_GT(count("SELECT count(*) FROM headroom.forecasts WHERE anomalies <> '[]'"), 0);
  pqxx::read_transaction tx{*conn_};
  const auto accounts = tx.exec("SELECT account_id FROM headroom.forecasts ORDER BY account_id");
  tx.commit();
  ASSERT_EQ(accounts.size(), 41u);
  for (const auto& row : accounts) {
    const std::string id = row[0].as<std::string>();
    EXPECT_EQ(get(id, "Europe/Berlin").body(), body_as_postgres_built_it(id, "Europe/Berlin")) << id;
  }
}

}  // namespace
