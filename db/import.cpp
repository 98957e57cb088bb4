#include "db/import.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "db/copy_writer.hpp"
#include "ingest/csv_writer.hpp"

namespace headroom::db {

namespace {

using ingest::RowError;

struct Reject {
  RowError error;
  std::string raw;  // as in the file, invalid UTF-8 escaped
};

const std::vector<std::string> kContractColumns = {"account_id",    "txn_id",      "posted_at", "amount",
                                                   "balance_after", "description", "kind"};

std::string where(const std::string& path, const RowError& e) {
  return path + ":" + std::to_string(e.line) + ": " + e.field + ": " + e.reason;
}

// Writes the reject report next to its final name and renames it into place,
// so a reader never sees half a file.
class RejectFile {
 public:
  explicit RejectFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {}
  void write(const std::vector<Reject>& rejects) {
    std::ofstream out(tmp_, std::ios::binary | std::ios::trunc);
    if (!out) throw std::system_error(errno, std::generic_category(), "cannot write reject file " + tmp_);
    std::string text = "line,field,reason,raw\n";
    for (const auto& r : rejects)
      ingest::append_csv_row(text, {std::to_string(r.error.line), ingest::csv_field(r.error.field),
                                    ingest::csv_field(r.error.reason), ingest::csv_field(r.raw)});
    out << text;
    out.close();
    if (!out) throw std::system_error(errno, std::generic_category(), "cannot write reject file " + tmp_);
  }
  void publish() {
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) throw std::system_error(ec, "cannot write reject file " + path_);
  }

