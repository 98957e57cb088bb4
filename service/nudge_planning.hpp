#pragma once
// After each forecast: every active policy of headroom.nudge_policies is
// planned (nudges::plan) for every forecast account, and the decisions, the
// outbox rows and the pending in-app rows are written into the caller's
// transaction — the scoring chunk's, so forecasts and decisions commit
// together (docs/policies.md). Policies are re-read from the table on every
// call, so a change applies from the next chunk without a restart; a row that
// fails validation is logged with its name and field and skipped.
//
// Deliverable decisions: `send`, and treatment-arm `quiet_hours` deferrals of
// live (non-shadow) policies, whose outbox row is due when quiet hours end.
// Copy is rendered here, once, so a resend is byte-identical.

#include <chrono>
#include <string>
#include <vector>

#include <pqxx/transaction_base>

#include "db/nudge_store.hpp"
#include "forecast/forecast.hpp"

namespace headroom::edge {
struct Metrics;
}

namespace headroom::service {

struct NudgeSettings {
  bool enabled = true;                                  // false: forecasts only, no decisions
  std::string from_address = "headroom@localhost";      // the Message-ID domain (HEADROOM_SMTP_FROM)
  std::string unsubscribe_secret;                       // HEADROOM_UNSUBSCRIBE_SECRET(_FILE); empty: no signed link
  std::string unsubscribe_base_url = "http://127.0.0.1:8080/unsubscribe";  // HEADROOM_UNSUBSCRIBE_BASE_URL
  // HEADROOM_BANK_UNSUBSCRIBE_URL: the link of every email when there is no
  // secret (the bank handles unsubscribes). Neither: emails carry no link,
  // which the configuration refuses whenever the email channel is on.
  std::string bank_unsubscribe_url;
  edge::Metrics* metrics = nullptr;                     // nudges_decided is counted here; null: not counted
};

// Plans and writes; `now` is the planner's clock (see planning_time).
db::WriteCounts plan_nudges(pqxx::transaction_base& tx, const std::vector<forecast::AccountForecast>& forecasts,
                            const NudgeSettings& settings, std::chrono::sys_seconds now);

// The planner's `now` for a cycle as of `as_of`: the wall clock when as_of is
// today (UTC), else 16:00 UTC on as_of — replays and simulations run on past
// or future dates, and 16:00 UTC is daytime from the Americas to Europe, so
// quiet hours do not defer every replayed nudge.
std::chrono::sys_seconds planning_time(forecast::Date as_of, std::chrono::system_clock::time_point wall_now);

}  // namespace headroom::service
