#pragma once
// Shared helpers for the db tests: a migrated per-test database and files.

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_database.hpp"

namespace headroom::testing {

// A temporary folder (mode 0755 so the postgres user can reach it when the
// tests run as root), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/hr-db-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline const std::string kCsvHeader = "account_id,txn_id,posted_at,amount,balance_after,description,kind\n";

// Records the payloads of one channel's notifications, in arrival order.
struct NotificationRecorder : pqxx::notification_receiver {
  using pqxx::notification_receiver::notification_receiver;
  std::vector<std::string> payloads;
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
};

// Synthetic histories the scoring, nudge and daemon tests forecast: pay on
// some days of the month, rent on one, card spending every day, and
// balance_after the running sum from `opening`. Account ids are
// 'acct-' + the index zero-padded to `id_digits`; txn_ids are 'pay3',
// 'rent2', 'card17' (kind and day number). Card amount on day d of account
// a: -(card_base + (a % card_account_mod) * card_account_step + d % card_day_mod).
struct PayRentCardHistory {
  int accounts = 0;
  int id_digits = 3;
  std::string start = "2026-01-01";
  int days = 181;
  std::string opening = "400";
  std::string pay = "2500.00";
  std::string pay_days = "{1}";  // days of the month, a PostgreSQL int[] literal
  std::string pay_description = "ACME PAYROLL";
  int rent_day = 3;
  std::string rent = "-1400.00";
  std::string rent_description = "OAK APTS RENT";
  int card_base = 20;
  int card_account_mod = 7;
  int card_account_step = 3;
  int card_day_mod = 5;
  std::string card_description = "CARD SHOP ";  // followed by d % card_description_mod
  int card_description_mod = 9;
};

inline void seed_pay_rent_card(pqxx::transaction_base& tx, const PayRentCardHistory& h) {
  tx.exec_params(
      "INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after, description, kind) "
      "SELECT account_id, txn_id, posted_at, amount,"
      "       $5::numeric + sum(amount) OVER (PARTITION BY account_id ORDER BY posted_at, txn_id), description, '' FROM ("
      "  SELECT 'acct-' || lpad(a::text, $2::integer, '0') AS account_id, kind || d AS txn_id, $3::date + d AS posted_at,"
      "         CASE kind WHEN 'pay' THEN $6::numeric WHEN 'rent' THEN $10::numeric"
      "           ELSE -($12::integer + (a % $13::integer) * $14::integer + (d % $15::integer))::numeric END AS amount,"
      "         CASE kind WHEN 'pay' THEN $8 WHEN 'rent' THEN $11"
      "           ELSE $16 || (d % $17::integer) END AS description"
      "  FROM generate_series(0, $1::integer - 1) a, generate_series(0, $4::integer - 1) d,"
      "       unnest(ARRAY['pay', 'rent', 'card']) kind"
      "  WHERE (kind = 'pay' AND extract(day FROM $3::date + d) = ANY($7::integer[]))"
      "     OR (kind = 'rent' AND extract(day FROM $3::date + d) = $9::integer)"
      "     OR kind = 'card') s",
      h.accounts, h.id_digits, h.start, h.days, h.opening, h.pay, h.pay_days, h.pay_description, h.rent_day, h.rent,
      h.rent_description, h.card_base, h.card_account_mod, h.card_account_step, h.card_day_mod, h.card_description,
      h.card_description_mod);
}

// The same in a transaction of its own, committed.
inline void seed_pay_rent_card(pqxx::connection& conn, const PayRentCardHistory& h) {
  pqxx::work tx{conn};
  seed_pay_rent_card(tx, h);
  tx.commit();
}

// Fixture: a fresh database with the embedded migrations applied.
class MigratedDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    db::migrate(*conn_);
  }
  long long count(const std::string& sql) {
    pqxx::read_transaction tx(*conn_);
    return tx.exec1(sql)[0].as<long long>();
  }

  TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
  TempDir dir_;
};

}  // namespace headroom::testing
