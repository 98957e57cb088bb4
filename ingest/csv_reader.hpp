#pragma once
// Streaming RFC 4180 record reader over a file.
//
// Accepts: quoted fields with embedded commas, doubled quotes ("") and line
// breaks; LF or CRLF record terminators; an optional UTF-8 byte order mark at
// the start of the file; a missing terminator after the last record.
// Refuses (as a per-record syntax error, see CsvRecord::error): a quote inside
// an unquoted field, anything but a separator or terminator after a closing
// quote, a carriage return not followed by a line feed outside quotes, a
// quoted field still open at end of file, and a record longer than the
// reader's limit (kMaxRecordBytes by default): its first bytes come back as
// `raw`, and reading resumes after the first line break past the limit
// (quotes or not), so a runaway quote or a gigabyte field costs one block of
// memory and one refused record, not the rest of the file.
//
// Bytes are passed through unchanged: UTF-8 validation is the caller's job
// (is_valid_utf8), so that it can name the field at fault.
//
// Not thread-safe; one reader per file. Reads the file in large blocks, so a
// reader holds about one block of memory regardless of the file size (a
// regular file smaller than a block gets a buffer of its own size).

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace headroom::ingest {

// The longest record a reader hands over whole (docs/DESIGN.md, "Input limits").
inline constexpr std::size_t kMaxRecordBytes = 65536;

struct CsvRecord {
  // 1-based physical line on which the record starts; a record whose quoted
  // fields contain line breaks spans several lines and is reported by its first.
  std::size_t line = 0;
  // Field values with quotes removed and "" turned into ". Views into the
  // reader's buffers: valid until the next call to CsvRecordReader::next().
  std::vector<std::string_view> fields;
  // The record's bytes as they are in the file, without the terminator.
  std::string_view raw;
  // Empty for a well-formed record; otherwise why it is malformed, and
  // `fields` holds only what was parsed before the fault.
  std::string_view error;
};

class CsvRecordReader {
 public:
  // Opens `path`; throws std::system_error naming the file if it cannot.
  explicit CsvRecordReader(const std::string& path, std::size_t block_bytes = std::size_t{4} << 20,
                           std::size_t max_record_bytes = kMaxRecordBytes);
  ~CsvRecordReader();
  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  // Reads the next record into `out`; false at end of file. A malformed record
  // is returned with `error` set and reading resumes at the next line, so one
  // bad record does not hide the rest of the file. Throws std::system_error on
  // a read failure.
  bool next(CsvRecord& out);

  const std::string& path() const { return path_; }

 private:
  // Keeps the unread bytes, reads more after them. False when nothing was added (EOF).
  bool refill();
  // Parses one record starting at begin_. Returns false if the record may
  // continue past the bytes in the buffer and more can be read.
  bool parse_record(CsvRecord& out);
  // The record at begin_ is longer than max_record_bytes_: hands over its
  // first bytes as a malformed record and skips to the line after the limit.
  void skip_oversized(CsvRecord& out);

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last byte read
  bool eof_ = false;
  bool at_start_ = true;   // nothing consumed yet: a BOM may follow
  std::size_t line_ = 1;   // physical line of buf_[begin_]
  std::string unescaped_;  // fields that contained "" live here
  std::size_t max_record_bytes_;
  std::string oversized_;  // raw of the last oversized record
  std::string oversized_error_;
};

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8, and every NUL,
// written as \xNN: safe to store as PostgreSQL text or to print.
std::string escape_invalid_utf8(std::string_view text);

}  // namespace headroom::ingest
