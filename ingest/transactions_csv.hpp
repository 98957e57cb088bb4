#pragma once
// Transactions in the source-contract CSV format (docs/DESIGN.md, "Source contract").
//
// Header, exactly: account_id,txn_id,posted_at,amount,balance_after,description,kind
// Row rules (each failure names the line and the field):
//   account_id, txn_id  non-empty, at most 128 bytes (the API's limit on ids)
//   posted_at           YYYY-MM-DD, a real calendar date in years 1900..2200
//   amount              decimal, optional sign, at most 2 decimal places and
//                       at least one after a decimal point ("5." is refused),
//                       |amount| <= 1,000,000,000,000 (10^12 currency units)
//   balance_after       the same as amount, or empty
//   description         any text up to 1024 bytes, may be empty
//   kind                any text up to 64 bytes, may be empty
//   every field         valid UTF-8 without NUL bytes or a byte-order mark
//                       (U+FEFF: allowed only as the file's first bytes)
//   the whole record    at most 65,536 bytes (ingest/csv_reader.hpp)
// A (account_id, txn_id) key seen twice in one file is allowed only when both
// rows carry identical content; the repeat is then ignored.
// Line numbers are physical 1-based lines (the header is line 1); a record
// spanning lines (quoted line breaks) is reported by its first line.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "forecast/transaction.hpp"
#include "ingest/csv_reader.hpp"

namespace headroom::ingest {

inline constexpr std::string_view kTransactionsHeader =
    "account_id,txn_id,posted_at,amount,balance_after,description,kind";
inline constexpr std::size_t kTransactionsColumns = 7;
inline constexpr int kMinPostedYear = 1900;
inline constexpr int kMaxPostedYear = 2200;
// 10^12 currency units, in cents.
inline constexpr std::int64_t kMaxAbsAmountCents = 100'000'000'000'000;
// Field sizes in bytes (docs/DESIGN.md, "Input limits"). Ids match the API's
// kMaxAccountIdBytes, so every imported account can be read back.
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxDescriptionBytes = 1024;
inline constexpr std::size_t kMaxKindBytes = 64;

// Why one row was refused. `field` is a contract column name, or "record" for
// a row that could not be split into fields.
struct RowError {
  std::size_t line = 0;
  std::string field;
  std::string reason;

  bool operator==(const RowError&) const = default;
};

// A file that cannot be used at all (bad header), or the first bad row when
// the caller reads all or nothing. what(): "FILE:LINE: FIELD: REASON".
class CsvError : public std::runtime_error {
 public:
  CsvError(std::string path, RowError error);
  const std::string& path() const { return path_; }
  const RowError& error() const { return error_; }

 private:
  std::string path_;
  RowError error_;
};

// Throws CsvError (line 1, field "header") unless `header` is the contract header.
void check_transactions_header(const CsvRecord& header, const std::string& path);

// Parses and validates one data record into `out` (reusing its strings'
// storage). Returns the first fault, or nullopt when `out` holds the row.
std::optional<RowError> parse_transaction_row(const CsvRecord& record, forecast::Transaction& out);

// The same, as a value: either the transaction or why the row was refused.
std::variant<forecast::Transaction, RowError> parse_transaction_row(const CsvRecord& record);

// Strict decimal amount ("-12.3", "+5", "0.07"); nullopt when malformed or out
// of range. `reason` (optional) receives why.
std::optional<forecast::Money> parse_amount(std::string_view text, std::string* reason = nullptr);

// Remembers the (account_id, txn_id) keys of one file to spot repeats.
// Keys are kept as 96-bit hashes and content as a 64-bit hash (about 24 bytes
// per row): a false match needs a hash collision, odds below 10^-15 for a
// ten-million-row file.
class DuplicateKeyGuard {
 public:
  enum class Verdict { kFirst, kIdenticalRepeat, kConflict };
  struct Result {
    Verdict verdict = Verdict::kFirst;
    std::size_t first_line = 0;  // the earlier line with this key, for repeats
  };
  Result check(const forecast::Transaction& txn, std::size_t line);

 private:
  struct Slot {
    std::uint64_t key_hi = 0;
    std::uint64_t content = 0;
    std::uint32_t key_lo = 0;
    std::uint32_t line = 0;  // 0 = empty slot (data rows start at line 2)
  };
  void grow();
  std::vector<Slot> slots_ = std::vector<Slot>(1 << 12);
  std::size_t used_ = 0;
};

// Reads a whole contract file, all or nothing: throws CsvError naming
// file:line and field on the first bad row (or a conflicting repeat), and
// std::system_error when the file cannot be read. Identical repeats are
// dropped. Rows come back in file order.
std::vector<forecast::Transaction> read_transactions_csv(const std::string& path);

// Streams a contract file row by row, for callers that keep going past bad
// rows (the importer). The header is checked on construction (CsvError).
class TransactionCsvReader {
 public:
  struct Row {
    std::size_t line = 0;
    std::string_view raw;          // the record as in the file; valid until next()
    forecast::Transaction txn;     // meaningful when !error
    std::optional<RowError> error; // refused row, including a conflicting repeat
    bool repeat = false;           // identical repeat of an earlier row: skip it
  };

  explicit TransactionCsvReader(const std::string& path);
  // False at end of file. Blank lines are skipped.
  bool next(Row& row);
  const std::string& path() const { return records_.path(); }
  std::size_t rows_read() const { return rows_read_; }

 private:
  CsvRecordReader records_;
  CsvRecord record_;
  DuplicateKeyGuard guard_;
  std::size_t rows_read_ = 0;
};

}  // namespace headroom::ingest
