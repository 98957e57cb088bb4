#include "forecast/history.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>

namespace headroom::forecast {
namespace {

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}


// Words that banks wrap around the payee (ACH envelopes, card prefixes); they
// say nothing about who is paid and would merge unrelated payees.
bool is_filler(std::string_view w) {
  // Grouped by length so most words are rejected without a comparison.
  switch (w.size()) {
    case 2: return w == "co" || w == "id";
    case 3: return w == "ach" || w == "sec" || w == "ppd" || w == "eed" || w == "ind" || w == "pos" || w == "web" ||
                   w == "ccd" || w == "the";
    case 4: return w == "orig" || w == "name" || w == "card";
    case 5: return w == "entry" || w == "descr" || w == "trace" || w == "debit";
    case 6: return w == "credit";
    case 8: return w == "purchase";
    case 9: return w == "checkcard" || w == "recurring";
    default: return false;
  }
}

// Lower-case words; a token (between blanks) holding a digit is a reference
// number or date and is dropped whole, punctuation splits words.
// With stop_after_payee_words > 0, stops once that many non-filler words are
// out (enough for payee_key, much cheaper on long ACH narratives).
void normalize_into(std::string_view text, std::string& out, int stop_after_payee_words = 0) {
  out.clear();
  std::size_t i = 0;
  int payee_words = 0;
  std::size_t word_start = 0;
  auto end_word = [&] {
    if (out.size() > word_start && !is_filler(std::string_view(out).substr(word_start))) ++payee_words;
  };
  while (i < text.size() && (stop_after_payee_words == 0 || payee_words < stop_after_payee_words)) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t j = i;
    bool digit = false;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') digit |= (text[j] >= '0' && text[j] <= '9'), ++j;
    if (!digit) {
      bool pending_space = !out.empty();
      for (std::size_t k = i; k < j; ++k) {
        const unsigned char c = static_cast<unsigned char>(text[k]);
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        if (!letter) {
          pending_space = !out.empty();
          continue;
        }
        if (pending_space) {
          end_word();
          out.push_back(' ');
          word_start = out.size();
        }
        pending_space = false;
        out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
      }
    }
    i = j;
    if (stop_after_payee_words > 0 && i >= text.size()) break;
  }
}

// The payee key: the first two words that are not envelope filler, so
// "ACH UMBRELLA HEALTH PAYROLL 0115" and "ACH UMBRELLA HEALTH DIR DEP 0229"
// (the same employer, two narratives) land in one group.
void payee_key(std::string_view normalized, std::string& out) {
  out.clear();
  int words = 0;
  std::size_t i = 0;
  while (i < normalized.size() && words < 2) {
    std::size_t j = normalized.find(' ', i);
    if (j == std::string_view::npos) j = normalized.size();
    const std::string_view w = normalized.substr(i, j - i);
    if (!w.empty() && !is_filler(w)) {
      if (!out.empty()) out.push_back(' ');
      out.append(w);
      ++words;
    }
    i = j + 1;
  }
  if (out.empty()) out.assign(normalized);
}

}  // namespace

std::string payee_label(std::string_view text) {
  std::string norm, key;
  normalize_into(text, norm);
  payee_key(norm, key);
  return key;
}

namespace {

// Balances saturate instead of wrapping: adversarial input (amounts near the
// int64 limit) must give a finite, flagged result, never undefined behaviour.
Money sat_add(Money a, Money b) {
  std::int64_t r;
  if (__builtin_add_overflow(a.cents(), b.cents(), &r))
    r = b.cents() > 0 ? INT64_MAX : -INT64_MAX;
  return Money::from_cents(r);
}

}  // namespace

std::string normalize_label(std::string_view text) {
  std::string out;
  normalize_into(text, out);
  return out;
}

