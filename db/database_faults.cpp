#include "db/database_faults.hpp"

#include <string>
#include <string_view>

#include <pqxx/except>

#include "db/connection_pool.hpp"

namespace headroom::db {

bool sqlstate_unavailable(std::string_view state) {
  if (state.size() != 5) return false;
  const std::string_view klass = state.substr(0, 2);
  return klass == "53" || klass == "40" || klass == "08" || state == "57014" || state == "57P01" ||
         state == "57P02" || state == "57P03" || state == "25006";
}

bool database_unavailable(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) || dynamic_cast<const PoolUnavailable*>(&e) ||
      dynamic_cast<const pqxx::transaction_rollback*>(&e) || dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return true;
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  return sql && sqlstate_unavailable(sql->sqlstate());
}

}  // namespace headroom::db
