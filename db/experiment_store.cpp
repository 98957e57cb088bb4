#include "db/experiment_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <unordered_map>

#include <pqxx/result>
#include <pqxx/stream_from>
#include <pqxx/transaction>

#include <nlohmann/json.hpp>

#include "db/copy_text.hpp"
#include "db/scoring_cycle.hpp"
#include "forecast/history.hpp"
#include "forecast/model.hpp"
#include "measurement/calibration.hpp"
#include "nudges/assignment.hpp"
#include "nudges/policy.hpp"

namespace headroom::db {
namespace {

using forecast::Date;
using measurement::AccountOutcome;
using measurement::Arm;
using measurement::ForecastOutcome;

// Lower case, without surrounding whitespace (a bank's kind codes may be padded).
std::string lower(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  const auto b = s.find_last_not_of(" \t\r\n");
  std::string out(a == std::string_view::npos ? std::string_view{} : s.substr(a, b - a + 1));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string days_text(Date d) { return forecast::to_iso_string(d); }

// Decision rows of one account in the period, folded as they stream by.
struct AccountDecisions {
  bool treatment = false;
  bool holdout = false;
  bool at_risk = false;
  bool decided = false;
  bool sent = false;
  bool seen = false;
  std::string variant;  // smallest name seen: deterministic whatever the row order
  std::vector<std::pair<Date, double>> forecasts;  // (as_of, P(balance < 0 in the window)), zero buffer only
};

struct PolicyInfo {
  double risk_threshold = 0.5;
  double holdout_share = 0.10;
};

// Every policy row, active or not: an experiment may be over and its policy
// switched off. A row that does not parse is noted and gets the defaults.
std::unordered_map<std::string, PolicyInfo> load_policies(pqxx::transaction_base& tx, const std::string& experiment,
                                                          std::vector<double>& experiment_shares,
                                                          std::vector<std::string>& notes) {
  std::unordered_map<std::string, PolicyInfo> out;
  for (const auto& row : tx.exec("SELECT name, active, definition::text FROM headroom.nudge_policies ORDER BY name")) {
    const std::string name = row[0].as<std::string>();
    try {
      nlohmann::json j = nlohmann::json::parse(row[2].as<std::string>());
      j["name"] = name;
      j["active"] = row[1].as<bool>();
      const nudges::Policy p = nudges::parse_policy_json(j, "headroom.nudge_policies");
      out[name] = {p.risk_threshold, p.holdout_share};
      if (p.experiment == experiment) experiment_shares.push_back(p.holdout_share);
    } catch (const std::exception& e) {
      notes.push_back("Policy '" + name + "' could not be read (" + e.what() +
                      "); its decisions were judged with the default risk threshold.");
      out[name] = {};
    }
  }
  return out;
}

std::optional<double> parse_double(std::string_view text) {
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string income_pattern(const std::vector<forecast::Transaction>& txns, Date from) {
  const forecast::AccountHistory before = forecast::build_history(txns, from);
  if (before.empty()) return "none";
  const forecast::CashFlowModel model = forecast::fit(before);
  // The main income stream: the largest expected pay per month among streams
  // still running at the start.
  const forecast::RecurringStream* main = nullptr;
  double best = 0;
  for (const auto& s : model.streams) {
    if (s.kind != forecast::StreamKind::kIncome || s.status == forecast::StreamStatus::kStopped) continue;
    const double monthly = s.amount_cents * 30.4 / std::max(1, s.schedule.period_days());
    if (monthly > best) best = monthly, main = &s;
  }
  if (main != nullptr) {
    switch (main->schedule.cadence) {
      case forecast::Cadence::kWeekly: return "weekly";
      case forecast::Cadence::kBiweekly: return "biweekly";
      case forecast::Cadence::kSemiMonthly: return "semi-monthly";
      case forecast::Cadence::kMonthly: return "monthly";
      default: return "irregular";
    }
  }
  // No schedule, but money comes in: gig work, transfers, cash deposits.
  const Date recent = from - Date::duration(90);
  for (const auto& p : before.postings)
    if (p.posted_at >= recent && p.amount.cents() > 0) return "irregular";
  return "none";
}

struct Outcomes {
  AccountOutcome outcome;
  std::vector<ForecastOutcome> forecasts;
  std::size_t forecasts_dropped = 0;
  bool has_history = false;
};

void compute_outcomes(const std::vector<forecast::Transaction>& txns, const ExperimentQuery& q, Date from, Date to,
                      const std::vector<std::string>& fee_kinds, AccountDecisions& decisions, AccountOutcome& o,
                      std::vector<ForecastOutcome>& forecasts, std::size_t& dropped) {
  const forecast::AccountHistory h = forecast::build_history(txns, to);
  const auto balance_below_zero = [&](Date d) -> std::optional<bool> {
    const int i = forecast::days_between(h.first_date, d);
    if (h.empty() || i < 0 || i >= h.days()) return std::nullopt;
    return h.end_of_day_balance[static_cast<std::size_t>(i)].cents() < 0;
  };
  // A run of days [a, b): (observed, overdrawn days).
  const auto scan = [&](Date a, Date b) {
    std::pair<bool, int> r{false, 0};
    for (Date d = a; d < b; d += Date::duration(1)) {
      const auto below = balance_below_zero(d);
      if (!below) continue;
      r.first = true;
      r.second += *below ? 1 : 0;
    }
    return r;
  };

  const int period_days = forecast::days_between(from, to);
  const int weeks = (period_days + 6) / 7;
  o.weekly_overdrawn.assign(static_cast<std::size_t>(weeks), 0);
  for (int k = 0; k < weeks; ++k) {
    const Date a = from + Date::duration(7 * k);
    const Date b = std::min(to, a + Date::duration(7));
    const auto [observed, days] = scan(a, b);
    if (!observed) continue;
    ++o.weeks;
    o.overdraft_days += days;
    if (days > 0) ++o.overdraft_weeks, o.weekly_overdrawn[static_cast<std::size_t>(k)] = 1;
  }
  double pre_sum = 0;
  int pre_n = 0;
  for (int k = 1; k <= q.pre_period_weeks; ++k) {
    const Date a = from - Date::duration(7 * k);
    const auto [observed, days] = scan(a, a + Date::duration(7));
    if (!observed) continue;
    ++o.pre_weeks;
    o.pre_overdraft_days += days;
    if (days > 0) ++o.pre_overdraft_weeks;
  }
  for (Date d = from - Date::duration(7 * q.pre_period_weeks); d < from; d += Date::duration(1)) {
    const int i = forecast::days_between(h.first_date, d);
    if (h.empty() || i < 0 || i >= h.days()) continue;
    pre_sum += static_cast<double>(h.end_of_day_balance[static_cast<std::size_t>(i)].cents());
    ++pre_n;
  }

  // Fees: debits of a fee kind posted in the period (docs in the header).
  for (const auto& t : txns) {
    if (t.posted_at < from || t.posted_at >= to || t.amount.cents() >= 0) continue;
    const std::string kind = lower(t.kind);
    if (std::find(fee_kinds.begin(), fee_kinds.end(), kind) == fee_kinds.end()) continue;
    o.total_fee_cents += -t.amount.cents();
    const std::string description = lower(t.description);
    for (const auto& w : q.fees.overdraft_words)
      if (!w.empty() && description.find(w) != std::string::npos) {
        o.overdraft_fee_cents += -t.amount.cents();
        break;
      }
  }

  o.balance_band = pre_n > 0 ? balance_band(pre_sum / pre_n) : "no history";
  o.tenure_band = txns.empty() ? "<6m" : tenure_band(forecast::days_between(txns.front().posted_at, from));
  o.income_pattern = income_pattern(txns, from);

  // Forecasts whose whole window is in the observed series before `to`.
  auto& fs = decisions.forecasts;
  std::sort(fs.begin(), fs.end());
  fs.erase(std::unique(fs.begin(), fs.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
           fs.end());
  for (const auto& [as_of, p] : fs) {
    // h runs to `to` - 1: a window that does not end before `to` is dropped.
    const auto overdrawn = measurement::window_overdrawn(h, as_of, q.horizon_days);
    if (!overdrawn) {
      ++dropped;
      continue;
    }
    ForecastOutcome f;
    f.as_of = as_of;
    f.p_window = p;
    f.overdrawn = *overdrawn;
    forecasts.push_back(f);
  }
}

}  // namespace

UnknownExperiment::UnknownExperiment(const std::string& name, std::vector<std::string> known_experiments)
    : std::runtime_error([&] {
        std::string m = "unknown experiment '" + name + "': no nudge decision names it. Known experiments: ";
        if (known_experiments.empty()) m += "none (no decisions or policies yet)";
        for (std::size_t i = 0; i < known_experiments.size(); ++i) m += (i ? ", " : "") + known_experiments[i];
        return m;
      }()),
      known(std::move(known_experiments)) {}

std::vector<std::string> list_experiments(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn};
  std::set<std::string> names;
  // A loose index scan over (experiment, decided_at): one probe per
  // experiment instead of reading every decision row.
  for (const auto& row : tx.exec(
           "WITH RECURSIVE e(name) AS ("
           "  (SELECT experiment FROM headroom.nudge_decisions ORDER BY experiment LIMIT 1)"
           "  UNION ALL"
           "  SELECT (SELECT experiment FROM headroom.nudge_decisions WHERE experiment > e.name"
           "          ORDER BY experiment LIMIT 1) FROM e WHERE e.name IS NOT NULL)"
           "SELECT name FROM e WHERE name IS NOT NULL"))
    names.insert(row[0].as<std::string>());
  for (const auto& row : tx.exec(
           "SELECT coalesce(definition->>'experiment', 'default') FROM headroom.nudge_policies"))
    names.insert(row[0].as<std::string>());
  tx.commit();
  return {names.begin(), names.end()};
}

std::string balance_band(double mean_balance_cents) {
  if (mean_balance_cents < 0) return "<0";
  if (mean_balance_cents < 50000) return "0-500";
  if (mean_balance_cents < 200000) return "500-2k";
  return "2k+";
}

std::string tenure_band(int days) {
  if (days < 183) return "<6m";
  if (days < 365) return "6-12m";
  return "1y+";
}

ExperimentInputs load_experiment(pqxx::connection& conn, const ExperimentQuery& q) {
  if (q.horizon_days < 1) throw std::invalid_argument("horizon_days must be at least 1");
  if (q.pre_period_weeks < 0) throw std::invalid_argument("pre_period_weeks must not be negative");
  ExperimentInputs in;
  in.experiment = q.experiment;
  std::unordered_map<std::string, PolicyInfo> policies;
  std::unordered_map<std::string, AccountDecisions> by_account;
  {
    pqxx::read_transaction tx{conn};
    const auto bounds = tx.exec_params(
        "SELECT min(as_of)::text, max(as_of)::text FROM headroom.nudge_decisions WHERE experiment = $1",
        q.experiment);
    if (bounds[0][0].is_null()) {
      tx.commit();
      throw UnknownExperiment(q.experiment, list_experiments(conn));
    }
    in.from = q.from ? *q.from : *forecast::parse_iso_date(bounds[0][0].as<std::string>());
    in.to = q.to ? *q.to : *forecast::parse_iso_date(bounds[0][1].as<std::string>()) + Date::duration(1);
    if (in.to <= in.from)
      throw std::invalid_argument("the period is empty: --to " + days_text(in.to) + " is not after --from " +
                                  days_text(in.from));

    std::vector<double> shares;
    policies = load_policies(tx, q.experiment, shares, in.notes);
    if (!shares.empty()) {
      in.holdout_share = shares.front();
      if (std::any_of(shares.begin(), shares.end(), [&](double s) { return s != shares.front(); }))
        in.notes.push_back("The experiment's policies disagree on the holdout share; the sample-ratio check uses " +
                           std::to_string(in.holdout_share) + ".");
    } else {
      in.notes.push_back("No policy names this experiment any more; the sample-ratio check assumes the default "
                         "holdout share.");
    }

    // COPY takes no bind parameters; the values are quoted by the server's
    // own rules (tx.quote), never pasted raw.
    const std::string query =
        "(SELECT account_id, as_of, arm, policy, outcome, reason, variant, window_probability, buffer_cents "
        "FROM headroom.nudge_decisions WHERE experiment = " + tx.quote(q.experiment) +
        " AND as_of >= " + tx.quote(days_text(in.from)) + "::date AND as_of < " + tx.quote(days_text(in.to)) +
        "::date)";
    pqxx::stream_from stream{tx, query};
    std::string line;
    std::vector<std::optional<std::string_view>> fields;
    std::vector<std::string> scratch;
    std::set<std::string> policy_names;
    std::string last_policy;
    while (stream.get_raw_line(line)) {
      split_copy_line(line, fields, scratch);
      if (fields.size() != 9 || !fields[0] || !fields[1] || !fields[2] || !fields[3] || !fields[7] || !fields[8]) {
        ++in.undecodable_rows;
        continue;
      }
      const auto as_of = forecast::parse_iso_date(*fields[1]);
      const auto p = parse_double(*fields[7]);
      if (!as_of || !p) {
        ++in.undecodable_rows;
        continue;
      }
      AccountDecisions& d = by_account[std::string(*fields[0])];
      if (*fields[2] == "treatment") d.treatment = true;
      else d.holdout = true;
      const std::string_view policy = *fields[3];
      if (policy != last_policy) {
        last_policy.assign(policy);
        policy_names.insert(last_policy);
      }
      const auto pit = policies.find(last_policy);
      const double threshold = pit == policies.end() ? 0.5 : pit->second.risk_threshold;
      if (*p >= threshold) d.at_risk = true;
      const std::string_view outcome = fields[4] ? *fields[4] : "";
      const std::string_view reason = fields[5] ? *fields[5] : "";
      if (outcome == "send" || outcome == "holdout" || reason == "quiet_hours" || reason == "shadow") d.decided = true;
      if (fields[6] && (d.variant.empty() || *fields[6] < d.variant)) d.variant.assign(*fields[6]);
      if (*fields[8] == "0") d.forecasts.emplace_back(*as_of, *p);
    }
    stream.complete();
    in.policies.assign(policy_names.begin(), policy_names.end());

    for (const auto& row : tx.exec_params(
             "SELECT o.account_id, bool_or(o.status = 'sent'), coalesce(bool_or(n.status IN ('seen', 'dismissed')), false) "
             "FROM headroom.nudge_outbox o "
             "JOIN headroom.nudge_decisions d ON d.decision_id = o.decision_id "
             "LEFT JOIN headroom.nudges n ON n.decision_id = o.decision_id "
             "WHERE d.experiment = $1 AND d.as_of >= $2::date AND d.as_of < $3::date "
             "GROUP BY o.account_id",
             q.experiment, days_text(in.from), days_text(in.to))) {
      const auto it = by_account.find(row[0].as<std::string>());
      if (it == by_account.end()) continue;
      it->second.sent = row[1].as<bool>();
      it->second.seen = row[2].as<bool>();
    }
    tx.commit();
  }
  if (by_account.empty())
    throw std::invalid_argument("experiment '" + q.experiment + "' has no decisions in [" + days_text(in.from) + ", " +
                                days_text(in.to) + ")");

  std::vector<std::string> fee_kinds;
  for (const auto& k : q.fees.fee_kinds) fee_kinds.push_back(lower(k));
  std::vector<std::string> words;
  for (const auto& w : q.fees.overdraft_words) words.push_back(lower(w));
  ExperimentQuery lowered = q;
  lowered.fees.overdraft_words = words;

  std::unordered_map<std::string, bool> done;
  done.reserve(by_account.size());
  const auto make_outcome = [&](const std::string& id, AccountDecisions& d,
                                const std::vector<forecast::Transaction>* txns) {
    AccountOutcome o;
    o.account_id = id;
    const bool expected_holdout = nudges::in_holdout(q.experiment, id, in.holdout_share);
    if (d.treatment && d.holdout) {
      ++in.mixed_arm_accounts;
      o.arm = expected_holdout ? Arm::holdout : Arm::treatment;
    } else {
      o.arm = d.holdout ? Arm::holdout : Arm::treatment;
      if (d.holdout != expected_holdout) ++in.arm_disagreements;
    }
    o.variant = d.variant;
    o.at_risk = d.at_risk;
    o.decided = d.decided;
    o.sent = d.sent;
    o.seen = d.seen;
    if (txns != nullptr) {
      compute_outcomes(*txns, lowered, in.from, in.to, fee_kinds, d, o, in.forecasts, in.forecasts_dropped);
    } else {
      ++in.accounts_without_history;
      o.income_pattern = "none";
      o.balance_band = "no history";
      o.tenure_band = "<6m";
      o.weekly_overdrawn.assign(static_cast<std::size_t>((forecast::days_between(in.from, in.to) + 6) / 7), 0);
      in.forecasts_dropped += d.forecasts.size();
    }
    in.accounts.push_back(std::move(o));
  };

  in.undecodable_rows += read_account_histories(
      conn, "", "", [&](std::string_view account_id, std::vector<forecast::Transaction>&& history) {
        const auto it = by_account.find(std::string(account_id));
        if (it == by_account.end()) return;
        make_outcome(it->first, it->second, &history);
        done.emplace(it->first, true);
      });
  for (auto& [id, d] : by_account)
    if (!done.count(id)) make_outcome(id, d, nullptr);
  std::sort(in.accounts.begin(), in.accounts.end(),
            [](const auto& a, const auto& b) { return a.account_id < b.account_id; });

  if (in.arm_disagreements)
    in.notes.push_back(std::to_string(in.arm_disagreements) +
                       " accounts carry an arm that differs from the assignment hash at the policy's holdout share; "
                       "was the share or the experiment name changed during the period?");
  if (in.mixed_arm_accounts)
    in.notes.push_back(std::to_string(in.mixed_arm_accounts) +
                       " accounts have decisions in both arms (the holdout share changed mid-period?); they are "
                       "counted in the arm the assignment hash gives them now.");
  if (in.accounts_without_history)
    in.notes.push_back(std::to_string(in.accounts_without_history) +
                       " assigned accounts have no transactions; they count as assigned but contribute no weeks.");
  return in;
}

}  // namespace headroom::db
