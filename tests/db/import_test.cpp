#include "db/import.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/db/db_test_support.hpp"

namespace headroom::db {
namespace {

using ::testing::HasSubstr;
using headroom::testing::kCsvHeader;

// Dates need two digits: build rows with a proper formatter.
std::string good_rows(int n, const std::string& account = "acct", int first = 0) {
  std::string out;
  char date[16];
  for (int i = first; i < first + n; ++i) {
    std::snprintf(date, sizeof date, "2024-01-%02d", 1 + i % 28);
    out += account + ",t" + std::to_string(i) + "," + date + "," + std::to_string(-(i % 500)) + "." +
           std::to_string(10 + i % 90) + ",,shop " + std::to_string(i) + ",card\n";
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Import : public headroom::testing::MigratedDatabase {
 protected:
  ImportSummary import(const std::string& body, const ImportOptions& options = {}, const std::string& name = "in.csv") {
    return import_transactions_csv(*conn_, dir_.file(name, kCsvHeader + body), options);
  }
  long long stored() { return count("SELECT count(*) FROM headroom.transactions"); }
  // One row that makes the table non-empty, so imports take the merge path.
  void seed() { import("other,s1,2023-12-31,1.00,1.00,seed,\n", {}, "seed.csv"); }
};

TEST_F(Import, StoresQuotedMultilineFieldsExactly) {
  const auto s = import("a1,t1,2024-03-01,2500.00,2600.50,\"ACME, \"\"PAYROLL\"\"\nline two\",\"tab\there\"\n"
                        "a1,t2,2024-03-02,-0.5,,back\\slash,\r\n");
  EXPECT_EQ(s.rows_read, 2u);
  EXPECT_EQ(s.inserted, 2u);
  pqxx::read_transaction tx(*conn_);
  const auto r = tx.exec1("SELECT description, kind, amount::text, balance_after::text FROM headroom.transactions "
                          "WHERE txn_id = 't1'");
  EXPECT_EQ(r[0].as<std::string>(), "ACME, \"PAYROLL\"\nline two");
  EXPECT_EQ(r[1].as<std::string>(), "tab\there");
  EXPECT_EQ(r[2].as<std::string>(), "2500.00");
  EXPECT_EQ(r[3].as<std::string>(), "2600.50");
  const auto r2 = tx.exec1("SELECT description, amount::text, balance_after IS NULL FROM headroom.transactions "
                           "WHERE txn_id = 't2'");
  EXPECT_EQ(r2[0].as<std::string>(), "back\\slash");
  EXPECT_EQ(r2[1].as<std::string>(), "-0.50");
  EXPECT_TRUE(r2[2].as<bool>());
}

TEST_F(Import, OneBadRowInTenThousandLeavesAnEmptyTableEmpty) {
  std::string body = good_rows(10000);
  body.insert(body.find("acct,t5000,"), "acct,bad,2024-02-31,1.00,,,\n");
  try {
    import(body);
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_THAT(e.what(), HasSubstr("in.csv:5002: posted_at: not a valid YYYY-MM-DD date"));
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].line, 5002u);
  }
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.quarantined_transactions"), 0);
  // The failed bulk load must leave the table's indexes in place (primary
  // key, per-account date order, inserting transaction).
  EXPECT_EQ(count("SELECT count(*) FROM pg_indexes WHERE schemaname = 'headroom' AND tablename = 'transactions'"), 3);
}

TEST_F(Import, OneBadRowInTenThousandLeavesAStoredTableUnchanged) {
  seed();
  std::string body = good_rows(10000);
  body += "acct,last,2024-01-01,12.345,,,\n";
  EXPECT_THROW(import(body), ImportError);
  EXPECT_EQ(stored(), 1);
}

TEST_F(Import, NamesLineAndFieldForEachRuleThroughTheImporter) {
  struct Case {
    std::string row;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {",t1,2024-01-01,1,,,", "in.csv:3: account_id: empty"},
      {"a,,2024-01-01,1,,,", "in.csv:3: txn_id: empty"},
      {"a,t1,2024-13-01,1,,,", "in.csv:3: posted_at: not a valid YYYY-MM-DD date"},
      {"a,t1,1850-01-01,1,,,", "in.csv:3: posted_at: year outside 1900..2200"},
      {"a,t1,2024-01-01,1.234,,,", "in.csv:3: amount: more than 2 decimal places"},
      {"a,t1,2024-01-01,2000000000000,,,", "in.csv:3: amount: outside +/-1000000000000"},
      {"a,t1,2024-01-01,1,x,,", "in.csv:3: balance_after: not a decimal number"},
      {"ok,t0,2024-01-01,9.99,,,", "in.csv:3: txn_id: duplicate (account_id, txn_id) of line 2 with different content"},
  };
  for (const auto& c : cases) {
    try {
      import("ok,t0,2024-01-01,1.00,,,\n" + c.row + "\n");
      ADD_FAILURE() << "accepted " << c.row;
    } catch (const ImportError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.expected)) << c.row;
    }
  }
  EXPECT_EQ(stored(), 0);
}

