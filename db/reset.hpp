#pragma once
// Empties every Headroom data table (accounts, transactions, quarantine,
// forecasts, scoring cycles, nudge decisions, outbox, in-app nudges, erasure
// records) in one transaction, keeping the schema, the migrations record and
// the nudge policies. For private databases only: `headroom experiment --reset` uses it
// to start a simulated experiment from nothing.

#include <pqxx/connection>

namespace headroom::db {

void delete_all_data(pqxx::connection& conn);

}  // namespace headroom::db
