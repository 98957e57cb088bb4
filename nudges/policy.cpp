#include "nudges/policy.hpp"

#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "forecast/date.hpp"

namespace headroom::nudges {

using nlohmann::json;

std::string_view to_string(Channel channel) {
  switch (channel) {
    case Channel::kInApp: return "in_app";
    case Channel::kEmail: return "email";
  }
  return "?";
}

std::optional<Channel> parse_channel(std::string_view text) {
  if (text == "in_app") return Channel::kInApp;
  if (text == "email") return Channel::kEmail;
  return std::nullopt;
}

namespace {

// The largest |amount| a policy takes, in cents: 15 integer digits, what the
// string form accepts, so that every accepted buffer writes back
// (policy_to_json) as a string that parses again.
constexpr std::int64_t kMaxPolicyAmountCents = 99'999'999'999'999'999;

// The instants a policy window takes: years 0001-9999, the ones the RFC 3339
// text policy_to_json writes can carry (a year 0000 or 10000 would not parse back).
constexpr std::chrono::sys_seconds kMinInstant{std::chrono::sys_days{std::chrono::year{1} / 1 / 1}};
constexpr std::chrono::sys_seconds kMaxInstant{std::chrono::sys_days{std::chrono::year{10000} / 1 / 1} -
                                               std::chrono::seconds{1}};

// True when s[at] .. s[at + n - 1] are ASCII digits (sscanf's %u would also
// take spaces and signs).
bool digits_at(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

class FieldReader {
 public:
  FieldReader(std::string_view source, std::string policy_name)
      : source_(source), policy_(std::move(policy_name)) {}

  [[noreturn]] void fail(std::string_view field, std::string_view message) const {
    std::string text(source_);
    text += ": policy '" + policy_ + "': field '" + std::string(field) + "': " + std::string(message);
    throw PolicyError(text);
  }

  void set_policy_name(std::string name) { policy_ = std::move(name); }

  std::string string(const json& v, std::string_view field) const {
    if (!v.is_string()) fail(field, "must be a string");
    return v.get<std::string>();
  }
  bool boolean(const json& v, std::string_view field) const {
    if (!v.is_boolean()) fail(field, "must be true or false");
    return v.get<bool>();
  }
  double number(const json& v, std::string_view field) const {
    if (!v.is_number()) fail(field, "must be a number");
    return v.get<double>();
  }
  int integer(const json& v, std::string_view field) const {
    if (!v.is_number_integer()) fail(field, "must be a whole number");
    // A JSON integer above INT64_MAX would wrap to a negative int64.
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > 1000000) fail(field, "is out of range");
    const auto i = v.get<std::int64_t>();
    if (i < -1000000 || i > 1000000) fail(field, "is out of range");
    return static_cast<int>(i);
  }
  const json& object(const json& v, std::string_view field) const {
    if (!v.is_object()) fail(field, "must be a table/object");
    return v;
  }

  // "12.50", "12", 12.5 (major units) -> cents. Strings keep exactness.
  forecast::Money money(const json& v, std::string_view field) const {
    if (v.is_number()) {
      const double cents = std::round(v.get<double>() * 100.0);
      if (!(std::fabs(cents) <= static_cast<double>(kMaxPolicyAmountCents)))
        fail(field, "is out of range (at most 999999999999999.99)");
      return forecast::Money::from_double(cents);
    }
    if (!v.is_string()) fail(field, "must be an amount like \"25.00\"");
    const std::string s = v.get<std::string>();
    std::size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    std::int64_t whole = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i++] - '0');
      if (++digits > 15) fail(field, "is out of range (at most 999999999999999.99)");
    }
    std::int64_t frac = 0;
    std::size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9' && frac_digits < 2) {
        frac = frac * 10 + (s[i++] - '0');
        ++frac_digits;
      }
    }
    if (digits == 0 || i != s.size()) fail(field, "must be an amount like \"25.00\" (at most 2 decimals), got \"" + s + "\"");
    if (frac_digits == 1) frac *= 10;
    const std::int64_t cents = whole * 100 + frac;
    return forecast::Money::from_cents(negative ? -cents : cents);
  }

  std::chrono::minutes time_of_day(const json& v, std::string_view field) const {
    const std::string s = string(v, field);
    unsigned h = 0, m = 0;
    char tail = 0;
    if (s.size() != 5 || !digits_at(s, 0, 2) || !digits_at(s, 3, 2) ||
        std::sscanf(s.c_str(), "%2u:%2u%c", &h, &m, &tail) != 2 || s[2] != ':' || h > 23 || m > 59) {
      fail(field, "must be a local time HH:MM (00:00-23:59), got \"" + s + "\"");
    }
    return std::chrono::minutes{h * 60 + m};
  }

  // "2026-01-01" (midnight UTC) or "2026-01-01T09:30:00Z" / "...+02:00".
  std::chrono::sys_seconds instant(const json& v, std::string_view field) const {
    const std::string s = string(v, field);
    const auto day = forecast::parse_iso_date(std::string_view(s).substr(0, 10));
    if (!day) fail(field, "must be a date YYYY-MM-DD or an RFC 3339 time, got \"" + s + "\"");
    std::chrono::sys_seconds t{*day};
    if (s.size() == 10) return in_range(t, field, s);
    unsigned hh = 0, mm = 0, ss = 0;
    if (s.size() < 20 || (s[10] != 'T' && s[10] != ' ') || !digits_at(s, 11, 2) || !digits_at(s, 14, 2) ||
        !digits_at(s, 17, 2) ||
        std::sscanf(s.c_str() + 11, "%2u:%2u:%2u", &hh, &mm, &ss) != 3 || s[13] != ':' || s[16] != ':' || hh > 23 ||
        mm > 59 || ss > 60) {
      fail(field, "must be a date YYYY-MM-DD or an RFC 3339 time, got \"" + s + "\"");
    }
    t += std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
    const std::string zone = s.substr(19);
    if (zone == "Z" || zone == "z") return in_range(t, field, s);
    unsigned oh = 0, om = 0;
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && digits_at(zone, 1, 2) &&
        digits_at(zone, 4, 2) && std::sscanf(zone.c_str() + 1, "%2u:%2u", &oh, &om) == 2 && oh < 24 && om < 60) {
      const std::chrono::minutes offset{oh * 60 + om};
      return in_range(zone[0] == '+' ? t - offset : t + offset, field, s);
    }
    fail(field, "has an invalid UTC offset \"" + zone + "\" (use Z or +HH:MM)");
  }

  std::chrono::sys_seconds in_range(std::chrono::sys_seconds t, std::string_view field, const std::string& s) const {
    if (t < kMinInstant || t > kMaxInstant)
      fail(field, "must be within 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, got \"" + s + "\"");
    return t;
  }

  void reject_unknown(const json& obj, std::initializer_list<std::string_view> known, std::string_view prefix) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = false;
      for (auto k : known) ok = ok || it.key() == k;
      if (!ok) fail(std::string(prefix) + it.key(), "unknown key");
    }
  }

 private:
  std::string_view source_;
  std::string policy_;
};

