#include "nudges/templates.hpp"

#include <algorithm>

#include "forecast/thousands.hpp"
#include "nudges/planner.hpp"

namespace headroom::nudges {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int placeholder_index(std::string_view name) {
  for (std::size_t i = 0; i < kPlaceholders.size(); ++i) {
    if (kPlaceholders[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// Calls on_text(literal) and on_slot(name) in order; returns false with the
// offending position on "{{" without "}}".
template <class Text, class Slot>
bool scan(std::string_view t, Text on_text, Slot on_slot, std::size_t* error_at = nullptr) {
  std::size_t pos = 0;
  while (pos < t.size()) {
    const std::size_t open = t.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(t.substr(pos));
      return true;
    }
    on_text(t.substr(pos, open - pos));
    const std::size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos) {
      if (error_at) *error_at = open;
      return false;
    }
    on_slot(trim(t.substr(open + 2, close - open - 2)));
    pos = close + 2;
  }
  return true;
}

bool is_english(std::string_view locale) { return locale.size() >= 2 && locale.substr(0, 2) == "en"; }

std::string join_english(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? (items.size() > 2 ? ", and " : " and ") : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace

void validate_template(std::string_view text, std::string_view where) {
  std::size_t error_at = 0;
  const bool ok = scan(
      text, [](std::string_view) {},
      [&](std::string_view name) {
        if (placeholder_index(name) < 0) {
          throw TemplateError(std::string(where) + ": unknown placeholder {{" + std::string(name) + "}}");
        }
      },
      &error_at);
  if (!ok) {
    throw TemplateError(std::string(where) + ": unterminated placeholder at offset " + std::to_string(error_at) +
                        " (\"{{\" without \"}}\")");
  }
}

void validate_variant(const CopyVariant& v, std::string_view where) {
  const std::string w(where);
  validate_template(v.subject, w + ".subject");
  validate_template(v.text_body, w + ".text");
  validate_template(v.html_body, w + ".html");
  validate_template(v.in_app_text, w + ".in_app");
  if (v.subject.find_first_of("\r\n") != std::string::npos) throw TemplateError(w + ".subject: must be one line");
}

CopyVariant default_copy_variant() {
  CopyVariant v;
  v.name = "default";
  v.weight = 1.0;
  v.subject = "Heads-up: your balance may run low on {{first_risky_day}}";
  v.text_body =
      "Hi,\n\n"
      "Based on your recent activity, your balance may drop below {{buffer}} on {{first_risky_day}} "
      "(in {{days_until}} days), by about {{shortfall}}.\n\n"
      "Coming up before then: {{bills}}.\n"
      "Your next expected deposit: {{next_income}}.\n\n"
      "Moving a little money now or shifting a payment date can help avoid an overdraft fee.\n\n"
      "Stop these messages: {{unsubscribe_url}}\n";
  v.html_body =
      "<p>Hi,</p>\n"
      "<p>Based on your recent activity, your balance may drop below <strong>{{buffer}}</strong> on "
      "<strong>{{first_risky_day}}</strong> (in {{days_until}} days), by about <strong>{{shortfall}}</strong>.</p>\n"
      "<p>Coming up before then: {{bills}}.<br>\nYour next expected deposit: {{next_income}}.</p>\n"
      "<p>Moving a little money now or shifting a payment date can help avoid an overdraft fee.</p>\n"
      "<p style=\"font-size:small\"><a href=\"{{unsubscribe_url}}\">Stop these messages</a></p>\n";
  v.in_app_text = "Your balance may run low on {{first_risky_day}} (about {{shortfall}} short). Tap to see what's coming up.";
  return v;
}

std::string format_money(forecast::Money amount, std::string_view currency, std::string_view locale) {
  const std::int64_t cents = amount.cents();
  const bool negative = cents < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  const std::uint64_t frac = magnitude % 100;
  std::string number = forecast::group_thousands(std::to_string(magnitude / 100));
  number.push_back('.');
  number.push_back(static_cast<char>('0' + frac / 10));
  number.push_back(static_cast<char>('0' + frac % 10));
  std::string_view symbol;
  if (is_english(locale)) {
    if (currency == "USD") symbol = "$";
    else if (currency == "GBP") symbol = "\xC2\xA3";  // £
    else if (currency == "EUR") symbol = "\xE2\x82\xAC";  // €
  }
  // Appends rather than operator+ chains: GCC 12 -Wrestrict misfires on those.
  std::string out;
  if (negative) out.push_back('-');
  if (!symbol.empty()) {
    out.append(symbol);
    out.append(number);
  } else {
    out.append(number);
    out.push_back(' ');
    out.append(currency);
  }
  return out;
}

std::string format_date(forecast::Date date, std::string_view locale) {
  if (!is_english(locale)) return forecast::to_iso_string(date);
  static constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                                                "Thursday", "Friday", "Saturday"};
  static constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March",     "April",
                                                               "May",     "June",     "July",      "August",
                                                               "September", "October", "November", "December"};
  const std::chrono::year_month_day ymd{date};
  const std::chrono::weekday wd{date};
  std::string out(kWeekdays[wd.c_encoding()]);
  out += ", ";
  out += kMonths[static_cast<unsigned>(ymd.month()) - 1];
  out += " ";
  out += std::to_string(static_cast<unsigned>(ymd.day()));
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string_view CopyValues::get(std::string_view name) const {
  const int i = placeholder_index(name);
  return i < 0 ? std::string_view{} : std::string_view(values[static_cast<std::size_t>(i)]);
}

void CopyValues::set(std::string_view name, std::string value) {
  const int i = placeholder_index(name);
  if (i >= 0) values[static_cast<std::size_t>(i)] = std::move(value);
}

CopyValues make_copy_values(const ForecastSummary& f, forecast::Money buffer, forecast::Date today,
                            std::string_view currency, std::string_view locale, std::string_view unsubscribe_url) {
  CopyValues v;
  if (f.first_risky_day) {
    v.set("first_risky_day", format_date(*f.first_risky_day, locale));
    v.set("days_until", std::to_string(forecast::days_between(today, *f.first_risky_day)));
  }
  v.set("shortfall", format_money(f.expected_shortfall, currency, locale));
  v.set("buffer", format_money(buffer, currency, locale));

  // Bills due from today up to the risky day, in date order; the copy names
  // what the customer can act on, so bills after the risky day are left out.
  std::vector<const Driver*> bills;
  for (const Driver& d : f.drivers) {
    if (d.kind != Driver::Kind::kBill || d.date < today) continue;
    if (f.first_risky_day && d.date > *f.first_risky_day) continue;
    bills.push_back(&d);
  }
  std::stable_sort(bills.begin(), bills.end(), [](const Driver* a, const Driver* b) { return a->date < b->date; });
  std::vector<std::string> items;
  const Driver* top = nullptr;
  for (const Driver* d : bills) {
    const forecast::Money owed = d->amount < forecast::Money{} ? -d->amount : d->amount;
    items.push_back(d->label + " (" + format_money(owed, currency, locale) + ", " + format_date(d->date, locale) + ")");
    const forecast::Money top_owed = top ? (top->amount < forecast::Money{} ? -top->amount : top->amount) : forecast::Money{};
    if (!top || owed > top_owed) top = d;
  }
  v.set("bills", items.empty() ? std::string("no large bills") : join_english(items));
  if (top) {
    const forecast::Money owed = top->amount < forecast::Money{} ? -top->amount : top->amount;
    v.set("top_bill", top->label);
    v.set("top_bill_amount", format_money(owed, currency, locale));
    v.set("top_bill_date", format_date(top->date, locale));
  }
  if (f.next_income_date) {
    const std::string amount = format_money(f.next_income_amount, currency, locale);
    const std::string date = format_date(*f.next_income_date, locale);
    v.set("next_income_amount", amount);
    v.set("next_income_date", date);
    v.set("next_income", amount + " on " + date);
  } else {
    v.set("next_income", "none expected yet");
  }
  v.set("unsubscribe_url", std::string(unsubscribe_url));
  return v;
}

std::string fill_template(std::string_view text, const CopyValues& values, Escaping escaping) {
  std::string out;
  out.reserve(text.size() + 64);
  scan(
      text, [&](std::string_view literal) { out.append(literal); },
      [&](std::string_view name) {
        const std::string_view value = values.get(name);
        if (escaping == Escaping::kHtml) {
          out += html_escape(value);
        } else {
          out.append(value);
        }
      });
  return out;
}

namespace {

bool places(std::string_view text, std::string_view placeholder) {
  bool found = false;
  scan(text, [](std::string_view) {}, [&](std::string_view name) { found = found || name == placeholder; });
  return found;
}

}  // namespace

RenderedCopy render_copy(const CopyVariant& variant, const CopyValues& values) {
  RenderedCopy r;
  r.subject = fill_template(variant.subject, values, Escaping::kNone);
  // A value must never break the subject onto a second header line.
  std::replace_if(r.subject.begin(), r.subject.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  r.text_body = fill_template(variant.text_body, values, Escaping::kNone);
  r.html_body = fill_template(variant.html_body, values, Escaping::kHtml);
  r.in_app_text = fill_template(variant.in_app_text, values, Escaping::kNone);
  // Every email body carries the way out, whatever copy a growth team wrote:
  // a body that does not place {{unsubscribe_url}} gets it as its last line.
  // Whether a body exists is the template's say, not the rendering's: copy
  // of placeholders alone ("{{top_bill}}") renders empty without a bill, and
  // the email must still carry the link.
  const std::string_view link = values.get("unsubscribe_url");
  if (!link.empty()) {
    if (!variant.text_body.empty() && !places(variant.text_body, "unsubscribe_url"))
      r.text_body += "\n\nStop these messages: " + std::string(link) + "\n";
    if (!variant.html_body.empty() && !places(variant.html_body, "unsubscribe_url"))
      r.html_body += "\n<p style=\"font-size:small\"><a href=\"" + html_escape(link) + "\">Stop these messages</a></p>\n";
  }
  return r;
}

}  // namespace headroom::nudges
