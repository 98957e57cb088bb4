#include "forecast/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <span>

#include "forecast/robust.hpp"

namespace headroom::forecast {
namespace {

using namespace std::chrono;

constexpr double kDaysPerMonth = 30.44;

struct Observation {
  Date date;
  double amount;   // signed cents
  std::uint32_t posting;  // index into history.postings
};

// Result of laying a candidate schedule over a label's observations.
struct Match {
  Schedule schedule;
  int tol = 3;
  double score = -1e9;
  int expected_in_span = 0;   // due dates from first observation to last matched
  int matched = 0;            // due dates with an observation
  int matched_obs = 0;
  int trailing_misses = 0;    // due dates after the last match, overdue
  int misses_in_span = 0;
  bool has_pending = false;
  Date pending_due{};
  Date last_matched_nominal{};
  Date last_matched_date{};
  Date first_miss_in_span{};
  std::vector<std::int8_t> deviations;  // posted − nominal of matched, in date order
  std::vector<std::uint8_t> obs_matched;
  std::vector<Date> missed_dates;
};

int tolerance_for(Cadence c) {
  switch (c) {
    case Cadence::kWeekly: return 1;
    case Cadence::kBiweekly:
    case Cadence::kSemiMonthly: return 2;
    default: return 3;
  }
}

// Greedy nearest matching of due dates to observations (both ascending).
// Fills m.tol, m.obs_matched, m.matched_obs, m.score; `scratch` receives the
// due dates and `due_match` the observation matched to each (or -1). The
// score alone decides between candidates, so losers stop here.
void lay_over(const Schedule& s, std::span<const Observation> obs, Date as_of, std::vector<Date>& scratch,
              std::vector<int>& due_match, Match& m) {
  m.tol = tolerance_for(s.cadence);
  const Date from = obs.front().date - Days{m.tol};
  schedule_dates(s, from, as_of - Days{1} + Days{m.tol}, scratch);
  m.obs_matched.assign(obs.size(), 0);
  due_match.assign(scratch.size(), -1);
  std::size_t lo = 0;
  for (std::size_t i = 0; i < scratch.size(); ++i) {
    const Date e = scratch[i];
    while (lo < obs.size() && obs[lo].date < e - Days{m.tol}) ++lo;
    int best = -1, best_dev = 1000;
    for (std::size_t j = lo; j < obs.size() && obs[j].date <= e + Days{m.tol}; ++j) {
      if (m.obs_matched[j]) continue;
      const int dev = std::abs(days_between(e, obs[j].date));
      if (dev < best_dev) best_dev = dev, best = static_cast<int>(j);
    }
    if (best >= 0) {
      m.obs_matched[static_cast<std::size_t>(best)] = 1;
      due_match[i] = best;
    }
  }
  // Recency-weighted agreement decides between candidates; recent cycles
  // dominate so a changed pay day wins once it has repeated.
  double w = 1.0, num = 0.0, den = 0.0;
  for (int i = static_cast<int>(scratch.size()) - 1; i >= 0; --i) {
    const Date e = scratch[static_cast<std::size_t>(i)];
    const bool future = e >= as_of;
    const int j = due_match[static_cast<std::size_t>(i)];
    if (future && j < 0) continue;
    if (j < 0 && e + Days{m.tol} >= as_of) continue;  // may still arrive
    den += w;
    if (j >= 0) num += w * (1.0 - 0.1 * std::abs(days_between(e, obs[static_cast<std::size_t>(j)].date)));
    w *= 0.6;
  }
  m.matched_obs = 0;
  for (std::size_t j = 0; j < obs.size(); ++j) m.matched_obs += m.obs_matched[j];
  m.score = (den > 0 ? num / den : 0.0) - 0.5 * (1.0 - double(m.matched_obs) / double(obs.size()));
}

// Buffers of the schedule search, kept for the whole fit() so each label's
// search does not allocate its own.
struct SearchScratch {
  std::vector<Date> dates;
  std::vector<int> due_match;
  std::vector<double> gaps;
  std::vector<Schedule> cands;
  Match trial;
};

// The full match of one schedule: lay_over() plus span, misses and jitter.
Match evaluate(const Schedule& s, std::span<const Observation> obs, Date as_of, SearchScratch& ss) {
  Match m;
  m.schedule = s;
  std::vector<Date>& scratch = ss.dates;
  std::vector<int>& due_match = ss.due_match;
  lay_over(s, obs, as_of, scratch, due_match, m);
  int last_match_i = -1;
  for (std::size_t i = 0; i < scratch.size(); ++i)
    if (due_match[i] >= 0) last_match_i = static_cast<int>(i);
  if (last_match_i < 0) return m;
  const auto li = static_cast<std::size_t>(last_match_i);
  m.deviations.reserve(li + 1);
  m.missed_dates.reserve(scratch.size());
  m.last_matched_nominal = scratch[li];
  m.last_matched_date = obs[static_cast<std::size_t>(due_match[li])].date;
  for (std::size_t i = 0; i <= li; ++i) {
    if (scratch[i] < obs.front().date - Days{m.tol}) continue;
    ++m.expected_in_span;
    if (due_match[i] >= 0) {
      ++m.matched;
      m.deviations.push_back(static_cast<std::int8_t>(days_between(scratch[i], obs[static_cast<std::size_t>(due_match[i])].date)));
    } else {
      m.missed_dates.push_back(scratch[i]);
    }
  }
  m.misses_in_span = m.expected_in_span - m.matched;
  int jitter = 0;
  const std::size_t nd = m.deviations.size();
  for (std::size_t i = nd > 6 ? nd - 6 : 0; i < nd; ++i) jitter = std::max(jitter, std::abs(int(m.deviations[i])));
  for (std::size_t i = li + 1; i < scratch.size(); ++i) {
    const Date e = scratch[i];
    if (e >= as_of) break;
    if (e + Days{jitter + 1} >= as_of) {
      m.has_pending = true;
      m.pending_due = e;
    } else {
      ++m.trailing_misses;
      m.missed_dates.push_back(e);
    }
  }
  return m;
}

// The most frequent day of month, from a tally of days 1–31 (kept in a
// fixed array rather than a list of days: no allocation per candidate
// search); ties keep the last value seen, then the smallest day.
struct DayTally {
  std::array<int, 32> count{};
  int last = -1;  // the last day added; -1 = none
  void add(int day) {
    if (day >= 0 && day < 32) ++count[static_cast<std::size_t>(day)];
    last = day;
  }
  bool empty() const { return last < 0; }
  int mode() const {
    int best = last;
    for (int x = 0; x < 32; ++x)
      if (count[static_cast<std::size_t>(x)] > count[static_cast<std::size_t>(best)]) best = x;
    return best;
  }
};

int dom(Date d) { return static_cast<int>(static_cast<unsigned>(year_month_day{d}.day())); }

// Every weekend shift, in search order (the first candidate wins a tie).
constexpr WeekendShift kShifts[] = {WeekendShift::kNone, WeekendShift::kPreviousBusinessDay,
                                    WeekendShift::kNextBusinessDay};

// Weekly or biweekly from the last observation.
void every_n_days_candidates(Schedule s, Date prev, std::vector<Schedule>& out) {
  s.rule = DayRule::kEveryNDays;
  out.push_back(s);
  // Anchors a whole number of periods apart give the same dates, hence the
  // same score, and the first candidate wins a tie: only a shifted anchor
  // is worth laying over.
  if (days_between(prev, s.anchor) % (s.cadence == Cadence::kWeekly ? 7 : 14) != 0) {
    s.anchor = prev;
    out.push_back(s);
  }
}

// The most frequent day in each half of the month, each weekend shift; the
// last business day too when the second day is late in the month.
void semi_monthly_candidates(Schedule s, std::span<const Observation> obs, std::vector<Schedule>& out) {
  DayTally first, second;
  for (const auto& o : obs) (dom(o.date) <= 15 ? first : second).add(dom(o.date));
  const int d1 = first.empty() ? 1 : first.mode();
  const int d2 = second.empty() ? 31 : second.mode();
  s.day_of_month = d1;
  s.second_day = d2;
  for (auto sh : kShifts) {
    s.shift = sh;
    s.rule = DayRule::kFixedDay;
    out.push_back(s);
    if (d2 >= 26) {
      s.rule = DayRule::kLastBusinessDay;
      out.push_back(s);
    }
  }
}

// The last, the previous and the modal weekday day of month, each weekend
// shift; for monthly also the last business day and the nth (or last)
// weekday of the last observation.
void monthly_candidates(Schedule s, Date prev, std::span<const Observation> obs, std::vector<Schedule>& out) {
  const Date last = s.anchor;
  DayTally doms;
  for (const auto& o : obs)
    if (!is_weekend(o.date)) doms.add(dom(o.date));
  const int modal = doms.empty() ? dom(last) : doms.mode();
  // Recent regime first, so a changed due day can be adopted.
  const int days[3] = {dom(last), dom(prev), modal};
  for (int i = 0; i < 3; ++i) {
    bool seen = false;
    for (int j = 0; j < i; ++j) seen |= days[j] == days[i];
    if (seen) continue;
    s.rule = DayRule::kFixedDay;
    s.day_of_month = days[i];
    for (auto sh : kShifts) {
      s.shift = sh;
      out.push_back(s);
    }
  }
  s.shift = WeekendShift::kNone;
  if (s.cadence != Cadence::kMonthly) return;
  s.rule = DayRule::kLastBusinessDay;
  out.push_back(s);
  const weekday wd{last};
  s.rule = DayRule::kNthWeekday;
  s.weekday = wd.c_encoding();
  s.nth = std::min((dom(last) - 1) / 7 + 1, 4);
  out.push_back(s);
  if (dom(month_end(last)) - dom(last) < 7) {
    s.nth = -1;
    out.push_back(s);
  }
}

// The schedules of cadence `c` worth laying over the observations, anchored
// on the last one.
void candidates_for(Cadence c, std::span<const Observation> obs, std::vector<Schedule>& out) {
  out.clear();
  const Date last = obs.back().date;
  const Date prev = obs.size() >= 2 ? obs[obs.size() - 2].date : last;
  Schedule s;
  s.cadence = c;
  s.anchor = last;
  switch (c) {
    case Cadence::kWeekly:
    case Cadence::kBiweekly: every_n_days_candidates(s, prev, out); break;
    case Cadence::kSemiMonthly: semi_monthly_candidates(s, obs, out); break;
    case Cadence::kMonthly:
    case Cadence::kQuarterly:
    case Cadence::kAnnual: monthly_candidates(s, prev, obs, out); break;
  }
}

// The cadences a median gap allows, in search order (a fixed-size list: the
// search runs once per label).
struct Cadences {
  std::array<Cadence, 6> list{};
  int n = 0;
  void add(Cadence c) { list[static_cast<std::size_t>(n++)] = c; }
  std::span<const Cadence> all() const { return {list.data(), static_cast<std::size_t>(n)}; }
};

Cadences cadences_for_gap(double gap, int n) {
  Cadences c;
  if (gap >= 5.5 && gap <= 8.5) c.add(Cadence::kWeekly);
  if (gap >= 11 && gap <= 17) c.add(Cadence::kBiweekly);
  if (gap >= 11 && gap <= 19) c.add(Cadence::kSemiMonthly);
  if (gap >= 25 && gap <= 36) c.add(Cadence::kMonthly);
  if (n >= 2 && gap >= 80 && gap <= 100) c.add(Cadence::kQuarterly);
  if (n >= 2 && gap >= 350 && gap <= 380) c.add(Cadence::kAnnual);
  return c;
}

bool acceptable(const Match& m, int n_obs) {
  if (m.matched < 2) return false;
  const double coverage = double(m.matched) / std::max(1, m.expected_in_span);
  const double precision = double(m.matched_obs) / std::max(1, n_obs);
  return coverage >= 0.6 && precision >= 0.6;
}

Match best_match(std::span<const Observation> obs, Date as_of, bool amounts_tight, SearchScratch& ss) {
  Match best;
  if (obs.size() < 2) return best;
  std::vector<double>& gaps = ss.gaps;
  gaps.clear();
  for (std::size_t i = 1; i < obs.size(); ++i) {
    const int g = days_between(obs[i - 1].date, obs[i].date);
    if (g > 0) gaps.push_back(g);
  }
  if (gaps.empty()) return best;
  const double gap = median_inplace(gaps);
  std::vector<Schedule>& cands = ss.cands;
  std::vector<int>& due_match = ss.due_match;
  std::vector<Date>& scratch = ss.dates;
  Match& trial = ss.trial;
  double best_score = best.score;
  Schedule best_schedule;
  bool found = false;
  const Cadences cadences = cadences_for_gap(gap, static_cast<int>(obs.size()));
  for (Cadence c : cadences.all()) {
    // Two occurrences are enough only for a monthly charge of a steady amount
    // (a new subscription after its second charge); shorter cycles need three.
    if (obs.size() == 2 && (c != Cadence::kMonthly || !amounts_tight)) continue;
    candidates_for(c, obs, cands);
    for (const auto& s : cands) {
      lay_over(s, obs, as_of, scratch, due_match, trial);
      if (trial.score > best_score + 1e-12) best_score = trial.score, best_schedule = s, found = true;
    }
  }
  // Only the winner needs the full match (deviations, misses): evaluating it
  // again gives exactly what the search saw.
  if (found) best = evaluate(best_schedule, obs, as_of, ss);
  return best;
}

void add_anomaly(CashFlowModel& m, Date d, AnomalyKind k, Money amount, int stream = -1, int count = 1) {
  m.anomalies.push_back(Anomaly{d, k, amount, stream, count});
}

// Median of the last `last_n` (≤ 8) used amounts.
double abs_median(std::span<const Observation> obs, std::span<const std::uint8_t> use, std::size_t last_n) {
  std::array<double, 8> v;
  std::size_t n = 0;
  last_n = std::min(last_n, v.size());
  for (std::size_t i = obs.size(); i-- > 0 && n < last_n;)
    if (use.empty() || use[i]) v[n++] = obs[i].amount;
  return median_inplace(std::span<double>(v.data(), n));
}

}  // namespace

const char* anomaly_kind_name(AnomalyKind k) {
  switch (k) {
    case AnomalyKind::kWindfall: return "windfall";
    case AnomalyKind::kLargeExpense: return "large_expense";
    case AnomalyKind::kOverdueIncome: return "overdue_income";
    case AnomalyKind::kMissedOccurrence: return "missed_occurrence";
    case AnomalyKind::kStreamStopped: return "stream_stopped";
    case AnomalyKind::kAmountChanged: return "amount_changed";
    case AnomalyKind::kScheduleChanged: return "schedule_changed";
    case AnomalyKind::kBalanceMismatch: return "balance_mismatch";
    case AnomalyKind::kDuplicateDropped: return "duplicate_dropped";
  }
  return "unknown";
}

const char* fallback_reason_name(FallbackReason r) {
  switch (r) {
    case FallbackReason::kNone: return "none";
    case FallbackReason::kEmptyHistory: return "empty_history";
    case FallbackReason::kShortHistory: return "short_history";
    case FallbackReason::kNoBalance: return "no_balance";
    case FallbackReason::kDegenerate: return "degenerate";
  }
  return "unknown";
}

namespace {

// What fit() knows before looking at any posting: the account, its balance
// and the history's data-quality counts.
CashFlowModel model_header(const AccountHistory& h) {
  CashFlowModel m;
  m.account_id = h.account_id;
  m.as_of = h.as_of;
  m.history_start = h.first_date;
  m.history_days = h.days();
  m.current_balance = h.current_balance;
  m.balance_known = h.balance_known;
  if (h.duplicates_dropped > 0)
    add_anomaly(m, h.as_of, AnomalyKind::kDuplicateDropped, Money{}, -1, h.duplicates_dropped);
  if (h.balance_mismatches > 0)
    add_anomaly(m, h.as_of, AnomalyKind::kBalanceMismatch, Money{}, -1, h.balance_mismatches);
  return m;
}

// Posting indexes grouped by label (labels are already split by sign); a
// counting sort, so each group stays in date order.
std::vector<std::uint32_t> postings_by_label(const AccountHistory& h) {
  const std::size_t n_post = h.postings.size();
  std::vector<std::uint32_t> order(n_post);
  std::vector<std::uint32_t> start(h.labels.size() + 1, 0);
  for (const auto& ps : h.postings) ++start[ps.label + 1];
  for (std::size_t l = 1; l < start.size(); ++l) start[l] += start[l - 1];
  for (std::uint32_t i = 0; i < n_post; ++i) order[start[h.postings[i].label]++] = i;
  return order;
}

// Buffers of the per-label work, kept for the whole fit() so each label
// does not allocate its own.
struct LabelScratch {
  std::vector<Observation> obs;
  std::vector<double> amounts;
  SearchScratch search;
};

// The label's nonzero postings as observations; false when they are too few
// or too frequent to be a stream (card spending at one merchant several
// times a week is not a stream).
bool label_observations(const AccountHistory& h, std::span<const std::uint32_t> group, std::vector<Observation>& obs) {
  obs.clear();
  for (const std::uint32_t i : group) {
    const Posting& ps = h.postings[i];
    if (ps.amount.cents() == 0) continue;
    obs.push_back(Observation{ps.posted_at, ps.amount.as_double(), i});
  }
  if (obs.size() < 2) return false;
  return days_between(obs.front().date, obs.back().date) >= 5 * static_cast<int>(obs.size()) / 2;
}

// What a label's hints and amounts say about it as a stream.
struct LabelTraits {
  bool hinted = false;  // named like pay or a bill
  bool tight = false;   // amounts within 5 % of each other
};

// Empty when the label cannot be a stream: gig income (a rate, not a
// schedule) or amounts looser than FitParams::max_amount_rel_spread, unless
// the label is hinted as income or a bill.
std::optional<LabelTraits> label_traits(const AccountHistory& h, std::uint32_t label, std::span<const Observation> obs,
                                        const FitParams& p, std::vector<double>& amts) {
  const std::uint8_t hints = h.label_hints[label];
  LabelTraits traits;
  traits.hinted = (hints & (hint_bits(LabelHint::kIncome) | hint_bits(LabelHint::kBill))) != 0;
  const bool gig = (hints & hint_bits(LabelHint::kGig)) != 0;
  if (gig && !traits.hinted) return std::nullopt;
  amts.clear();
  for (const auto& o : obs) amts.push_back(std::fabs(o.amount));
  const double med = median_inplace(amts);
  const double rel_spread = med > 0 ? mad_of(amts, med) / med : 1.0;
  if (rel_spread > p.max_amount_rel_spread && !traits.hinted) return std::nullopt;
  traits.tight = rel_spread <= 0.05 ||
                 (obs.size() == 2 && std::fabs(std::fabs(obs[0].amount) - std::fabs(obs[1].amount)) <= 0.05 * med);
  return traits;
}

// `old` (the match of the earlier observations) put in front of `recent`.
void prepend_match(Match& recent, const Match& old) {
  recent.obs_matched.insert(recent.obs_matched.begin(), old.obs_matched.begin(), old.obs_matched.end());
  recent.matched_obs += old.matched_obs;
  recent.deviations.insert(recent.deviations.begin(), old.deviations.begin(), old.deviations.end());
  recent.matched += old.matched;
  recent.expected_in_span += old.expected_in_span;
  recent.misses_in_span += old.misses_in_span;
}

// A changed pay day: the latest observations all miss the overall rule but
// agree among themselves. Adopts the new rule once it has repeated twice:
// `best` becomes the old rule's match followed by the new one's, and the
// date of the change is returned.
std::optional<Date> adopt_schedule_change(std::span<const Observation> obs, Date as_of, SearchScratch& search,
                                          Match& best) {
  if (obs.size() < 4) return std::nullopt;
  std::size_t trailing_unmatched = 0;
  for (std::size_t i = obs.size(); i-- > 0 && best.obs_matched.size() == obs.size() && !best.obs_matched[i];)
    ++trailing_unmatched;
  if (best.obs_matched.size() != obs.size()) trailing_unmatched = 0;
  if (acceptable(best, static_cast<int>(obs.size())) && trailing_unmatched < 2) return std::nullopt;
  for (std::size_t k = 2; k + 2 <= obs.size() && k <= 4; ++k) {
    std::span<const Observation> recent(obs.data() + obs.size() - k, k);
    std::span<const Observation> old(obs.data(), obs.size() - k);
    Match mr = best_match(recent, as_of, true, search);
    if (mr.matched != static_cast<int>(k) || mr.trailing_misses > 0) continue;
    Match mo = best_match(old, recent.front().date, true, search);
    if (!acceptable(mo, static_cast<int>(old.size()))) continue;
    prepend_match(mr, mo);
    best = std::move(mr);
    return recent.front().date;
  }
  return std::nullopt;
}

// Level: median of the last three matched amounts, so a raise or price
// change is adopted on its second occurrence and a one-off bonus is not;
// spread: MAD of the last (up to eight) matched amounts, relative, ≤ 0.5.
void set_amount(RecurringStream& s, std::span<const Observation> obs, const Match& best) {
  s.amount_cents = abs_median(obs, best.obs_matched, 3);
  std::array<double, 8> recent_buf;
  std::size_t n_recent = 0;
  for (std::size_t i = obs.size(); i-- > 0 && n_recent < recent_buf.size();)
    if (best.obs_matched[i]) recent_buf[n_recent++] = obs[i].amount;
  const std::span<const double> recent_amts(recent_buf.data(), n_recent);
  const double rmed = median_of(recent_amts);
  s.amount_rel_sd = std::fabs(rmed) > 0 ? std::min(0.5, mad_of(recent_amts, rmed) / std::fabs(rmed)) : 0.0;
}

// Jitter (the last eight deviations), occurrence probability, confidence and
// status: two misses in a row stop a stream, one makes it overdue.
void set_regularity(RecurringStream& s, const Match& best, std::size_t n_obs) {
  const std::size_t nd = best.deviations.size();
  int jitter = 0;
  s.jitter_samples.reserve(std::min<std::size_t>(nd, 8));
  for (std::size_t i = nd > 8 ? nd - 8 : 0; i < nd; ++i) {
    s.jitter_samples.push_back(best.deviations[i]);
    jitter = std::max(jitter, std::abs(int(best.deviations[i])));
  }
  s.jitter_days = jitter;
  const double coverage = double(best.matched) / std::max(1, best.expected_in_span);
  const double precision = double(best.matched_obs) / double(n_obs);
  s.occurrence_probability = 1.0 - (best.misses_in_span + 0.25) / (best.expected_in_span + 1.0);
  s.confidence = coverage * precision * std::min(1.0, best.matched / 4.0) * (1.0 - std::min(0.5, s.amount_rel_sd));
  if (best.trailing_misses >= 2) {
    s.status = StreamStatus::kStopped;
    s.occurrence_probability = 0;
  } else if (best.trailing_misses == 1) {
    s.status = StreamStatus::kOverdue;
    // After a missed pay the next one is far from certain.
    s.occurrence_probability *= 0.5;
  }
}

RecurringStream stream_from_match(const AccountHistory& h, std::uint32_t label, std::span<const Observation> obs,
                                  const Match& best, std::vector<Date>& dates) {
  RecurringStream s;
  s.label = h.labels[label];
  s.schedule = best.schedule;
  s.kind = obs.back().amount > 0 ? StreamKind::kIncome : StreamKind::kOutflow;
  s.occurrences = best.matched;
  s.last_seen = best.last_matched_date;
  s.consecutive_misses = best.trailing_misses;
  s.has_pending = best.has_pending;
  s.pending_due = best.pending_due;
  set_amount(s, obs, best);
  set_regularity(s, best, obs.size());
  dates.clear();
  schedule_dates(s.schedule, std::max(h.as_of, best.last_matched_nominal + Days{1}), h.as_of + Days{400}, dates);
  s.next_date = dates.empty() ? h.as_of : dates.front();
  return s;
}

// An amount change: the last two matched amounts agree with each other and
// both differ from the earlier level; returns when the new level started.
std::optional<Date> amount_change(std::span<const Observation> obs, const Match& best, std::vector<double>& older) {
  if (best.matched < 4) return std::nullopt;
  older.clear();
  double last2[2] = {0, 0};
  int got = 0;
  Date change_at{};
  for (std::size_t i = obs.size(); i-- > 0;) {
    if (!best.obs_matched[i]) continue;
    if (got < 2) {
      last2[got++] = obs[i].amount;
      change_at = obs[i].date;
    } else {
      older.push_back(obs[i].amount);
    }
  }
  const double old_level = median_of(older);
  const double tolerance = std::max(0.03 * std::fabs(old_level), 100.0);
  if (std::fabs(last2[0] - last2[1]) <= tolerance && std::fabs(last2[0] - old_level) > tolerance &&
      std::fabs(last2[1] - old_level) > tolerance)
    return change_at;
  return std::nullopt;
}

// The anomalies of stream `index`, in a fixed order (they are sorted by date
// later, and equal dates keep no particular order): a schedule change, an
// amount change, each missed occurrence (the trailing one of an overdue pay
// as overdue income), the stop.
void add_stream_anomalies(CashFlowModel& m, Date as_of, const RecurringStream& s, std::span<const Observation> obs,
                          const Match& best, std::optional<Date> schedule_change, int index,
                          std::vector<double>& scratch) {
  const Money level = Money::from_double(s.amount_cents);
  if (schedule_change) add_anomaly(m, *schedule_change, AnomalyKind::kScheduleChanged, level, index);
  if (const std::optional<Date> changed = amount_change(obs, best, scratch))
    add_anomaly(m, *changed, AnomalyKind::kAmountChanged, level, index);
  for (std::size_t i = 0; i < best.missed_dates.size(); ++i) {
    const bool trailing = i + static_cast<std::size_t>(best.trailing_misses) >= best.missed_dates.size();
    if (trailing && s.kind == StreamKind::kIncome && s.status == StreamStatus::kOverdue)
      add_anomaly(m, best.missed_dates[i], AnomalyKind::kOverdueIncome, level, index);
    else
      add_anomaly(m, best.missed_dates[i], AnomalyKind::kMissedOccurrence, level, index);
  }
  if (s.status == StreamStatus::kStopped)
    add_anomaly(m, best.missed_dates.empty() ? as_of : best.missed_dates.back(), AnomalyKind::kStreamStopped, level,
                index);
}

// One label's stream, if it is one: appended to m.streams with its
// anomalies, its postings marked with the stream's index.
void fit_label(const AccountHistory& h, std::uint32_t label, std::span<const std::uint32_t> group, const FitParams& p,
               LabelScratch& ls, std::vector<std::int16_t>& posting_stream, CashFlowModel& m) {
  std::vector<Observation>& obs = ls.obs;
  if (!label_observations(h, group, obs)) return;
  const std::optional<LabelTraits> traits = label_traits(h, label, obs, p, ls.amounts);
  if (!traits) return;
  const bool steady = traits->tight || traits->hinted;
  Match best = best_match(obs, h.as_of, steady, ls.search);
  const std::optional<Date> schedule_change = adopt_schedule_change(obs, h.as_of, ls.search, best);
  if (!acceptable(best, static_cast<int>(obs.size()))) return;
  if (best.matched == 2 && !steady) return;
  RecurringStream s = stream_from_match(h, label, obs, best, ls.search.dates);
  const int index = static_cast<int>(m.streams.size());
  for (std::size_t i = 0; i < obs.size(); ++i)
    if (best.obs_matched[i]) posting_stream[obs[i].posting] = static_cast<std::int16_t>(index);
  // The label's amounts are no longer needed: their buffer is the scratch.
  add_stream_anomalies(m, h.as_of, s, obs, best, schedule_change, index, ls.amounts);
  m.streams.push_back(std::move(s));
}

// The recurring streams, label by label; returns each posting's stream
// index (-1: not part of a stream).
std::vector<std::int16_t> fit_streams(const AccountHistory& h, const FitParams& p, CashFlowModel& m) {
  const std::size_t n_post = h.postings.size();
  const std::vector<std::uint32_t> order = postings_by_label(h);
  std::vector<std::int16_t> posting_stream(n_post, -1);
  LabelScratch ls;
  ls.search.dates.reserve(64);
  for (std::size_t g0 = 0; g0 < n_post;) {
    std::size_t g1 = g0;
    const std::uint32_t label = h.postings[order[g0]].label;
    while (g1 < n_post && h.postings[order[g1]].label == label) ++g1;
    const std::span<const std::uint32_t> group(order.data() + g0, g1 - g0);
    g0 = g1;
    if (group.size() >= 2) fit_label(h, label, group, p, ls, posting_stream, m);
  }
  return posting_stream;
}

// Recurring income per month, active streams only.
double monthly_income(std::span<const RecurringStream> streams) {
  double total = 0;
  for (const auto& s : streams)
    if (s.kind == StreamKind::kIncome && s.status != StreamStatus::kStopped)
      total += s.amount_cents * kDaysPerMonth / s.schedule.period_days();
  return total;
}

// max(income_part, floor, factor × median of values), the median only when
// there are min_count values. A median of values ≥ 0 is at most twice their
// mean: when even that bound (with a margin for rounding) cannot decide the
// threshold, the median is not needed and the threshold is the same.
double anomaly_threshold(double income_part, double floor, double factor, std::vector<double>& values,
                         std::size_t min_count, double sum) {
  const double others = std::max(income_part, floor);
  if (values.size() < min_count) return std::max(others, 0.0);
  if (factor * 2.0 * (sum / static_cast<double>(values.size())) * (1.0 + 1e-9) < others) return others;
  return std::max(others, factor * median_inplace(values));
}

// Non-recurring credits from this size on are windfalls, debits large one-off expenses.
struct AnomalyThresholds {
  double windfall = 0;       // cents
  double large_expense = 0;  // cents, a magnitude
};

AnomalyThresholds anomaly_thresholds(const AccountHistory& h, std::span<const std::int16_t> posting_stream,
                                     const FitParams& p, double monthly_income_cents) {
  // Written by index into sized vectors rather than push_back: with no call
  // in the loop the two sums stay in registers instead of a store and a load
  // per posting.
  const std::size_t n_post = h.postings.size();
  std::vector<double> credits(n_post), debits(n_post);
  std::size_t n_credits = 0, n_debits = 0;
  double credit_sum = 0, debit_sum = 0;
  for (std::size_t i = 0; i < n_post; ++i) {
    if (posting_stream[i] >= 0) continue;
    const double a = h.postings[i].amount.as_double();
    if (a > 0) credits[n_credits++] = a, credit_sum += a;
    else if (a < 0) debits[n_debits++] = -a, debit_sum -= a;
  }
  credits.resize(n_credits);
  debits.resize(n_debits);
  AnomalyThresholds t;
  t.windfall = anomaly_threshold(p.windfall_income_share * monthly_income_cents, p.min_anomaly_cents, 6.0, credits, 3,
                                 credit_sum);
  t.large_expense = anomaly_threshold(p.large_expense_income_share * monthly_income_cents, p.min_anomaly_cents, 8.0,
                                      debits, 5, debit_sum);
  return t;
}

// The last `lookback` history days (index 0 = history day `offset`): each
// day's discretionary outflow and inflow, and whether it is 0–3 days after
// recurring income. Windfalls and large one-off expenses stay out of them,
// as anomalies; the large expenses within those days are returned as the
// shocks the projection draws.
std::vector<double> fill_spending_days(const AccountHistory& h, std::span<const std::int16_t> posting_stream,
                                       const AnomalyThresholds& thresholds, int lookback, int offset,
                                       CashFlowModel& m) {
  SpendingModel& sp = m.spending;
  sp.daily_outflow_cents.assign(static_cast<std::size_t>(lookback), 0.0);
  sp.daily_inflow_cents.assign(static_cast<std::size_t>(lookback), 0.0);
  sp.after_payday.assign(static_cast<std::size_t>(lookback), 0);
  std::vector<double> shocks;
  for (std::size_t i = 0; i < h.postings.size(); ++i) {
    const Posting& ps = h.postings[i];
    const int day = days_between(h.first_date, ps.posted_at) - offset;
    const double a = ps.amount.as_double();
    if (posting_stream[i] >= 0) {
      if (a > 0 && day >= 0)
        for (int k = 0; k <= 3 && day + k < lookback; ++k) sp.after_payday[static_cast<std::size_t>(day + k)] = 1;
      continue;
    }
    if (a > 0 && a >= thresholds.windfall) {
      add_anomaly(m, ps.posted_at, AnomalyKind::kWindfall, ps.amount);
      continue;
    }
    if (a < 0 && -a >= thresholds.large_expense) {
      add_anomaly(m, ps.posted_at, AnomalyKind::kLargeExpense, ps.amount);
      if (day >= 0) shocks.push_back(-a);
      continue;
    }
    if (day < 0) continue;
    if (a > 0) sp.daily_inflow_cents[static_cast<std::size_t>(day)] += a;
    else sp.daily_outflow_cents[static_cast<std::size_t>(day)] -= a;
  }
  return shocks;
}

// The payday factor and the weekday factors of the spending days, whose
// first is `first_day`; returns their mean daily outflow.
double fit_spending_shape(SpendingModel& sp, Date first_day, int lookback) {
  double sum_after = 0, n_after = 0, sum_other = 0, n_other = 0;
  double dow_sum[7] = {}, dow_n[7] = {};
  unsigned wd = weekday{first_day}.c_encoding();
  for (int i = 0; i < lookback; ++i, wd = wd == 6 ? 0 : wd + 1) {
    const double out = sp.daily_outflow_cents[static_cast<std::size_t>(i)];
    (sp.after_payday[static_cast<std::size_t>(i)] ? sum_after : sum_other) += out;
    (sp.after_payday[static_cast<std::size_t>(i)] ? n_after : n_other) += 1;
    dow_sum[wd] += out;
    dow_n[wd] += 1;
  }
  const double mean_out = lookback > 0 ? (sum_after + sum_other) / lookback : 0.0;
  // Shrink toward "no effect" with ten pseudo-days on each side.
  constexpr double kShrinkDays = 10;
  const double after_mean = (sum_after + kShrinkDays * mean_out) / (n_after + kShrinkDays);
  const double other_mean = (sum_other + kShrinkDays * mean_out) / (n_other + kShrinkDays);
  sp.payday_factor = other_mean > 0 ? std::clamp(after_mean / other_mean, 0.5, 3.0) : 1.0;
  for (int w = 0; w < 7; ++w)
    sp.dow_factor[w] = mean_out > 0 && dow_n[w] > 0 ? (dow_sum[w] / dow_n[w]) / mean_out : 1.0;
  return mean_out;
}

// Usual and recent outflow, pace, the irregular-income rate (last 90 days)
// and the shock rate and size.
void fit_spending_rates(SpendingModel& sp, double mean_out, int lookback, const FitParams& p,
                        std::vector<double>& shocks) {
  const int in_window = std::min(lookback, 90);
  double sum_in = 0;
  for (int i = lookback - in_window; i < lookback; ++i) sum_in += sp.daily_inflow_cents[static_cast<std::size_t>(i)];
  sp.usual_daily_outflow_cents = huber_location(sp.daily_outflow_cents);
  if (sp.usual_daily_outflow_cents <= 0) sp.usual_daily_outflow_cents = mean_out;
  const int recent = std::min(lookback, p.recent_window_days);
  double sum_recent = 0;
  for (int i = lookback - recent; i < lookback; ++i) sum_recent += sp.daily_outflow_cents[static_cast<std::size_t>(i)];
  sp.recent_daily_outflow_cents = recent > 0 ? sum_recent / recent : 0.0;
  sp.pace_ratio = mean_out > 0 ? sp.recent_daily_outflow_cents / mean_out : 1.0;
  sp.irregular_income_per_day_cents = in_window > 0 ? sum_in / in_window : 0.0;
  sp.shock_rate_per_day = static_cast<double>(shocks.size()) / std::max(lookback, 90);
  sp.shock_amount_cents = shocks.empty() ? 0.0 : median_inplace(shocks);
}

// The fallback model's Gaussian drift: mean and sd of the daily net flow.
void fit_drift(SpendingModel& sp, int lookback) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < lookback; ++i) {
    const double net = sp.daily_inflow_cents[static_cast<std::size_t>(i)] - sp.daily_outflow_cents[static_cast<std::size_t>(i)];
    s1 += net;
    s2 += net * net;
  }
  sp.drift_mean_cents = lookback > 0 ? s1 / lookback : 0.0;
  sp.drift_sd_cents = lookback > 1 ? std::sqrt(std::max(0.0, (s2 - s1 * s1 / lookback) / (lookback - 1))) : 0.0;
  // Shocks are part of the drift in the fallback model.
  sp.drift_mean_cents -= sp.shock_rate_per_day * sp.shock_amount_cents;
}

