#pragma once
// Text forms of the simulator's output: source-contract transaction rows
// (docs/DESIGN.md), the accounts table and the ground-truth table. Appends to a
// caller's buffer with hand-written number formatting (this is the hot loop of
// `headroom simulate --csv`). Text fields are quoted by the project's one CSV
// writer (ingest/csv_writer.hpp, RFC 4180).

#include <string>
#include <string_view>

#include "forecast/transaction.hpp"
#include "sim/account_sim.hpp"

namespace headroom::sim {

inline constexpr std::string_view kTransactionsHeader =
    "account_id,txn_id,posted_at,amount,balance_after,description,kind\n";
inline constexpr std::string_view kAccountsHeader =
    "account_id,time_zone,currency,email,income_pattern,housing,budget,has_savings\n";
inline constexpr std::string_view kTruthHeader =
    "account_id,income_pattern,housing,budget,has_savings,days,overdraft_days,fees,fee_total,"
    "cf_overdraft_days,cf_fees,cf_fee_total,nudges,nudges_acted,min_balance,shocks\n";

// "YYYYMMDD-N": unique within the account, the same in batch and stepped runs.
std::string txn_id_for(const SimTxn& t);
forecast::Transaction to_transaction(std::string_view account_id, const SimTxn& t);

void append_transaction_row(std::string& out, std::string_view account_id, const SimTxn& t);
void append_account_row(std::string& out, const AccountProfile& p);
// shocks: "kind[:windfall]:YYYY-MM-DD[:days|amount|fraction]" joined by ';'.
void append_truth_row(std::string& out, const AccountSim& a);
void append_cents(std::string& out, std::int64_t cents);     // "-12.34"
void append_date(std::string& out, Date d);                  // "2025-01-31"

}  // namespace headroom::sim
