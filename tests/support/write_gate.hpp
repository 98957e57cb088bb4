#pragma once
// Stops a process at an exact statement without sleeping: a trigger on a
// table makes an insert wait, inside the writer's own transaction, for an
// advisory lock that the gate's session holds. The test sees the writer
// waiting in pg_stat_activity (wait_event 'advisory'), kills it there, and
// then opens the gate. Everything the writer's transaction did before that
// insert is written and uncommitted at that moment; nothing after it is.
//
// The writer's server process outlives a SIGKILLed client while it waits on
// the lock; once the gate opens it finds its client gone and rolls back
// (wait_backend_gone tells when).

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include <pqxx/pqxx>

#include "tests/support/child_process.hpp"

namespace headroom::testing {

// pid of a server process of this database (not `conn`'s own) waiting on a
// lock while running a statement LIKE `query_like`, if any.
inline std::optional<int> backend_waiting_on_lock(pqxx::connection& conn, const std::string& wait_event,
                                                  const std::string& query_like) {
  pqxx::nontransaction tx{conn};
  const auto r = tx.exec_params(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
      " AND wait_event_type = 'Lock' AND ($1 = '' OR wait_event = $1) AND query LIKE $2 ORDER BY pid LIMIT 1",
      wait_event, query_like);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int>();
}

// Bounded wait for such a server process; its pid, or nullopt after `limit`.
inline std::optional<int> wait_backend_waiting_on_lock(pqxx::connection& conn, const std::string& wait_event,
                                                       const std::string& query_like, std::chrono::seconds limit) {
  std::optional<int> pid;
  eventually([&] { return (pid = backend_waiting_on_lock(conn, wait_event, query_like)).has_value(); }, limit);
  return pid;
}

// Bounded wait until server process `pid` has ended (its transaction, if
// any, rolled back); false if it is still there after `limit`.
inline bool wait_backend_gone(const std::string& url, int pid, std::chrono::seconds limit) {
  return eventually(
      [&] {
        try {
          pqxx::connection c{url};
          pqxx::nontransaction tx{c};
          return tx.exec_params("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0][0].as<int>() == 0;
        } catch (const std::exception&) {
          return false;
        }
      },
      limit);
}

class WriteGate {
 public:
  // Installs the gate on `table` and closes it: from now on a row inserted
  // into `table` while `condition` (an SQL boolean expression, evaluated per
  // row in the writer's transaction) holds waits until open().
  WriteGate(std::string url, const std::string& table, const std::string& condition = "true")
      : url_(std::move(url)), table_(table), key_(next_key()) {
    lock_ = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction tx{*lock_};
    tx.exec_params("SELECT pg_advisory_lock($1)", key_);
    tx.exec(
        "CREATE OR REPLACE FUNCTION public.headroom_test_write_gate() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE closed boolean; "
        "BEGIN "
        "  EXECUTE 'SELECT ' || TG_ARGV[1] INTO closed; "
        "  IF closed THEN PERFORM pg_advisory_xact_lock_shared(TG_ARGV[0]::bigint); END IF; "
        "  RETURN NEW; "
        "END $$");
    tx.exec("CREATE TRIGGER " + trigger() + " BEFORE INSERT ON " + table_ +
            " FOR EACH ROW EXECUTE FUNCTION public.headroom_test_write_gate(" + tx.quote(std::to_string(key_)) + ", " +
            tx.quote(condition) + ")");
  }
  ~WriteGate() {
    try {
      open();
      remove();
    } catch (const std::exception&) {
      // A gate left in a throwaway database holds nothing once open.
    }
  }
  WriteGate(const WriteGate&) = delete;
  WriteGate& operator=(const WriteGate&) = delete;

  // The server process waiting at the gate, once one is (bounded wait).
  std::optional<int> wait_blocked(std::chrono::seconds limit) {
    pqxx::connection c{url_};
    return wait_backend_waiting_on_lock(c, "advisory", "%", limit);
  }
  // Lets waiting and later writers through. The lock's session may already
  // be gone (a server restart ends it, and the lock with it).
  void open() {
    if (!lock_) return;
    try {
      pqxx::nontransaction tx{*lock_};
      tx.exec_params("SELECT pg_advisory_unlock($1)", key_);
    } catch (const std::exception&) {
    }
    lock_.reset();
  }
  // Drops the trigger (waits for writers still in a transaction on the table).
  void remove() {
    if (removed_) return;
    pqxx::connection c{url_};
    pqxx::nontransaction tx{c};
    tx.exec("DROP TRIGGER IF EXISTS " + trigger() + " ON " + table_);
    removed_ = true;
  }

 private:
  static long long next_key() {
    static std::atomic<int> counter{0};
    return 0x48524700000000LL + (static_cast<long long>(::getpid()) << 8) + counter++;
  }
  std::string trigger() const { return "headroom_test_write_gate_" + std::to_string(key_); }
  std::string url_;
  std::string table_;
  long long key_;
  std::unique_ptr<pqxx::connection> lock_;
  bool removed_ = false;
};

}  // namespace headroom::testing
