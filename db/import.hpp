#pragma once
// Import of a source-contract CSV file into headroom.transactions.
//
// Rows are parsed and validated in C++ (ingest/transactions_csv.hpp), streamed
// through COPY into a staging table and merged in ONE transaction:
//   - a key (account_id, txn_id) already stored with identical content is
//     "unchanged": re-importing a file changes nothing;
//   - a key already stored with different content is a conflict, reported by
//     line like any other bad row;
//   - a key repeated within the file is allowed only with identical content.
// Modes:
//   default               the first bad row aborts the import; nothing lands;
//   reject_file set       every bad row is listed in that file (CSV:
//                         line,field,reason,raw), then the import aborts;
//   allow_rejects         good rows land; bad rows go to headroom.quarantined_transactions
//                         (and to reject_file when set).
// When the table is empty the rows are loaded straight into it with its
// indexes rebuilt afterwards (a first bulk load, rows stored frozen); while an
// import runs, other writers of headroom.transactions wait, readers do not
// (except during such a first load, when the table is locked until commit).
// Every path sends NOTIFY headroom_transactions once per changed account at
// commit (migration 0005's contract); a first load sends them itself instead
// of through the trigger, and sends none if the trigger is disabled.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "ingest/transactions_csv.hpp"

namespace headroom::db {

struct ImportOptions {
  bool allow_rejects = false;  // land good rows, quarantine bad ones. Default: all or nothing.
  std::string reject_file;     // write bad rows here (CSV). Default: none.
  std::string source;          // label stored with quarantined rows. Default: the file path.
};

struct ImportSummary {
  std::size_t rows_read = 0;  // data rows in the file (header and blank lines excluded)
  std::size_t inserted = 0;
  std::size_t unchanged = 0;  // already stored (or repeated in the file) with identical content
  std::size_t rejected = 0;   // bad rows, conflicts included
  double seconds = 0;         // wall time of the whole import
  std::vector<ingest::RowError> rejects;  // in line order; filled when rows were rejected
};

// The import was refused as a whole; nothing was written to the database.
// `errors` holds every bad row found (only the first one without a reject file).
class ImportError : public std::runtime_error {
 public:
  ImportError(const std::string& message, std::vector<ingest::RowError> errors)
      : std::runtime_error(message), errors_(std::move(errors)) {}
  const std::vector<ingest::RowError>& errors() const { return errors_; }

 private:
  std::vector<ingest::RowError> errors_;
};

// Throws ingest::CsvError for a file with a bad header, ImportError for bad
// rows in all-or-nothing mode, std::system_error when a file cannot be read
// or written, pqxx errors for database failures.
ImportSummary import_transactions_csv(pqxx::connection& conn, const std::string& path, const ImportOptions& options);

// "FILE: 5000000 rows read, 4999990 inserted, 0 unchanged, 10 rejected in 8.41 s"
std::string format_summary(const std::string& path, const ImportSummary& summary);

}  // namespace headroom::db
