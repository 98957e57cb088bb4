#include "service/nudge_planning.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "nudges/email_message.hpp"
#include "nudges/forecast_summary.hpp"
#include "nudges/templates.hpp"
#include "nudges/unsubscribe.hpp"
#include "edge/metrics.hpp"

namespace headroom::service {
namespace {

using std::chrono::sys_seconds;

// A bad policy row is reported once per (message) per process, not once per chunk.
void report_policy_errors(const std::vector<std::string>& errors) {
  static std::mutex mutex;
  static std::set<std::string> reported;
  std::lock_guard lock(mutex);
  for (const auto& e : errors)
    if (reported.insert(e).second) spdlog::error("[nudges] policy skipped: {}", e);
}

nlohmann::json snapshot_json(const nudges::ForecastSummary& s) {
  nlohmann::json drivers = nlohmann::json::array();
  for (const auto& d : s.drivers) {
    static constexpr const char* kKinds[] = {"bill", "income", "spending", "other"};
    drivers.push_back({{"kind", kKinds[static_cast<int>(d.kind)]},
                       {"label", d.label},
                       {"amount_cents", d.amount.cents()},
                       {"date", forecast::to_iso_string(d.date)}});
  }
  nlohmann::json j{{"drivers", std::move(drivers)}, {"cold_start", s.cold_start}, {"low_confidence", s.low_confidence}};
  if (s.first_risky_day) j["first_risky_day"] = forecast::to_iso_string(*s.first_risky_day);
  if (s.next_income_date) {
    j["next_income_date"] = forecast::to_iso_string(*s.next_income_date);
    j["next_income_cents"] = s.next_income_amount.cents();
  }
  return j;
}

// The instant the account's local day after `day` begins.
sys_seconds end_of_local_day(const date::time_zone* zone, forecast::Date day) {
  const forecast::Date next = day + forecast::Date::duration(1);
  if (!zone) return std::chrono::time_point_cast<std::chrono::seconds>(next);
  const date::local_days local{next.time_since_epoch()};
  return std::chrono::time_point_cast<std::chrono::seconds>(zone->to_sys(local, date::choose::earliest));
}

}  // namespace

sys_seconds planning_time(forecast::Date as_of, std::chrono::system_clock::time_point wall_now) {
  const auto now = std::chrono::floor<std::chrono::seconds>(wall_now);
  if (std::chrono::floor<std::chrono::days>(now) == as_of) return now;
  return std::chrono::time_point_cast<std::chrono::seconds>(as_of) + std::chrono::hours(16);
}

db::WriteCounts plan_nudges(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts,
                            const NudgeSettings& settings, sys_seconds now) {
  if (!settings.enabled || forecasts.empty()) return {};
  const db::PolicyLoad load = db::load_active_policies(tx);
  report_policy_errors(load.errors);
  if (load.policies.empty()) return {};

  std::vector<std::string> ids;
  ids.reserve(forecasts.size());
  for (const auto& f : forecasts) ids.push_back(f.forecast.account_id);
  std::size_t unknown_zones = 0;
  const auto contacts = db::load_contacts(tx, ids, &unknown_zones);
  if (unknown_zones) spdlog::warn("[nudges] {} accounts name an unknown time zone; planned in UTC", unknown_zones);
  int window_days = 1;
  for (const auto& p : load.policies)
    window_days = std::max({window_days, p.policy.frequency_cap.window_days, p.policy.global_cap.window_days});
  const forecast::Date today = std::chrono::floor<std::chrono::days>(now);
  const auto past = db::load_past_nudges(tx, ids, now - std::chrono::days(window_days), today - forecast::Date::duration(2));
  static const std::vector<nudges::PastNudge> kNone;
  std::vector<nudges::Policy> in_table;
  in_table.reserve(load.policies.size());
  for (const auto& stored : load.policies) in_table.push_back(stored.policy);
  const std::vector<nudges::ExperimentHoldout> holdouts = nudges::holdouts_in_force(in_table, now);

  std::vector<db::DecisionRecord> records;
  records.reserve(forecasts.size() * load.policies.size() * 2);
  for (const auto& af : forecasts) {
    const auto& account_id = af.forecast.account_id;
    const nudges::ForecastSummary summary = nudges::summarize_forecast(af.forecast);
    const nudges::AccountContact& contact = contacts.at(account_id);
    const auto past_it = past.find(account_id);
    const auto& account_past = past_it == past.end() ? kNone : past_it->second;
    const std::string snapshot = snapshot_json(summary).dump();
    for (const auto& stored : load.policies) {
      const nudges::Policy& policy = stored.policy;
      const auto decisions = nudges::plan(summary, policy, contact, account_past, now, holdouts);
      for (const auto& d : decisions) {
        db::DecisionRecord r;
        r.decided_at = now;
        r.account_id = account_id;
        r.policy = policy.name;
        r.policy_version = stored.version;
        r.experiment = policy.experiment;
        r.decision = d;
        r.as_of = summary.as_of;
        r.window_probability = summary.window_probability;
        r.buffer_cents = summary.buffer.cents();
        r.expected_shortfall_cents = summary.expected_shortfall.cents();
        r.forecast_json = snapshot;
        r.explanation = nudges::explain(d, summary, policy);
        const bool reached_variant = d.outcome != nudges::Outcome::kSuppressed ||
                                     d.reason == nudges::Reason::kQuietHours || d.reason == nudges::Reason::kShadow;
        if (reached_variant && d.variant_index < policy.variants.size())
          r.variant = policy.variants[d.variant_index].name;
        r.deliverable = d.risky_day && d.channel && d.arm == nudges::Arm::kTreatment && !policy.shadow &&
                        (d.outcome == nudges::Outcome::kSend ||
                         (d.outcome == nudges::Outcome::kSuppressed && d.reason == nudges::Reason::kQuietHours &&
                          d.deferred_until));
        if (r.deliverable) {
          const nudges::CopyVariant& variant = policy.variants.at(d.variant_index);
          std::string unsubscribe;
          if (d.channel == nudges::Channel::kEmail)
            unsubscribe = settings.unsubscribe_secret.empty()
                              ? settings.bank_unsubscribe_url
                              : nudges::unsubscribe_url(settings.unsubscribe_base_url,
                                                        nudges::sign_unsubscribe_token(settings.unsubscribe_secret, account_id));
          const auto values =
              nudges::make_copy_values(summary, policy.buffer, nudges::local_date(contact.time_zone, now),
                                       contact.currency, contact.locale, unsubscribe);
          const nudges::RenderedCopy copy = nudges::render_copy(variant, values);
          r.message_id = nudges::message_id_for(nudges::dedupe_key(account_id, policy.name, *d.risky_day, *d.channel),
                                                settings.from_address);
          r.payload_json = nlohmann::json{{"variant", variant.name},
                                          {"subject", copy.subject},
                                          {"text", copy.text_body},
                                          {"html", copy.html_body},
                                          {"in_app", copy.in_app_text},
                                          {"unsubscribe_url", unsubscribe}}
                               .dump();
          r.in_app_body = copy.in_app_text;
          r.due_at = d.deferred_until ? *d.deferred_until : now;
          r.expires_at = end_of_local_day(contact.time_zone, *d.risky_day);
        }
        records.push_back(std::move(r));
      }
    }
  }
  const db::WriteCounts written = db::write_decisions(tx, records);
  if (settings.metrics) {
    // An in-app nudge writes its outbox row and its feed row together, under
    // equivalent unique keys, so the rest of the outbox rows are emails.
    settings.metrics->nudges_decided.add(nudges::Channel::kInApp, written.in_app);
    settings.metrics->nudges_decided.add(nudges::Channel::kEmail, written.outbox - written.in_app);
  }
  return written;
}

}  // namespace headroom::service