TEST_F(Import, AllowRejectsLandsGoodRowsAndQuarantinesBadOnes) {
  ImportOptions options;
  options.allow_rejects = true;
  options.reject_file = (dir_.path() / "rejects.csv").string();
  const auto s = import(good_rows(3) + "x,t1,2024-01-01,abc,,,\n" + "x,t2,2024-01-01,1,,\"a\nb\" c,\n" + good_rows(2, "acct", 3),
                        options);
  EXPECT_EQ(s.rows_read, 7u);
  EXPECT_EQ(s.inserted, 5u);
  EXPECT_EQ(s.rejected, 2u);
  ASSERT_EQ(s.rejects.size(), 2u);
  EXPECT_EQ(s.rejects[0], (ingest::RowError{5, "amount", "not a decimal number"}));
  EXPECT_EQ(s.rejects[1].line, 6u);
  EXPECT_EQ(s.rejects[1].field, "record");
  EXPECT_EQ(stored(), 5);

  pqxx::read_transaction tx(*conn_);
  const auto q = tx.exec("SELECT line, field, reason, raw, source FROM headroom.quarantined_transactions ORDER BY line");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0][0].as<int>(), 5);
  EXPECT_EQ(q[0][1].as<std::string>(), "amount");
  EXPECT_EQ(q[0][3].as<std::string>(), "x,t1,2024-01-01,abc,,,");
  EXPECT_THAT(q[0][4].as<std::string>(), HasSubstr("in.csv"));
  EXPECT_EQ(q[1][3].as<std::string>(), "x,t2,2024-01-01,1,,\"a\nb\" c,");

  const std::string report = read_file(options.reject_file);
  EXPECT_EQ(report.substr(0, report.find('\n')), "line,field,reason,raw");
  EXPECT_THAT(report, HasSubstr("5,amount,not a decimal number,\"x,t1,2024-01-01,abc,,,\"\n"));
  EXPECT_THAT(report, HasSubstr("6,record,unexpected character after a closing quote,\"x,t2,2024-01-01,1,,\"\"a\nb\"\" c,\"\n"));
}

// Ids beyond the API's 128 bytes used to reach PostgreSQL: a 20,000-character
// account_id aborted the whole import in pg_notify, a 10 MB one failed with
// the server's index-size error and no line. Now each is one refused row.
TEST_F(Import, AllowRejectsLandsEveryGoodRowBesideOversizedIds) {
  ImportOptions options;
  options.allow_rejects = true;
  options.reject_file = (dir_.path() / "rejects.csv").string();
  const std::string long_id(20'000, 'c');
  const std::string huge_id(10'000'000, 'd');
  const auto s = import(good_rows(3) + long_id + ",t1,2024-01-01,1.00,,,\n" + "acct,t99," + huge_id.substr(0, 10) +
                            ",1.00,,,\n" + "x," + huge_id + ",2024-01-01,1.00,,,\n" + good_rows(2, "acct", 3),
                        options);
  EXPECT_EQ(s.inserted, 5u);
  EXPECT_EQ(s.rejected, 3u);
  ASSERT_EQ(s.rejects.size(), 3u);
  EXPECT_EQ(s.rejects[0], (ingest::RowError{5, "account_id", "20000 bytes, more than the limit of 128"}));
  EXPECT_EQ(s.rejects[1].field, "posted_at");
  EXPECT_EQ(s.rejects[2], (ingest::RowError{7, "record", "record longer than 65536 bytes (the limit)"}));
  EXPECT_EQ(stored(), 5);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.quarantined_transactions"), 3);
  EXPECT_EQ(count("SELECT max(length(raw)) FROM headroom.quarantined_transactions"), 65536);

  // Without --allow-rejects the same file imports nothing and names the first.
  ImportOptions strict;
  try {
    import(good_rows(3, "other") + long_id + ",t1,2024-01-01,1.00,,,\n", strict, "strict.csv");
    ADD_FAILURE() << "an over-long account_id was imported";
  } catch (const ImportError& e) {
    EXPECT_THAT(e.what(), HasSubstr("strict.csv:5: account_id: 20000 bytes, more than the limit of 128"));
  }
  EXPECT_EQ(count("SELECT count(*) FROM headroom.transactions WHERE account_id = 'other'"), 0);
}

TEST_F(Import, RejectFileWithoutAllowRejectsListsEveryBadRowAndImportsNothing) {
  ImportOptions options;
  options.reject_file = (dir_.path() / "rejects.csv").string();
  try {
    import(good_rows(5) + "a,t9,2024-01-01,1.001,,,\n" + good_rows(5, "b") + "b,t99,,1,,,\n", options);
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.errors().size(), 2u);
    EXPECT_THAT(e.what(), HasSubstr("2 bad rows, the first at "));
    EXPECT_THAT(e.what(), HasSubstr("in.csv:7: amount"));
  }
  EXPECT_EQ(stored(), 0);
  const std::string report = read_file(options.reject_file);
  EXPECT_THAT(report, HasSubstr("\n7,amount,"));
  EXPECT_THAT(report, HasSubstr("\n13,posted_at,"));
}