 private:
  std::string path_;
  std::string tmp_;
};

std::vector<RowError> errors_of(const std::vector<Reject>& rejects) {
  std::vector<RowError> out;
  out.reserve(rejects.size());
  for (const auto& r : rejects) out.push_back(r.error);
  return out;
}

[[noreturn]] void refuse(const std::string& path, std::vector<Reject> rejects, const ImportOptions& options) {
  std::sort(rejects.begin(), rejects.end(), [](const Reject& a, const Reject& b) { return a.error.line < b.error.line; });
  const RowError& first = rejects.front().error;
  std::string message;
  if (options.reject_file.empty()) {
    message = where(path, first) +
              "\nnothing was imported; --reject-file R.csv lists every bad row, --allow-rejects imports the good ones";
  } else {
    RejectFile file(options.reject_file);
    file.write(rejects);
    file.publish();
    message = fmt::format("{} bad row{}, the first at {}\nnothing was imported; all are listed in {} "
                          "(--allow-rejects imports the good rows)",
                          rejects.size(), rejects.size() == 1 ? "" : "s", where(path, first), options.reject_file);
  }
  throw ImportError(message, errors_of(rejects));
}

void add_row(CopyWriter& copy, const forecast::Transaction& t) {
  copy.add_text(t.account_id);
  copy.add_text(t.txn_id);
  copy.add_date(t.posted_at);
  copy.add_cents(t.amount.cents());
  if (t.balance_after) copy.add_cents(t.balance_after->cents());
  else copy.add_null();
  copy.add_text(t.description);
  copy.add_text(t.kind);
}

// Streams the file into `table`; returns the number of rows sent. Bad rows
// go to `rejects`, or end the import at once when nobody asked for them.
// `accounts`, when given, receives every account_id sent.
std::size_t stream_rows(pqxx::work& tx, ingest::TransactionCsvReader& reader, const std::string& table,
                        bool with_line, const ImportOptions& options, std::vector<Reject>& rejects,
                        ImportSummary& summary, CopyWriterOptions copy_options = {},
                        std::unordered_set<std::string>* accounts = nullptr) {
  const bool collect = options.allow_rejects || !options.reject_file.empty();
  std::vector<std::string> columns = kContractColumns;
  if (with_line) columns.insert(columns.begin(), "line");
  CopyWriter copy(tx, table, columns, copy_options);
  std::size_t sent = 0;
  std::string last_account;
  ingest::TransactionCsvReader::Row row;
  while (reader.next(row)) {
    if (row.error) {
      Reject reject{*row.error, ingest::escape_invalid_utf8(row.raw)};
      if (!collect) refuse(reader.path(), {std::move(reject)}, options);
      rejects.push_back(std::move(reject));
      continue;
    }
    if (row.repeat) {
      ++summary.unchanged;
      continue;
    }
    copy.begin_row();
    if (with_line) copy.add_int64(static_cast<std::int64_t>(row.line));
    add_row(copy, row.txn);
    copy.end_row();
    // Files come grouped by account, so the set is rarely consulted.
    if (accounts != nullptr && row.txn.account_id != last_account) {
      last_account = row.txn.account_id;
      accounts->insert(last_account);
    }
    ++sent;
  }
  copy.complete();
  return sent;
}

// Migration 0005's notify trigger keeps every inserted row in a transition
// table to find the changed accounts: about a quarter of a bulk COPY's server
// time. The first load drops it for the load, recreates it from its catalog
// definition (enabled state included) and sends the same notifications itself.
constexpr const char* kNotifyTrigger = "transactions_notify_insert";

// Sends what the notify trigger would have sent: one NOTIFY
// headroom_transactions per account, delivered at commit.
void notify_accounts(pqxx::work& tx, const std::unordered_set<std::string>& accounts) {
  if (accounts.empty()) return;
  std::vector<const std::string*> sorted;
  sorted.reserve(accounts.size());
  for (const auto& a : accounts) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  // One text[] parameter: {"a","b"} with \ and \" escaped.
  std::string array = "{";
  for (const std::string* a : sorted) {
    if (array.size() > 1) array += ',';
    array += '"';
    for (char c : *a) {
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += '"';
  }
  array += '}';
  tx.exec_params("SELECT pg_notify('headroom_transactions', a) FROM unnest($1::text[]) a", array);
}

// First load into an empty table: indexes are dropped, the rows copied in and
// the indexes rebuilt, which is about twice as fast as maintaining them row by
// row. Definitions come from the catalog, so indexes added by later
// migrations are rebuilt too.
std::size_t bulk_load(pqxx::work& tx, ingest::TransactionCsvReader& reader, const ImportOptions& options,
                      std::vector<Reject>& rejects, ImportSummary& summary) {
  tx.exec0("LOCK TABLE headroom.transactions IN ACCESS EXCLUSIVE MODE");
  struct IndexDef {
    std::string constraint, constraint_def, index, index_def;
  };
  std::vector<IndexDef> defs;
  for (const auto& r : tx.exec(
           "SELECT coalesce(c.conname, ''), coalesce(pg_get_constraintdef(c.oid), ''), ic.relname, "
           "       pg_get_indexdef(i.indexrelid) "
           "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
           "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
           "WHERE i.indrelid = 'headroom.transactions'::regclass "
           "ORDER BY c.conname IS NULL, ic.relname"))
    defs.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()});
  for (const auto& d : defs) {
    if (!d.constraint.empty())
      tx.exec0("ALTER TABLE headroom.transactions DROP CONSTRAINT " + tx.quote_name(d.constraint));
    else
      tx.exec0("DROP INDEX headroom." + tx.quote_name(d.index));
  }
  struct TriggerDef {
    std::string definition;
    char enabled;  // pg_trigger.tgenabled: 'O' origin, 'D' disabled, 'R' replica, 'A' always
  };
  std::optional<TriggerDef> notify_trigger;
  {
    const auto r = tx.exec_params(
        "SELECT pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
        "WHERE tgrelid = 'headroom.transactions'::regclass AND tgname = $1",
        kNotifyTrigger);
    if (!r.empty()) {
      notify_trigger = TriggerDef{r[0][0].as<std::string>(), r[0][1].as<std::string>().at(0)};
      tx.exec0(std::string("DROP TRIGGER ") + kNotifyTrigger + " ON headroom.transactions");
    }
  }
  // Truncating in this transaction lets a server with wal_level = minimal
  // skip WAL for the load, and allows FREEZE: the rows are stored frozen and
  // all-visible, so the first readers do not rewrite every page to set hint
  // bits. (Like the TRUNCATE itself, frozen rows are visible to snapshots
  // older than this transaction; nothing was there for them to see.)
  tx.exec0("TRUNCATE headroom.transactions");
  std::unordered_set<std::string> accounts;
  CopyWriterOptions copy_options;
  copy_options.freeze = true;
  const std::size_t sent = stream_rows(tx, reader, "headroom.transactions", false, options, rejects, summary,
                                       copy_options, notify_trigger ? &accounts : nullptr);
  if (!options.allow_rejects && !rejects.empty()) refuse(reader.path(), std::move(rejects), options);
  // One parallel worker besides the leader: the client is idle by now, so the
  // two builds get both cores of the reference machine.
  tx.exec0("SET LOCAL maintenance_work_mem = '1GB'");
  tx.exec0("SET LOCAL max_parallel_maintenance_workers = 1");
  for (const auto& d : defs) {
    if (!d.constraint.empty())
      tx.exec0("ALTER TABLE headroom.transactions ADD CONSTRAINT " + tx.quote_name(d.constraint) + " " +
               d.constraint_def);
    else
      tx.exec0(d.index_def);
  }
  if (notify_trigger) {
    tx.exec0(notify_trigger->definition);
    // Restore how the trigger was enabled; notify where it would have fired
    // (an ordinary session: 'O' and 'A').
    if (notify_trigger->enabled == 'D')
      tx.exec0(std::string("ALTER TABLE headroom.transactions DISABLE TRIGGER ") + kNotifyTrigger);
    else if (notify_trigger->enabled == 'R')
      tx.exec0(std::string("ALTER TABLE headroom.transactions ENABLE REPLICA TRIGGER ") + kNotifyTrigger);
    else if (notify_trigger->enabled == 'A')
      tx.exec0(std::string("ALTER TABLE headroom.transactions ENABLE ALWAYS TRIGGER ") + kNotifyTrigger);
    if (notify_trigger->enabled == 'O' || notify_trigger->enabled == 'A') notify_accounts(tx, accounts);
  }
  return sent;
}

