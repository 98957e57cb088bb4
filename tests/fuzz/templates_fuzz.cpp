// Fuzz target: copy templates and their rendering (nudges/templates.hpp).
// Input: fields separated by 0xFF (fuzz_support.hpp): subject, text, html,
// in_app; the 12 placeholder values in kPlaceholders order (the last is the
// unsubscribe link); then an amount (8 bytes), a currency, a locale, a day
// offset (2 bytes) and bill labels for make_copy_values. Properties:
//  - validate_variant accepts or throws TemplateError naming the variant;
//  - a validated variant renders: the subject is one line; every non-empty
//    email body carries the unsubscribe link when there is one (the HTML one
//    escaped); values are HTML-escaped in the HTML body and nowhere else;
//  - format_money writes the amount exactly (grouped digits, 2 decimals,
//    sign, symbol or code); format_date writes ISO dates that parse back;
//  - make_copy_values renders the bills it is given by label.

#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "nudges/planner.hpp"
#include "nudges/templates.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace headroom;

namespace {

// The amount format_money wrote, in cents, or -1 when it is not well formed.
long long cents_of_money_text(std::string_view s, bool& negative, std::string_view currency, std::string_view locale) {
  negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  const bool english = locale.size() >= 2 && locale.substr(0, 2) == "en";
  std::string_view symbol;
  if (english && currency == "USD") symbol = "$";
  else if (english && currency == "GBP") symbol = "\xC2\xA3";
  else if (english && currency == "EUR") symbol = "\xE2\x82\xAC";
  if (!symbol.empty()) {
    if (!s.starts_with(symbol)) return -1;
    s.remove_prefix(symbol.size());
  } else {
    const std::string suffix = " " + std::string(currency);
    if (!s.ends_with(suffix)) return -1;
    s.remove_suffix(suffix.size());
  }
  // d{1,3}(,ddd)*.dd
  if (s.size() < 4 || s[s.size() - 3] != '.') return -1;
  const std::string_view whole = s.substr(0, s.size() - 3);
  unsigned long long value = 0;
  std::size_t digits_in_group = 0;
  bool first_group = true;
  for (const char c : whole) {
    if (c == ',') {
      if (digits_in_group == 0 || (!first_group && digits_in_group != 3) || digits_in_group > 3) return -1;
      first_group = false;
      digits_in_group = 0;
      continue;
    }
    if (c < '0' || c > '9') return -1;
    value = value * 10 + static_cast<unsigned>(c - '0');
    ++digits_in_group;
  }
  if (digits_in_group == 0 || digits_in_group > 3 || (!first_group && digits_in_group != 3)) return -1;
  for (const char c : s.substr(s.size() - 2)) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return static_cast<long long>(value);
}

void check_money(std::int64_t cents, std::string_view currency, std::string_view locale) {
  const std::string text = nudges::format_money(forecast::Money::from_cents(cents), currency, locale);
  bool negative = false;
  const long long magnitude = cents_of_money_text(text, negative, currency, locale);
  // |INT64_MIN| does not fit a long long: compare as unsigned.
  const unsigned long long expected = cents < 0 ? static_cast<unsigned long long>(-(cents + 1)) + 1
                                                : static_cast<unsigned long long>(cents);
  FUZZ_CHECK(magnitude >= 0 || (negative && expected > 9'223'372'036'854'775'807ULL), fuzz::show(text));
  FUZZ_CHECK(negative == (cents < 0), fuzz::show(text));
  if (magnitude >= 0) FUZZ_CHECK(static_cast<unsigned long long>(magnitude) == expected, fuzz::show(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Fields in(data, size);
  nudges::CopyVariant v;
  v.name = "fuzz";
  v.subject = in[0];
  v.text_body = in[1];
  v.html_body = in[2];
  v.in_app_text = in[3];
  nudges::CopyValues values;
  nudges::CopyValues escaped;
  for (std::size_t i = 0; i < nudges::kPlaceholders.size(); ++i) {
    values.set(nudges::kPlaceholders[i], std::string(in[4 + i]));
    escaped.set(nudges::kPlaceholders[i], nudges::html_escape(in[4 + i]));
  }
  constexpr std::size_t kMore = 4 + nudges::kPlaceholders.size();
  const auto cents = static_cast<std::int64_t>(in.number(kMore));
  const std::string_view currency = in[kMore + 1].substr(0, 8);
  const std::string_view locale = in[kMore + 2].substr(0, 8);
  const auto offset = static_cast<int>(in.number(kMore + 3) & 0xFFFF);  // ~180 years of days
  const forecast::Date base = forecast::make_date(1950, 1, 1);
  const forecast::Date day = base + std::chrono::days{offset};

  check_money(cents, currency, locale);
  const std::string date_text = nudges::format_date(day, locale);
  if (!(locale.size() >= 2 && locale.substr(0, 2) == "en")) {
    const auto back = forecast::parse_iso_date(date_text);
    FUZZ_CHECK(back && *back == day, date_text);
  }

  // Bills for the risky day, labelled by the remaining fields.
  nudges::ForecastSummary summary;
  summary.as_of = day;
  summary.first_risky_day = day + std::chrono::days{3};
  summary.expected_shortfall = forecast::Money::from_cents(cents);
  std::vector<std::string> labels;
  for (std::size_t i = kMore + 4; i < in.size() && labels.size() < 8; ++i) {
    nudges::Driver d;
    d.kind = nudges::Driver::Kind::kBill;
    d.label = std::string(in[i]);
    d.amount = forecast::Money::from_cents(-static_cast<std::int64_t>(i * 1234 + (cents & 0xFFFFF)));
    d.date = day + std::chrono::days{static_cast<int>(i % 4)};
    summary.drivers.push_back(d);
    labels.push_back(d.label);
  }
  if (!labels.empty()) summary.next_income_date = day + std::chrono::days{10};
  const auto made = nudges::make_copy_values(summary, forecast::Money::from_cents(cents / 3), day, currency, locale,
                                             in[4 + 11]);
  for (const auto& label : labels) FUZZ_CHECK(made.get("bills").find(label) != std::string_view::npos, label);
  FUZZ_CHECK(made.get("unsubscribe_url") == in[4 + 11], "unsubscribe_url");

  try {
    nudges::validate_variant(v, "fuzz.variant");
  } catch (const nudges::TemplateError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.variant."), e.what());
    return 0;
  }
  for (const nudges::CopyValues* vals : {static_cast<const nudges::CopyValues*>(&values), &made}) {
    const auto r = nudges::render_copy(v, *vals);
    FUZZ_CHECK(r.subject.find_first_of("\r\n") == std::string::npos, fuzz::show(r.subject));
    const std::string_view link = vals->get("unsubscribe_url");
    if (!link.empty()) {
      if (!v.text_body.empty()) FUZZ_CHECK(r.text_body.find(link) != std::string::npos, fuzz::show(r.text_body));
      if (!v.html_body.empty())
        FUZZ_CHECK(r.html_body.find(nudges::html_escape(link)) != std::string::npos, fuzz::show(r.html_body));
    }
  }
  // HTML bodies escape the values and only the values.
  FUZZ_CHECK(nudges::fill_template(v.html_body, values, nudges::Escaping::kHtml) ==
                 nudges::fill_template(v.html_body, escaped, nudges::Escaping::kNone),
             fuzz::show(v.html_body));
  return 0;
}