FrequencyCap read_cap(const FieldReader& r, const json& v, std::string_view field, FrequencyCap cap) {
  r.object(v, field);
  const std::string prefix = std::string(field) + ".";
  r.reject_unknown(v, {"max_nudges", "window_days"}, prefix);
  if (v.contains("max_nudges")) cap.max_nudges = r.integer(v["max_nudges"], prefix + "max_nudges");
  if (v.contains("window_days")) cap.window_days = r.integer(v["window_days"], prefix + "window_days");
  return cap;
}

std::string format_hhmm(std::chrono::minutes m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60), static_cast<int>(m.count() % 60));
  return buf;
}

std::string format_instant(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", forecast::to_iso_string(day).c_str(),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

json toml_to_json(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    json obj = json::object();
    for (const auto& [k, v] : *t) obj[std::string(k.str())] = toml_to_json(v);
    return obj;
  }
  if (const auto* a = node.as_array()) {
    json arr = json::array();
    for (const auto& v : *a) arr.push_back(toml_to_json(v));
    return arr;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  if (const auto* d = node.as_date()) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->get().year, d->get().month, d->get().day);
    return std::string(buf);
  }
  if (const auto* dt = node.as_date_time()) {
    // Re-serialise as RFC 3339 so the JSON path parses it; a TOML local
    // date-time (no offset) is read as UTC.
    const auto& v = dt->get();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", v.date.year, v.date.month, v.date.day,
                  v.time.hour, v.time.minute, v.time.second);
    std::string s = buf;
    if (!v.offset || v.offset->minutes == 0) return s + "Z";
    const int off = v.offset->minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
    return s + buf;
  }
  if (const auto* tm = node.as_time()) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", tm->get().hour, tm->get().minute);
    return std::string(buf);
  }
  return nullptr;
}

}  // namespace

