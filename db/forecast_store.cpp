#include "db/forecast_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/array>
#include <pqxx/field>
#include <pqxx/result>

#include "db/copy_writer.hpp"

namespace headroom::db {
namespace {

using forecast::to_iso_string;

// Forecasts are staged in a session temp table (binary COPY) and upserted in
// one statement. Per-day values travel as array literals and are cast by the
// server (binary COPY of arrays would need element OIDs; text is simpler and
// the arrays are short).
void ensure_staging_table(pqxx::transaction_base& tx) {
  if (!tx.exec("SELECT to_regclass('pg_temp.forecast_batch')")[0][0].is_null()) return;
  tx.exec(
      "CREATE TEMP TABLE forecast_batch ("
      " account_id text COLLATE \"C\", as_of date, horizon_days bigint, cycle_id bigint,"
      " start_balance_cents bigint, buffer_cents bigint, p_overdraft_window double precision,"
      " p_below_buffer_window double precision, first_risky_day date, model_kind text,"
      " fallback_reason text, summary text, drivers text, anomalies text, day_p_below_zero text,"
      " day_p_below_buffer text, day_p10_cents text, day_p50_cents text, day_p90_cents text)"
      " ON COMMIT DELETE ROWS");
}

// {v1,v2,...}: shortest round-trip text of each double, or the integer.
template <typename Get>
std::string array_literal(const std::vector<forecast::DayForecast>& days, Get get) {
  std::string out = "{";
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{}", get(days[i]));
  }
  out += '}';
  return out;
}

forecast::Date date_of(int days_since_epoch) { return forecast::Date(forecast::Days(days_since_epoch)); }

// A number in PostgreSQL's text output, whole or a reason naming the column.
template <typename T>
T parse_number(std::string_view t, const char* column) {
  T value{};
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size())
    throw std::runtime_error(fmt::format("headroom.forecasts: {}: unreadable value '{}'", column, t.substr(0, 40)));
  return value;
}

// The elements of a numeric array column in its text form ({1,2.5,NULL}),
// NULL as nullopt; of a nested array, every element in order, as unnest
// gives them. By hand rather than through pqxx::array_parser, which builds a
// string per element, on the API's hottest route; numbers are never quoted.
template <typename T>
std::vector<std::optional<T>> array_elements(const char* text, const char* column) {
  std::vector<std::optional<T>> out;
  if (!text) return out;
  const std::string_view t{text};
  std::size_t i = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '{' || c == '}' || c == ',' || c == ' ') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(t.find_first_of(",}", i), t.size());
    const std::string_view element = t.substr(i, end - i);
    if (element == "NULL") out.emplace_back();
    else out.emplace_back(parse_number<T>(element, column));
    i = end;
  }
  return out;
}

template <typename T>
std::optional<T> element(const std::vector<std::optional<T>>& values, std::size_t i) {
  return i < values.size() ? values[i] : std::nullopt;
}

std::optional<forecast::Money> cents(std::optional<std::int64_t> value) {
  if (!value) return std::nullopt;
  return forecast::Money::from_cents(*value);
}

// The view headroom.risk_days in C++: day i is as_of + i, and the shorter
// arrays are padded with NULL to the longest (unnest's rule).
std::vector<forecast::StoredForecastDay> stored_days(forecast::Date as_of, const char* p_below_zero,
                                                     const char* p_below_buffer, const char* p10, const char* p50,
                                                     const char* p90) {
  const auto zero = array_elements<double>(p_below_zero, "day_p_below_zero");
  const auto buffer = array_elements<double>(p_below_buffer, "day_p_below_buffer");
  const auto low = array_elements<std::int64_t>(p10, "day_p10_cents");
  const auto mid = array_elements<std::int64_t>(p50, "day_p50_cents");
  const auto high = array_elements<std::int64_t>(p90, "day_p90_cents");
  const std::size_t n = std::max({zero.size(), buffer.size(), low.size(), mid.size(), high.size()});
  std::vector<forecast::StoredForecastDay> days(n);
  for (std::size_t i = 0; i < n; ++i) {
    days[i].date = as_of + forecast::Days(static_cast<int>(i));
    days[i].p_below_zero = element(zero, i);
    days[i].p_below_buffer = element(buffer, i);
    days[i].p10 = cents(element(low, i));
    days[i].p50 = cents(element(mid, i));
    days[i].p90 = cents(element(high, i));
  }
  return days;
}

std::string_view text_of(const char* text) { return text ? text : ""; }

}  // namespace

