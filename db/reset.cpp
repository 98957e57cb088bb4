#include "db/reset.hpp"

#include <pqxx/transaction>

namespace headroom::db {

void delete_all_data(pqxx::connection& conn) {
  pqxx::work tx{conn};
  tx.exec0(
      "TRUNCATE headroom.nudges, headroom.nudge_outbox, headroom.nudge_decisions, headroom.scoring_log,"
      " headroom.scoring_chunks, headroom.scoring_cycles, headroom.forecasts, headroom.quarantined_transactions,"
      " headroom.transactions, headroom.accounts, headroom.erasures");
  tx.commit();
}

}  // namespace headroom::db