void validate_policy(const Policy& p, std::string_view source) {
  FieldReader r(source, p.name);
  if (p.name.empty()) r.fail("name", "must not be empty");
  for (char c : p.name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) r.fail("name", "may contain only letters, digits, '-', '_' and '.'");
  }
  if (!(p.risk_threshold >= 0.0 && p.risk_threshold <= 1.0)) r.fail("risk_threshold", "must be a probability in [0, 1]");
  if (p.lead_time_min_days < 0) r.fail("lead_time_days.min", "must be >= 0");
  if (p.lead_time_max_days < p.lead_time_min_days) {
    r.fail("lead_time_days.max", "must be >= lead_time_days.min (" + std::to_string(p.lead_time_min_days) + ")");
  }
  if (p.lead_time_max_days > 60) r.fail("lead_time_days.max", "must be <= 60 (forecasts do not reach further)");
  if (p.channels.empty()) r.fail("channels", "must list at least one of \"in_app\", \"email\"");
  for (std::size_t i = 0; i < p.channels.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (p.channels[i] == p.channels[j]) r.fail("channels", "lists \"" + std::string(to_string(p.channels[i])) + "\" twice");
    }
  }
  if (p.variants.empty()) r.fail("variants", "must have at least one copy variant");
  double total = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < p.variants.size(); ++i) {
    const auto& v = p.variants[i];
    const std::string field = "variants[" + std::to_string(i) + "]";
    if (v.name.empty()) r.fail(field + ".name", "must not be empty");
    // headroom.nudge_policies is jsonb, which cannot hold U+0000.
    for (const auto& [text, key] : {std::pair{&v.name, ".name"}, std::pair{&v.subject, ".subject"},
                                    std::pair{&v.text_body, ".text"}, std::pair{&v.html_body, ".html"},
                                    std::pair{&v.in_app_text, ".in_app"}}) {
      if (text->find('\0') != std::string::npos)
        r.fail(field + key, "must not contain a NUL character (U+0000; the policy store cannot hold it)");
    }
    if (!names.insert(v.name).second) r.fail(field + ".name", "duplicate variant name '" + v.name + "'");
    if (!(v.weight >= 0.0) || !std::isfinite(v.weight)) r.fail(field + ".weight", "must be a number >= 0");
    total += v.weight;
    try {
      validate_variant(v, std::string(source) + ": policy '" + p.name + "': " + field + " ('" + v.name + "')");
    } catch (const TemplateError& e) {
      throw PolicyError(e.what());
    }
    for (Channel c : p.channels) {
      if (c == Channel::kEmail && (v.subject.empty() || v.text_body.empty() || v.html_body.empty())) {
        r.fail(field, "needs subject, text and html for the email channel");
      }
      if (c == Channel::kInApp && v.in_app_text.empty()) r.fail(field + ".in_app", "needs in-app text for the in_app channel");
    }
  }
  if (!(total > 0)) r.fail("variants", "weights must sum to more than 0");
  // Two weights of 1e308 sum to infinity, and choose_variant would then give
  // every account the last variant.
  if (!std::isfinite(total)) r.fail("variants", "weights must sum to a finite number");
  auto check_cap = [&](const FrequencyCap& cap, const std::string& field) {
    if (cap.max_nudges < 1) r.fail(field + ".max_nudges", "must be >= 1 (set active = false to stop a policy)");
    if (cap.window_days < 1) r.fail(field + ".window_days", "must be >= 1");
  };
  check_cap(p.frequency_cap, "frequency_cap");
  check_cap(p.global_cap, "global_cap");
  if (p.quiet_hours) {
    const auto& q = *p.quiet_hours;
    if (q.start < std::chrono::minutes{0} || q.start >= std::chrono::minutes{24 * 60}) r.fail("quiet_hours.start", "must be within 00:00-23:59");
    if (q.end < std::chrono::minutes{0} || q.end >= std::chrono::minutes{24 * 60}) r.fail("quiet_hours.end", "must be within 00:00-23:59");
    if (q.start == q.end) r.fail("quiet_hours", "start and end are equal; use quiet_hours = false to disable");
  }
  if (!(p.holdout_share >= 0.0 && p.holdout_share <= 1.0)) r.fail("holdout_share", "must be a share in [0, 1] (0.10 = 10%)");
  if (p.experiment.empty()) r.fail("experiment", "must not be empty");
  if (p.experiment.find('\0') != std::string::npos)
    r.fail("experiment", "must not contain a NUL character (U+0000; the policy store cannot hold it)");
  if (p.buffer.cents() > kMaxPolicyAmountCents || p.buffer.cents() < -kMaxPolicyAmountCents)
    r.fail("buffer", "is out of range (at most 999999999999999.99)");
  if (p.active_from && (*p.active_from < kMinInstant || *p.active_from > kMaxInstant))
    r.fail("active_from", "must be within 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z");
  if (p.active_to && (*p.active_to < kMinInstant || *p.active_to > kMaxInstant))
    r.fail("active_to", "must be within 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z");
  if (p.active_from && p.active_to && *p.active_to <= *p.active_from) r.fail("active_to", "must be after active_from");
}

