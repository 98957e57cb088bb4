// Each behaviour appears with its tuned share, and the rows it produces obey the
// source contract and the bank's fee rule.
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/csv.hpp"
#include "sim/population.hpp"
#include "sim/profile.hpp"

namespace headroom::sim {
namespace {

const Date kStart = forecast::make_date(2025, 1, 1);

std::vector<AccountProfile> profiles(const SimParams& params, std::uint32_t n, std::uint64_t seed = 5) {
  std::vector<AccountProfile> out;
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(draw_profile(params, seed, i, kStart));
  return out;
}

// Binomial share within 4 standard errors of the tuned probability.
void expect_share(double observed_count, double n, double p, const char* what) {
  const double se = std::sqrt(p * (1 - p) / n);
  EXPECT_NEAR(observed_count / n, p, 4 * se + 1e-9) << what;
}

TEST(Behaviours, IncomePatternsAppearWithTheirTunedShares) {
  SimParams params;
  params.income_mix = {0.1, 0.1, 0.2, 0.3, 0.2, 0.1};
  const auto ps = profiles(params, 6000);
  std::map<IncomePattern, int> count;
  for (const auto& p : ps) ++count[p.income_pattern];
  const double n = static_cast<double>(ps.size());
  expect_share(count[IncomePattern::kMonthlyFixedDay], n, 0.1, "monthly fixed day");
  expect_share(count[IncomePattern::kMonthlyLastBusinessDay], n, 0.1, "monthly last business day");
  expect_share(count[IncomePattern::kSemiMonthly], n, 0.2, "semi-monthly");
  expect_share(count[IncomePattern::kBiweekly], n, 0.3, "biweekly");
  expect_share(count[IncomePattern::kWeekly], n, 0.2, "weekly");
  expect_share(count[IncomePattern::kGig], n, 0.1, "gig");
}

TEST(Behaviours, BillsAndHousingAppearWithTheirTunedShares) {
  SimParams params;
  const auto ps = profiles(params, 6000);
  const double n = static_cast<double>(ps.size());
  std::map<BillKind, int> has;
  int rent = 0, mortgage = 0, subscriptions = 0;
  for (const auto& p : ps) {
    rent += p.housing == Housing::kRent;
    mortgage += p.housing == Housing::kMortgage;
    std::map<BillKind, bool> seen;
    for (const Bill& b : p.bills) {
      seen[b.kind] = true;
      subscriptions += b.kind == BillKind::kSubscription;
    }
    for (const auto& [k, v] : seen) has[k] += v;
  }
  expect_share(rent, n, params.rent_share, "rent");
  expect_share(mortgage, n, params.mortgage_share, "mortgage");
  expect_share(has[BillKind::kElectricity], n, params.electricity_share, "electricity");
  expect_share(has[BillKind::kWater], n, params.water_share, "water");
  expect_share(has[BillKind::kPhone], n, params.phone_share, "phone");
  expect_share(has[BillKind::kAutoLoan], n, params.auto_loan_share, "auto loan");
  expect_share(has[BillKind::kStudentLoan], n, params.student_loan_share, "student loan");
  expect_share(has[BillKind::kInsurance], n, params.insurance_share, "insurance");
  // One subscription per service is kept, so the mean sits a little under the Poisson mean.
  EXPECT_NEAR(subscriptions / n, params.subscriptions_mean, 0.35);
}

TEST(Behaviours, ShocksAppearWithTheirTunedShares) {
  SimParams params;
  params.tax_refund_share = 0.5;
  params.job_loss_share = 0.1;
  params.raise_share = 0.3;
  const auto ps = profiles(params, 6000);
  double salaried = 0;
  std::map<ShockKind, int> count;
  int refunds = 0;
  for (const auto& p : ps) {
    salaried += p.income_pattern != IncomePattern::kGig;
    for (const Shock& s : p.shocks) {
      ++count[s.kind];
      refunds += s.windfall == WindfallKind::kTaxRefund;
    }
  }
  expect_share(refunds, static_cast<double>(ps.size()), 0.5, "tax refund");
  expect_share(count[ShockKind::kJobLoss], salaried, 0.1, "job loss among salaried");
  expect_share(count[ShockKind::kRaise], salaried, 0.3, "raise among salaried");
}

TEST(Behaviours, ElectricityCostsMoreInJanuaryAndJulyThanInAprilAndOctober) {
  SimParams params;
  params.electricity_share = 1.0;
  PopulationOptions o;
  o.accounts = 150;
  o.days = 365;
  o.seed = 11;
  o.accounts_table = o.truth_table = false;
  std::map<int, double> by_month;
  simulate_population(params, o, [&](const ChunkOutput& c) {
    std::istringstream in(c.transactions);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("UTIL PMT") == std::string::npos) continue;
      const auto month = std::stoi(line.substr(line.find(",2025-") + 6, 2));
      const auto amount_at = line.find(',', line.find(",2025-") + 1) + 1;
      by_month[month] += -std::stod(line.substr(amount_at, line.find(',', amount_at) - amount_at));
    }
  });
  EXPECT_GT(by_month[1] + by_month[7], 1.3 * (by_month[4] + by_month[10]));
}

TEST(Behaviours, RowsFollowTheSourceContractAndTheFeeRule) {
  PopulationOptions o;
  o.accounts = 120;
  o.days = 200;
  o.seed = 3;
  std::string text;
  const PopulationSummary s = simulate_population(SimParams{}, o, [&](const ChunkOutput& c) { text += c.transactions; });
  ASSERT_GT(s.fees, 0u) << "population too small to test the fee rule";
  EXPECT_EQ(kTransactionsHeader, "account_id,txn_id,posted_at,amount,balance_after,description,kind\n");

  // Minimal RFC 4180 split (descriptions may be quoted; none span lines).
  auto split = [](const std::string& line) {
    std::vector<std::string> f(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') f.back() += '"', ++i;
        else if (c == '"') quoted = false;
        else f.back() += c;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        f.emplace_back();
      } else {
        f.back() += c;
      }
    }
    return f;
  };
  auto cents = [](const std::string& s) { return std::llround(std::stod(s) * 100.0); };

  std::istringstream in(text);
  std::string line, prev_account, prev_date;
  long long balance = 0;
  std::map<std::string, int> fees_in_month;
  bool saw_quoted = false;
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    saw_quoted |= line.find('"') != std::string::npos;
    const auto f = split(line);
    ASSERT_EQ(f.size(), 7u) << line;
    ASSERT_TRUE(forecast::parse_iso_date(f[2])) << line;
    if (f[0] == prev_account) {
      ASSERT_GE(f[2], prev_date) << "rows sorted by account then posted_at: " << line;
      EXPECT_EQ(balance + cents(f[3]), cents(f[4])) << "balance_after chains: " << line;
    } else {
      ASSERT_GT(f[0], prev_account) << "accounts sorted: " << line;
    }
    balance = cents(f[4]);
    prev_account = f[0];
    prev_date = f[2];
    if (f[6] == "fee") {
      EXPECT_EQ(f[3], "-35.00");
      EXPECT_LT(balance + 3500, 0) << "fee only when the balance is below zero: " << line;
      EXPECT_LE(++fees_in_month[f[0] + f[2].substr(0, 7)], 3) << "monthly fee cap: " << line;
    }
  }
  EXPECT_EQ(static_cast<std::uint64_t>(rows), s.transactions);
  EXPECT_TRUE(saw_quoted) << "some descriptions need RFC 4180 quoting (e.g. 'DOORDASH, INC.')";
}

}  // namespace
}  // namespace headroom::sim
