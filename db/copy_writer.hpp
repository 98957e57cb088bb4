#pragma once
// Bulk load through COPY … FROM STDIN in PostgreSQL's text format, sending
// large blocks instead of one protocol message per row (pqxx::stream_to in
// libpqxx 6.4 sends a message and builds several strings per row).
//
// Usage: append rows to buffer() with the append_* helpers, fields separated
// by '\t' and each row ended by '\n'; call flush_if_full() between rows and
// complete() at the end. Destroying the writer without complete() ends the
// COPY as well; abort the transaction afterwards if the data is unwanted.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/transaction_base>

#include "forecast/date.hpp"

namespace pqxx {
class tablewriter;
}

namespace headroom::db {

class CopyWriter {
 public:
  // `table` and `columns` are SQL identifiers written by this library, never user input.
  CopyWriter(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns);
  ~CopyWriter();
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;

  std::string& buffer() { return buffer_; }
  void flush_if_full() {
    if (buffer_.size() >= kBlockBytes) flush();
  }
  void complete();

 private:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  void flush();
  std::unique_ptr<pqxx::tablewriter> writer_;
  std::string buffer_;
};

// Text with COPY's escapes for backslash, tab, line feed and carriage return.
void append_copy_text(std::string& out, std::string_view text);
// Cents as a decimal with two places: -1234 -> "-12.34".
void append_copy_cents(std::string& out, std::int64_t cents);
// YYYY-MM-DD.
void append_copy_date(std::string& out, forecast::Date date);
inline void append_copy_null(std::string& out) { out += "\\N"; }

}  // namespace headroom::db
