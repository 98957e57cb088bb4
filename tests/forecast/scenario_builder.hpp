#pragma once
// Hand-built account histories for scenario tests: add flows on real calendar
// dates, then build() sorts them and fills balance_after from an opening balance.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "forecast/date.hpp"
#include "forecast/money.hpp"
#include "forecast/transaction.hpp"

namespace headroom::forecast::testing {

class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(std::int64_t opening_cents = 0, std::string account = "acct-1")
      : opening_(opening_cents), account_(std::move(account)) {}

  ScenarioBuilder& add(Date d, std::int64_t cents, std::string description, std::string kind = "") {
    rows_.push_back(Transaction{account_, "", d, Money::from_cents(cents), std::nullopt, std::move(description),
                                std::move(kind)});
    return *this;
  }
  // Monthly on a fixed day in [from, to]; weekend → previous business day when shift_back.
  ScenarioBuilder& monthly(Date from, Date to, unsigned day, std::int64_t cents, const std::string& desc,
                           bool shift_back = false, bool shift_forward = false) {
    using namespace std::chrono;
    year_month ym = year_month_day{from}.year() / year_month_day{from}.month();
    for (;; ym += months{1}) {
      const unsigned last_day = static_cast<unsigned>(year_month_day_last{ym.year(), month_day_last{ym.month()}}.day());
      Date d = sys_days{ym / std::chrono::day{std::min(day, last_day)}};
      if (shift_back) while (is_weekend(d)) d -= Days{1};
      if (shift_forward) while (is_weekend(d)) d += Days{1};
      if (d > to) break;
      if (d >= from) add(d, cents, desc);
    }
    return *this;
  }
  ScenarioBuilder& every(Date first, Date to, int period_days, std::int64_t cents, const std::string& desc) {
    for (Date d = first; d <= to; d += Days{period_days}) add(d, cents, desc);
    return *this;
  }
  // Everyday card spending: one purchase most days, amounts from a fixed LCG.
  ScenarioBuilder& daily_spending(Date from, Date to, std::int64_t mean_cents, std::uint64_t seed = 7) {
    std::uint64_t s = seed;
    const char* shops[] = {"GROCERY MART", "COFFEE CORNER", "FUEL STOP", "PHARMACY PLUS", "DINER"};
    for (Date d = from; d <= to; d += Days{1}) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((s >> 60) < 3) continue;  // ~19 % of days without purchases
      const double u = static_cast<double>((s >> 11) & 0xFFFF) / 65535.0;
      add(d, -static_cast<std::int64_t>(mean_cents * (0.4 + 1.2 * u)), shops[(s >> 40) % 5], "card");
    }
    return *this;
  }
  // Opening balance chosen so the end-of-day balance of `day` is `target_cents`.
  std::vector<Transaction> build_with_balance_on(Date day, std::int64_t target_cents) {
    std::int64_t net = 0;
    for (const auto& t : rows_)
      if (t.posted_at <= day) net += t.amount.cents();
    opening_ = target_cents - net;
    return build();
  }
  std::vector<Transaction> build() const {
    std::vector<Transaction> out = rows_;
    std::stable_sort(out.begin(), out.end(), [](const Transaction& a, const Transaction& b) { return a.posted_at < b.posted_at; });
    Money bal = Money::from_cents(opening_);
    for (std::size_t i = 0; i < out.size(); ++i) {
      bal += out[i].amount;
      out[i].balance_after = bal;
      out[i].txn_id = "t" + std::to_string(i);
    }
    return out;
  }

 private:
  std::int64_t opening_;
  std::string account_;
  std::vector<Transaction> rows_;
};

inline Date D(int y, unsigned m, unsigned d) { return make_date(y, m, d); }

}  // namespace headroom::forecast::testing
