#include "sim/simulation.hpp"

#include <algorithm>

#include "sim/csv.hpp"

namespace headroom::sim {

Simulation::Simulation(SimParams params, std::uint64_t seed, std::uint32_t n_accounts, Date start)
    : params_(std::make_shared<const SimParams>(std::move(params))), current_(start) {
  accounts_.reserve(n_accounts);
  for (std::uint32_t i = 0; i < n_accounts; ++i)
    accounts_.emplace_back(params_, seed, i, draw_profile(*params_, seed, i, start), start);
}

Simulation::Simulation(SimParams params, std::uint64_t seed, std::vector<AccountProfile> profiles, Date start)
    : params_(std::make_shared<const SimParams>(std::move(params))), current_(start) {
  accounts_.reserve(profiles.size());
  for (std::size_t i = 0; i < profiles.size(); ++i)
    accounts_.emplace_back(params_, seed, static_cast<std::uint32_t>(i), std::move(profiles[i]), start);
}

const std::vector<SimTxn>& Simulation::advance_day_raw(std::vector<std::uint32_t>* account_of_row) {
  rows_.clear();
  if (account_of_row) account_of_row->clear();
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    accounts_[i].advance(&rows_);
    if (account_of_row) account_of_row->resize(rows_.size(), static_cast<std::uint32_t>(i));
  }
  current_ += std::chrono::days{1};
  return rows_;
}

std::vector<forecast::Transaction> Simulation::advance_day() {
  std::vector<std::uint32_t> owner;
  const auto& rows = advance_day_raw(&owner);
  std::vector<forecast::Transaction> out;
  out.reserve(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r)
    out.push_back(to_transaction(accounts_[owner[r]].profile().account_id, rows[r]));
  return out;
}

NudgeOutcome Simulation::deliver(std::size_t account_index, const NudgeDelivery& nudge) {
  return accounts_.at(account_index).deliver(nudge);
}

std::optional<std::size_t> Simulation::find(std::string_view account_id) const {
  // Generated ids sort in index order; hand-built ones may not, so fall back to a scan.
  const auto it = std::lower_bound(accounts_.begin(), accounts_.end(), account_id,
                                   [](const AccountSim& a, std::string_view id) { return a.profile().account_id < id; });
  if (it != accounts_.end() && it->profile().account_id == account_id)
    return static_cast<std::size_t>(it - accounts_.begin());
  for (std::size_t i = 0; i < accounts_.size(); ++i)
    if (accounts_[i].profile().account_id == account_id) return i;
  return std::nullopt;
}

AccountTruth Simulation::truth(std::size_t i) const {
  const AccountSim& a = accounts_.at(i);
  return AccountTruth{a.profile(), a.factual(), a.counterfactual(), a.nudges()};
}

std::vector<AccountTruth> Simulation::truth() const {
  std::vector<AccountTruth> out;
  out.reserve(accounts_.size());
  for (std::size_t i = 0; i < accounts_.size(); ++i) out.push_back(truth(i));
  return out;
}

}  // namespace headroom::sim