Policy parse_policy_json(const json& obj, std::string_view source) {
  FieldReader r(source, obj.is_object() && obj.contains("name") && obj["name"].is_string()
                            ? obj["name"].get<std::string>()
                            : std::string("?"));
  if (!obj.is_object()) r.fail("(policy)", "must be a table/object");
  r.reject_unknown(obj,
                   {"name", "active", "risk_threshold", "buffer", "lead_time_days", "channels", "variants",
                    "frequency_cap", "global_cap", "quiet_hours", "holdout_share", "experiment", "shadow",
                    "allow_low_confidence", "nudge_other_holdouts", "active_from", "active_to"},
                   "");
  Policy p;
  if (!obj.contains("name")) r.fail("name", "is required");
  p.name = r.string(obj["name"], "name");
  if (obj.contains("active")) p.active = r.boolean(obj["active"], "active");
  if (obj.contains("risk_threshold")) p.risk_threshold = r.number(obj["risk_threshold"], "risk_threshold");
  if (obj.contains("buffer")) p.buffer = r.money(obj["buffer"], "buffer");
  if (obj.contains("lead_time_days")) {
    const json& lt = r.object(obj["lead_time_days"], "lead_time_days");
    r.reject_unknown(lt, {"min", "max"}, "lead_time_days.");
    if (lt.contains("min")) p.lead_time_min_days = r.integer(lt["min"], "lead_time_days.min");
    if (lt.contains("max")) p.lead_time_max_days = r.integer(lt["max"], "lead_time_days.max");
  }
  if (obj.contains("channels")) {
    const json& ch = obj["channels"];
    if (!ch.is_array()) r.fail("channels", "must be a list such as [\"in_app\", \"email\"]");
    p.channels.clear();
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const std::string field = "channels[" + std::to_string(i) + "]";
      const auto c = parse_channel(r.string(ch[i], field));
      if (!c) r.fail(field, "must be \"in_app\" or \"email\", got \"" + ch[i].get<std::string>() + "\"");
      p.channels.push_back(*c);
    }
  }
  if (obj.contains("variants")) {
    const json& vs = obj["variants"];
    if (!vs.is_array()) r.fail("variants", "must be a list of tables");
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const std::string field = "variants[" + std::to_string(i) + "]";
      const json& v = r.object(vs[i], field);
      r.reject_unknown(v, {"name", "weight", "subject", "text", "html", "in_app"}, field + ".");
      CopyVariant cv;
      if (!v.contains("name")) r.fail(field + ".name", "is required");
      cv.name = r.string(v["name"], field + ".name");
      if (v.contains("weight")) cv.weight = r.number(v["weight"], field + ".weight");
      if (v.contains("subject")) cv.subject = r.string(v["subject"], field + ".subject");
      if (v.contains("text")) cv.text_body = r.string(v["text"], field + ".text");
      if (v.contains("html")) cv.html_body = r.string(v["html"], field + ".html");
      if (v.contains("in_app")) cv.in_app_text = r.string(v["in_app"], field + ".in_app");
      p.variants.push_back(std::move(cv));
    }
  } else {
    p.variants.push_back(default_copy_variant());
  }
  if (obj.contains("frequency_cap")) p.frequency_cap = read_cap(r, obj["frequency_cap"], "frequency_cap", p.frequency_cap);
  if (obj.contains("global_cap")) p.global_cap = read_cap(r, obj["global_cap"], "global_cap", p.global_cap);
  if (obj.contains("quiet_hours")) {
    const json& q = obj["quiet_hours"];
    if (q.is_null() || (q.is_boolean() && !q.get<bool>())) {
      p.quiet_hours.reset();
    } else {
      r.object(q, "quiet_hours");
      r.reject_unknown(q, {"start", "end"}, "quiet_hours.");
      QuietHours qh;
      if (q.contains("start")) qh.start = r.time_of_day(q["start"], "quiet_hours.start");
      if (q.contains("end")) qh.end = r.time_of_day(q["end"], "quiet_hours.end");
      p.quiet_hours = qh;
    }
  }
  if (obj.contains("holdout_share")) p.holdout_share = r.number(obj["holdout_share"], "holdout_share");
  if (obj.contains("experiment")) p.experiment = r.string(obj["experiment"], "experiment");
  if (obj.contains("shadow")) p.shadow = r.boolean(obj["shadow"], "shadow");
  if (obj.contains("allow_low_confidence")) p.allow_low_confidence = r.boolean(obj["allow_low_confidence"], "allow_low_confidence");
  if (obj.contains("nudge_other_holdouts"))
    p.nudge_other_holdouts = r.boolean(obj["nudge_other_holdouts"], "nudge_other_holdouts");
  if (obj.contains("active_from") && !obj["active_from"].is_null()) p.active_from = r.instant(obj["active_from"], "active_from");
  if (obj.contains("active_to") && !obj["active_to"].is_null()) p.active_to = r.instant(obj["active_to"], "active_to");
  validate_policy(p, source);
  return p;
}