// Up to this many staged rows, conflicts are looked up by index probes
// rather than by joining the whole table.
constexpr std::size_t kProbeRowsMax = 200'000;

std::size_t merge(pqxx::work& tx, pqxx::connection& conn, ingest::TransactionCsvReader& reader,
                  const ImportOptions& options, std::vector<Reject>& rejects, ImportSummary& summary) {
  // Unlogged and created in this transaction: invisible to others, gone on
  // rollback, no WAL. A name per backend keeps concurrent imports apart.
  const std::string staging = "headroom.import_staging_" + std::to_string(conn.backendpid());
  tx.exec0("CREATE UNLOGGED TABLE " + staging +
           " (line bigint NOT NULL, account_id text COLLATE \"C\" NOT NULL, txn_id text COLLATE \"C\" NOT NULL,"
           "  posted_at date NOT NULL, amount numeric(18,2) NOT NULL, balance_after numeric(18,2),"
           "  description text NOT NULL, kind text NOT NULL)");
  const std::size_t staged = stream_rows(tx, reader, staging, true, options, rejects, summary);
  if (!options.allow_rejects && !rejects.empty()) refuse(reader.path(), std::move(rejects), options);
  tx.exec0("ANALYZE " + staging);

  const bool overlap = tx.exec1("SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT account_id FROM " + staging +
                                ") s WHERE EXISTS (SELECT 1 FROM headroom.transactions t"
                                " WHERE t.account_id = s.account_id))")[0]
                           .as<bool>();
  std::size_t conflicts = 0;
  std::size_t inserted = 0;
  if (overlap) {
    // Insert first: a day's postings are all new, and then the insert's own
    // unique-index probe is the only lookup. Only when some staged rows were
    // not inserted (their key was stored already) are those rows compared
    // with the stored ones; a conflict then aborts the transaction (the
    // insert with it) or, with --allow-rejects, is reported while the
    // conflicting row was never written.
    inserted = tx.exec0("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after,"
                        " description, kind) SELECT account_id, txn_id, posted_at, amount, balance_after,"
                        " description, kind FROM " + staging + " ORDER BY account_id, txn_id ON CONFLICT DO NOTHING")
                   .affected_rows();
    if (inserted < staged) {
      const auto rows = tx.exec(
          "SELECT s.line, CASE WHEN s.posted_at <> t.posted_at THEN 'posted_at'"
          "  WHEN s.amount <> t.amount THEN 'amount'"
          "  WHEN s.balance_after IS DISTINCT FROM t.balance_after THEN 'balance_after'"
          "  WHEN s.description <> t.description THEN 'description' ELSE 'kind' END,"
          " s.account_id, s.txn_id, s.posted_at::text, s.amount::text, coalesce(s.balance_after::text, ''),"
          " s.description, s.kind "
          "FROM " + staging + " s " +
          // A small file against a large table (a re-sent day): one index
          // probe per staged row. The planner, left alone, hashes the staged
          // rows and scans the whole table (1.5 s for 29,000 rows against 2.8
          // million); OFFSET 0 keeps the lateral probe from being flattened.
          (staged <= kProbeRowsMax
               ? std::string("CROSS JOIN LATERAL (SELECT *, xmin FROM headroom.transactions t"
                             " WHERE t.account_id = s.account_id AND t.txn_id = s.txn_id OFFSET 0) t ")
               : std::string("JOIN headroom.transactions t USING (account_id, txn_id) ")) +
          // Rows this statement inserted are the staged rows themselves.
          "WHERE t.xmin <> pg_current_xact_id()::xid"
          "  AND (s.posted_at, s.amount, s.balance_after, s.description, s.kind)"
          "  IS DISTINCT FROM (t.posted_at, t.amount, t.balance_after, t.description, t.kind) "
          "ORDER BY s.line");
      for (const auto& r : rows) {
        // The staged values re-encoded as a contract CSV row stand in for the raw line.
        std::string raw;
        for (int i = 2; i <= 8; ++i) {
          if (i > 2) raw += ',';
          ingest::append_csv_field(raw, r[i].c_str());
        }
        const std::string field = r[1].as<std::string>();
        rejects.push_back({RowError{r[0].as<std::size_t>(), field,
                                    "conflicts with the stored transaction of the same (account_id, txn_id): " +
                                        field + " differs"},
                           std::move(raw)});
      }
      conflicts = rows.size();
      if (!options.allow_rejects && conflicts != 0) refuse(reader.path(), std::move(rejects), options);
    }
  } else {
    // None of these accounts is stored yet, and the file has no repeated
    // keys: a plain insert cannot collide.
    inserted = tx.exec0("INSERT INTO headroom.transactions (account_id, txn_id, posted_at, amount, balance_after,"
                        " description, kind) SELECT account_id, txn_id, posted_at, amount, balance_after,"
                        " description, kind FROM " + staging)
                   .affected_rows();
  }
  tx.exec0("DROP TABLE " + staging);
  summary.unchanged += staged - inserted - conflicts;
  return inserted;
}

