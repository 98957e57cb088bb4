#include "ingest/transactions_csv.hpp"

#include <array>
#include <cstring>

namespace headroom::ingest {

namespace {

using forecast::Money;
using forecast::Transaction;

constexpr std::array<std::string_view, kTransactionsColumns> kColumnNames = {
    "account_id", "txn_id", "posted_at", "amount", "balance_after", "description", "kind"};

std::string format_csv_error(const std::string& path, const RowError& e) {
  return path + ":" + std::to_string(e.line) + ": " + e.field + ": " + e.reason;
}

// 64x64 -> 128 multiply folded to 64 bits: the mixing step of wyhash-style hashes.
inline std::uint64_t mum(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) {
  constexpr std::uint64_t kP0 = 0xa0761d6478bd642fULL, kP1 = 0xe7037ed1a0b428dbULL, kP2 = 0x8ebc6af09c88c6e3ULL;
  std::uint64_t h = mum(seed ^ kP0, s.size() ^ kP1);
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    h = mum(h ^ v, kP1);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return mum(h ^ tail ^ kP2, kP0 ^ n);
}

std::uint64_t hash_int(std::uint64_t v, std::uint64_t seed) { return mum(v ^ 0x589965cc75374cc3ULL, seed ^ 0x1d8e4e27c47d124fULL); }

bool assign_text(std::string_view value, std::string& out, std::size_t line, std::string_view field,
                 std::size_t max_bytes, std::optional<RowError>& error) {
  if (value.size() > max_bytes) {
    error = RowError{line, std::string(field),
                     std::to_string(value.size()) + " bytes, more than the limit of " + std::to_string(max_bytes)};
    return false;
  }
  if (!is_valid_utf8(value)) {
    error = RowError{line, std::string(field), "not valid UTF-8"};
    return false;
  }
  if (std::memchr(value.data(), '\0', value.size()) != nullptr) {
    error = RowError{line, std::string(field), "contains a NUL byte"};
    return false;
  }
  // A byte-order mark is metadata of the file, allowed only as its first
  // bytes (the record reader drops it there). Anywhere else it is a fault of
  // the export, such as files concatenated after a header: kept, it would
  // make U+FEFF "c90" an account apart from "c90".
  if (value.find("\xEF\xBB\xBF") != std::string_view::npos) {
    error = RowError{line, std::string(field),
                     "contains a byte-order mark (U+FEFF); only the file's first bytes may carry one"};
    return false;
  }
  out.assign(value.data(), value.size());
  return true;
}

}  // namespace

CsvError::CsvError(std::string path, RowError error)
    : std::runtime_error(format_csv_error(path, error)), path_(std::move(path)), error_(std::move(error)) {}

void check_transactions_header(const CsvRecord& header, const std::string& path) {
  bool ok = header.error.empty() && header.fields.size() == kTransactionsColumns;
  for (std::size_t i = 0; ok && i < kTransactionsColumns; ++i) ok = header.fields[i] == kColumnNames[i];
  if (!ok)
    throw CsvError(path, RowError{header.line == 0 ? 1 : header.line, "header",
                                  "expected exactly '" + std::string(kTransactionsHeader) + "'"});
}

std::optional<Money> parse_amount(std::string_view s, std::string* reason) {
  auto fail = [&](const char* why) -> std::optional<Money> {
    if (reason != nullptr) *reason = why;
    return std::nullopt;
  };
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::int64_t units = 0;
  std::size_t int_digits = 0;
  bool too_large = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits) {
    if (units <= kMaxAbsAmountCents) units = units * 10 + (s[i] - '0');
    else too_large = true;
  }
  std::int64_t frac = 0;
  std::size_t frac_digits = 0;
  bool point = false;
  if (i < s.size() && s[i] == '.') {
    point = true;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits < 2) frac = frac * 10 + (s[i] - '0');
    }
  }
  if (i != s.size() || (int_digits == 0 && frac_digits == 0))
    return fail(s.empty() ? "empty (a decimal number is required)" : "not a decimal number");
  // "5." is most likely a truncated "5.00" or "5.99": refuse rather than guess.
  if (point && frac_digits == 0) return fail("no digits after the decimal point");
  if (frac_digits > 2) return fail("more than 2 decimal places");
  if (frac_digits == 1) frac *= 10;
  if (too_large || units > kMaxAbsAmountCents / 100) return fail("outside +/-1000000000000");
  const std::int64_t cents = units * 100 + frac;
  if (cents > kMaxAbsAmountCents) return fail("outside +/-1000000000000");
  return Money::from_cents(negative ? -cents : cents);
}

