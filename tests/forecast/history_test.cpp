#include <gtest/gtest.h>

#include <algorithm>

#include "forecast/history.hpp"
#include "tests/forecast/scenario_builder.hpp"

using namespace headroom::forecast;
using headroom::forecast::testing::D;

namespace {
Transaction txn(std::string id, Date d, std::int64_t cents, std::optional<std::int64_t> bal, std::string desc = "x") {
  return Transaction{"a", std::move(id), d, Money::from_cents(cents),
                     bal ? std::optional<Money>(Money::from_cents(*bal)) : std::nullopt, std::move(desc), ""};
}
}  // namespace

TEST(History, OnlyRowsBeforeAsOfAreVisible) {
  const std::vector<Transaction> t = {txn("1", D(2024, 1, 1), 1000, 1000), txn("2", D(2024, 1, 3), -300, 700),
                                      txn("3", D(2024, 1, 5), -900, -200)};
  const auto h = build_history(t, D(2024, 1, 5));
  EXPECT_EQ(h.postings.size(), 2u);
  EXPECT_EQ(h.days(), 4);
  EXPECT_EQ(h.current_balance.cents(), 700);
  EXPECT_EQ(h.end_of_day_balance[1].cents(), 1000);  // carried over 2 January
}

TEST(History, DropsDuplicateTxnIdsAndAcceptsAnyOrder) {
  std::vector<Transaction> t = {txn("3", D(2024, 1, 3), -200, 700), txn("1", D(2024, 1, 1), 1000, 1000),
                                txn("2", D(2024, 1, 3), -100, 900), txn("1", D(2024, 1, 1), 1000, 1000)};
  const auto h = build_history(t, D(2024, 1, 4));
  EXPECT_EQ(h.duplicates_dropped, 1);
  EXPECT_EQ(h.current_balance.cents(), 700);
  std::reverse(t.begin(), t.end());
  EXPECT_EQ(build_history(t, D(2024, 1, 4)).end_of_day_balance, h.end_of_day_balance);
}

TEST(History, CarriesTheLastKnownBalanceForwardWhenBalanceAfterIsMissing) {
  const std::vector<Transaction> t = {txn("1", D(2024, 1, 1), 5000, 5000), txn("2", D(2024, 1, 2), -1200, std::nullopt),
                                      txn("3", D(2024, 1, 4), -800, std::nullopt)};
  const auto h = build_history(t, D(2024, 1, 5));
  EXPECT_EQ(h.end_of_day_balance[1].cents(), 3800);
  EXPECT_EQ(h.current_balance.cents(), 3000);
  EXPECT_TRUE(h.balance_known);
}

TEST(History, BackfillsBalancesBeforeTheFirstAnchorAndCountsContradictions) {
  const std::vector<Transaction> t = {txn("1", D(2024, 1, 1), -500, std::nullopt), txn("2", D(2024, 1, 2), -500, 9000),
                                      txn("3", D(2024, 1, 3), -500, 1000)};
  const auto h = build_history(t, D(2024, 1, 4));
  EXPECT_EQ(h.end_of_day_balance[0].cents(), 9500);
  EXPECT_EQ(h.current_balance.cents(), 1000);
  EXPECT_EQ(h.balance_mismatches, 1);
}

TEST(History, NormalizesLabelsSoReferenceNumbersDoNotSplitStreams) {
  EXPECT_EQ(normalize_label("NETFLIX.COM 8884"), "netflix com");
  EXPECT_EQ(normalize_label("  Rent -- March 2024 "), "rent march");
  EXPECT_EQ(normalize_label("POS PURCHASE LYFT *RIDE A8IW3NADZ"), "pos purchase lyft ride");
}

TEST(History, GroupsOnePayeeAcrossNarrativeVariants) {
  EXPECT_EQ(payee_label("ACH UMBRELLA HEALTH PAYROLL 0115"), "umbrella health");
  EXPECT_EQ(payee_label("ACH UMBRELLA HEALTH DIR DEP 0229"), "umbrella health");
  EXPECT_EQ(payee_label("ORIG CO NAME:UMBRELLA HEALTH CO ENTRY DESCR:PAYROLL SEC:PPD TRACE#:6974 EED:240101 IND ID:1392"),
            "umbrella health");
  EXPECT_EQ(payee_label("NETFLIX.COM 8884"), "netflix com");
}

TEST(History, PrecomputedPayeeHashesGiveTheSameHistory) {
  const std::vector<Transaction> t = {txn("1", D(2024, 1, 1), 1000, 1000, "ACH ACME CORP PAYROLL 0101"),
                                      txn("2", D(2024, 1, 2), -300, 700, "POS PURCHASE KROGER #12"),
                                      txn("3", D(2024, 2, 1), 1000, 1700, "ACH ACME CORP DIR DEP 0201")};
  std::vector<std::uint64_t> hashes;
  for (const auto& x : t) hashes.push_back(payee_hash(x));
  const auto a = build_history(t, D(2024, 3, 1));
  const auto b = build_history(t, D(2024, 3, 1), hashes);
  EXPECT_EQ(a.labels, b.labels);
  ASSERT_EQ(a.postings.size(), b.postings.size());
  for (std::size_t i = 0; i < a.postings.size(); ++i) EXPECT_EQ(a.postings[i].label, b.postings[i].label);
  EXPECT_EQ(a.labels[a.postings[0].label], "acme corp");
  EXPECT_EQ(a.postings[0].label, a.postings[2].label);
}