void quarantine(pqxx::work& tx, const std::string& source, const std::vector<Reject>& rejects) {
  CopyWriter copy(tx, "headroom.quarantined_transactions", {"source", "line", "field", "raw", "reason"});
  for (const auto& r : rejects) {
    copy.begin_row();
    copy.add_text(source);
    copy.add_int64(static_cast<std::int64_t>(r.error.line));
    copy.add_text(r.error.field);
    copy.add_text(r.raw);
    copy.add_text(r.error.reason);
    copy.end_row();
  }
  copy.complete();
}

}  // namespace

ImportSummary import_transactions_csv(pqxx::connection& conn, const std::string& path, const ImportOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ingest::TransactionCsvReader reader(path);
  ImportSummary summary;
  std::vector<Reject> rejects;

  pqxx::work tx(conn, "import");
  // Imports wait for each other and for other writers; readers go on. The
  // conflict check and the merge must see the same stored rows.
  tx.exec0("LOCK TABLE headroom.transactions IN SHARE ROW EXCLUSIVE MODE");
  const bool empty = tx.exec1("SELECT NOT EXISTS (SELECT 1 FROM headroom.transactions)")[0].as<bool>();
  // Dropping the primary key is impossible while a foreign key depends on it.
  const bool referenced =
      tx.exec1("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = 'headroom.transactions'::regclass)")[0]
          .as<bool>();
  if (empty && !referenced) {
    summary.inserted = bulk_load(tx, reader, options, rejects, summary);
  } else {
    summary.inserted = merge(tx, conn, reader, options, rejects, summary);
  }
  summary.rows_read = reader.rows_read();

  std::sort(rejects.begin(), rejects.end(), [](const Reject& a, const Reject& b) { return a.error.line < b.error.line; });
  if (!rejects.empty()) quarantine(tx, options.source.empty() ? path : options.source, rejects);
  std::optional<RejectFile> reject_file;
  if (!options.reject_file.empty()) {
    reject_file.emplace(options.reject_file);
    reject_file->write(rejects);
  }
  tx.commit();
  if (reject_file) reject_file->publish();

  summary.rejected = rejects.size();
  summary.rejects = errors_of(rejects);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::debug("[db] import {}: {} rows read, {} inserted, {} unchanged, {} rejected", path, summary.rows_read,
                summary.inserted, summary.unchanged, summary.rejected);
  return summary;
}

std::string format_summary(const std::string& path, const ImportSummary& s) {
  return fmt::format("{}: {} rows read, {} inserted, {} unchanged, {} rejected in {:.2f} s", path, s.rows_read,
                     s.inserted, s.unchanged, s.rejected, s.seconds);
}

}  // namespace headroom::db
