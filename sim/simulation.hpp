#pragma once
// Stepping API: a population advanced one day at a time in lockstep with the
// engine (docs/simulator.md, "Stepping"):
//
//   Simulation sim(params, seed, n_accounts, start);
//   auto txns = sim.advance_day();          // day d's postings, sorted by account then order
//   ... engine runs as of d + 1, plans nudges ...
//   sim.deliver(index, nudge);              // before advance_day() simulates d + 1
//   sim.truth();                            // factual and counterfactual outcomes
//
// The batch writer (population.hpp) runs the same AccountSim, so a stepped run
// with no nudges emits exactly the rows of `headroom simulate --csv`.
// Not thread-safe: one caller drives it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "forecast/transaction.hpp"
#include "sim/account_sim.hpp"
#include "sim/params.hpp"
#include "sim/profile.hpp"

namespace headroom::sim {

// Everything the simulator knows about one account that the engine must not.
struct AccountTruth {
  AccountProfile profile;    // includes shocks (windfalls, delays, job loss, raises)
  PathTally factual;         // with nudges
  PathTally counterfactual;  // same future, never nudged (== factual when no nudge was delivered)
  std::vector<NudgeOutcome> nudges;
};

class Simulation {
 public:
  Simulation(SimParams params, std::uint64_t seed, std::uint32_t n_accounts, Date start);
  // Hand-built populations (tests, what-if runs); account index = position.
  Simulation(SimParams params, std::uint64_t seed, std::vector<AccountProfile> profiles, Date start);

  // The day the next advance_day() simulates.
  Date current_day() const { return current_; }
  std::size_t size() const { return accounts_.size(); }

  // Simulates current_day() for every account and returns its postings.
  std::vector<forecast::Transaction> advance_day();
  // Same, without building strings (for callers that format themselves).
  const std::vector<SimTxn>& advance_day_raw(std::vector<std::uint32_t>* account_of_row);

  // Delivers a nudge; the response (if any) shows from current_day() on.
  NudgeOutcome deliver(std::size_t account_index, const NudgeDelivery& nudge);

  std::optional<std::size_t> find(std::string_view account_id) const;
  const AccountSim& account(std::size_t i) const { return accounts_.at(i); }
  AccountTruth truth(std::size_t i) const;
  std::vector<AccountTruth> truth() const;

 private:
  std::shared_ptr<const SimParams> params_;
  std::vector<AccountSim> accounts_;
  Date current_;
  std::vector<SimTxn> rows_;
};

}  // namespace headroom::sim
