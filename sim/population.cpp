#include "sim/population.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/csv.hpp"
#include "sim/profile.hpp"

namespace headroom::sim {

void PopulationSummary::add(const AccountSim& a) {
  const PathTally& t = a.factual();
  const AccountProfile& p = a.profile();
  ++accounts;
  account_days += static_cast<std::uint64_t>(t.days);
  transactions += static_cast<std::uint64_t>(t.postings);
  const bool overdrawn = t.overdraft_days > 0;
  accounts_overdrawn += overdrawn ? 1 : 0;
  overdraft_days += static_cast<std::uint64_t>(t.overdraft_days);
  fees += static_cast<std::uint64_t>(t.fees);
  fee_cents += t.fee_cents;
  if (t.fees > 10) {
    ++frequent_overdrafters;
    frequent_fee_cents += t.fee_cents;
  }
  const auto pi = static_cast<std::size_t>(p.income_pattern);
  ++pattern_accounts[pi];
  pattern_overdrawn[pi] += overdrawn ? 1 : 0;
  const auto bi = static_cast<std::size_t>(p.budget);
  ++budget_accounts[bi];
  budget_overdrawn[bi] += overdrawn ? 1 : 0;
  std::array<bool, 4> seen{};
  for (const Shock& s : p.shocks) seen[static_cast<std::size_t>(s.kind)] = true;
  for (std::size_t k = 0; k < seen.size(); ++k) shock_accounts[k] += seen[k] ? 1 : 0;
  for (int b = 0; b < kHistogramBuckets; ++b) {
    overdraft_by_days_since_payday[b] += static_cast<std::uint64_t>(t.overdraft_by_days_since_payday[b]);
    days_by_days_since_payday[b] += static_cast<std::uint64_t>(t.days_by_days_since_payday[b]);
    overdraft_by_days_since_housing[b] += static_cast<std::uint64_t>(t.overdraft_by_days_since_housing[b]);
    overdraft_by_days_until_payday[b] += static_cast<std::uint64_t>(t.overdraft_by_days_until_payday[b]);
    days_by_days_until_payday[b] += static_cast<std::uint64_t>(t.days_by_days_until_payday[b]);
    days_by_days_since_housing[b] += static_cast<std::uint64_t>(t.days_by_days_since_housing[b]);
  }
}

void PopulationSummary::merge(const PopulationSummary& o) {
  accounts += o.accounts;
  account_days += o.account_days;
  transactions += o.transactions;
  accounts_overdrawn += o.accounts_overdrawn;
  overdraft_days += o.overdraft_days;
  fees += o.fees;
  fee_cents += o.fee_cents;
  frequent_overdrafters += o.frequent_overdrafters;
  frequent_fee_cents += o.frequent_fee_cents;
  for (std::size_t i = 0; i < pattern_accounts.size(); ++i) {
    pattern_accounts[i] += o.pattern_accounts[i];
    pattern_overdrawn[i] += o.pattern_overdrawn[i];
  }
  for (std::size_t i = 0; i < budget_accounts.size(); ++i) {
    budget_accounts[i] += o.budget_accounts[i];
    budget_overdrawn[i] += o.budget_overdrawn[i];
  }
  for (std::size_t i = 0; i < shock_accounts.size(); ++i) shock_accounts[i] += o.shock_accounts[i];
  for (int b = 0; b < kHistogramBuckets; ++b) {
    overdraft_by_days_since_payday[b] += o.overdraft_by_days_since_payday[b];
    days_by_days_since_payday[b] += o.days_by_days_since_payday[b];
    overdraft_by_days_since_housing[b] += o.overdraft_by_days_since_housing[b];
    overdraft_by_days_until_payday[b] += o.overdraft_by_days_until_payday[b];
    days_by_days_until_payday[b] += o.days_by_days_until_payday[b];
    days_by_days_since_housing[b] += o.days_by_days_since_housing[b];
  }
}

namespace {

struct ChunkResult {
  ChunkOutput text;
  PopulationSummary summary;
};

ChunkResult simulate_chunk(const std::shared_ptr<const SimParams>& params, const PopulationOptions& o,
                           std::uint32_t first, std::uint32_t last) {
  ChunkResult r;
  std::vector<SimTxn> rows;
  rows.reserve(static_cast<std::size_t>(o.days) * 4);
  if (o.transactions) r.text.transactions.reserve(static_cast<std::size_t>(last - first) * o.days * 180);
  for (std::uint32_t i = first; i < last; ++i) {
    AccountSim a(params, o.seed, i, draw_profile(*params, o.seed, i, o.start), o.start);
    rows.clear();
    for (int d = 0; d < o.days; ++d) {
      a.advance(o.transactions ? &rows : nullptr);
      // Format as we go so `rows` stays small and hot in cache.
      if (o.transactions && rows.size() > 256) {
        for (const SimTxn& t : rows) append_transaction_row(r.text.transactions, a.profile().account_id, t);
        rows.clear();
      }
    }
    if (o.transactions) {
      for (const SimTxn& t : rows) append_transaction_row(r.text.transactions, a.profile().account_id, t);
    }
    if (o.accounts_table) append_account_row(r.text.accounts, a.profile());
    if (o.truth_table) append_truth_row(r.text.truth, a);
    r.summary.add(a);
  }
  return r;
}

}  // namespace

PopulationSummary simulate_population(const SimParams& params, const PopulationOptions& options,
                                      const ChunkWriter& writer) {
  auto shared = std::make_shared<const SimParams>(params);
  const std::uint32_t chunk = std::max<std::uint32_t>(1, options.chunk_accounts);
  const std::uint32_t n_chunks = (options.accounts + chunk - 1) / chunk;
  const int threads = std::max(1, options.threads);
  // Bounded look-ahead keeps memory flat when the writer is slower than the workers.
  const std::uint32_t window = static_cast<std::uint32_t>(threads) * 2 + 2;

  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint32_t, ChunkResult> ready;
  std::uint32_t next_to_write = 0;
  std::atomic<std::uint32_t> next_chunk{0};
  std::exception_ptr failure;
  bool stop = false;

  auto worker = [&] {
    for (;;) {
      const std::uint32_t c = next_chunk.fetch_add(1);
      if (c >= n_chunks) return;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || c < next_to_write + window; });
        if (stop) return;
      }
      ChunkResult result;
      try {
        const std::uint32_t first = c * chunk;
        result = simulate_chunk(shared, options, first, std::min(options.accounts, first + chunk));
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        changed.notify_all();
        return;
      }
      std::lock_guard lock(mutex);
      ready.emplace(c, std::move(result));
      changed.notify_all();
    }
  };

  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);

  PopulationSummary total;
  try {
    while (next_to_write < n_chunks) {
      ChunkResult r;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || ready.count(next_to_write) > 0; });
        if (stop) break;
        auto it = ready.find(next_to_write);
        r = std::move(it->second);
        ready.erase(it);
      }
      writer(r.text);
      total.merge(r.summary);
      std::lock_guard lock(mutex);
      ++next_to_write;
      changed.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(mutex);
      stop = true;
      changed.notify_all();
    }
    for (auto& t : pool) t.join();
    throw;
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return total;
}