TEST_F(Import, ReimportingTheSameFileChangesNothing) {
  const std::string body = good_rows(500) + good_rows(300, "other");
  const auto first = import(body);
  EXPECT_EQ(first.inserted, 800u);
  const auto again = import(body);
  EXPECT_EQ(again.rows_read, 800u);
  EXPECT_EQ(again.inserted, 0u);
  EXPECT_EQ(again.unchanged, 800u);
  EXPECT_EQ(again.rejected, 0u);
  EXPECT_EQ(stored(), 800);
}

TEST_F(Import, AddsNewRowsOfKnownAccountsAndCountsKnownOnesUnchanged) {
  import(good_rows(100));
  const auto s = import(good_rows(150));
  EXPECT_EQ(s.inserted, 50u);
  EXPECT_EQ(s.unchanged, 100u);
  EXPECT_EQ(stored(), 150);
}

TEST_F(Import, MergesNewAccountsIntoANonEmptyTable) {
  seed();
  const auto s = import(good_rows(200, "fresh"));
  EXPECT_EQ(s.inserted, 200u);
  EXPECT_EQ(stored(), 201);
}

TEST_F(Import, ReportsAConflictWithAStoredRowByLineAndChangesNothing) {
  import("a,t1,2024-01-01,10.00,,rent,\na,t2,2024-01-02,5.00,,,\n");
  try {
    import("a,t3,2024-01-03,1.00,,,\na,t1,2024-01-01,10.00,,RENT,\na,t2,2024-01-02,5.01,,,\n");
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_THAT(e.what(), HasSubstr("in.csv:3: description: conflicts with the stored transaction"));
  }
  EXPECT_EQ(stored(), 2);
  EXPECT_EQ(count("SELECT count(*) FROM headroom.transactions WHERE txn_id = 't3'"), 0);
}

TEST_F(Import, AllowRejectsQuarantinesConflictsAndKeepsTheStoredRow) {
  import("a,t1,2024-01-01,10.00,,rent,\n");
  ImportOptions options;
  options.allow_rejects = true;
  const auto s = import("a,t1,2024-01-01,10.00,,rent,\na,t1x,2024-01-02,1.00,,,\nzz,t1,2024-01-01,1,,,\n"
                        "a,t1,2024-01-01,99.00,,rent,\n",
                        options);
  // Line 5 repeats line 2's key with other content: refused in the file itself.
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.rejects[0].line, 5u);

  const auto s2 = import("a,t1,2024-01-05,10.00,,rent,\nb,t7,2024-01-02,1.00,,,\n", options, "second.csv");
  EXPECT_EQ(s2.inserted, 1u);
  EXPECT_EQ(s2.rejected, 1u);
  EXPECT_EQ(s2.rejects[0], (ingest::RowError{2, "posted_at",
                                             "conflicts with the stored transaction of the same (account_id, txn_id): "
                                             "posted_at differs"}));
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT posted_at::text FROM headroom.transactions WHERE account_id = 'a' AND txn_id = 't1'")[0]
                .as<std::string>(),
            "2024-01-01");
  EXPECT_EQ(tx.exec1("SELECT raw FROM headroom.quarantined_transactions WHERE source LIKE '%second.csv'")[0]
                .as<std::string>(),
            "a,t1,2024-01-05,10.00,,rent,");
}

