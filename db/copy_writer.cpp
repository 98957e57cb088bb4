#include "db/copy_writer.hpp"

#include <pqxx/tablewriter>

namespace headroom::db {

CopyWriter::CopyWriter(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns) {
  // tablewriter is deprecated in libpqxx 6.4 in favour of stream_to, but it is
  // the only public way there to hand COPY a block of many rows at once.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  writer_ = std::make_unique<pqxx::tablewriter>(tx, table, columns.begin(), columns.end());
#pragma GCC diagnostic pop
  buffer_.reserve(kBlockBytes + (kBlockBytes >> 2));
}

CopyWriter::~CopyWriter() = default;

void CopyWriter::flush() {
  // write_raw_line() drops one trailing '\n' and the connection adds it back,
  // so a block of complete rows goes through unchanged.
  if (!buffer_.empty()) writer_->write_raw_line(buffer_);
  buffer_.clear();
}

void CopyWriter::complete() {
  flush();
  writer_->complete();
}

void append_copy_text(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    if (esc == nullptr) continue;
    out.append(text.data() + start, i - start);
    out += esc;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

void append_copy_cents(std::string& out, std::int64_t cents) {
  char buf[32];
  char* p = buf + sizeof buf;
  const bool negative = cents < 0;
  // Magnitude as unsigned so INT64_MIN does not overflow on negation.
  std::uint64_t m = negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  *--p = static_cast<char>('0' + m % 10);
  m /= 10;
  *--p = static_cast<char>('0' + m % 10);
  m /= 10;
  *--p = '.';
  do {
    *--p = static_cast<char>('0' + m % 10);
    m /= 10;
  } while (m != 0);
  if (negative) *--p = '-';
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

void append_copy_date(std::string& out, forecast::Date date) {
  const std::chrono::year_month_day ymd{date};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  if (y < 0 || y > 9999) {
    out += forecast::to_iso_string(date);
    return;
  }
  const char text[10] = {static_cast<char>('0' + y / 1000),     static_cast<char>('0' + y / 100 % 10),
                         static_cast<char>('0' + y / 10 % 10),  static_cast<char>('0' + y % 10),
                         '-',
                         static_cast<char>('0' + m / 10),       static_cast<char>('0' + m % 10),
                         '-',
                         static_cast<char>('0' + d / 10),       static_cast<char>('0' + d % 10)};
  out.append(text, sizeof text);
}

}  // namespace headroom::db
