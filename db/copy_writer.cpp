#include "db/copy_writer.hpp"

#include <libpq-fe.h>

#include <cstdlib>

#include <pqxx/connection_base>
#include <pqxx/except>

namespace headroom::db {

namespace {

// libpqxx 6.4 keeps a connection's PGconn behind the private
// connection_base::raw_connection(). An explicit instantiation may name a
// private member (C++20 [temp.spec.general]/6), which is how this file reaches
// it without patching libpqxx; the pointer is used only while the COPY runs,
// when libpqxx itself does not touch the connection.
template <pqxx::internal::pq::PGconn* (pqxx::connection_base::*Getter)() const>
struct RawConnectionAccess {
  friend PGconn* raw_pgconn(const pqxx::connection_base& c) { return (c.*Getter)(); }
};
template struct RawConnectionAccess<&pqxx::connection_base::raw_connection>;
PGconn* raw_pgconn(const pqxx::connection_base& c);

PGconn* pg(void* conn) { return static_cast<PGconn*>(conn); }

// Days between 1970-01-01 (sys_days epoch) and 2000-01-01 (PostgreSQL's).
constexpr std::int64_t kPostgresEpochDays = 10957;
constexpr std::uint16_t kNumericPositive = 0x0000;
constexpr std::uint16_t kNumericNegative = 0x4000;

}  // namespace

CopyWriter::CopyWriter(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns,
                       CopyWriterOptions options)
    : conn_(raw_pgconn(tx.conn())), columns_(columns.size()) {
  query_ = "COPY " + table + " (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i != 0) query_ += ", ";
    query_ += columns[i];
  }
  query_ += ") FROM STDIN WITH (FORMAT binary";
  if (options.freeze) query_ += ", FREEZE";
  query_ += ")";
  PGresult* r = PQexec(pg(conn_), query_.c_str());
  const bool started = r != nullptr && PQresultStatus(r) == PGRES_COPY_IN;
  if (!started) {
    const std::string message = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(pg(conn_));
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    PQclear(r);
    throw pqxx::sql_error(message, query_, sqlstate.empty() ? nullptr : sqlstate.c_str());
  }
  PQclear(r);
  finished_ = false;
  buffer_.reserve(kBlockBytes + (kBlockBytes >> 2));
  // Binary COPY header: signature, flags, header extension length.
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // plus its terminating NUL: 11 bytes
  buffer_.append(kSignature, sizeof kSignature);
  put32(0);
  put32(0);
  sender_ = std::thread([this] { send_loop(); });
}

CopyWriter::~CopyWriter() {
  if (finished_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.clear();  // abandoned: nothing more is worth sending
  }
  stop_sender();
  try {
    finish("import abandoned by the client");
  } catch (...) {
    // The COPY failed, as intended; the caller aborts the transaction.
  }
}

void CopyWriter::add_date(forecast::Date date) {
  put32(4);
  put32(static_cast<std::uint32_t>(static_cast<std::int32_t>(date.time_since_epoch().count() - kPostgresEpochDays)));
}

void CopyWriter::add_cents(std::int64_t cents) {
  // numeric's binary form: ndigits, weight (of the first digit, in powers of
  // 10000), sign, display scale, then base-10000 digits, most significant
  // first, without leading or trailing zero digits.
  const bool negative = cents < 0;
  // Magnitude as unsigned so INT64_MIN does not overflow on negation.
  const std::uint64_t m = negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  std::uint64_t whole = m / 100;
  std::uint16_t groups[5];  // whole part, least significant first (int64 cents < 10^17)
  int g = 0;
  while (whole != 0) {
    groups[g++] = static_cast<std::uint16_t>(whole % 10000);
    whole /= 10000;
  }
  std::uint16_t digits[6];
  int n = 0;
  for (int i = g - 1; i >= 0; --i) digits[n++] = groups[i];
  digits[n++] = static_cast<std::uint16_t>(m % 100 * 100);  // 0.xy = xy00 / 10000
  while (n > 0 && digits[n - 1] == 0) --n;
  // With no whole part the first digit is the fractional one (weight -1); it is
  // non-zero unless the value is zero.
  const int weight = n == 0 ? 0 : g - 1;
  put32(static_cast<std::uint32_t>(8 + 2 * n));
  put16(static_cast<std::uint16_t>(n));
  put16(static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  put16(negative && n != 0 ? kNumericNegative : kNumericPositive);
  put16(2);
  for (int i = 0; i < n; ++i) put16(digits[i]);
}

void CopyWriter::flush() {
  if (buffer_.empty()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return queued_.size() < kQueuedBlocks || send_error_; });
  if (send_error_) {
    lock.unlock();
    fail_with_send_error();
  }
  queued_.push_back(std::move(buffer_));
  if (!spare_.empty()) {
    buffer_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    buffer_ = std::string();
    buffer_.reserve(kBlockBytes + (kBlockBytes >> 2));
  }
  lock.unlock();
  changed_.notify_all();
}

void CopyWriter::send_loop() {
  while (true) {
    std::string block;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return !queued_.empty() || closing_; });
      if (queued_.empty()) return;
      block = std::move(queued_.front());
      queued_.pop_front();
    }
    changed_.notify_all();
    const bool ok = PQputCopyData(pg(conn_), block.data(), static_cast<int>(block.size())) == 1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      block.clear();
      spare_.push_back(std::move(block));
      if (!ok) {
        // Usually the server ended the COPY with an error; complete() reads it.
        send_error_ = std::make_exception_ptr(
            pqxx::sql_error(std::string("COPY data could not be sent: ") + PQerrorMessage(pg(conn_)), query_));
        queued_.clear();
      }
    }
    changed_.notify_all();
    if (!ok) return;
  }
}

void CopyWriter::stop_sender() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (sender_.joinable()) sender_.join();
}

std::size_t CopyWriter::complete() {
  put16(0xFFFF);  // file trailer
  flush();
  stop_sender();
  if (send_error_) fail_with_send_error();
  return finish(nullptr);
}

void CopyWriter::fail_with_send_error() {
  stop_sender();
  finished_ = true;
  read_results();  // throws the server's own error, when it sent one
  std::rethrow_exception(send_error_);
}

std::size_t CopyWriter::finish(const char* error) {
  finished_ = true;
  if (send_error_) {
    // libpq has left COPY mode already: only the results remain to be read.
    read_results();
    return 0;
  }
  if (PQputCopyEnd(pg(conn_), error) != 1)
    throw pqxx::broken_connection(std::string("COPY could not be ended: ") + PQerrorMessage(pg(conn_)));
  return read_results();
}

std::size_t CopyWriter::read_results() {
  std::size_t rows = 0;
  std::string message, sqlstate;
  bool failed = false;
  // The COPY's own result, then nullptr.
  while (PGresult* r = PQgetResult(pg(conn_))) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows = std::strtoull(PQcmdTuples(r), nullptr, 10);
    } else if (!failed) {
      failed = true;
      message = PQresultErrorMessage(r);
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (state != nullptr) sqlstate = state;
    }
    PQclear(r);
  }
  if (failed) throw pqxx::sql_error(message, query_, sqlstate.empty() ? nullptr : sqlstate.c_str());
  return rows;
}

}  // namespace headroom::db