std::uint8_t label_hints_for(std::string_view d, std::string_view k) {
  struct Hint {
    std::string_view word;
    LabelHint hint;
  };
  // Whole words only ("rent" must not match "parent"); one pass over the words.
  static constexpr Hint kHints[] = {
      {"payroll", LabelHint::kIncome},  {"salary", LabelHint::kIncome},      {"wage", LabelHint::kIncome},
      {"wages", LabelHint::kIncome},    {"dep", LabelHint::kIncome},
      {"pension", LabelHint::kIncome},  {"benefit", LabelHint::kIncome},     {"benefits", LabelHint::kIncome},
      {"paycheck", LabelHint::kIncome}, {"income", LabelHint::kIncome},      {"rent", LabelHint::kBill},
      {"mortgage", LabelHint::kBill},   {"mtg", LabelHint::kBill},           {"loan", LabelHint::kBill},
      {"insurance", LabelHint::kBill},  {"ins", LabelHint::kBill},           {"prem", LabelHint::kBill},
      {"utility", LabelHint::kBill},    {"utilities", LabelHint::kBill},     {"util", LabelHint::kBill},
      {"electric", LabelHint::kBill},   {"energy", LabelHint::kBill},        {"power", LabelHint::kBill},
      {"water", LabelHint::kBill},      {"phone", LabelHint::kBill},         {"wireless", LabelHint::kBill},
      {"autopay", LabelHint::kBill},    {"subscription", LabelHint::kBill},  {"netflix", LabelHint::kBill},
      {"spotify", LabelHint::kBill},    {"gym", LabelHint::kBill},           {"internet", LabelHint::kBill},
      {"bill", LabelHint::kBill},       {"lease", LabelHint::kBill},         {"tuition", LabelHint::kBill},
      {"uber", LabelHint::kGig},        {"lyft", LabelHint::kGig},           {"doordash", LabelHint::kGig},
      {"instacart", LabelHint::kGig},   {"gig", LabelHint::kGig},            {"freelance", LabelHint::kGig},
      {"upwork", LabelHint::kGig},      {"fiverr", LabelHint::kGig},         {"etsy", LabelHint::kGig},
      {"grubhub", LabelHint::kGig},     {"shopper", LabelHint::kGig},        {"transfer", LabelHint::kTransfer},
      {"xfer", LabelHint::kTransfer},
  };
  std::uint8_t bits = 0;
  for (std::string_view text : {d, k}) {
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '_') ++j;
      const std::string_view w = text.substr(i, j - i);
      for (const auto& h : kHints)
        if (h.word.size() == w.size() && h.word == w) bits |= hint_bits(h.hint);
      i = j + 1;
    }
  }
  return bits;
}

std::uint64_t payee_hash(const Transaction& t) {
  std::string norm, key;
  normalize_into(t.description.empty() ? std::string_view(t.kind) : std::string_view(t.description), norm, 2);
  payee_key(norm, key);
  return fnv1a(key);
}

namespace {

// The end-of-day balance of history day d, whose postings are [begin, end)
// and whose balance derived from the day before is `derived`. Order within
// a day is unknown: a balance_after equal to the derived end-of-day balance
// is the day's last row whatever the input order. Otherwise the bank's
// balance wins: a mismatch once the balance is known, else the first anchor.
template <class BalanceAfter>
Money settle_day(AccountHistory& h, int d, std::size_t begin, std::size_t end, Money derived,
                 BalanceAfter& balance_after) {
  bool any_given = false, consistent = false;
  Money last_given{};
  Money after_last{};
  for (std::size_t j = begin; j < end; ++j) {
    const auto& b = balance_after(j);
    if (b) {
      any_given = true;
      if (*b == derived) consistent = true;
      last_given = *b;
      after_last = Money{};
    } else {
      after_last = sat_add(after_last, h.postings[j].amount);
    }
  }
  if (!any_given) return derived;
  if (consistent) {
    h.balance_known = true;
    return derived;
  }
  const Money anchored = sat_add(last_given, after_last);
  if (h.balance_known) {
    ++h.balance_mismatches;
  } else {
    // First anchor: the days before it were relative to 0; shift them.
    const Money offset = sat_add(anchored, -derived);
    for (int e = 0; e < d; ++e) h.end_of_day_balance[static_cast<std::size_t>(e)] = sat_add(h.end_of_day_balance[static_cast<std::size_t>(e)], offset);
  }
  h.balance_known = true;
  return anchored;
}

// The daily series from h.postings (visible, deduplicated, date order, all of
// them including rows older than the kept window, which are then erased);
// balance_after(k) is the bank's balance of posting k.
template <class BalanceAfter>
void fill_series(AccountHistory& h, BalanceAfter&& balance_after) {
  h.first_date = std::max(h.postings.front().posted_at, h.as_of - Days{kMaxHistoryDays});
  const int n_days = days_between(h.first_date, h.as_of);
  h.end_of_day_balance.assign(static_cast<std::size_t>(n_days), Money{});
  h.net_flow.assign(static_cast<std::size_t>(n_days), Money{});

  // Rows older than the kept window only set the opening balance.
  Money balance{};
  std::size_t k = 0;
  while (k < h.postings.size() && h.postings[k].posted_at < h.first_date) {
    const auto& b = balance_after(k);
    balance = b ? *b : sat_add(balance, h.postings[k].amount);
    if (b) h.balance_known = true;
    ++k;
  }
  const std::size_t dropped_old = k;
  for (int d = 0; d < n_days; ++d) {
    const Date day = h.first_date + Days{d};
    const std::size_t begin = k;
    Money day_sum{};
    while (k < h.postings.size() && h.postings[k].posted_at == day) day_sum = sat_add(day_sum, h.postings[k++].amount);
    h.net_flow[static_cast<std::size_t>(d)] = day_sum;
    if (begin != k) balance = settle_day(h, d, begin, k, sat_add(balance, day_sum), balance_after);
    h.end_of_day_balance[static_cast<std::size_t>(d)] = balance;
  }
  h.current_balance = balance;
  if (dropped_old > 0) h.postings.erase(h.postings.begin(), h.postings.begin() + static_cast<std::ptrdiff_t>(dropped_old));
}

}  // namespace