// The discretionary spending process over the last max_lookback_days, with
// the windfall and large-expense anomalies found on the way (then all
// anomalies sorted by date).
void fit_spending(const AccountHistory& h, std::span<const std::int16_t> posting_stream, const FitParams& p,
                  CashFlowModel& m) {
  const AnomalyThresholds thresholds = anomaly_thresholds(h, posting_stream, p, m.monthly_income_cents);
  const int days = h.days();
  const int lookback = std::min(days, p.max_lookback_days);
  const int offset = days - lookback;  // history day of spending index 0
  std::vector<double> shocks = fill_spending_days(h, posting_stream, thresholds, lookback, offset, m);
  std::sort(m.anomalies.begin(), m.anomalies.end(),
            [](const Anomaly& a, const Anomaly& b) { return a.date < b.date; });
  SpendingModel& sp = m.spending;
  const double mean_out = fit_spending_shape(sp, h.first_date + Days{offset}, lookback);
  fit_spending_rates(sp, mean_out, lookback, p, shocks);
  fit_drift(sp, lookback);
}

// Too little history makes a fallback model; no balance is only flagged;
// statistics that are not finite leave a drift-free fallback with the
// anomalies found so far.
void apply_fallback(const AccountHistory& h, const FitParams& p, CashFlowModel& m) {
  const SpendingModel& sp = m.spending;
  if (h.days() < p.min_history_days) {
    m.kind = ModelKind::kFallback;
    m.fallback = true;
    m.fallback_reason = FallbackReason::kShortHistory;
  } else if (!h.balance_known) {
    m.fallback_reason = FallbackReason::kNoBalance;
  }
  if (!std::isfinite(sp.drift_sd_cents) || !std::isfinite(sp.drift_mean_cents) || !std::isfinite(m.monthly_income_cents)) {
    m = CashFlowModel{m.account_id, m.as_of, m.history_start, m.history_days, m.current_balance, m.balance_known,
                      ModelKind::kFallback, true, FallbackReason::kDegenerate, {}, {}, std::move(m.anomalies), 0.0};
  }
}

}  // namespace

CashFlowModel fit(const AccountHistory& h, const FitParams& p) {
  CashFlowModel m = model_header(h);
  if (h.empty() || h.days() <= 0) {
    m.kind = ModelKind::kFallback;
    m.fallback = true;
    m.fallback_reason = FallbackReason::kEmptyHistory;
    return m;
  }
  const std::vector<std::int16_t> posting_stream = fit_streams(h, p, m);
  m.monthly_income_cents = monthly_income(m.streams);
  fit_spending(h, posting_stream, p, m);
  apply_fallback(h, p, m);
  return m;
}

Money expected_income(const CashFlowModel& model, Date from, Date to) {
  double total = model.spending.irregular_income_per_day_cents * std::max(0, days_between(from, to));
  std::vector<Date> dates;
  for (const auto& s : model.streams) {
    if (s.kind != StreamKind::kIncome || s.status == StreamStatus::kStopped) continue;
    schedule_dates(s.schedule, std::max(from, s.next_date), to - Days{1}, dates);
    total += s.amount_cents * s.occurrence_probability * static_cast<double>(dates.size());
  }
  return Money::from_double(total);
}

}  // namespace headroom::forecast
