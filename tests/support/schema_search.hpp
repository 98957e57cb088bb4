#pragma once
// Reading every table of schema `headroom` whole, for the erasure tests: where
// a string occurs (every column of every table, whatever its type), and a
// snapshot of every row version to show that a call changed nothing.

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace headroom::testing {

// The tables of schema headroom (views excluded: they show table rows),
// found in the catalogue so that a table a later migration adds is read too.
inline std::vector<std::string> headroom_tables(pqxx::transaction_base& tx) {
  std::vector<std::string> tables;
  for (const auto& row : tx.exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'headroom' AND c.relkind IN ('r', 'p') ORDER BY 1"))
    tables.push_back(row[0].as<std::string>());
  return tables;
}

// "table.column: N rows" for each column of each headroom table holding
// `needle`, case-insensitively, as stored or as JSON escapes it (a jsonb
// column's text has \n and \" where the copy had a newline or a quote).
// Every column is read as text, so text, jsonb, arrays and anything else a
// later migration adds are all searched.
inline std::vector<std::string> where_in_schema(pqxx::connection& conn, const std::string& needle) {
  pqxx::nontransaction tx{conn};
  const std::string escaped =
      tx.exec_params1("SELECT substr(j, 2, length(j) - 2) FROM (SELECT to_jsonb($1::text)::text AS j) s", needle)[0]
          .as<std::string>();
  std::vector<std::string> found;
  for (const auto& table : headroom_tables(tx)) {
    const auto columns = tx.exec_params(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = ('headroom.' || quote_ident($1))::regclass "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        table);
    for (const auto& column : columns) {
      const std::string col = tx.quote_name(column[0].as<std::string>());
      const auto n = tx.exec_params1("SELECT count(*) FROM headroom." + tx.quote_name(table) + " WHERE strpos(lower(" +
                                         col + "::text), lower($1)) > 0 OR strpos(lower(" + col +
                                         "::text), lower($2)) > 0",
                                     needle, escaped)[0]
                         .as<long long>();
      if (n > 0) found.push_back(table + "." + column[0].as<std::string>() + ": " + std::to_string(n) + " rows");
    }
  }
  return found;
}

// Every row of every headroom table with the transaction that wrote its
// version (xmin): equal before and after a call only if the call wrote no
// row, not even one with the same values.
inline std::string schema_snapshot(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  std::string out;
  for (const auto& table : headroom_tables(tx)) {
    out += "== " + table + "\n";
    out += tx.exec("SELECT coalesce(string_agg(r.xmin::text || ' ' || r::text, E'\\n' ORDER BY r::text), '') FROM headroom." +
                   tx.quote_name(table) + " r")[0][0]
               .as<std::string>();
    out += "\n";
  }
  return out;
}

}  // namespace headroom::testing