namespace {

// A free slot of the label table.
constexpr std::uint32_t kEmpty = UINT32_MAX;

// Doubles the open-addressing table `slots` and reinserts every label hash.
void rehash_labels(std::span<const std::uint64_t> label_hash, std::vector<std::uint32_t>& slots) {
  slots.assign(slots.size() * 2, kEmpty);
  for (std::uint32_t l = 0; l < label_hash.size(); ++l) {
    std::size_t at = label_hash[l] & (slots.size() - 1);
    while (slots[at] != kEmpty) at = (at + 1) & (slots.size() - 1);
    slots[at] = l;
  }
}

// The input indexes of the visible rows (posted_at < as_of), deduplicated
// by txn_id keeping the first in input order, in date order (stable). Sets
// h.duplicates_dropped; `dropped_rows`, when given, receives the input
// indexes of the rows dropped (ascending).
std::vector<std::uint32_t> visible_rows(std::span<const Transaction> txns, Date as_of, AccountHistory& h,
                                        std::vector<std::uint32_t>* dropped_rows) {
  std::vector<std::uint32_t> idx;
  idx.reserve(txns.size());
  for (std::uint32_t i = 0; i < txns.size(); ++i)
    if (txns[i].posted_at < as_of) idx.push_back(i);
  if (idx.empty()) return idx;
  // Sorting 64-bit hashes; equal hashes are confirmed on the strings.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_id;
  by_id.reserve(idx.size());
  for (std::uint32_t i : idx) by_id.emplace_back(fnv1a(txns[i].txn_id), i);
  std::sort(by_id.begin(), by_id.end());
  std::vector<std::uint32_t> dropped;
  for (std::size_t i = 1; i < by_id.size(); ++i) {
    if (by_id[i].first != by_id[i - 1].first) continue;
    // Same hash run: drop every later row whose id equals an earlier one.
    for (std::size_t j = i; j-- > 0 && by_id[j].first == by_id[i].first;) {
      if (txns[by_id[j].second].txn_id == txns[by_id[i].second].txn_id) {
        dropped.push_back(by_id[i].second);  // by_id[i] has the larger index (pairs sort by index second)
        break;
      }
    }
  }
  if (!dropped.empty()) {
    std::sort(dropped.begin(), dropped.end());
    h.duplicates_dropped = static_cast<int>(dropped.size());
    std::erase_if(idx, [&](std::uint32_t i) { return std::binary_search(dropped.begin(), dropped.end(), i); });
  }
  if (dropped_rows) *dropped_rows = std::move(dropped);
  auto by_date = [&](std::uint32_t a, std::uint32_t b) { return txns[a].posted_at < txns[b].posted_at; };
  if (!std::is_sorted(idx.begin(), idx.end(), by_date)) std::stable_sort(idx.begin(), idx.end(), by_date);
  return idx;
}

// h.postings for the rows `idx`, with labels interned by the hash of the
// normalized payee and the amount's sign (few distinct labels per account):
// fills h.labels and h.label_hints as new labels appear.
void intern_labels(std::span<const Transaction> txns, std::span<const std::uint32_t> idx,
                   std::span<const std::uint64_t> payee_hashes, AccountHistory& h) {
  const bool precomputed = payee_hashes.size() == txns.size() && !txns.empty();
  std::vector<std::uint64_t> label_hash;
  std::vector<std::uint32_t> slots(64, kEmpty);
  std::string norm, norm_kind, key;
  h.postings.reserve(idx.size());
  for (std::uint32_t i : idx) {
    const Transaction& t = txns[i];
    const std::string_view text = t.description.empty() ? std::string_view(t.kind) : std::string_view(t.description);
    std::uint64_t payee;
    if (precomputed) {
      payee = payee_hashes[i];
    } else {
      normalize_into(text, norm, /*stop_after_payee_words=*/2);
      payee_key(norm, key);
      payee = fnv1a(key);
    }
    const std::uint64_t hash = payee ^ (t.amount.cents() >= 0 ? 0x9e3779b97f4a7c15ULL : 0);
    // Open addressing over the label hashes (power-of-two table, linear probe).
    if (2 * (label_hash.size() + 1) > slots.size()) rehash_labels(label_hash, slots);
    std::size_t at = hash & (slots.size() - 1);
    while (slots[at] != kEmpty && label_hash[slots[at]] != hash) at = (at + 1) & (slots.size() - 1);
    std::uint32_t label = slots[at];
    if (label == kEmpty) {
      label = static_cast<std::uint32_t>(label_hash.size());
      slots[at] = label;
      label_hash.push_back(hash);
      normalize_into(text, norm);
      payee_key(norm, key);
      normalize_into(t.kind, norm_kind);
      h.label_hints.push_back(label_hints_for(norm, norm_kind));
      h.labels.push_back(key);
    }
    h.postings.push_back(Posting{t.posted_at, t.amount, label});
  }
}

// Visible rows, deduplicated, in date order, with interned labels: fills
// h.postings, labels, label_hints, duplicates_dropped. Returns the input
// index of each posting (see visible_rows() for `dropped_rows`).
std::vector<std::uint32_t> select_and_intern(std::span<const Transaction> txns, Date as_of,
                                             std::span<const std::uint64_t> payee_hashes, AccountHistory& h,
                                             std::vector<std::uint32_t>* dropped_rows) {
  std::vector<std::uint32_t> idx = visible_rows(txns, as_of, h, dropped_rows);
  if (!idx.empty()) intern_labels(txns, idx, payee_hashes, h);
  return idx;
}

}  // namespace