std::optional<RowError> parse_transaction_row(const CsvRecord& rec, Transaction& out) {
  if (!rec.error.empty()) return RowError{rec.line, "record", std::string(rec.error)};
  if (rec.fields.size() != kTransactionsColumns)
    return RowError{rec.line, "record",
                    "expected " + std::to_string(kTransactionsColumns) + " fields, found " +
                        std::to_string(rec.fields.size())};
  const auto& f = rec.fields;
  std::optional<RowError> error;

  if (!assign_text(f[0], out.account_id, rec.line, kColumnNames[0], kMaxIdBytes, error)) return error;
  if (out.account_id.empty()) return RowError{rec.line, "account_id", "empty"};
  if (!assign_text(f[1], out.txn_id, rec.line, kColumnNames[1], kMaxIdBytes, error)) return error;
  if (out.txn_id.empty()) return RowError{rec.line, "txn_id", "empty"};

  const auto date = forecast::parse_iso_date(f[2]);
  if (!date) return RowError{rec.line, "posted_at", f[2].empty() ? "empty" : "not a valid YYYY-MM-DD date"};
  const int year = static_cast<int>(std::chrono::year_month_day{*date}.year());
  if (year < kMinPostedYear || year > kMaxPostedYear)
    return RowError{rec.line, "posted_at",
                    "year outside " + std::to_string(kMinPostedYear) + ".." + std::to_string(kMaxPostedYear)};
  out.posted_at = *date;

  std::string why;
  const auto amount = parse_amount(f[3], &why);
  if (!amount) return RowError{rec.line, "amount", why};
  out.amount = *amount;

  if (f[4].empty()) {
    out.balance_after.reset();
  } else {
    const auto balance = parse_amount(f[4], &why);
    if (!balance) return RowError{rec.line, "balance_after", why};
    out.balance_after = *balance;
  }

  if (!assign_text(f[5], out.description, rec.line, kColumnNames[5], kMaxDescriptionBytes, error)) return error;
  if (!assign_text(f[6], out.kind, rec.line, kColumnNames[6], kMaxKindBytes, error)) return error;
  return std::nullopt;
}

std::variant<Transaction, RowError> parse_transaction_row(const CsvRecord& record) {
  Transaction txn;
  if (auto error = parse_transaction_row(record, txn)) return std::move(*error);
  return txn;
}

DuplicateKeyGuard::Result DuplicateKeyGuard::check(const Transaction& txn, std::size_t line) {
  if ((used_ + 1) * 4 > slots_.size() * 3) grow();
  const std::uint64_t hi = hash_bytes(txn.txn_id, hash_bytes(txn.account_id, 0x9e3779b97f4a7c15ULL));
  const auto lo = static_cast<std::uint32_t>(hash_bytes(txn.txn_id, hash_bytes(txn.account_id, 0x2545f4914f6cdd1dULL)));
  std::uint64_t content = hash_int(static_cast<std::uint64_t>(txn.posted_at.time_since_epoch().count()), 1);
  content = hash_int(static_cast<std::uint64_t>(txn.amount.cents()), content);
  content = txn.balance_after ? hash_int(static_cast<std::uint64_t>(txn.balance_after->cents()), content ^ 7)
                              : hash_int(0, content ^ 11);
  content = hash_bytes(txn.kind, hash_bytes(txn.description, content));

  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hi & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.line == 0) {
      s = Slot{hi, content, lo, static_cast<std::uint32_t>(std::min<std::size_t>(line, UINT32_MAX))};
      ++used_;
      return {Verdict::kFirst, line};
    }
    if (s.key_hi == hi && s.key_lo == lo)
      return {s.content == content ? Verdict::kIdenticalRepeat : Verdict::kConflict, s.line};
  }
}

void DuplicateKeyGuard::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.line == 0) continue;
    std::size_t i = s.key_hi & mask;
    while (slots_[i].line != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

TransactionCsvReader::TransactionCsvReader(const std::string& path) : records_(path) {
  if (!records_.next(record_)) throw CsvError(path, RowError{1, "header", "file is empty (a header line is required)"});
  check_transactions_header(record_, path);
}

bool TransactionCsvReader::next(Row& row) {
  for (;;) {
    if (!records_.next(record_)) return false;
    if (record_.raw.empty() && record_.error.empty()) continue;  // blank line
    break;
  }
  ++rows_read_;
  row.line = record_.line;
  row.raw = record_.raw;
  row.repeat = false;
  row.error = parse_transaction_row(record_, row.txn);
  if (row.error) return true;
  const auto seen = guard_.check(row.txn, row.line);
  if (seen.verdict == DuplicateKeyGuard::Verdict::kIdenticalRepeat) {
    row.repeat = true;
  } else if (seen.verdict == DuplicateKeyGuard::Verdict::kConflict) {
    row.error = RowError{row.line, "txn_id",
                         "duplicate (account_id, txn_id) of line " + std::to_string(seen.first_line) +
                             " with different content"};
  }
  return true;
}

std::vector<Transaction> read_transactions_csv(const std::string& path) {
  TransactionCsvReader reader(path);
  std::vector<Transaction> out;
  TransactionCsvReader::Row row;
  while (reader.next(row)) {
    if (row.error) throw CsvError(path, *row.error);
    if (!row.repeat) out.push_back(row.txn);
  }
  return out;
}

}  // namespace headroom::ingest
