// Fault matrix, rows 1 and 2 (docs/operations.md, "Fault matrix"): the real
// `headroom run --once` is SIGKILLed with a scoring chunk's transaction open,
// stopped at an exact statement by a write gate (tests/support/write_gate.hpp),
// then run again. Its end state in PostgreSQL and at the SMTP sink is the
// end state of a run that never failed.
//
// A chunk commits in one transaction (db::complete_chunk): its forecasts
// (INSERT … SELECT from a COPY-staged batch), then the nudge plan
// (db::write_decisions: decisions, outbox rows and in-app nudges in ONE
// statement of data-modifying CTEs, the decisions inserted before the first
// outbox row), then its scoring_log rows (COPY), then the chunk and cycle
// marks. Row 1 stops it at the scoring_log COPY, everything else of the chunk
// written; row 2 at the first outbox row, the chunk's decisions inserted.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/child_process.hpp"
#include "tests/support/fault_matrix.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/write_gate.hpp"

using namespace std::chrono_literals;
using namespace headroom::testing;

namespace {

constexpr int kAccounts = 30;
constexpr int kAccountsPerChunk = 5;
constexpr int kChunksBeforeTheFault = 2;
// The gate closes once this many chunks committed: the fault hits the third.
const std::string kAfterTwoChunks =
    "(SELECT count(*) >= 2 FROM headroom.scoring_chunks WHERE done_at IS NOT NULL)";

std::vector<std::string> run_once(const std::string& replica) {
  return {HEADROOM_BINARY,        "run",         "--once", "--lease-seconds", "2", "--accounts-per-chunk",
          std::to_string(kAccountsPerChunk), "--threads", "1", "--replica-id", replica};
}

class ScoringFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    ASSERT_FALSE(smtp_sink_script().empty()) << "HEADROOM_TEST_SMTP_SINK not set: run through scripts/test.sh";
    ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + db_.url()}};
    ASSERT_EQ(m.wait_exit(60s), 0);
    pqxx::connection c{db_.url()};
    seed_accounts_running_low(c, kAccounts);
    smtp_url_ = sink_.url();
    ASSERT_FALSE(smtp_url_.empty()) << "the SMTP sink did not start";
  }

  // Runs the first replica until it waits at `gate`, checks that the chunks
  // before the fault committed and that it waits in a statement containing
  // `statement`, kills it there, and lets its server process roll back.
  void kill_at_gate(WriteGate& gate, const std::string& statement) {
    ChildProcess first{run_once("first"), daemon_environment(db_.url(), smtp_url_), log("first")};
    const auto backend = gate.wait_blocked(120s);
    ASSERT_TRUE(backend) << "the first replica never reached the gate\n" << slurp(log("first"));
    {
      pqxx::connection c{db_.url()};
      pqxx::nontransaction tx{c};
      const std::string query =
          tx.exec_params("SELECT query FROM pg_stat_activity WHERE pid = $1", *backend)[0][0].as<std::string>();
      EXPECT_NE(query.find(statement), std::string::npos)
          << "the gate stopped a statement other than the one this row is about: " << query;
    }
    EXPECT_EQ(scalar(db_.url(), "SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"),
              kChunksBeforeTheFault);
    first.signal(SIGKILL);
    ASSERT_EQ(first.wait_exit(30s), 128 + SIGKILL);
    gate.open();
    ASSERT_TRUE(wait_backend_gone(db_.url(), *backend, 60s)) << "the killed replica's transaction never ended";
    gate.remove();
  }

  // Nothing of the chunk in flight committed: only the chunks before it.
  void expect_only_the_chunks_before_the_fault() {
    EXPECT_EQ(scalar(db_.url(), "SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NOT NULL"),
              kChunksBeforeTheFault);
    EXPECT_EQ(scalar(db_.url(), "SELECT count(*) FROM headroom.forecasts"), kChunksBeforeTheFault * kAccountsPerChunk);
    EXPECT_EQ(scalar(db_.url(), "SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions"),
              kChunksBeforeTheFault * kAccountsPerChunk);
    EXPECT_EQ(scalar(db_.url(), "SELECT count(*) FROM headroom.nudge_outbox o WHERE NOT EXISTS (SELECT 1 FROM"
                                " headroom.forecasts f WHERE f.account_id = o.account_id)"),
              0);
    expect_no_partial_chunk(db_.url());
  }

  // The restart completes the cycle and delivers; the end state is whole.
  void restart_and_expect_a_whole_end_state() {
    ChildProcess second{run_once("second"), daemon_environment(db_.url(), smtp_url_), log("second")};
    ASSERT_EQ(second.wait_exit(180s), 0) << slurp(log("second"));
    expect_cycle_complete(db_.url(), kAccounts);
    expect_each_nudge_decided_once(db_.url(), kAccounts);
    // No email was in flight at the fault: every message arrives exactly once.
    expect_every_email_sent_once(db_.url(), sink_);
  }

  std::string log(const std::string& name) const { return (sink_.dir() / (name + ".log")).string(); }

  TestDatabase db_;
  SmtpSink sink_{"headroom-scoring-faults"};
  std::string smtp_url_;
};

}  // namespace

// Row 1.
TEST_F(ScoringFaults, KilledWithAChunkTransactionOpenTheRestartCompletesTheCycleAndDecidesEachNudgeOnce) {
  WriteGate gate{db_.url(), "headroom.scoring_log", kAfterTwoChunks};
  kill_at_gate(gate, "COPY headroom.scoring_log");
  expect_only_the_chunks_before_the_fault();
  restart_and_expect_a_whole_end_state();
}

// Row 2.
TEST_F(ScoringFaults, KilledBetweenTheDecisionAndItsOutboxRowNothingOfTheChunkCommitsAndTheRestartWritesBothOnce) {
  WriteGate gate{db_.url(), "headroom.nudge_outbox", kAfterTwoChunks};
  // Decisions and outbox rows are one statement of one transaction.
  kill_at_gate(gate, "INSERT INTO headroom.nudge_decisions");
  expect_only_the_chunks_before_the_fault();
  restart_and_expect_a_whole_end_state();
}
