#include "edge/forecast_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <chrono>
#include <optional>
#include <string_view>

namespace headroom::edge {
namespace {

using forecast::Money;

// The response is appended to one string, reserved once: it is the API's
// hottest route (scripts/bench.sh api), and building a string per value had
// the allocator among the costliest parts of a request.

// Escapes exactly what PostgreSQL's escape_json does: \" \\ \b \f \n \r
// \t, \u00xx for the other control characters, everything else as is.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(text, plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[7];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      }
    }
  }
  out.append(text, plain, text.size() - plain);
  out += '"';
}

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

// Zero-padded to `width` digits (v >= 0).
void append_padded(std::string& out, long long v, int width) {
  char buf[24];
  const auto n = static_cast<int>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
  if (n < width) out.append(static_cast<std::size_t>(width - n), '0');
  out.append(buf, static_cast<std::size_t>(n));
}

void append_date(std::string& out, forecast::Date d) {
  const std::chrono::year_month_day ymd{d};
  out += '"';
  append_padded(out, static_cast<int>(ymd.year()), 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.day()), 2);
  out += '"';
}

// float8out with the default extra_float_digits (1): the shortest digits that
// read back as the same double; positional when the decimal exponent is in
// [-4, 15), as printf's %g would choose, else d.ddde±XX. JSON has no NaN or
// infinity, so PostgreSQL quotes their names.
void append_float8(std::string& out, double v) {
  if (std::isnan(v)) return void(out += "\"NaN\"");
  if (std::isinf(v)) return void(out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  char buf[32];
  const char* end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  const std::string_view scientific(buf, static_cast<std::size_t>(end - buf));  // [-]d[.ddd]e±XX
  const auto e = scientific.find('e');
  int exponent = 0;
  std::from_chars(scientific.data() + e + 2, end, exponent);
  if (scientific[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= 15) return void(out += scientific);

  std::string_view mantissa = scientific.substr(0, e);
  if (mantissa.front() == '-') out += '-', mantissa.remove_prefix(1);
  char digits[24];
  std::size_t n = 0;
  for (const char c : mantissa)
    if (c != '.') digits[n++] = c;
  const std::string_view d(digits, n);
  const auto integer_digits = static_cast<std::size_t>(exponent + 1);
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += d;
  } else if (n <= integer_digits) {
    out += d;
    out.append(integer_digits - n, '0');
  } else {
    out += d.substr(0, integer_digits);
    out += '.';
    out += d.substr(integer_digits);
  }
}

// timestamptz in JSON (XSD style): local time at the offset, fraction only
// when not zero and without trailing zeros, the offset always with minutes.
void append_timestamp(std::string& out, std::chrono::sys_time<std::chrono::microseconds> instant,
                      std::chrono::seconds utc_offset) {
  using namespace std::chrono;
  const auto local = instant + utc_offset;
  const auto day = floor<days>(local);
  append_date(out, forecast::Date(day));
  out.pop_back();  // the date's closing quote
  const hh_mm_ss<microseconds> time{local - day};
  out += 'T';
  append_padded(out, time.hours().count(), 2);
  out += ':';
  append_padded(out, time.minutes().count(), 2);
  out += ':';
  append_padded(out, time.seconds().count(), 2);
  if (const auto us = time.subseconds().count(); us != 0) {
    out += '.';
    append_padded(out, us, 6);
    while (out.back() == '0') out.pop_back();
  }
  const long long offset = utc_offset.count();
  const long long abs_offset = offset < 0 ? -offset : offset;
  out += offset < 0 ? '-' : '+';
  append_padded(out, abs_offset / 3600, 2);
  out += ':';
  append_padded(out, abs_offset / 60 % 60, 2);
  if (abs_offset % 60 != 0) {
    out += ':';
    append_padded(out, abs_offset % 60, 2);
  }
  out += '"';
}

// `{"key" : value, …}`, joined as json_build_object joins its pairs; each
// value is appended by the caller right after key().
class ObjectText {
 public:
  explicit ObjectText(std::string& out) : out_(out) {}
  // `name` is one of ours, plain ASCII: nothing to escape.
  std::string& key(std::string_view name) {
    out_ += first_ ? "{\"" : ", \"";
    first_ = false;
    out_ += name;
    out_ += "\" : ";
    return out_;
  }
  void close() { out_ += first_ ? "{}" : "}"; }

 private:
  std::string& out_;
  bool first_ = true;
};

template <class T, class Append>
void append_or_null(std::string& out, const std::optional<T>& value, Append append) {
  if (value) append(out, *value);
  else out += "null";
}

void append_cents(std::string& out, Money m) { append_int(out, m.cents()); }

void append_day(std::string& out, const forecast::StoredForecastDay& d) {
  ObjectText o(out);
  append_date(o.key("date"), d.date);
  append_or_null(o.key("p_below_zero"), d.p_below_zero, append_float8);
  append_or_null(o.key("p_below_buffer"), d.p_below_buffer, append_float8);
  append_or_null(o.key("p10_cents"), d.p10, append_cents);
  append_or_null(o.key("p50_cents"), d.p50, append_cents);
  append_or_null(o.key("p90_cents"), d.p90, append_cents);
  o.close();
}

// json_agg's `[a, b]`; coalesced to `[]` when there is no day.
void append_days(std::string& out, const std::vector<forecast::StoredForecastDay>& days) {
  out += '[';
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (i) out += ", ";
    append_day(out, days[i]);
  }
  out += ']';
}

}  // namespace

std::string forecast_json(const forecast::StoredForecast& f) {
  // A day renders in about 150 bytes.
  std::string out;
  out.reserve(512 + f.summary.size() + f.risk_days_json.size() + f.anomalies_json.size() + 160 * f.days.size());
  ObjectText o(out);
  append_string(o.key("account_id"), f.account_id);
  append_date(o.key("as_of"), f.as_of);
  append_int(o.key("horizon_days"), f.horizon_days);
  append_cents(o.key("start_balance_cents"), f.start_balance);
  append_cents(o.key("buffer_cents"), f.buffer);
  append_float8(o.key("p_overdraft_window"), f.p_overdraft_window);
  append_float8(o.key("p_below_buffer_window"), f.p_below_buffer_window);
  append_or_null(o.key("first_risky_day"), f.first_risky_day, append_date);
  append_string(o.key("model_kind"), f.model_kind);
  append_or_null(o.key("fallback_reason"), f.fallback_reason,
                 [](std::string& out, const std::string& s) { append_string(out, s); });
  append_string(o.key("summary"), f.summary);
  o.key("risk_days") += f.risk_days_json;
  o.key("anomalies") += f.anomalies_json;
  append_timestamp(o.key("computed_at"), f.computed_at, f.computed_at_utc_offset);
  append_days(o.key("days"), f.days);
  o.close();
  return out;
}

}  // namespace headroom::edge