TEST_F(Import, CountsIdenticalRepeatsInTheFileAsUnchanged) {
  const auto s = import("a,t1,2024-01-01,1.00,,x,\na,t1,2024-01-01,1.00,,x,\n");
  EXPECT_EQ(s.rows_read, 2u);
  EXPECT_EQ(s.inserted, 1u);
  EXPECT_EQ(s.unchanged, 1u);
}

TEST_F(Import, RebuildsEveryIndexAfterABulkLoadIntoAnEmptyTable) {
  import(good_rows(1000));
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_constraint WHERE conname = 'transactions_pkey'")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_indexes WHERE indexname = 'transactions_account_posted_idx'")[0].as<int>(),
            1);
}

// Binary COPY encodes numeric and date itself: every digit-group boundary,
// sign, the contract's limits and the date range must come back exactly, on
// both the first-load path and the merge path.
const char* const kEdgeRows =
    "e,t01,1900-01-01,0.00,0,zero,\n"
    "e,t02,1999-12-31,0.01,-0.01,cent,\n"
    "e,t03,2000-01-01,-0.10,0.1,dime,\n"
    "e,t04,2000-01-02,1.00,-1,one,\n"
    "e,t05,2024-02-29,9999.99,10000,group,\n"
    "e,t06,2200-12-31,10000.01,-100000000.00,\"a\tb\\c\"\"d\ne\",caf\xc3\xa9\n"
    "e,t07,2024-01-01,1000000000000.00,-1000000000000,max,\n"
    "e,t08,2024-01-01,-999999999999.99,12345678.9,min,\n";
const std::vector<std::vector<std::string>> kEdgeExpected = {
    {"t01", "1900-01-01", "0.00", "0.00", "zero", ""},
    {"t02", "1999-12-31", "0.01", "-0.01", "cent", ""},
    {"t03", "2000-01-01", "-0.10", "0.10", "dime", ""},
    {"t04", "2000-01-02", "1.00", "-1.00", "one", ""},
    {"t05", "2024-02-29", "9999.99", "10000.00", "group", ""},
    {"t06", "2200-12-31", "10000.01", "-100000000.00", "a\tb\\c\"d\ne", "caf\xc3\xa9"},
    {"t07", "2024-01-01", "1000000000000.00", "-1000000000000.00", "max", ""},
    {"t08", "2024-01-01", "-999999999999.99", "12345678.90", "min", ""},
};

std::vector<std::vector<std::string>> stored_edge_rows(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::vector<std::vector<std::string>> out;
  for (const auto& r : tx.exec("SELECT txn_id, posted_at::text, amount::text, balance_after::text, description, kind "
                               "FROM headroom.transactions WHERE account_id = 'e' ORDER BY txn_id")) {
    out.emplace_back();
    for (const auto& f : r) out.back().push_back(f.as<std::string>());
  }
  return out;
}

TEST_F(Import, StoresEdgeAmountsDatesAndTextExactlyOnAFirstLoad) {
  EXPECT_EQ(import(kEdgeRows).inserted, 8u);
  EXPECT_EQ(stored_edge_rows(*conn_), kEdgeExpected);
  // Re-importing finds every row identical (the merge path compares the values).
  const auto again = import(kEdgeRows);
  EXPECT_EQ(again.unchanged, 8u);
  EXPECT_EQ(again.rejected, 0u);
}

TEST_F(Import, StoresEdgeAmountsDatesAndTextExactlyWhenMerging) {
  seed();
  EXPECT_EQ(import(kEdgeRows).inserted, 8u);
  EXPECT_EQ(stored_edge_rows(*conn_), kEdgeExpected);
}