std::string format_summary(const PopulationSummary& s, const PopulationOptions& o) {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  const double accounts = static_cast<double>(std::max<std::uint64_t>(1, s.accounts));
  const double account_months = static_cast<double>(s.account_days) / (365.25 / 12.0);
  add("Population: %llu accounts x %d days from %s, seed %llu\n", static_cast<unsigned long long>(s.accounts), o.days,
      forecast::to_iso_string(o.start).c_str(), static_cast<unsigned long long>(o.seed));
  add("Transactions: %llu (%.1f per account-month)\n", static_cast<unsigned long long>(s.transactions),
      static_cast<double>(s.transactions) / std::max(1.0, account_months));
  add("Accounts with >= 1 overdraft day: %llu (%.1f%%)\n", static_cast<unsigned long long>(s.accounts_overdrawn),
      100.0 * static_cast<double>(s.accounts_overdrawn) / accounts);
  add("Overdraft days per account-month: %.3f (per overdrawn account-month: %.3f)\n",
      static_cast<double>(s.overdraft_days) / std::max(1.0, account_months),
      static_cast<double>(s.overdraft_days) /
          std::max(1.0, account_months * static_cast<double>(s.accounts_overdrawn) / accounts));
  add("Overdraft fees: %llu, total %s, %.2f per account, %.2f per overdrawn account\n",
      static_cast<unsigned long long>(s.fees), forecast::Money::from_cents(s.fee_cents).to_decimal_string().c_str(),
      static_cast<double>(s.fee_cents) / 100.0 / accounts,
      static_cast<double>(s.fee_cents) / 100.0 / static_cast<double>(std::max<std::uint64_t>(1, s.accounts_overdrawn)));
  add("Accounts with > 10 fees: %llu (%.1f%% of accounts) paying %.1f%% of fee dollars\n",
      static_cast<unsigned long long>(s.frequent_overdrafters),
      100.0 * static_cast<double>(s.frequent_overdrafters) / accounts,
      s.fee_cents > 0 ? 100.0 * static_cast<double>(s.frequent_fee_cents) / static_cast<double>(s.fee_cents) : 0.0);

  out += "\nIncome pattern mix (share of accounts, share of them overdrawn):\n";
  for (int i = 0; i < kIncomePatternCount; ++i) {
    const auto n = s.pattern_accounts[static_cast<std::size_t>(i)];
    add("  %-26s %6.1f%%   %5.1f%%\n", std::string(to_string(static_cast<IncomePattern>(i))).c_str(),
        100.0 * static_cast<double>(n) / accounts,
        n ? 100.0 * static_cast<double>(s.pattern_overdrawn[static_cast<std::size_t>(i)]) / static_cast<double>(n)
          : 0.0);
  }
  out += "Budget segment (share of accounts, share of them overdrawn):\n";
  for (int i = 0; i < 3; ++i) {
    const auto n = s.budget_accounts[static_cast<std::size_t>(i)];
    add("  %-26s %6.1f%%   %5.1f%%\n", std::string(to_string(static_cast<Budget>(i))).c_str(),
        100.0 * static_cast<double>(n) / accounts,
        n ? 100.0 * static_cast<double>(s.budget_overdrawn[static_cast<std::size_t>(i)]) / static_cast<double>(n)
          : 0.0);
  }
  out += "Accounts with a shock:";
  for (int k = 0; k < 4; ++k)
    add(" %s %.1f%%", std::string(to_string(static_cast<ShockKind>(k))).c_str(),
        100.0 * static_cast<double>(s.shock_accounts[static_cast<std::size_t>(k)]) / accounts);
  out += "\n";

  auto histogram = [&](const char* title, const auto& od, const auto& all) {
    std::uint64_t od_total = 0, all_total = 0;
    for (int b = 0; b < kHistogramBuckets; ++b) {
      od_total += od[b];
      all_total += all[b];
    }
    add("\n%s\n  days  share of overdraft days  share of all days  lift\n", title);
    // Weekly bins keep the table short; lift > 1 = overdrafts concentrate there.
    const int bins[][2] = {{0, 0}, {1, 2}, {3, 6}, {7, 10}, {11, 13}, {14, 20}, {21, 30}, {31, 31}};
    for (const auto& bin : bins) {
      std::uint64_t o_n = 0, a_n = 0;
      for (int b = bin[0]; b <= bin[1]; ++b) {
        o_n += od[b];
        a_n += all[b];
      }
      if (a_n == 0 && o_n == 0) continue;
      const double o_share = od_total ? static_cast<double>(o_n) / static_cast<double>(od_total) : 0.0;
      const double a_share = all_total ? static_cast<double>(a_n) / static_cast<double>(all_total) : 0.0;
      char label[16];
      if (bin[0] == 31)
        std::snprintf(label, sizeof label, "31+/none");
      else if (bin[0] == bin[1])
        std::snprintf(label, sizeof label, "%d", bin[0]);
      else
        std::snprintf(label, sizeof label, "%d-%d", bin[0], bin[1]);
      add("  %-8s %10.1f%% %20.1f%% %10.2f\n", label, 100.0 * o_share, 100.0 * a_share,
          a_share > 0 ? o_share / a_share : 0.0);
    }
  };
  histogram("Overdraft days by days since the last income credit:", s.overdraft_by_days_since_payday,
            s.days_by_days_since_payday);
  histogram("Overdraft days by days until the next income credit (paydays with a next credit only):",
            s.overdraft_by_days_until_payday, s.days_by_days_until_payday);
  histogram("Overdraft days by days since the last rent/mortgage payment:", s.overdraft_by_days_since_housing,
            s.days_by_days_since_housing);
  return out;
}

}  // namespace headroom::sim
