// Fuzz target: validation of transaction rows (ingest/transactions_csv.hpp),
// through TransactionCsvReader and read_transactions_csv as `headroom import`
// uses them.
// Input: byte 0 odd: the rest is the whole file (header fuzzed too); even:
// the contract header line, then the rest. Properties:
//  - construction throws CsvError (a bad header) and nothing else; a row is
//    refused with a RowError naming a contract column or "record", on the
//    record's own line;
//  - an accepted row meets every rule of the contract (ids 1-128 bytes, years
//    1900-2200, |amount| <= 10^12, text valid UTF-8 without NUL or BOM, the
//    size limits) and, written back in the contract format, parses to the
//    same transaction;
//  - parse_amount reads back what Money::to_decimal_string writes;
//  - read_transactions_csv returns exactly the accepted non-repeated rows when
//    no row is refused, and throws the first refused row's CsvError otherwise.

#include <array>
#include <string>
#include <vector>

#include "ingest/csv_writer.hpp"
#include "ingest/transactions_csv.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace headroom;

namespace {

constexpr std::array<std::string_view, 8> kFields = {"account_id", "txn_id", "posted_at", "amount",
                                                     "balance_after", "description", "kind", "record"};

bool known_field(const std::string& f) {
  for (const auto k : kFields)
    if (f == k) return true;
  return false;
}

void check_text(const std::string& text, std::size_t max_bytes, bool may_be_empty) {
  FUZZ_CHECK(text.size() <= max_bytes, fuzz::show(text));
  FUZZ_CHECK(may_be_empty || !text.empty(), "empty id accepted");
  FUZZ_CHECK(ingest::is_valid_utf8(text), fuzz::show(text));
  FUZZ_CHECK(text.find('\0') == std::string::npos, fuzz::show(text));
  FUZZ_CHECK(text.find("\xEF\xBB\xBF") == std::string::npos, fuzz::show(text));
}

void check_amount(forecast::Money m) {
  FUZZ_CHECK(m.cents() >= -ingest::kMaxAbsAmountCents && m.cents() <= ingest::kMaxAbsAmountCents,
             m.to_decimal_string());
  const auto back = ingest::parse_amount(m.to_decimal_string());
  FUZZ_CHECK(back && *back == m, m.to_decimal_string());
}

std::string contract_line(const forecast::Transaction& t) {
  std::string line;
  for (const std::string_view cell : {std::string_view(t.account_id), std::string_view(t.txn_id)}) {
    ingest::append_csv_field(line, cell);
    line.push_back(',');
  }
  line += forecast::to_iso_string(t.posted_at) + "," + t.amount.to_decimal_string() + ",";
  if (t.balance_after) line += t.balance_after->to_decimal_string();
  line.push_back(',');
  ingest::append_csv_field(line, t.description);
  line.push_back(',');
  ingest::append_csv_field(line, t.kind);
  line.push_back('\n');
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static fuzz::MemoryFile file;
  static fuzz::MemoryFile again;
  std::string text;
  if (data[0] % 2 == 0) text = std::string(ingest::kTransactionsHeader) + "\n";
  text.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string& path = file.write(text);

  std::vector<forecast::Transaction> kept;
  std::string rewritten = std::string(ingest::kTransactionsHeader) + "\n";
  std::optional<ingest::RowError> first_error;
  try {
    ingest::TransactionCsvReader reader(path);
    ingest::TransactionCsvReader::Row row;
    std::size_t last_line = 1;
    while (reader.next(row)) {
      FUZZ_CHECK(row.line > last_line, "line " + std::to_string(row.line) + " after " + std::to_string(last_line));
      last_line = row.line;
      if (row.error) {
        FUZZ_CHECK(row.error->line == row.line, row.error->reason);
        FUZZ_CHECK(known_field(row.error->field), row.error->field);
        FUZZ_CHECK(!row.error->reason.empty(), row.error->field);
        if (!first_error) first_error = row.error;
        continue;
      }
      const auto& t = row.txn;
      check_text(t.account_id, ingest::kMaxIdBytes, false);
      check_text(t.txn_id, ingest::kMaxIdBytes, false);
      check_text(t.description, ingest::kMaxDescriptionBytes, true);
      check_text(t.kind, ingest::kMaxKindBytes, true);
      const int year = static_cast<int>(std::chrono::year_month_day{t.posted_at}.year());
      FUZZ_CHECK(year >= ingest::kMinPostedYear && year <= ingest::kMaxPostedYear, std::to_string(year));
      check_amount(t.amount);
      if (t.balance_after) check_amount(*t.balance_after);

      if (!row.repeat) {
        kept.push_back(t);
        rewritten += contract_line(t);
      }
    }
  } catch (const ingest::CsvError& e) {
    FUZZ_CHECK(e.error().field == "header" && e.error().line == 1, e.what());
    return 0;
  }

  // The accepted rows written back in the contract format read back the same.
  try {
    const auto back = ingest::read_transactions_csv(again.write(rewritten));
    FUZZ_CHECK(back == kept, "rows written back read back differently:\n" + fuzz::show(rewritten));
  } catch (const ingest::CsvError& e) {
    FUZZ_CHECK(false, std::string("rows written back are refused: ") + e.what() + "\n" + fuzz::show(rewritten));
  }

  try {
    const auto all = ingest::read_transactions_csv(path);
    FUZZ_CHECK(!first_error, "read_transactions_csv accepted a file with a refused row: " + first_error->reason);
    FUZZ_CHECK(all == kept, std::to_string(all.size()) + " rows vs " + std::to_string(kept.size()) + " streamed");
  } catch (const ingest::CsvError& e) {
    FUZZ_CHECK(first_error && e.error() == *first_error, e.what());
  }
  return 0;
}