Policy parse_policy_json_text(std::string_view text, std::string_view source) {
  json obj;
  try {
    obj = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number past a double (1e400).
    throw PolicyError(std::string(source) + ": invalid JSON: " + e.what());
  }
  return parse_policy_json(obj, source);
}

std::vector<Policy> parse_policies_toml(std::string_view text, std::string_view source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw PolicyError(std::string(source) + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                      ": " + std::string(e.description()));
  }
  const toml::node* node = doc.get("policies");
  if (!node) return {};
  const toml::array* arr = node->as_array();
  if (!arr) throw PolicyError(std::string(source) + ": 'policies' must be an array of tables ([[policies]])");
  std::vector<Policy> out;
  std::set<std::string> names;
  for (const auto& entry : *arr) {
    // The line of the table lets the error point at the right [[policies]] block.
    const auto line = entry.source().begin.line;
    const std::string where = std::string(source) + ":" + std::to_string(line);
    Policy p = parse_policy_json(toml_to_json(entry), where);
    if (!names.insert(p.name).second) throw PolicyError(where + ": policy '" + p.name + "': field 'name': defined twice");
    out.push_back(std::move(p));
  }
  return out;
}

json policy_to_json(const Policy& p) {
  json obj = json::object();
  obj["name"] = p.name;
  obj["active"] = p.active;
  obj["risk_threshold"] = p.risk_threshold;
  obj["buffer"] = p.buffer.to_decimal_string();
  obj["lead_time_days"] = {{"min", p.lead_time_min_days}, {"max", p.lead_time_max_days}};
  json channels = json::array();
  for (Channel c : p.channels) channels.push_back(std::string(to_string(c)));
  obj["channels"] = channels;
  json variants = json::array();
  for (const auto& v : p.variants) {
    variants.push_back({{"name", v.name}, {"weight", v.weight}, {"subject", v.subject}, {"text", v.text_body},
                        {"html", v.html_body}, {"in_app", v.in_app_text}});
  }
  obj["variants"] = variants;
  obj["frequency_cap"] = {{"max_nudges", p.frequency_cap.max_nudges}, {"window_days", p.frequency_cap.window_days}};
  obj["global_cap"] = {{"max_nudges", p.global_cap.max_nudges}, {"window_days", p.global_cap.window_days}};
  if (p.quiet_hours) {
    obj["quiet_hours"] = {{"start", format_hhmm(p.quiet_hours->start)}, {"end", format_hhmm(p.quiet_hours->end)}};
  } else {
    obj["quiet_hours"] = false;
  }
  obj["holdout_share"] = p.holdout_share;
  obj["experiment"] = p.experiment;
  obj["shadow"] = p.shadow;
  obj["allow_low_confidence"] = p.allow_low_confidence;
  obj["nudge_other_holdouts"] = p.nudge_other_holdouts;
  if (p.active_from) obj["active_from"] = format_instant(*p.active_from);
  if (p.active_to) obj["active_to"] = format_instant(*p.active_to);
  return obj;
}

}  // namespace headroom::nudges
