// Fuzz-style robustness: adversarial and random histories give a finite,
// flagged forecast, never a crash, NaN or hang.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "forecast/forecast.hpp"
#include "tests/forecast/scenario_builder.hpp"

using namespace headroom::forecast;
using headroom::forecast::testing::D;

namespace {

Transaction txn(int i, Date d, std::int64_t cents, std::optional<std::int64_t> bal, std::string desc = "shop") {
  return Transaction{"a", "t" + std::to_string(i), d, Money::from_cents(cents),
                     bal ? std::optional<Money>(Money::from_cents(*bal)) : std::nullopt, std::move(desc), ""};
}

void expect_finite(const AccountForecast& out) {
  const auto& f = out.forecast;
  EXPECT_TRUE(std::isfinite(f.p_overdraft_window));
  EXPECT_GE(f.p_overdraft_window, 0.0);
  EXPECT_LE(f.p_overdraft_window, 1.0);
  ASSERT_EQ(f.days.size(), 30u);
  for (const auto& d : f.days) {
    EXPECT_TRUE(std::isfinite(d.p_below_zero));
    EXPECT_LE(d.p10, d.p90);
  }
  for (const auto& s : out.model.streams) {
    EXPECT_TRUE(std::isfinite(s.amount_cents));
    EXPECT_TRUE(std::isfinite(s.occurrence_probability));
  }
  for (const auto& r : f.risk_days) EXPECT_FALSE(r.summary.empty());
}

}  // namespace

TEST(Robustness, EmptyHistoryIsAFlaggedFallback) {
  const auto out = forecast_account({}, D(2024, 5, 1));
  expect_finite(out);
  EXPECT_TRUE(out.model.fallback);
  EXPECT_EQ(out.model.fallback_reason, FallbackReason::kEmptyHistory);
  EXPECT_EQ(out.forecast.p_overdraft_window, 0.0);
}

TEST(Robustness, OneTransactionIsAFlaggedFallback) {
  const std::vector<Transaction> t = {txn(1, D(2024, 4, 30), -2500, -2500)};
  const auto out = forecast_account(t, D(2024, 5, 1));
  expect_finite(out);
  EXPECT_TRUE(out.model.fallback);
  EXPECT_EQ(out.forecast.p_overdraft_window, 1.0);
}

TEST(Robustness, AllOnOneDayIsAFlaggedFallback) {
  std::vector<Transaction> t;
  for (int i = 0; i < 300; ++i) t.push_back(txn(i, D(2024, 4, 2), i % 2 ? -1000 : 900, std::nullopt));
  const auto out = forecast_account(t, D(2024, 5, 1));
  expect_finite(out);
  EXPECT_TRUE(out.model.fallback);
  EXPECT_FALSE(out.model.balance_known);
}

TEST(Robustness, HugeAmountsSaturateInsteadOfOverflowing) {
  std::vector<Transaction> t;
  for (int i = 0; i < 100; ++i)
    t.push_back(txn(i, D(2024, 1, 1) + Days{i * 3}, (i % 2 ? 1 : -1) * (INT64_MAX / 3), std::nullopt, "WIRE"));
  t.push_back(txn(1000, D(2024, 1, 5), INT64_MAX, INT64_MAX));
  const auto out = forecast_account(t, D(2024, 12, 1));
  expect_finite(out);
}

TEST(Robustness, OnlyDebitsOrOnlyCreditsStayFinite) {
  std::vector<Transaction> debits, credits;
  for (int i = 0; i < 200; ++i) {
    debits.push_back(txn(i, D(2024, 1, 1) + Days{i}, -1000 - i, std::nullopt));
    credits.push_back(txn(i, D(2024, 1, 1) + Days{i}, 1000 + i, std::nullopt, "DEPOSIT"));
  }
  const auto d = forecast_account(debits, D(2024, 9, 1));
  const auto c = forecast_account(credits, D(2024, 9, 1));
  expect_finite(d);
  expect_finite(c);
  EXPECT_FALSE(d.model.balance_known);
  EXPECT_EQ(d.model.fallback_reason, FallbackReason::kNoBalance);
  EXPECT_EQ(d.forecast.p_overdraft_window, 1.0);
  EXPECT_EQ(c.forecast.p_overdraft_window, 0.0);
}

TEST(Robustness, InconsistentBalanceJumpsAreFlagged) {
  std::vector<Transaction> t;
  for (int i = 0; i < 120; ++i) t.push_back(txn(i, D(2024, 1, 1) + Days{i}, -1500, (i % 10 == 0 ? 500000 : 1000) - i));
  const auto out = forecast_account(t, D(2024, 6, 1));
  expect_finite(out);
  EXPECT_TRUE(std::any_of(out.model.anomalies.begin(), out.model.anomalies.end(),
                          [](const Anomaly& a) { return a.kind == AnomalyKind::kBalanceMismatch && a.count > 0; }));
}

TEST(Robustness, RandomHistoriesNeverProduceNaNOrThrow) {
  std::uint64_t s = 12345;
  auto next = [&] { return s = s * 6364136223846793005ULL + 1442695040888963407ULL; };
  const char* labels[] = {"PAYROLL", "RENT", "SHOP", "", "UBER", "NETFLIX", "TRANSFER"};
  for (int round = 0; round < 150; ++round) {
    std::vector<Transaction> t;
    const int n = static_cast<int>(next() % 700);
    const int span = 1 + static_cast<int>(next() % 900);
    for (int i = 0; i < n; ++i) {
      const Date d = D(2023, 1, 1) + Days{static_cast<int>(next() % static_cast<std::uint64_t>(span))};
      const auto magnitude = static_cast<std::int64_t>(next() % (round % 7 == 0 ? 1'000'000'000'000ULL : 500'000ULL));
      const std::int64_t cents = (next() & 1) ? magnitude : -magnitude;
      std::optional<std::int64_t> bal;
      if (next() % 3 == 0) bal = static_cast<std::int64_t>(next() % 2'000'000) - 1'000'000;
      t.push_back(txn(static_cast<int>(next() % static_cast<std::uint64_t>(n + 1)), d, cents, bal, labels[next() % 7]));
    }
    const Date as_of = D(2023, 1, 1) + Days{static_cast<int>(next() % static_cast<std::uint64_t>(span + 60))};
    AccountForecast out;
    ASSERT_NO_THROW(out = forecast_account(t, as_of)) << "round " << round;
    expect_finite(out);
  }
}
