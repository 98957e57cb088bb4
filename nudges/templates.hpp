#pragma once
// Copy templates: text with {{placeholder}} slots filled from the forecast's
// drivers, formatted for the account's locale and currency.
//
// Placeholders (whitespace inside the braces is allowed: {{ shortfall }}):
//   first_risky_day      the first day the balance is forecast below the buffer
//   days_until           whole days from the account's today to that day
//   shortfall            expected amount below the buffer on that day
//   buffer               the policy's buffer amount
//   bills                the bills due up to the risky day: "Rent ($1,200.00, Friday, March 13)"
//   top_bill, top_bill_amount, top_bill_date   the largest of those bills
//   next_income          "$2,000.00 on Friday, March 15" (empty when none is expected)
//   next_income_amount, next_income_date
//   unsubscribe_url      the signed one-click link (email only; empty in-app)
// A template naming anything else is rejected at load (TemplateError names
// the placeholder and where it appeared). "{{" without "}}" is rejected too.
// Values are inserted verbatim in subject, text and in-app copy and
// HTML-escaped in HTML bodies; the template's own markup is left alone.

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/money.hpp"

namespace headroom::nudges {

struct ForecastSummary;

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One copy variant of a policy. weight is relative (not a share): variants
// are picked per account with probability weight / sum(weights).
struct CopyVariant {
  std::string name;
  double weight = 1.0;
  std::string subject;      // email subject, one line
  std::string text_body;    // email text/plain part
  std::string html_body;    // email text/html part
  std::string in_app_text;  // short text for the in-app feed
};

inline constexpr std::array<std::string_view, 12> kPlaceholders = {
    "first_risky_day", "days_until",         "shortfall",        "buffer",
    "bills",           "top_bill",           "top_bill_amount",  "top_bill_date",
    "next_income",     "next_income_amount", "next_income_date", "unsubscribe_url"};

// Throws TemplateError "<where>: unknown placeholder {{name}}" (or unterminated).
void validate_template(std::string_view text, std::string_view where);
void validate_variant(const CopyVariant& variant, std::string_view where);

// The copy shipped with the `default` policy (used when a policy lists no variants).
CopyVariant default_copy_variant();

// "$1,200.00" for USD in en-US (and other en-* locales), "£"/"€" likewise for
// GBP/EUR in en-GB/en-IE; otherwise the generic "1,200.00 EUR". Negative
// amounts get a leading minus: "-$5.00".
std::string format_money(forecast::Money amount, std::string_view currency, std::string_view locale);
// en-*: "Friday, March 13"; otherwise ISO "2026-03-13".
std::string format_date(forecast::Date date, std::string_view locale);

std::string html_escape(std::string_view text);

// Placeholder values, already formatted (unescaped).
struct CopyValues {
  std::array<std::string, kPlaceholders.size()> values;
  std::string_view get(std::string_view name) const;
  void set(std::string_view name, std::string value);
};

// `today` is the account's local date when the copy is rendered.
CopyValues make_copy_values(const ForecastSummary& forecast, forecast::Money buffer, forecast::Date today,
                            std::string_view currency, std::string_view locale,
                            std::string_view unsubscribe_url);

enum class Escaping { kNone, kHtml };
// Assumes a validated template; an unknown name renders empty.
std::string fill_template(std::string_view text, const CopyValues& values, Escaping escaping);

struct RenderedCopy {
  std::string subject;
  std::string text_body;
  std::string html_body;
  std::string in_app_text;
};
RenderedCopy render_copy(const CopyVariant& variant, const CopyValues& values);

}  // namespace headroom::nudges
