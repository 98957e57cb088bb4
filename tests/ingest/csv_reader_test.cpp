#include "ingest/csv_reader.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/ingest/test_files.hpp"

namespace headroom::ingest {
namespace {

using headroom::testing::TempFile;

struct Parsed {
  std::size_t line;
  std::vector<std::string> fields;
  std::string raw;
  std::string error;
};

std::vector<Parsed> parse_all(const std::string& content, std::size_t block = 1 << 20) {
  TempFile file(content);
  CsvRecordReader reader(file.path(), block);
  std::vector<Parsed> out;
  CsvRecord rec;
  while (reader.next(rec)) {
    Parsed p{rec.line, {}, std::string(rec.raw), std::string(rec.error)};
    for (auto f : rec.fields) p.fields.emplace_back(f);
    out.push_back(std::move(p));
  }
  return out;
}

TEST(CsvRecordReader, SplitsPlainFieldsOnCommas) {
  const auto recs = parse_all("a,b,c\n1,,3\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"1", "", "3"}));
  EXPECT_EQ(recs[1].line, 2u);
}

TEST(CsvRecordReader, UnquotesFieldsWithCommasQuotesAndLineBreaks) {
  const auto recs = parse_all("x,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,1,2,3\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"x", "a,b", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[1].line, 3u) << "the quoted line break moves the next record to line 3";
}

TEST(CsvRecordReader, AcceptsCrlfBomAndMissingFinalTerminator) {
  const auto recs = parse_all("\xEF\xBB\xBFh1,h2\r\n\"q\r\nx\",2\r\nlast,row");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"q\r\nx", "2"}));
  EXPECT_EQ(recs[2].fields, (std::vector<std::string>{"last", "row"}));
  EXPECT_EQ(recs[2].line, 4u);
  EXPECT_EQ(recs[2].raw, "last,row");
}

TEST(CsvRecordReader, KeepsRawRecordWithoutTerminator) {
  const auto recs = parse_all("a,\"b\"\"c\"\r\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].raw, "a,\"b\"\"c\"");
}

TEST(CsvRecordReader, ReportsQuoteInsideUnquotedFieldAndResumesOnNextLine) {
  const auto recs = parse_all("a,b\"c,d\nok,1\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("quote inside an unquoted field"), std::string::npos);
  EXPECT_EQ(recs[0].raw, "a,b\"c,d");
  EXPECT_TRUE(recs[1].error.empty());
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"ok", "1"}));
  EXPECT_EQ(recs[1].line, 2u);
}

TEST(CsvRecordReader, ReportsTextAfterClosingQuote) {
  const auto recs = parse_all("\"a\"b,c\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].error, "unexpected character after a closing quote");
}

TEST(CsvRecordReader, ReportsQuotedFieldLeftOpenAtEndOfFile) {
  const auto recs = parse_all("a,b\nc,\"open\nmore\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[1].error, "quoted field not closed before end of file");
}

TEST(CsvRecordReader, ReportsBareCarriageReturn) {
  const auto recs = parse_all("a\rb,c\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].error, "carriage return not followed by a line feed");
}

TEST(CsvRecordReader, ParsesRecordsStraddlingSmallBlocksIdentically) {
  std::string content = "h1,h2,h3\n";
  for (int i = 0; i < 200; ++i)
    content += std::to_string(i) + ",\"quoted, \"\"x\"\"\nline\"," + std::string(static_cast<std::size_t>(i % 37), 'z') + "\r\n";
  const auto big = parse_all(content);
  for (std::size_t block : {64u, 65u, 100u, 333u}) {
    const auto small = parse_all(content, block);
    ASSERT_EQ(small.size(), big.size()) << "block " << block;
    for (std::size_t i = 0; i < big.size(); ++i) {
      EXPECT_EQ(small[i].fields, big[i].fields) << "block " << block << " record " << i;
      EXPECT_EQ(small[i].line, big[i].line);
      EXPECT_EQ(small[i].raw, big[i].raw);
    }
  }
  EXPECT_EQ(big.back().line, 1u + 1u + 2u * 199u);
}

TEST(CsvRecordReader, GrowsItsBufferForARecordLargerThanOneBlock) {
  const std::string longfield(5000, 'q');
  const auto recs = parse_all("a," + longfield + "\nb,c\n", 64);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields[1], longfield);
  EXPECT_EQ(recs[1].fields[0], "b");
}

// Found by fuzzing (tests/fuzz/csv_reader_fuzz.cpp, docs/fuzzing.md): a
// record of exactly the limit whose CRLF straddled a block boundary was
// refused as over the limit, the CR last in the block counted as its own.
TEST(CsvRecordReader, ARecordOfExactlyTheLimitIsKeptWhereverItsCrlfFalls) {
  const std::string record(63, 'x');
  TempFile file(record + "\r\nok\n");
  for (std::size_t block : {64u, 65u, 4096u}) {
    CsvRecordReader reader(file.path(), block, 63);
    CsvRecord rec;
    ASSERT_TRUE(reader.next(rec));
    EXPECT_TRUE(rec.error.empty()) << "block " << block << ": " << rec.error;
    EXPECT_EQ(rec.raw, record);
    ASSERT_TRUE(reader.next(rec));
    EXPECT_EQ(rec.raw, "ok");
    EXPECT_EQ(rec.line, 2u);
  }
}

TEST(CsvRecordReader, ThrowsNamingTheFileWhenItCannotBeOpened) {
  try {
    CsvRecordReader reader("/nonexistent/x.csv");
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.csv"), std::string::npos);
  }
}

TEST(Utf8, AcceptsWellFormedTextAndRefusesBrokenSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii text, long enough for the fast path"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB3"));
  EXPECT_FALSE(is_valid_utf8("caf\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));             // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));         // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));     // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("latin1 \xE9 in the middle of ascii"));
}

TEST(Utf8, EscapesInvalidBytesAndNulForStorage) {
  EXPECT_EQ(escape_invalid_utf8(std::string("a\xE9z\0b", 5)), "a\\xE9z\\x00b");
  EXPECT_EQ(escape_invalid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace headroom::ingest
