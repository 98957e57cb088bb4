#pragma once
// Batch generation of a whole population (`headroom simulate --csv`), on
// several threads, with output independent of the thread count: accounts are
// cut into fixed chunks, each chunk is simulated on whichever thread is free,
// and chunks are handed to the writer strictly in order. No I/O here: the
// caller's ChunkWriter does it, on the calling thread.

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "sim/account_sim.hpp"
#include "sim/params.hpp"

namespace headroom::sim {

struct PopulationOptions {
  std::uint32_t accounts = 10000;
  int days = 365;
  Date start = forecast::make_date(2025, 1, 1);
  std::uint64_t seed = 1;
  int threads = 2;                   // worker threads (>= 1)
  bool transactions = true;          // build transaction rows
  bool accounts_table = true;        // build accounts rows
  bool truth_table = true;           // build truth rows
  std::uint32_t chunk_accounts = 200;  // accounts per chunk; does not change the output
};

// One chunk's text, in account order. Headers are not included.
struct ChunkOutput {
  std::string transactions;
  std::string accounts;
  std::string truth;
};
using ChunkWriter = std::function<void(const ChunkOutput&)>;

struct PopulationSummary {
  std::uint64_t accounts = 0;
  std::uint64_t account_days = 0;
  std::uint64_t transactions = 0;
  std::uint64_t accounts_overdrawn = 0;  // >= 1 overdraft day
  std::uint64_t overdraft_days = 0;
  std::uint64_t fees = 0;
  std::int64_t fee_cents = 0;
  std::uint64_t frequent_overdrafters = 0;  // > 10 fees in the run (CFPB's "frequent" cut)
  std::int64_t frequent_fee_cents = 0;
  std::array<std::uint64_t, kIncomePatternCount> pattern_accounts{};
  std::array<std::uint64_t, kIncomePatternCount> pattern_overdrawn{};
  std::array<std::uint64_t, 3> budget_accounts{};
  std::array<std::uint64_t, 3> budget_overdrawn{};
  std::array<std::uint64_t, 4> shock_accounts{};  // by ShockKind
  std::array<std::uint64_t, kHistogramBuckets> overdraft_by_days_since_payday{};
  std::array<std::uint64_t, kHistogramBuckets> days_by_days_since_payday{};
  std::array<std::uint64_t, kHistogramBuckets> overdraft_by_days_until_payday{};
  std::array<std::uint64_t, kHistogramBuckets> days_by_days_until_payday{};
  std::array<std::uint64_t, kHistogramBuckets> overdraft_by_days_since_housing{};
  std::array<std::uint64_t, kHistogramBuckets> days_by_days_since_housing{};

  void add(const AccountSim& account);
  void merge(const PopulationSummary& other);
};

PopulationSummary simulate_population(const SimParams& params, const PopulationOptions& options,
                                      const ChunkWriter& writer);

// Human-readable report (the output of `headroom simulate --summary`).
std::string format_summary(const PopulationSummary& summary, const PopulationOptions& options);

}  // namespace headroom::sim
