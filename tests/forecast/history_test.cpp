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

namespace {
void expect_same_history(const AccountHistory& a, const AccountHistory& b) {
  EXPECT_EQ(a.account_id, b.account_id);
  EXPECT_EQ(a.as_of, b.as_of);
  EXPECT_EQ(a.first_date, b.first_date);
  ASSERT_EQ(a.postings.size(), b.postings.size());
  for (std::size_t i = 0; i < a.postings.size(); ++i) {
    EXPECT_EQ(a.postings[i].posted_at, b.postings[i].posted_at);
    EXPECT_EQ(a.postings[i].amount, b.postings[i].amount);
    EXPECT_EQ(a.postings[i].label, b.postings[i].label);
  }
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.label_hints, b.label_hints);
  EXPECT_EQ(a.end_of_day_balance, b.end_of_day_balance);
  EXPECT_EQ(a.net_flow, b.net_flow);
  EXPECT_EQ(a.current_balance, b.current_balance);
  EXPECT_EQ(a.balance_known, b.balance_known);
  EXPECT_EQ(a.duplicates_dropped, b.duplicates_dropped);
  EXPECT_EQ(a.balance_mismatches, b.balance_mismatches);
}
}  // namespace

TEST(History, APreparedAccountGivesTheSameHistoryAsBuildingFromRowsAtEveryDate) {
  // Sorted by date (as AccountBook keeps them), with duplicates, gaps in
  // balance_after, a contradiction, new payees appearing late, and more than
  // kMaxHistoryDays of history so the kept window slides.
  std::vector<Transaction> t;
  const char* payees[] = {"ACH ACME CORP PAYROLL 0101", "POS PURCHASE KROGER #12", "NETFLIX.COM", "CITY POWER UTILITY",
                          "UBER TRIP 77", "RENT OAKWOOD"};
  std::int64_t bal = 10000;
  std::uint64_t s = 7;
  for (int day = 0; day < 1300; day += 1 + static_cast<int>(s % 3)) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::int64_t amount = static_cast<std::int64_t>((s >> 40) % 20000) - 12000;
    bal += amount;
    const int payee = std::min(5, static_cast<int>((s >> 20) % 6) * (day > 600 ? 1 : 0) + (day % 5 == 0 ? 1 : 0));
    Transaction row = txn("r" + std::to_string(day), D(2022, 1, 1) + Days{day}, amount, bal, payees[payee]);
    if ((s >> 10) % 4 == 0) row.balance_after.reset();
    if ((s >> 12) % 97 == 0) row.balance_after = Money::from_cents(bal + 555);  // the bank disagrees
    t.push_back(row);
    if ((s >> 14) % 23 == 0) t.push_back(t.back());  // duplicate txn_id
  }
  std::vector<std::uint64_t> hashes;
  for (const auto& x : t) hashes.push_back(payee_hash(x));
  const PreparedAccount prepared = prepare_account(t, hashes);
  for (int day = -3; day < 1310; day += 11) {
    const Date as_of = D(2022, 1, 1) + Days{day};
    SCOPED_TRACE(day);
    expect_same_history(history_as_of(prepared, as_of), build_history(t, as_of, hashes));
  }
}

TEST(History, APreparedAccountOfUnsortedRowsFallsBackToBuildingFromRows) {
  std::vector<Transaction> t = {txn("3", D(2024, 1, 3), -200, 700), txn("1", D(2024, 1, 1), 1000, 1000),
                                txn("2", D(2024, 1, 3), -100, 900), txn("1", D(2024, 1, 2), 1000, 1000)};
  const PreparedAccount prepared = prepare_account(t);
  for (const Date as_of : {D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 4)})
    expect_same_history(history_as_of(prepared, as_of), build_history(t, as_of));
}