std::string drivers_json(const forecast::BalanceForecast& f) {
  nlohmann::json days = nlohmann::json::array();
  for (const auto& day : f.risk_days) {
    nlohmann::json drivers = nlohmann::json::array();
    for (const auto& d : day.drivers) {
      nlohmann::json j{{"kind", forecast::driver_kind_name(d.kind)}, {"amount_cents", d.amount.cents()}};
      if (!d.label.empty()) j["label"] = d.label;
      if (d.date != forecast::Date{}) j["date"] = to_iso_string(d.date);
      if (d.kind == forecast::DriverKind::kSpendingPace) j["ratio"] = d.ratio;
      drivers.push_back(std::move(j));
    }
    days.push_back({{"date", to_iso_string(day.date)},
                    {"p_below_zero", day.p_below_zero},
                    {"p_below_buffer", day.p_below_buffer},
                    {"expected_shortfall_cents", day.expected_shortfall.cents()},
                    {"summary", day.summary},
                    {"drivers", std::move(drivers)}});
  }
  return days.dump();
}

std::string anomalies_json(const forecast::CashFlowModel& model) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : model.anomalies) {
    nlohmann::json j{{"date", to_iso_string(a.date)},
                     {"kind", forecast::anomaly_kind_name(a.kind)},
                     {"amount_cents", a.amount.cents()}};
    if (a.stream >= 0 && static_cast<std::size_t>(a.stream) < model.streams.size())
      j["stream"] = model.streams[static_cast<std::size_t>(a.stream)].label;
    if (a.count > 1) j["count"] = a.count;
    out.push_back(std::move(j));
  }
  return out.dump();
}

void write_forecasts(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts,
                     std::optional<std::int64_t> cycle_id) {
  if (forecasts.empty()) return;
  ensure_staging_table(tx);
  {
    CopyWriter batch(tx, "forecast_batch",
                     {"account_id", "as_of", "horizon_days", "cycle_id", "start_balance_cents", "buffer_cents",
                      "p_overdraft_window", "p_below_buffer_window", "first_risky_day", "model_kind", "fallback_reason",
                      "summary", "drivers", "anomalies", "day_p_below_zero", "day_p_below_buffer", "day_p10_cents",
                      "day_p50_cents", "day_p90_cents"});
    for (const auto& af : forecasts) {
      const auto& f = af.forecast;
      batch.begin_row();
      batch.add_text(f.account_id);
      batch.add_date(f.as_of);
      batch.add_int64(f.horizon_days);
      cycle_id ? batch.add_int64(*cycle_id) : batch.add_null();
      batch.add_int64(f.start_balance.cents());
      batch.add_int64(f.buffer.cents());
      batch.add_double(f.p_overdraft_window);
      batch.add_double(f.p_below_buffer_window);
      f.risk_days.empty() ? batch.add_null() : batch.add_date(f.risk_days.front().date);
      batch.add_text(f.fallback ? "fallback" : "full");
      f.fallback ? batch.add_text(forecast::fallback_reason_name(f.fallback_reason)) : batch.add_null();
      batch.add_text(f.risk_days.empty() ? std::string_view() : std::string_view(f.risk_days.front().summary));
      batch.add_text(drivers_json(f));
      batch.add_text(anomalies_json(af.model));
      batch.add_text(array_literal(f.days, [](const auto& d) { return d.p_below_zero; }));
      batch.add_text(array_literal(f.days, [](const auto& d) { return d.p_below_buffer; }));
      batch.add_text(array_literal(f.days, [](const auto& d) { return d.p10.cents(); }));
      batch.add_text(array_literal(f.days, [](const auto& d) { return d.p50.cents(); }));
      batch.add_text(array_literal(f.days, [](const auto& d) { return d.p90.cents(); }));
      batch.end_row();
    }
    batch.complete();
  }
  tx.exec(
      "INSERT INTO headroom.forecasts AS f (account_id, as_of, horizon_days, cycle_id, start_balance_cents,"
      " buffer_cents, p_overdraft_window, p_below_buffer_window, first_risky_day, model_kind, fallback_reason,"
      " summary, drivers, anomalies, computed_at, day_p_below_zero, day_p_below_buffer, day_p10_cents,"
      " day_p50_cents, day_p90_cents) "
      "SELECT account_id, as_of, horizon_days, cycle_id, start_balance_cents, buffer_cents,"
      " p_overdraft_window, p_below_buffer_window, first_risky_day, model_kind, fallback_reason, summary,"
      " drivers::jsonb, anomalies::jsonb, now(), day_p_below_zero::double precision[],"
      " day_p_below_buffer::double precision[], day_p10_cents::bigint[], day_p50_cents::bigint[],"
      " day_p90_cents::bigint[] FROM forecast_batch "
      "ON CONFLICT (account_id) DO UPDATE SET as_of = EXCLUDED.as_of, horizon_days = EXCLUDED.horizon_days,"
      " cycle_id = EXCLUDED.cycle_id, start_balance_cents = EXCLUDED.start_balance_cents,"
      " buffer_cents = EXCLUDED.buffer_cents, p_overdraft_window = EXCLUDED.p_overdraft_window,"
      " p_below_buffer_window = EXCLUDED.p_below_buffer_window, first_risky_day = EXCLUDED.first_risky_day,"
      " model_kind = EXCLUDED.model_kind, fallback_reason = EXCLUDED.fallback_reason, summary = EXCLUDED.summary,"
      " drivers = EXCLUDED.drivers, anomalies = EXCLUDED.anomalies, computed_at = EXCLUDED.computed_at,"
      " day_p_below_zero = EXCLUDED.day_p_below_zero, day_p_below_buffer = EXCLUDED.day_p_below_buffer,"
      " day_p10_cents = EXCLUDED.day_p10_cents, day_p50_cents = EXCLUDED.day_p50_cents,"
      " day_p90_cents = EXCLUDED.day_p90_cents");
  tx.exec("TRUNCATE forecast_batch");
}

