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

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (text.find(w) != std::string_view::npos) return true;
  return false;
}

void normalize_into(std::string_view text, std::string& out) {
  out.clear();
  bool pending_space = false;
  for (char raw : text) {
    const unsigned char c = static_cast<unsigned char>(raw);
    if ((c >= 'a' && c <= 'z') || c >= 0x80) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(c));
    } else if (c >= 'A' && c <= 'Z') {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c >= '0' && c <= '9') {
      // Digits carry reference numbers and dates that differ per occurrence.
    } else {
      pending_space = true;
    }
  }
}

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
  std::uint8_t bits = 0;
  auto test = [&](std::initializer_list<std::string_view> words) { return contains_any(d, words) || contains_any(k, words); };
  if (test({"payroll", "salary", "wage", "direct dep", "dir dep", "pension", "benefit", "income", "paycheck", "pay "}))
    bits |= hint_bits(LabelHint::kIncome);
  if (test({"rent", "mortgage", "loan", "insurance", "utility", "utilities", "electric", "water", "gas co", "phone",
            "subscription", "netflix", "spotify", "gym", "internet", "bill", "lease", "tuition"}))
    bits |= hint_bits(LabelHint::kBill);
  if (test({"uber", "lyft", "doordash", "instacart", "gig", "freelance", "upwork", "fiverr", "etsy", "grubhub"}))
    bits |= hint_bits(LabelHint::kGig);
  if (test({"transfer", "xfer"})) bits |= hint_bits(LabelHint::kTransfer);
  return bits;
}

AccountHistory build_history(std::span<const Transaction> txns, Date as_of) {
  AccountHistory h;
  h.as_of = as_of;
  h.first_date = as_of;
  if (!txns.empty()) h.account_id = txns.front().account_id;

  // Visible rows, then dedupe by txn_id keeping the first in input order.
  std::vector<std::uint32_t> idx;
  idx.reserve(txns.size());
  for (std::uint32_t i = 0; i < txns.size(); ++i)
    if (txns[i].posted_at < as_of) idx.push_back(i);
  if (idx.empty()) return h;
  std::vector<std::uint32_t> by_id(idx);
  std::stable_sort(by_id.begin(), by_id.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return txns[a].txn_id < txns[b].txn_id; });
  std::vector<char> drop(txns.size(), 0);
  for (std::size_t i = 1; i < by_id.size(); ++i) {
    if (txns[by_id[i]].txn_id == txns[by_id[i - 1]].txn_id) {
      drop[by_id[i]] = 1;
      ++h.duplicates_dropped;
    }
  }
  std::erase_if(idx, [&](std::uint32_t i) { return drop[i] != 0; });
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return txns[a].posted_at < txns[b].posted_at; });

  // Intern labels by hash of the normalized text; few distinct labels per account.
  std::vector<std::uint64_t> label_hash;
  std::string norm, norm_kind;
  h.postings.reserve(idx.size());
  for (std::uint32_t i : idx) {
    const Transaction& t = txns[i];
    normalize_into(t.description.empty() ? std::string_view(t.kind) : std::string_view(t.description), norm);
    const std::uint64_t hash = fnv1a(norm) ^ (t.amount.cents() >= 0 ? 0x9e3779b97f4a7c15ULL : 0);
    std::uint32_t label = 0;
    while (label < label_hash.size() && label_hash[label] != hash) ++label;
    if (label == label_hash.size()) {
      label_hash.push_back(hash);
      normalize_into(t.kind, norm_kind);
      h.label_hints.push_back(label_hints_for(norm, norm_kind));
      h.labels.push_back(norm);
    }
    h.postings.push_back(Posting{t.posted_at, t.amount, label});
  }

  h.first_date = std::max(h.postings.front().posted_at, as_of - Days{kMaxHistoryDays});
  const int n_days = days_between(h.first_date, as_of);
  h.end_of_day_balance.assign(static_cast<std::size_t>(n_days), Money{});
  h.net_flow.assign(static_cast<std::size_t>(n_days), Money{});

  // Rows older than the kept window only set the opening balance.
  Money balance{};
  std::size_t k = 0;
  while (k < h.postings.size() && h.postings[k].posted_at < h.first_date) {
    const auto& b = txns[idx[k]].balance_after;
    balance = b ? *b : sat_add(balance, h.postings[k].amount);
    if (b) h.balance_known = true;
    ++k;
  }
  const std::size_t dropped_old = k;
  for (int d = 0; d < n_days; ++d) {
    const Date day = h.first_date + Days{d};
    const std::size_t begin = k;
    Money day_sum{};
    while (k < idx.size() && h.postings[k].posted_at == day) day_sum = sat_add(day_sum, h.postings[k++].amount);
    h.net_flow[static_cast<std::size_t>(d)] = day_sum;
    if (begin == k) {
      h.end_of_day_balance[static_cast<std::size_t>(d)] = balance;
      continue;
    }
    const Money derived = sat_add(balance, day_sum);
    // Order within a day is unknown; a balance_after equal to the derived
    // end-of-day balance is the day's last row whatever the input order.
    bool any_given = false, consistent = false;
    Money last_given{};
    Money after_last{};
    for (std::size_t j = begin; j < k; ++j) {
      const auto& b = txns[idx[j]].balance_after;
      if (b) {
        any_given = true;
        if (*b == derived) consistent = true;
        last_given = *b;
        after_last = Money{};
      } else {
        after_last = sat_add(after_last, h.postings[j].amount);
      }
    }
    if (!any_given) {
      balance = derived;
    } else if (consistent) {
      balance = derived;
      h.balance_known = true;
    } else {
      const Money anchored = sat_add(last_given, after_last);
      if (h.balance_known) {
        ++h.balance_mismatches;
      } else {
        // First anchor: the days before it were relative to 0; shift them.
        const Money offset = sat_add(anchored, -derived);
        for (int e = 0; e < d; ++e) h.end_of_day_balance[static_cast<std::size_t>(e)] = sat_add(h.end_of_day_balance[static_cast<std::size_t>(e)], offset);
      }
      balance = anchored;
      h.balance_known = true;
    }
    h.end_of_day_balance[static_cast<std::size_t>(d)] = balance;
  }
  h.current_balance = balance;
  if (dropped_old > 0) h.postings.erase(h.postings.begin(), h.postings.begin() + static_cast<std::ptrdiff_t>(dropped_old));
  return h;
}

}  // namespace headroom::forecast
