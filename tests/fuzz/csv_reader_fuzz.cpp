// Fuzz target: the RFC 4180 record reader (ingest/csv_reader.hpp) and the CSV
// writer next to it (ingest/csv_writer.hpp).
// Input: byte 0 picks the record limit (0: kMaxRecordBytes, else 1-255 bytes),
// the rest is the file. Properties:
//  - the records (line, fields, raw bytes, error) do not depend on the block
//    size the reader reads with (64 bytes, 97 bytes, 64 KiB);
//  - a record's raw bytes are at most the limit, and its line numbers ascend;
//  - every well-formed record, written back with append_csv_field, reads back
//    as the same fields (including the first record of a file);
//  - is_valid_utf8 and escape_invalid_utf8 agree on every field.

#include <string>
#include <vector>

#include "ingest/csv_reader.hpp"
#include "ingest/csv_writer.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace headroom;

namespace {

struct Record {
  std::size_t line;
  std::vector<std::string> fields;
  std::string raw;
  std::string error;
  bool operator==(const Record&) const = default;
};

std::vector<Record> read_all(const std::string& path, std::size_t block, std::size_t limit) {
  ingest::CsvRecordReader reader(path, block, limit);
  std::vector<Record> out;
  ingest::CsvRecord rec;
  while (reader.next(rec)) {
    Record r{rec.line, {}, std::string(rec.raw), std::string(rec.error)};
    for (const auto f : rec.fields) r.fields.emplace_back(f);
    out.push_back(std::move(r));
  }
  return out;
}

std::string describe(const Record& r) {
  std::string s = "line " + std::to_string(r.line) + " raw '" + fuzz::show(r.raw) + "' error '" + r.error + "' fields";
  for (const auto& f : r.fields) s += " [" + fuzz::show(f) + "]";
  return s;
}

void check_same(const std::vector<Record>& a, const std::vector<Record>& b, const char* what) {
  FUZZ_CHECK(a.size() == b.size(), std::string(what) + ": " + std::to_string(a.size()) + " records vs " +
                                       std::to_string(b.size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    FUZZ_CHECK(a[i] == b[i], std::string(what) + ": record " + std::to_string(i) + ": " + describe(a[i]) + " vs " +
                                 describe(b[i]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static fuzz::MemoryFile file;
  const std::size_t limit = data[0] == 0 ? ingest::kMaxRecordBytes : data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string& path = file.write(bytes);

  const auto records = read_all(path, 64 << 10, limit);
  check_same(records, read_all(path, 64, limit), "64-byte blocks");
  check_same(records, read_all(path, 97, limit), "97-byte blocks");

  std::size_t last_line = 0;
  std::string rewritten;
  std::vector<const Record*> well_formed;
  for (const auto& r : records) {
    FUZZ_CHECK(r.raw.size() <= limit, describe(r));
    FUZZ_CHECK(r.line > last_line, describe(r));
    last_line = r.line;
    for (const auto& f : r.fields) {
      const bool valid = ingest::is_valid_utf8(f);
      const std::string escaped = ingest::escape_invalid_utf8(f);
      FUZZ_CHECK(ingest::is_valid_utf8(escaped), fuzz::show(f));
      if (valid && f.find('\0') == std::string::npos) FUZZ_CHECK(escaped == f, fuzz::show(f));
      if (!valid) FUZZ_CHECK(escaped != f, fuzz::show(f));
    }
    if (!r.error.empty()) continue;
    // A record holding one empty field is a blank line; writing it back as
    // "\n" is the same record.
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (i > 0) rewritten.push_back(',');
      ingest::append_csv_field(rewritten, r.fields[i]);
    }
    rewritten.push_back('\n');
    well_formed.push_back(&r);
  }
  if (well_formed.empty()) return 0;
  // Quoting lengthens records: read them back without a limit.
  const auto back = read_all(file.write(rewritten), 64 << 10, std::size_t{1} << 30);
  FUZZ_CHECK(back.size() == well_formed.size(),
             std::to_string(well_formed.size()) + " records written, " + std::to_string(back.size()) + " read back");
  for (std::size_t i = 0; i < back.size(); ++i) {
    FUZZ_CHECK(back[i].error.empty(), describe(back[i]));
    FUZZ_CHECK(back[i].fields == well_formed[i]->fields,
               "written " + describe(*well_formed[i]) + " read back " + describe(back[i]));
  }
  return 0;
}