// Dates as days since 1970-01-01 and the instant as microseconds since the
// epoch, whatever the session's DateStyle; the session zone's offset at
// computed_at, in which the API shows it.
const PreparedStatement kReadForecast{
    "headroom_read_forecast",
    "SELECT account_id, as_of - DATE '1970-01-01', horizon_days, start_balance_cents, buffer_cents,"
    " p_overdraft_window, p_below_buffer_window, first_risky_day - DATE '1970-01-01', model_kind, fallback_reason,"
    " summary, drivers::text, anomalies::text, (extract(epoch FROM computed_at) * 1000000)::bigint,"
    " extract(timezone FROM computed_at)::integer, day_p_below_zero, day_p_below_buffer, day_p10_cents,"
    " day_p50_cents, day_p90_cents "
    "FROM headroom.forecasts WHERE account_id = $1"};

forecast::StoredForecast forecast_from_row(std::span<const char* const> fields) {
  if (fields.size() != kReadForecastColumns)
    throw std::runtime_error(fmt::format("headroom.forecasts: {} columns read, {} expected", fields.size(),
                                         kReadForecastColumns));
  forecast::StoredForecast f;
  f.account_id = std::string(text_of(fields[0]));
  f.as_of = date_of(parse_number<int>(text_of(fields[1]), "as_of"));
  f.horizon_days = parse_number<int>(text_of(fields[2]), "horizon_days");
  f.start_balance = forecast::Money::from_cents(parse_number<std::int64_t>(text_of(fields[3]), "start_balance_cents"));
  f.buffer = forecast::Money::from_cents(parse_number<std::int64_t>(text_of(fields[4]), "buffer_cents"));
  f.p_overdraft_window = parse_number<double>(text_of(fields[5]), "p_overdraft_window");
  f.p_below_buffer_window = parse_number<double>(text_of(fields[6]), "p_below_buffer_window");
  if (fields[7]) f.first_risky_day = date_of(parse_number<int>(text_of(fields[7]), "first_risky_day"));
  f.model_kind = std::string(text_of(fields[8]));
  if (fields[9]) f.fallback_reason = fields[9];
  f.summary = std::string(text_of(fields[10]));
  f.risk_days_json = std::string(text_of(fields[11]));
  f.anomalies_json = std::string(text_of(fields[12]));
  f.computed_at = std::chrono::sys_time<std::chrono::microseconds>(
      std::chrono::microseconds(parse_number<std::int64_t>(text_of(fields[13]), "computed_at")));
  f.computed_at_utc_offset = std::chrono::seconds(parse_number<int>(text_of(fields[14]), "computed_at's zone"));
  f.days = stored_days(f.as_of, fields[15], fields[16], fields[17], fields[18], fields[19]);
  return f;
}

std::optional<forecast::StoredForecast> read_forecast(pqxx::transaction_base& tx, std::string_view account_id) {
  // Prepared (the API's hottest route): libpqxx 6.4 takes a repeated
  // prepare() with the same text as a no-op and prepares on the connection
  // at the first exec_prepared, so every caller declares it here and a new
  // connection prepares it once (tests/db/connection_pool_test.cpp).
  tx.conn().prepare(kReadForecast.name, kReadForecast.sql);
  const auto r = tx.exec_prepared(kReadForecast.name, std::string(account_id));
  if (r.empty()) return std::nullopt;
  std::array<const char*, kReadForecastColumns> fields{};
  for (std::size_t i = 0; i < fields.size(); ++i) fields[i] = r[0][static_cast<int>(i)].is_null() ? nullptr : r[0][static_cast<int>(i)].c_str();
  return forecast_from_row(fields);
}

}  // namespace headroom::db