AccountHistory build_history(std::span<const Transaction> txns, Date as_of, std::span<const std::uint64_t> payee_hashes) {
  AccountHistory h;
  h.as_of = as_of;
  h.first_date = as_of;
  if (!txns.empty()) h.account_id = txns.front().account_id;
  const std::vector<std::uint32_t> idx = select_and_intern(txns, as_of, payee_hashes, h, nullptr);
  if (idx.empty()) return h;
  fill_series(h, [&](std::size_t k) -> const std::optional<Money>& { return txns[idx[k]].balance_after; });
  return h;
}

PreparedAccount prepare_account(std::span<const Transaction> txns, std::span<const std::uint64_t> payee_hashes) {
  PreparedAccount prep;
  auto by_date = [](const Transaction& a, const Transaction& b) { return a.posted_at < b.posted_at; };
  if (!std::is_sorted(txns.begin(), txns.end(), by_date)) {
    prep.unsorted_ = txns;
    prep.unsorted_hashes_ = payee_hashes;
    return prep;
  }
  AccountHistory& all = prep.all_;
  all.as_of = Date::max();
  if (!txns.empty()) all.account_id = txns.front().account_id;
  std::vector<std::uint32_t> dropped;
  const std::vector<std::uint32_t> idx = select_and_intern(txns, Date::max(), payee_hashes, all, &dropped);
  prep.balance_after_.reserve(idx.size());
  prep.label_count_.reserve(idx.size());
  std::uint32_t labels = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    prep.balance_after_.push_back(txns[idx[k]].balance_after);
    labels = std::max(labels, all.postings[k].label + 1);
    prep.label_count_.push_back(labels);
  }
  for (std::uint32_t i : dropped) prep.dropped_dates_.push_back(txns[i].posted_at);
  std::sort(prep.dropped_dates_.begin(), prep.dropped_dates_.end());
  return prep;
}

AccountHistory history_as_of(const PreparedAccount& prep, Date as_of) {
  if (!prep.unsorted_.empty()) return build_history(prep.unsorted_, as_of, prep.unsorted_hashes_);
  const AccountHistory& all = prep.all_;
  AccountHistory h;
  h.as_of = as_of;
  h.first_date = as_of;
  h.account_id = all.account_id;
  // Sorted input: the rows visible at as_of are a prefix, and deduplicating or
  // interning a prefix gives the prefix of the whole account's result.
  const auto end = std::lower_bound(all.postings.begin(), all.postings.end(), as_of,
                                    [](const Posting& p, Date d) { return p.posted_at < d; });
  const auto n = static_cast<std::size_t>(end - all.postings.begin());
  if (n == 0) return h;
  h.postings.assign(all.postings.begin(), end);
  const std::size_t labels = prep.label_count_[n - 1];
  h.labels.assign(all.labels.begin(), all.labels.begin() + static_cast<std::ptrdiff_t>(labels));
  h.label_hints.assign(all.label_hints.begin(), all.label_hints.begin() + static_cast<std::ptrdiff_t>(labels));
  h.duplicates_dropped = static_cast<int>(
      std::lower_bound(prep.dropped_dates_.begin(), prep.dropped_dates_.end(), as_of) - prep.dropped_dates_.begin());
  fill_series(h, [&](std::size_t k) -> const std::optional<Money>& { return prep.balance_after_[k]; });
  return h;
}

}  // namespace headroom::forecast
