#include "ingest/transactions_csv.hpp"

#include <string>

#include <gtest/gtest.h>

#include "tests/ingest/test_files.hpp"

namespace headroom::ingest {
namespace {

using forecast::make_date;
using forecast::Money;
using headroom::testing::TempFile;

const std::string kHeader = "account_id,txn_id,posted_at,amount,balance_after,description,kind\n";

RowError first_error(const std::string& body) {
  TempFile file(kHeader + body);
  try {
    read_transactions_csv(file.path());
  } catch (const CsvError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(file.path() + ":" + std::to_string(e.error().line) + ": ", 0), 0u)
        << e.what();
    return e.error();
  }
  ADD_FAILURE() << "expected a CsvError for:\n" << body;
  return {};
}

TEST(TransactionsCsv, ReadsContractRowsInFileOrder) {
  TempFile file(kHeader +
                "a1,t1,2024-03-01,2500.00,2600.50,\"ACME PAYROLL, INC\",salary\r\n"
                "a1,t2,2024-03-02,-12.5,,\"coffee \"\"bar\"\"\",\n"
                "a2,t1,2024-03-02,+7,-3.07,,\n");
  const auto txns = read_transactions_csv(file.path());
  ASSERT_EQ(txns.size(), 3u);
  EXPECT_EQ(txns[0].account_id, "a1");
  EXPECT_EQ(txns[0].posted_at, make_date(2024, 3, 1));
  EXPECT_EQ(txns[0].amount, Money::from_cents(250000));
  EXPECT_EQ(txns[0].balance_after, Money::from_cents(260050));
  EXPECT_EQ(txns[0].description, "ACME PAYROLL, INC");
  EXPECT_EQ(txns[0].kind, "salary");
  EXPECT_EQ(txns[1].amount, Money::from_cents(-1250));
  EXPECT_FALSE(txns[1].balance_after.has_value());
  EXPECT_EQ(txns[1].description, "coffee \"bar\"");
  EXPECT_EQ(txns[2].amount, Money::from_cents(700));
  EXPECT_EQ(txns[2].balance_after, Money::from_cents(-307));
}

TEST(TransactionsCsv, KeepsMultilineDescriptionsAndReportsLaterLinesCorrectly) {
  const auto e = first_error("a1,t1,2024-03-01,1.00,,\"first\nsecond\nthird\",\na1,t2,2024-03-01,x,,,\n");
  EXPECT_EQ(e, (RowError{5, "amount", "not a decimal number"}));
}

TEST(TransactionsCsv, SkipsBlankLinesButCountsThem) {
  TempFile file(kHeader + "a,t1,2024-01-01,1,,,\n\n\na,t2,2024-01-01,1,,,\n");
  EXPECT_EQ(read_transactions_csv(file.path()).size(), 2u);
  EXPECT_EQ(first_error("a,t1,2024-01-01,1,,,\n\na,t2,2024-01-01,1x,,,\n").line, 4u);
}

struct BadRow {
  const char* row;
  const char* field;
  const char* reason;
};

class TransactionsCsvRejects : public ::testing::TestWithParam<BadRow> {};

TEST_P(TransactionsCsvRejects, NamesLineFieldAndReason) {
  const BadRow& c = GetParam();
  // Two good rows first, so the bad one sits on line 4.
  const auto e = first_error("ok,t1,2024-01-01,1.00,,,\nok,t2,2024-01-02,-1.00,0.00,,\n" + std::string(c.row) + "\n");
  EXPECT_EQ(e, (RowError{4, c.field, c.reason})) << c.row;
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, TransactionsCsvRejects,
    ::testing::Values(
        BadRow{",t9,2024-01-01,1.00,,,", "account_id", "empty"},
        BadRow{"a,,2024-01-01,1.00,,,", "txn_id", "empty"},
        BadRow{"a,t9,,1.00,,,", "posted_at", "empty"},
        BadRow{"a,t9,2024-02-30,1.00,,,", "posted_at", "not a valid YYYY-MM-DD date"},
        BadRow{"a,t9,01/02/2024,1.00,,,", "posted_at", "not a valid YYYY-MM-DD date"},
        BadRow{"a,t9,2024-1-01,1.00,,,", "posted_at", "not a valid YYYY-MM-DD date"},
        BadRow{"a,t9,1899-12-31,1.00,,,", "posted_at", "year outside 1900..2200"},
        BadRow{"a,t9,2201-01-01,1.00,,,", "posted_at", "year outside 1900..2200"},
        BadRow{"a,t9,2024-01-01,,,,", "amount", "empty (a decimal number is required)"},
        BadRow{"a,t9,2024-01-01,abc,,,", "amount", "not a decimal number"},
        BadRow{"a,t9,2024-01-01,1e3,,,", "amount", "not a decimal number"},
        BadRow{"a,t9,2024-01-01, 1.00,,,", "amount", "not a decimal number"},
        BadRow{"a,t9,2024-01-01,1.001,,,", "amount", "more than 2 decimal places"},
        BadRow{"a,t9,2024-01-01,1000000000000.01,,,", "amount", "outside +/-1000000000000"},
        BadRow{"a,t9,2024-01-01,-99999999999999999999999,,,", "amount", "outside +/-1000000000000"},
        BadRow{"a,t9,2024-01-01,1.00,12.345,,", "balance_after", "more than 2 decimal places"},
        BadRow{"a,t9,2024-01-01,1.00,n/a,,", "balance_after", "not a decimal number"},
        BadRow{"a,t9,2024-01-01,5.,,,", "amount", "no digits after the decimal point"},
        BadRow{"a,t9,2024-01-01,1.00,-3.,,", "balance_after", "no digits after the decimal point"},
        BadRow{"\xEF\xBB\xBF" "c90-x,t9,2024-01-01,1.00,,,", "account_id",
               "contains a byte-order mark (U+FEFF); only the file's first bytes may carry one"},
        BadRow{"a,t9,2024-01-01,1.00,,CARD \xEF\xBB\xBF" "SHOP,", "description",
               "contains a byte-order mark (U+FEFF); only the file's first bytes may carry one"},
        BadRow{"a,t9,2024-01-01,1.00,,caf\xE9,", "description", "not valid UTF-8"},
        BadRow{"a,t9,2024-01-01,1.00,,,\xFF", "kind", "not valid UTF-8"},
        BadRow{"\xC3(,t9,2024-01-01,1.00,,,", "account_id", "not valid UTF-8"},
        BadRow{"a,t9,2024-01-01,1.00,,", "record", "expected 7 fields, found 6"},
        BadRow{"a,t9,2024-01-01,1.00,,,,", "record", "expected 7 fields, found 8"},
        BadRow{"a,t9,2024-01-01,1.00,,\"x\"y,", "record", "unexpected character after a closing quote"},
        BadRow{"ok,t1,2024-01-01,2.00,,,", "txn_id", "duplicate (account_id, txn_id) of line 2 with different content"}));

TEST(TransactionsCsv, AcceptsTheBoundaryValues) {
  TempFile file(kHeader +
                "a,t1,1900-01-01,1000000000000.00,-1000000000000,,\n"
                "a,t2,2200-12-31,-0.01,.5,,\n"
                "a,t3,2024-02-29,0,0.0,,\n");
  const auto txns = read_transactions_csv(file.path());
  ASSERT_EQ(txns.size(), 3u);
  EXPECT_EQ(txns[0].amount.cents(), 100'000'000'000'000);
  EXPECT_EQ(txns[0].balance_after->cents(), -100'000'000'000'000);
  EXPECT_EQ(txns[1].balance_after->cents(), 50);
}

// Each size limit of docs/DESIGN.md ("Input limits"), one byte under and at
// the limit accepted, one over refused with its line and field.
TEST(TransactionsCsv, EnforcesTheFieldSizeLimits) {
  struct Limit {
    int column;
    const char* field;
    std::size_t max;
  };
  for (const Limit& l : {Limit{0, "account_id", kMaxIdBytes}, Limit{1, "txn_id", kMaxIdBytes},
                         Limit{5, "description", kMaxDescriptionBytes}, Limit{6, "kind", kMaxKindBytes}}) {
    const auto row = [&](std::size_t bytes, const std::string& txn) {
      std::vector<std::string> cells{"a", txn, "2024-01-01", "1.00", "", "", ""};
      cells[static_cast<std::size_t>(l.column)] = std::string(bytes, 'x');
      std::string out;
      for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
      return out + "\n";
    };
    TempFile ok(kHeader + row(l.max, "t1"));
    EXPECT_EQ(read_transactions_csv(ok.path()).size(), 1u) << l.field << " at its limit was refused";
    const auto e = first_error(row(l.max - 1, "t1") + row(l.max + 1, "t2"));
    EXPECT_EQ(e, (RowError{3, l.field,
                           std::to_string(l.max + 1) + " bytes, more than the limit of " + std::to_string(l.max)}));
  }
}

// A record over the reader's limit is refused as a whole, and the rows after
// it are read, whether the record fits in one block or runs through many.
TEST(TransactionsCsv, RefusesARecordOverTheLimitAndReadsOn) {
  const std::string huge = "a,t2,2024-01-01,1.00,,\"" + std::string(10'000'000, 'y') + "\",\n";
  const std::string runaway = "a,t3,2024-01-01,1.00,,\"never closed\n" + std::string(200'000, 'z') + "\n";
  TempFile file(kHeader + "a,t1,2024-01-01,1.00,,,\n" + huge + runaway + "a,t4,2024-01-01,1.00,,,\n");
  TransactionCsvReader reader(file.path());
  TransactionCsvReader::Row row;
  std::vector<std::pair<std::size_t, std::string>> seen;
  while (reader.next(row)) seen.emplace_back(row.line, row.error ? row.error->field + ": " + row.error->reason : "ok");
  const std::string too_long = "record: record longer than 65536 bytes (the limit)";
  EXPECT_EQ(seen, (std::vector<std::pair<std::size_t, std::string>>{
                      {2, "ok"}, {3, too_long}, {4, too_long}, {6, "ok"}}));
}

TEST(TransactionsCsv, RejectsNulBytesInText) {
  static constexpr char kRow[] = "a,t1,2024-01-01,1.00,,x\0y,\n";
  const auto e = first_error(std::string(kRow, sizeof kRow - 1));
  EXPECT_EQ(e, (RowError{2, "description", "contains a NUL byte"}));
}

TEST(TransactionsCsv, DropsIdenticalRepeatsOfAKey) {
  TempFile file(kHeader + "a,t1,2024-01-01,1.00,,x,\na,t2,2024-01-01,1.00,,x,\na,t1,2024-01-01,1.00,,x,\n");
  EXPECT_EQ(read_transactions_csv(file.path()).size(), 2u);
}

TEST(TransactionsCsv, TreatsSameTxnIdInAnotherAccountAsDistinct) {
  TempFile file(kHeader + "a,t1,2024-01-01,1.00,,,\nb,t1,2024-01-01,2.00,,,\n");
  EXPECT_EQ(read_transactions_csv(file.path()).size(), 2u);
}

TEST(TransactionsCsv, RefusesAWrongHeaderOnLineOne) {
  for (const std::string header : {"account_id,txn_id,posted_at,amount,balance_after,description\n",
                                   "account_id,txn_id,date,amount,balance_after,description,kind\n",
                                   "ACCOUNT_ID,txn_id,posted_at,amount,balance_after,description,kind\n", ""}) {
    TempFile file(header + "a,t1,2024-01-01,1.00,,,\n");
    try {
      read_transactions_csv(file.path());
      ADD_FAILURE() << "accepted header " << header;
    } catch (const CsvError& e) {
      EXPECT_EQ(e.error().line, 1u);
      EXPECT_EQ(e.error().field, "header");
    }
  }
}

TEST(TransactionsCsv, AcceptsHeaderAfterByteOrderMarkWithCrlf) {
  TempFile file("\xEF\xBB\xBF" "account_id,txn_id,posted_at,amount,balance_after,description,kind\r\na,t1,2024-01-01,1,,,\r\n");
  EXPECT_EQ(read_transactions_csv(file.path()).size(), 1u);
}

TEST(TransactionCsvReader, ReportsEveryBadRowAndKeepsGoing) {
  TempFile file(kHeader + "a,t1,2024-01-01,1,,,\nbad\na,t2,2024-13-01,1,,,\na,t3,2024-01-01,1,,,\na,t1,2024-01-01,1,,,\n");
  TransactionCsvReader reader(file.path());
  TransactionCsvReader::Row row;
  std::vector<std::size_t> bad, good, repeats;
  while (reader.next(row)) {
    if (row.error) bad.push_back(row.error->line);
    else if (row.repeat) repeats.push_back(row.line);
    else good.push_back(row.line);
  }
  EXPECT_EQ(bad, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(good, (std::vector<std::size_t>{2, 5}));
  EXPECT_EQ(repeats, (std::vector<std::size_t>{6}));
  EXPECT_EQ(reader.rows_read(), 5u);
}

TEST(ParseAmount, ReadsSignedDecimalsAsCents) {
  EXPECT_EQ(parse_amount("0.07")->cents(), 7);
  EXPECT_EQ(parse_amount("-12.3")->cents(), -1230);
  EXPECT_EQ(parse_amount("+5")->cents(), 500);
  std::string why;
  EXPECT_FALSE(parse_amount("5.", &why));
  EXPECT_EQ(why, "no digits after the decimal point");
  EXPECT_EQ(parse_amount(".5")->cents(), 50);
  EXPECT_EQ(parse_amount("-0.00")->cents(), 0);
  EXPECT_FALSE(parse_amount("-"));
  EXPECT_FALSE(parse_amount("."));
  EXPECT_FALSE(parse_amount("1,000.00"));
}

}  // namespace
}  // namespace headroom::ingest
