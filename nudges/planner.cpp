#include "nudges/planner.hpp"

#include <algorithm>
#include <cstdio>

#include "nudges/assignment.hpp"

namespace headroom::nudges {

using std::chrono::sys_seconds;

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSend: return "send";
    case Outcome::kHoldout: return "holdout";
    case Outcome::kSuppressed: return "suppressed";
  }
  return "?";
}

std::string_view to_string(Arm arm) { return arm == Arm::kTreatment ? "treatment" : "holdout"; }

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "none";
    case Reason::kPolicyInactive: return "policy_inactive";
    case Reason::kBufferMismatch: return "buffer_mismatch";
    case Reason::kBelowThreshold: return "below_threshold";
    case Reason::kLowConfidence: return "low_confidence";
    case Reason::kOutsideLeadTime: return "outside_lead_time";
    case Reason::kOptedOut: return "opted_out";
    case Reason::kHeldOutElsewhere: return "held_out_elsewhere";
    case Reason::kNoContact: return "no_contact";
    case Reason::kAlreadyNudged: return "already_nudged";
    case Reason::kFrequencyCap: return "frequency_cap";
    case Reason::kGlobalCap: return "global_cap";
    case Reason::kQuietHours: return "quiet_hours";
    case Reason::kShadow: return "shadow";
  }
  return "?";
}

const date::time_zone* find_time_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

forecast::Date local_date(const date::time_zone* zone, sys_seconds now) {
  if (!zone) return std::chrono::floor<std::chrono::days>(now);
  const auto local = zone->to_local(now);
  return forecast::Date{std::chrono::floor<std::chrono::days>(local).time_since_epoch()};
}

std::optional<sys_seconds> quiet_hours_end(const QuietHours& quiet, const date::time_zone* zone, sys_seconds now) {
  using std::chrono::days;
  using std::chrono::floor;
  if (!zone) {
    const auto day = floor<days>(now);
    const auto tod = now - day;
    const bool wraps = quiet.start > quiet.end;
    const bool inside = wraps ? (tod >= quiet.start || tod < quiet.end) : (tod >= quiet.start && tod < quiet.end);
    if (!inside) return std::nullopt;
    const auto end_day = (wraps && tod >= quiet.start) ? day + days{1} : day;
    return sys_seconds{end_day} + quiet.end;
  }
  const date::local_seconds local = zone->to_local(now);
  const auto day = floor<days>(local);
  const auto tod = local - day;
  const bool wraps = quiet.start > quiet.end;
  const bool inside = wraps ? (tod >= quiet.start || tod < quiet.end) : (tod >= quiet.start && tod < quiet.end);
  if (!inside) return std::nullopt;
  const auto end_day = (wraps && tod >= quiet.start) ? day + days{1} : day;
  const date::local_seconds local_end = end_day + quiet.end;
  sys_seconds end = zone->to_sys(local_end, date::choose::earliest);
  // Fall-back: the first occurrence of an ambiguous end time may already be
  // behind us (we are in the repeated hour); then the second one is meant.
  if (end <= now) end = zone->to_sys(local_end, date::choose::latest);
  if (end <= now) return std::nullopt;
  return end;
}

std::string dedupe_key(std::string_view account_id, std::string_view policy, forecast::Date risky_day,
                       Channel channel) {
  std::string key;
  key.reserve(account_id.size() + policy.size() + 24);
  key.append(account_id);
  key.push_back('\x1f');
  key.append(policy);
  key.push_back('\x1f');
  key.append(forecast::to_iso_string(risky_day));
  key.push_back('\x1f');
  key.append(to_string(channel));
  return key;
}

namespace {

// Distinct episodes (policy, risky day) among past nudges accepted by `counts`,
// decided within (now - window, now], excluding the episode being planned.
// Stops at `limit`: the caller only needs to know whether the cap is reached.
template <class Pred>
int count_episodes(std::span<const PastNudge> past, sys_seconds now, int window_days, int limit, Pred counts) {
  const sys_seconds since = now - std::chrono::days{window_days};
  int n = 0;
  for (std::size_t i = 0; i < past.size() && n < limit; ++i) {
    const PastNudge& p = past[i];
    if (p.decided_at <= since || p.decided_at > now || !counts(p)) continue;
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) {
      const PastNudge& q = past[j];
      seen = q.risky_day == p.risky_day && q.decided_at > since && q.decided_at <= now && counts(q) &&
             q.policy == p.policy;
    }
    if (!seen) ++n;
  }
  return n;
}

}  // namespace