// The NOTIFY contract (docs/operations.md): one headroom_transactions
// notification per changed account, whichever path the import takes.
class ImportNotify : public Import {
 protected:
  std::vector<std::string> notified_by(const std::string& body) {
    pqxx::connection listener{db_.url()};
    headroom::testing::NotificationRecorder receiver{listener, "headroom_transactions"};
    import(body, {}, "notify-" + std::to_string(++files_) + ".csv");
    // Notifications arrive in commit order: once a marker committed after the
    // import is in, every notification of the import is too.
    {
      pqxx::work tx(*conn_);
      tx.exec0("NOTIFY headroom_transactions, 'marker'");
      tx.commit();
    }
    const auto has_marker = [&] {
      return std::find(receiver.payloads.begin(), receiver.payloads.end(), "marker") != receiver.payloads.end();
    };
    for (int i = 0; i < 100 && !has_marker(); ++i) listener.await_notification(0, 100'000);
    EXPECT_TRUE(has_marker());
    receiver.payloads.erase(std::remove(receiver.payloads.begin(), receiver.payloads.end(), "marker"),
                            receiver.payloads.end());
    std::sort(receiver.payloads.begin(), receiver.payloads.end());
    return receiver.payloads;
  }
  int files_ = 0;
};

TEST_F(ImportNotify, AFirstLoadNotifiesEachAccountOnceAndKeepsTheTrigger) {
  EXPECT_EQ(notified_by(good_rows(3, "b") + good_rows(2, "a") + good_rows(1, "c") + good_rows(1, "a", 10)),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'transactions_notify_insert' AND tgenabled = 'O'"),
            1);
  // Later imports take the merge path and the trigger notifies.
  EXPECT_EQ(notified_by(good_rows(1, "d") + good_rows(1, "a", 20)), (std::vector<std::string>{"a", "d"}));
}

TEST_F(ImportNotify, AFirstLoadKeepsADisabledTriggerDisabledAndSilent) {
  {
    pqxx::work tx(*conn_);
    tx.exec0("ALTER TABLE headroom.transactions DISABLE TRIGGER transactions_notify_insert");
    tx.commit();
  }
  EXPECT_EQ(notified_by(good_rows(2, "a")), std::vector<std::string>{});
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'transactions_notify_insert' AND tgenabled = 'D'"),
            1);
}

TEST_F(Import, AFailedFirstLoadLeavesTheTableItsIndexesAndTriggerAsTheyWere) {
  // 30,000 rows before the bad one: more than one COPY block is already on the wire.
  EXPECT_THROW(import(good_rows(30000) + "a,t-bad,2024-13-01,1.00,,x,\n" + good_rows(100, "b")), ImportError);
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'transactions_notify_insert'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM pg_indexes WHERE tablename = 'transactions' AND schemaname = 'headroom'"), 3);
  // The connection is usable afterwards: the COPY was ended, not left open.
  EXPECT_EQ(import(good_rows(10)).inserted, 10u);
}

TEST_F(Import, AServerErrorDuringTheCopyFailsTheImportAndLeavesTheConnectionUsable) {
  // The euro sign is valid UTF-8 but not EUC-JP: the server refuses the first
  // row while the client still has blocks to send.
  pqxx::connection eucjp{db_.url() + " client_encoding=EUC_JP"};
  const auto bad = dir_.file("euro.csv", kCsvHeader + "a,t-euro,2024-01-01,1.00,,\xe2\x82\xac,\n" + good_rows(30000));
  EXPECT_THROW(import_transactions_csv(eucjp, bad, {}), pqxx::sql_error);
  EXPECT_EQ(stored(), 0);
  const auto good = dir_.file("good.csv", kCsvHeader + good_rows(10));
  EXPECT_EQ(import_transactions_csv(eucjp, good, {}).inserted, 10u);
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'transactions_notify_insert'"), 1);
}

TEST_F(Import, RefusesAFileWithTheWrongHeader) {
  const auto path = dir_.file("bad.csv", "account,txn,date,amount\n");
  EXPECT_THROW(import_transactions_csv(*conn_, path, {}), ingest::CsvError);
}

TEST_F(Import, SummaryLineNamesEveryCount) {
  ImportSummary s;
  s.rows_read = 10;
  s.inserted = 7;
  s.unchanged = 2;
  s.rejected = 1;
  s.seconds = 0.5;
  EXPECT_EQ(format_summary("f.csv", s), "f.csv: 10 rows read, 7 inserted, 2 unchanged, 1 rejected in 0.50 s");
}

}  // namespace
}  // namespace headroom::db
