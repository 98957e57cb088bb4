#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/csv_reader.hpp"
#include "ingest/csv_writer.hpp"
#include "test_files.hpp"

namespace headroom::ingest {
namespace {

using headroom::testing::TempFile;

TEST(CsvWriter, QuotesAFieldOnlyWhenItHoldsACommaQuoteOrLineBreak) {
  const struct {
    std::string in, out;
  } cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"cr\r", "\"cr\r\""},
      {"caf\xc3\xa9 - #1 ' ;", "caf\xc3\xa9 - #1 ' ;"},  // UTF-8 and other punctuation pass through
      {"\"", "\"\"\"\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(csv_field(c.in), c.out) << c.in;
    EXPECT_EQ(csv_needs_quotes(c.in), c.in != c.out) << c.in;
    std::string appended = "x,";
    append_csv_field(appended, c.in);
    EXPECT_EQ(appended, "x," + c.out);
  }
}

TEST(CsvWriter, RowJoinsCellsWithCommasAndEndsWithALineFeed) {
  std::string out;
  append_csv_row(out, {"1", csv_field("a,b"), "", "2.5"});
  append_csv_row(out, {"already,two"});  // cells are not quoted again
  EXPECT_EQ(out, "1,\"a,b\",,2.5\nalready,two\n");
}

TEST(CsvWriter, WhatItWritesTheReaderReadsBack) {
  const std::vector<std::string> fields = {"acct-1", "", "a,b", "say \"hi\"", "two\nlines", "crlf\r\nend", "\""};
  std::string text;
  for (const auto& f : fields) {
    if (!text.empty()) text.push_back(',');
    append_csv_field(text, f);
  }
  text.push_back('\n');
  TempFile file(text);
  CsvRecordReader reader(file.path());
  CsvRecord rec;
  ASSERT_TRUE(reader.next(rec));
  EXPECT_TRUE(rec.error.empty()) << rec.error;
  ASSERT_EQ(rec.fields.size(), fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) EXPECT_EQ(rec.fields[i], fields[i]) << i;
  EXPECT_FALSE(reader.next(rec));
}

// Found by fuzzing (tests/fuzz/csv_reader_fuzz.cpp, docs/fuzzing.md): a
// first field starting with U+FEFF was written unquoted and read back without
// it, the reader taking it for the file's byte-order mark.
TEST(CsvWriter, QuotesAFieldStartingWithAByteOrderMarkSoTheFirstFieldReadsBack) {
  const std::string bom_field = "\xEF\xBB\xBF" "c90";
  EXPECT_TRUE(csv_needs_quotes(bom_field));
  EXPECT_FALSE(csv_needs_quotes("c\xEF\xBB\xBF"));  // not at the start: nothing to mistake
  std::string text;
  append_csv_row(text, {csv_field(bom_field), "x"});
  TempFile file(text);
  CsvRecordReader reader(file.path());
  CsvRecord rec;
  ASSERT_TRUE(reader.next(rec));
  ASSERT_EQ(rec.fields.size(), 2u);
  EXPECT_EQ(rec.fields[0], bom_field);
}

}  // namespace
}  // namespace headroom::ingest
