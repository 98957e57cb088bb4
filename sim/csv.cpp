#include "sim/csv.hpp"

#include <cstdio>

#include "ingest/csv_writer.hpp"

namespace headroom::sim {
namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(end - p));
}

void append_int(std::string& out, std::int64_t v) {
  if (v < 0) {
    out.push_back('-');
    append_uint(out, static_cast<std::uint64_t>(-(v + 1)) + 1);
  } else {
    append_uint(out, static_cast<std::uint64_t>(v));
  }
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void append_cents(std::string& out, std::int64_t cents) {
  const bool negative = cents < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  if (negative) out.push_back('-');
  append_uint(out, magnitude / 100);
  char frac[3] = {'.', 0, 0};
  put2(frac + 1, static_cast<unsigned>(magnitude % 100));
  out.append(frac, 3);
}

void append_date(std::string& out, Date d) {
  const std::chrono::year_month_day ymd{d};
  const int y = static_cast<int>(ymd.year());
  char buf[10];
  put2(buf, static_cast<unsigned>(y / 100));
  put2(buf + 2, static_cast<unsigned>(y % 100));
  buf[4] = '-';
  put2(buf + 5, static_cast<unsigned>(ymd.month()));
  buf[7] = '-';
  put2(buf + 8, static_cast<unsigned>(ymd.day()));
  out.append(buf, 10);
}

namespace {
// Rows come in date runs: convert a date to text once per run, per thread.
struct DateText {
  Date date{Date::max()};
  char iso[10];
  char compact[8];
  void set(Date d) {
    if (d == date) return;
    date = d;
    const std::chrono::year_month_day ymd{d};
    const int y = static_cast<int>(ymd.year());
    put2(compact, static_cast<unsigned>(y / 100));
    put2(compact + 2, static_cast<unsigned>(y % 100));
    put2(compact + 4, static_cast<unsigned>(ymd.month()));
    put2(compact + 6, static_cast<unsigned>(ymd.day()));
    iso[0] = compact[0], iso[1] = compact[1], iso[2] = compact[2], iso[3] = compact[3], iso[4] = '-';
    iso[5] = compact[4], iso[6] = compact[5], iso[7] = '-', iso[8] = compact[6], iso[9] = compact[7];
  }
};
thread_local DateText tl_date;

void append_txn_id(std::string& out, const SimTxn& t) {
  tl_date.set(t.posted_at);
  out.append(tl_date.compact, 8);
  out.push_back('-');
  append_uint(out, t.seq_in_day);
}
}  // namespace

std::string txn_id_for(const SimTxn& t) {
  std::string s;
  append_txn_id(s, t);
  return s;
}

forecast::Transaction to_transaction(std::string_view account_id, const SimTxn& t) {
  forecast::Transaction x;
  x.account_id = std::string(account_id);
  x.txn_id = txn_id_for(t);
  x.posted_at = t.posted_at;
  x.amount = forecast::Money::from_cents(t.amount_cents);
  x.balance_after = forecast::Money::from_cents(t.balance_after_cents);
  x.description = std::string(t.description.view());
  x.kind = std::string(to_string(t.kind));
  return x;
}

void append_transaction_row(std::string& out, std::string_view account_id, const SimTxn& t) {
  out.append(account_id);
  out.push_back(',');
  append_txn_id(out, t);
  out.push_back(',');
  out.append(tl_date.iso, 10);
  out.push_back(',');
  append_cents(out, t.amount_cents);
  out.push_back(',');
  append_cents(out, t.balance_after_cents);
  out.push_back(',');
  ingest::append_csv_field(out, t.description.view());
  out.push_back(',');
  out.append(to_string(t.kind));
  out.push_back('\n');
}

void append_account_row(std::string& out, const AccountProfile& p) {
  ingest::append_csv_field(out, p.account_id);
  out.push_back(',');
  ingest::append_csv_field(out, p.time_zone);
  out.append(",USD,");
  ingest::append_csv_field(out, p.email);
  out.push_back(',');
  out.append(to_string(p.income_pattern));
  out.push_back(',');
  out.append(to_string(p.housing));
  out.push_back(',');
  out.append(to_string(p.budget));
  out.append(p.has_savings ? ",true\n" : ",false\n");
}

void append_truth_row(std::string& out, const AccountSim& a) {
  const AccountProfile& p = a.profile();
  const PathTally& f = a.factual();
  const PathTally& c = a.counterfactual();
  int acted = 0;
  for (const NudgeOutcome& n : a.nudges()) acted += n.acted ? 1 : 0;
  ingest::append_csv_field(out, p.account_id);
  out.push_back(',');
  out.append(to_string(p.income_pattern));
  out.push_back(',');
  out.append(to_string(p.housing));
  out.push_back(',');
  out.append(to_string(p.budget));
  out.append(p.has_savings ? ",true," : ",false,");
  for (std::int64_t v : {std::int64_t{f.days}, std::int64_t{f.overdraft_days}, std::int64_t{f.fees}}) {
    append_int(out, v);
    out.push_back(',');
  }
  append_cents(out, f.fee_cents);
  out.push_back(',');
  append_int(out, c.overdraft_days);
  out.push_back(',');
  append_int(out, c.fees);
  out.push_back(',');
  append_cents(out, c.fee_cents);
  out.push_back(',');
  append_int(out, static_cast<std::int64_t>(a.nudges().size()));
  out.push_back(',');
  append_int(out, acted);
  out.push_back(',');
  append_cents(out, f.min_balance_cents);
  out.push_back(',');
  bool first = true;
  for (const Shock& s : p.shocks) {
    if (!first) out.push_back(';');
    first = false;
    out.append(to_string(s.kind));
    out.push_back(':');
    if (s.kind == ShockKind::kWindfall) {
      out.append(to_string(s.windfall));
      out.push_back(':');
    }
    append_date(out, s.date);
    out.push_back(':');
    switch (s.kind) {
      case ShockKind::kWindfall: append_cents(out, s.amount_cents); break;
      case ShockKind::kPaycheckDelay:
      case ShockKind::kJobLoss: append_int(out, s.days); break;
      case ShockKind::kRaise: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.4f", s.raise_fraction);
        out.append(buf);
        break;
      }
    }
  }
  out.push_back('\n');
}

}  // namespace headroom::sim
