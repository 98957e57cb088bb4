#pragma once
// Bulk load through COPY … FROM STDIN in PostgreSQL's binary format, on the
// connection (and in the transaction) of a libpqxx transaction.
//
// Why binary: the server then skips parsing text for every field (numeric and
// date input functions were about 40% of its COPY time, measured in
// docs/performance.md). Why not pqxx::tablewriter / stream_to: libpqxx 6.4
// sends text only and appends a line feed to every block, so this writer talks
// libpq directly on the transaction's own connection.
//
// Rows are encoded into ~1 MiB blocks on the calling thread; a sender thread
// ships full blocks to the server, so encoding the next block overlaps with the
// server consuming the previous one. The connection must not be used by
// anything else between construction and complete() (or destruction).
//
// Usage per row: begin_row(), one add_* per column in the constructor's column
// order, end_row(). complete() ends the COPY and returns the server's row
// count. Destroying the writer without complete() (an exception on the way)
// makes the server fail the COPY: the transaction is then aborted, as it must
// be.
//
// Thread safety: one thread uses a writer; the sender thread is internal.

#include <bit>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pqxx/transaction_base>

#include "forecast/date.hpp"

namespace headroom::db {

struct CopyWriterOptions {
  // COPY … (FREEZE): rows are written frozen and all-visible. Only valid when
  // the table was created or truncated in the current transaction.
  bool freeze = false;
};

class CopyWriter {
 public:
  // `table` and `columns` are SQL identifiers written by this library, never user input.
  CopyWriter(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns,
             CopyWriterOptions options = {});
  ~CopyWriter();
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;

  void begin_row() { put16(static_cast<std::uint16_t>(columns_)); }
  // UTF-8 text as is (no escaping in binary COPY); must not contain NUL.
  void add_text(std::string_view text) {
    put32(static_cast<std::uint32_t>(text.size()));
    buffer_.append(text.data(), text.size());
  }
  void add_int64(std::int64_t value) {
    put32(8);
    put64(static_cast<std::uint64_t>(value));
  }
  void add_double(double value) {
    put32(8);
    put64(std::bit_cast<std::uint64_t>(value));
  }
  void add_bool(bool value) {
    put32(1);
    buffer_.push_back(value ? 1 : 0);
  }
  void add_date(forecast::Date date);
  // A numeric column: cents as a decimal with two places (-1234 -> -12.34).
  void add_cents(std::int64_t cents);
  void add_null() { put32(0xFFFFFFFFu); }
  void end_row() {
    if (buffer_.size() >= kBlockBytes) flush();
  }

  // Ends the COPY; returns the number of rows the server stored. Throws
  // pqxx::sql_error when the server refused the data.
  std::size_t complete();

 private:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kQueuedBlocks = 2;  // blocks waiting for the sender

  void put16(std::uint16_t v) {
    const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    buffer_.append(b, 2);
  }
  void put32(std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    buffer_.append(b, 4);
  }
  void put64(std::uint64_t v) {
    put32(static_cast<std::uint32_t>(v >> 32));
    put32(static_cast<std::uint32_t>(v));
  }
  void flush();
  void send_loop();
  void stop_sender();
  // Ends the COPY with an error (nullptr: normally) and reads the result.
  std::size_t finish(const char* error);
  // Reads the COPY's results up to the end; throws the server's error.
  std::size_t read_results();
  [[noreturn]] void fail_with_send_error();

  void* conn_;  // PGconn* of the transaction's connection
  std::size_t columns_;
  std::string query_;
  std::string buffer_;
  bool finished_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queued_;  // full blocks, oldest first
  std::vector<std::string> spare_;  // sent blocks, kept for their capacity
  bool closing_ = false;
  bool sending_ = false;  // the sender holds a block
  std::exception_ptr send_error_;
  std::thread sender_;
};

}  // namespace headroom::db