std::vector<ExperimentHoldout> holdouts_in_force(std::span<const Policy> policies, sys_seconds now) {
  std::vector<ExperimentHoldout> out;
  for (const Policy& p : policies)
    if (in_force(p, now) && p.holdout_share > 0) out.push_back({p.experiment, p.holdout_share});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.experiment != b.experiment ? a.experiment < b.experiment : a.share < b.share;
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Decision> plan(const ForecastSummary& forecast, const Policy& policy, const AccountContact& account,
                           std::span<const PastNudge> past, sys_seconds now,
                           std::span<const ExperimentHoldout> holdouts) {
  std::vector<Decision> out;
  out.reserve(policy.channels.size());

  Decision base;
  base.assignment_hash = assignment_hash("holdout", policy.experiment, account.account_id);
  base.arm = hash_fraction(base.assignment_hash) < policy.holdout_share ? Arm::kHoldout : Arm::kTreatment;
  base.risky_day = forecast.first_risky_day;

  // A reason found before the channels holds for all of them: one row says
  // it (a cycle decides below threshold for most accounts every day).
  auto emit_all = [&](Reason reason) {
    base.outcome = Outcome::kSuppressed;
    base.reason = reason;
    out.push_back(base);
    return out;
  };

  if (!in_force(policy, now)) return emit_all(Reason::kPolicyInactive);
  if (forecast.buffer != policy.buffer) return emit_all(Reason::kBufferMismatch);
  if (!forecast.first_risky_day || !(forecast.window_probability >= policy.risk_threshold)) {
    return emit_all(Reason::kBelowThreshold);
  }
  if ((forecast.cold_start || forecast.low_confidence) && !policy.allow_low_confidence) {
    return emit_all(Reason::kLowConfidence);
  }
  const forecast::Date risky_day = *forecast.first_risky_day;
  const int lead = forecast::days_between(local_date(account.time_zone, now), risky_day);
  base.lead_time_days = lead;
  if (lead < policy.lead_time_min_days || lead > policy.lead_time_max_days) {
    return emit_all(Reason::kOutsideLeadTime);
  }
  if (account.opted_out_at && *account.opted_out_at <= now) return emit_all(Reason::kOptedOut);
  if (!policy.nudge_other_holdouts) {
    for (const ExperimentHoldout& h : holdouts)
      if (h.experiment != policy.experiment && in_holdout(h.experiment, account.account_id, h.share))
        return emit_all(Reason::kHeldOutElsewhere);
  }

  if (policy.variants.size() > 1) {
    double weights[16];
    std::vector<double> many;
    std::span<const double> w;
    if (policy.variants.size() <= 16) {
      for (std::size_t i = 0; i < policy.variants.size(); ++i) weights[i] = policy.variants[i].weight;
      w = std::span<const double>(weights, policy.variants.size());
    } else {
      for (const auto& v : policy.variants) many.push_back(v.weight);
      w = many;
    }
    base.variant_index = choose_variant(policy.experiment, account.account_id, w);
  }

  // Caps and quiet hours are per account, not per channel: compute once.
  const bool policy_capped =
      count_episodes(past, now, policy.frequency_cap.window_days, policy.frequency_cap.max_nudges,
                     [&](const PastNudge& p) { return p.policy == policy.name && p.risky_day != risky_day; }) >=
      policy.frequency_cap.max_nudges;
  const bool globally_capped =
      !policy_capped &&
      count_episodes(past, now, policy.global_cap.window_days, policy.global_cap.max_nudges,
                     [&](const PastNudge& p) {
                       return p.delivered && !(p.policy == policy.name && p.risky_day == risky_day);
                     }) >= policy.global_cap.max_nudges;
  const std::optional<sys_seconds> quiet_end =
      policy.quiet_hours ? quiet_hours_end(*policy.quiet_hours, account.time_zone, now) : std::nullopt;

  for (Channel c : policy.channels) {
    Decision d = base;
    d.channel = c;
    d.outcome = Outcome::kSuppressed;
    bool already = false;
    for (const PastNudge& p : past) {
      already = already || (p.channel == c && p.risky_day == risky_day && p.policy == policy.name);
    }
    if (c == Channel::kEmail && (account.email.empty() || !account.email_consent)) {
      d.reason = Reason::kNoContact;
    } else if (already) {
      d.reason = Reason::kAlreadyNudged;
    } else if (policy_capped) {
      d.reason = Reason::kFrequencyCap;
    } else if (globally_capped) {
      d.reason = Reason::kGlobalCap;
    } else if (quiet_end) {
      d.reason = Reason::kQuietHours;
      d.deferred_until = quiet_end;
    } else if (d.arm == Arm::kHoldout) {
      d.outcome = Outcome::kHoldout;
      d.reason = Reason::kNone;
    } else if (policy.shadow) {
      d.reason = Reason::kShadow;
    } else {
      d.outcome = Outcome::kSend;
      d.reason = Reason::kNone;
    }
    out.push_back(d);
  }
  return out;
}

std::string explain(const Decision& d, const ForecastSummary& f, const Policy& p) {
  char buf[160];
  std::string s;
  std::snprintf(buf, sizeof buf, "P(below %s) = %.3f vs threshold %.3f", f.buffer.to_decimal_string().c_str(),
                f.window_probability, p.risk_threshold);
  s += buf;
  if (f.first_risky_day) s += "; first risky day " + forecast::to_iso_string(*f.first_risky_day);
  if (d.lead_time_days) {
    std::snprintf(buf, sizeof buf, " in %d days (lead time %d-%d)", *d.lead_time_days, p.lead_time_min_days,
                  p.lead_time_max_days);
    s += buf;
  }
  s += "; arm ";
  s += to_string(d.arm);
  if (d.outcome != Outcome::kSuppressed) {
    s += "; variant " + p.variants[d.variant_index].name;
  }
  s += "; ";
  switch (d.reason) {
    case Reason::kNone:
      s += d.outcome == Outcome::kSend ? "send" : "holdout: would have sent";
      break;
    case Reason::kPolicyInactive: s += "suppressed: policy inactive"; break;
    case Reason::kBufferMismatch:
      s += "suppressed: forecast computed for buffer " + f.buffer.to_decimal_string() + ", policy buffer " +
           p.buffer.to_decimal_string();
      break;
    case Reason::kBelowThreshold: s += "suppressed: below threshold"; break;
    case Reason::kLowConfidence:
      s += f.cold_start ? "suppressed: cold-start model" : "suppressed: low-confidence model";
      break;
    case Reason::kOutsideLeadTime: s += "suppressed: outside lead time"; break;
    case Reason::kOptedOut: s += "suppressed: account opted out"; break;
    case Reason::kHeldOutElsewhere: s += "suppressed: account is in another experiment's holdout"; break;
    case Reason::kNoContact: s += "suppressed: no email address or no consent"; break;
    case Reason::kAlreadyNudged: s += "suppressed: already nudged for this risky day"; break;
    case Reason::kFrequencyCap:
      std::snprintf(buf, sizeof buf, "suppressed: frequency cap %d per %d days reached", p.frequency_cap.max_nudges,
                    p.frequency_cap.window_days);
      s += buf;
      break;
    case Reason::kGlobalCap:
      std::snprintf(buf, sizeof buf, "suppressed: global cap %d per %d days reached", p.global_cap.max_nudges,
                    p.global_cap.window_days);
      s += buf;
      break;
    case Reason::kQuietHours: {
      s += "deferred: quiet hours";
      if (d.deferred_until) {
        const auto day = std::chrono::floor<std::chrono::days>(*d.deferred_until);
        const std::chrono::hh_mm_ss hms{*d.deferred_until - day};
        std::snprintf(buf, sizeof buf, " until %sT%02d:%02d:%02dZ", forecast::to_iso_string(day).c_str(),
                      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()));
        s += buf;
      }
      break;
    }
    case Reason::kShadow: s += "shadow: would have sent, nothing sent"; break;
  }
  return s;
}

}  // namespace headroom::nudges
