#include "edge/forecast_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>


namespace headroom::edge {
namespace {

using forecast::Money;

// Escapes exactly what PostgreSQL's escape_json does: \" \\ \b \f \n \r
// \t, \u00xx for the other control characters, everything else as is. By
// hand rather than through nlohmann::json, which builds a value per string:
// every key of every day goes through here, on the API's hottest route
// (scripts/bench.sh api).
std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[7];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string date_json(forecast::Date d) { return '"' + forecast::to_iso_string(d) + '"'; }

// float8out with the default extra_float_digits (1): the shortest digits that
// read back as the same double; positional when the decimal exponent is in
// [-4, 15), as printf's %g would choose, else d.ddde±XX. JSON has no NaN or
// infinity, so PostgreSQL quotes their names.
std::string float8_json(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  char buf[32];
  const char* end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  const std::string_view scientific(buf, static_cast<std::size_t>(end - buf));  // [-]d[.ddd]e±XX
  const auto e = scientific.find('e');
  int exponent = 0;
  std::from_chars(scientific.data() + e + 2, end, exponent);
  if (scientific[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= 15) return std::string(scientific);

  std::string_view mantissa = scientific.substr(0, e);
  std::string out;
  if (mantissa.front() == '-') out += '-', mantissa.remove_prefix(1);
  std::string digits;
  for (const char c : mantissa)
    if (c != '.') digits += c;
  const auto integer_digits = static_cast<std::size_t>(exponent + 1);
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  } else if (digits.size() <= integer_digits) {
    out += digits;
    out.append(integer_digits - digits.size(), '0');
  } else {
    out.append(digits, 0, integer_digits);
    out += '.';
    out.append(digits, integer_digits);
  }
  return out;
}

std::string cents_json(Money m) { return std::to_string(m.cents()); }

template <class T, class Render>
std::string or_null(const std::optional<T>& value, Render render) {
  return value ? render(*value) : "null";
}

// timestamptz in JSON (XSD style): local time at the offset, fraction only
// when not zero and without trailing zeros, the offset always with minutes.
std::string timestamp_json(std::chrono::sys_time<std::chrono::microseconds> instant, std::chrono::seconds utc_offset) {
  using namespace std::chrono;
  const auto local = instant + utc_offset;
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> time{local - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "\"%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                        static_cast<int>(time.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (const auto us = time.subseconds().count(); us != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(us));
    out.append(buf, static_cast<std::size_t>(n));
    while (out.back() == '0') out.pop_back();
  }
  const long long offset = utc_offset.count();
  const long long abs_offset = offset < 0 ? -offset : offset;
  n = std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", offset < 0 ? '-' : '+', abs_offset / 3600,
                    abs_offset / 60 % 60);
  out.append(buf, static_cast<std::size_t>(n));
  if (abs_offset % 60 != 0) {
    n = std::snprintf(buf, sizeof buf, ":%02lld", abs_offset % 60);
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out + '"';
}

// `{"key" : value, …}`, joined as json_build_object joins its pairs.
class ObjectText {
 public:
  ObjectText& add(std::string_view key, const std::string& value_json) {
    text_ += text_.empty() ? "{" : ", ";
    text_ += json_string(key);
    text_ += " : ";
    text_ += value_json;
    return *this;
  }
  std::string close() { return text_ + '}'; }

 private:
  std::string text_;
};

std::string day_json(const forecast::StoredForecastDay& d) {
  return ObjectText()
      .add("date", date_json(d.date))
      .add("p_below_zero", or_null(d.p_below_zero, float8_json))
      .add("p_below_buffer", or_null(d.p_below_buffer, float8_json))
      .add("p10_cents", or_null(d.p10, cents_json))
      .add("p50_cents", or_null(d.p50, cents_json))
      .add("p90_cents", or_null(d.p90, cents_json))
      .close();
}

// json_agg's `[a, b]`; coalesced to `[]` when there is no day.
std::string days_json(const std::vector<forecast::StoredForecastDay>& days) {
  std::string out = "[";
  for (std::size_t i = 0; i < days.size(); ++i) out += (i ? ", " : "") + day_json(days[i]);
  return out + ']';
}

}  // namespace

std::string forecast_json(const forecast::StoredForecast& f) {
  return ObjectText()
      .add("account_id", json_string(f.account_id))
      .add("as_of", date_json(f.as_of))
      .add("horizon_days", std::to_string(f.horizon_days))
      .add("start_balance_cents", cents_json(f.start_balance))
      .add("buffer_cents", cents_json(f.buffer))
      .add("p_overdraft_window", float8_json(f.p_overdraft_window))
      .add("p_below_buffer_window", float8_json(f.p_below_buffer_window))
      .add("first_risky_day", or_null(f.first_risky_day, date_json))
      .add("model_kind", json_string(f.model_kind))
      .add("fallback_reason", or_null(f.fallback_reason, [](const std::string& s) { return json_string(s); }))
      .add("summary", json_string(f.summary))
      .add("risk_days", f.risk_days_json)
      .add("anomalies", f.anomalies_json)
      .add("computed_at", timestamp_json(f.computed_at, f.computed_at_utc_offset))
      .add("days", days_json(f.days))
      .close();
}

}  // namespace headroom::edge
