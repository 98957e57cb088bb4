#pragma once
// What every row of the fault matrix (tests/service/*_faults_test.cpp)
// checks once the fault is over: the end state in PostgreSQL and at the SMTP
// server, the same whatever the fault was. Also the daemon's environment for
// those tests.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/smtp_sink.hpp"

namespace headroom::testing {

inline constexpr const char* kFaultApiToken = "fault-matrix-api-token";
inline constexpr const char* kFaultUnsubscribeSecret = "fault-matrix-unsubscribe-secret";

// `headroom run` against `database_url`, sending through `smtp_url` (empty:
// email off), on a free HTTP port, with an API token and an unsubscribe secret.
inline std::vector<std::string> daemon_environment(const std::string& database_url, const std::string& smtp_url) {
  std::vector<std::string> env = {"HEADROOM_DATABASE_URL=" + database_url, "HEADROOM_HTTP_PORT=0",
                                  std::string("HEADROOM_API_TOKEN=") + kFaultApiToken,
                                  std::string("HEADROOM_UNSUBSCRIBE_SECRET=") + kFaultUnsubscribeSecret};
  if (!smtp_url.empty()) {
    env.push_back("HEADROOM_SMTP_URL=" + smtp_url);
    env.push_back("HEADROOM_SMTP_ALLOW_INSECURE=1");
    env.push_back("HEADROOM_SMTP_FROM=alerts@bank.example");
  }
  return env;
}

inline long long scalar(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec(sql)[0][0].as<long long>();
}

// Like scalar() > 0, but false instead of an exception while the server is down.
inline bool holds(const std::string& url, const std::string& sql) {
  try {
    return scalar(url, sql) > 0;
  } catch (const std::exception&) {
    return false;
  }
}

// Nothing half-written: every stored forecast belongs to a completed chunk,
// and every completed chunk stored all of its accounts (forecast and
// scoring_log row), each account once per cycle.
inline void expect_no_partial_chunk(const std::string& url) {
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.forecasts f WHERE NOT EXISTS (SELECT 1 FROM"
                        " headroom.scoring_log l JOIN headroom.scoring_chunks c ON c.cycle_id = l.cycle_id"
                        " AND l.account_id BETWEEN c.first_account AND c.last_account"
                        " WHERE l.account_id = f.account_id AND c.done_at IS NOT NULL)"),
            0)
      << "a forecast outside any completed chunk";
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.scoring_chunks c WHERE done_at IS NOT NULL AND accounts_scored <> "
                        "(SELECT count(*) FROM headroom.scoring_log l WHERE l.cycle_id = c.cycle_id "
                        "AND l.account_id BETWEEN c.first_account AND c.last_account)"),
            0)
      << "a completed chunk whose scoring_log rows are not all its accounts";
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.scoring_log l WHERE NOT EXISTS (SELECT 1 FROM"
                        " headroom.scoring_chunks c WHERE c.cycle_id = l.cycle_id AND c.done_at IS NOT NULL"
                        " AND l.account_id BETWEEN c.first_account AND c.last_account)"),
            0)
      << "a scoring_log row of a chunk that never completed";
}

// The cycle is complete: every cycle finished, every chunk done, and each of
// the `accounts` accounts has exactly one forecast, from the last cycle.
inline void expect_cycle_complete(const std::string& url, int accounts) {
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NULL"), 0);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.scoring_chunks WHERE done_at IS NULL"), 0);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.forecasts"), accounts);
  EXPECT_EQ(scalar(url, "SELECT count(DISTINCT account_id) FROM headroom.forecasts"), accounts);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.scoring_log l JOIN headroom.scoring_cycles c USING (cycle_id)"
                        " WHERE c.cycle_id = (SELECT min(cycle_id) FROM headroom.scoring_cycles)"),
            accounts)
      << "the first cycle scored every account once";
  expect_no_partial_chunk(url);
}

// Every nudge decided once: each of the `accounts` accounts has its
// decisions of the first cycle once per channel, every decision to send has
// exactly one outbox row, every outbox row one decision, every in-app row one
// in-app nudge.
inline void expect_each_nudge_decided_once(const std::string& url, int accounts) {
  EXPECT_EQ(scalar(url, "SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions"), accounts);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM (SELECT account_id, channel FROM headroom.nudge_decisions"
                        " GROUP BY account_id, channel, as_of HAVING count(*) > 1) twice"),
            0)
      << "an account decided twice on one channel for one day";
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.nudge_decisions d WHERE outcome = 'send' AND channel IS NOT NULL"
                        " AND (SELECT count(*) FROM headroom.nudge_outbox o WHERE o.decision_id = d.decision_id) <> 1"),
            0)
      << "a decision to send without exactly one outbox row";
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.nudge_outbox o WHERE NOT EXISTS"
                        " (SELECT 1 FROM headroom.nudge_decisions d WHERE d.decision_id = o.decision_id)"),
            0);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.nudge_outbox o WHERE channel = 'in_app' AND"
                        " (SELECT count(*) FROM headroom.nudges n WHERE n.decision_id = o.decision_id) <> 1"),
            0)
      << "an in-app outbox row without exactly one in-app nudge";
  EXPECT_GT(scalar(url, "SELECT count(*) FROM headroom.nudge_outbox WHERE channel = 'email'"), 0)
      << "the fixture decided no email: the test checks nothing at the SMTP server";
}

// Every email the outbox holds reached the SMTP server and is marked sent
// once: one stored copy per Message-ID, except those in `may_repeat` (the
// documented window: accepted by the server, killed before the mark
// committed), which may arrive twice, always with the same Message-ID. The
// Message-IDs that did arrive twice are returned.
inline std::set<std::string> expect_every_email_sent_once(const std::string& url, const SmtpSink& sink,
                                                           const std::set<std::string>& may_repeat = {},
                                                           int max_unnamed_repeats = 0) {
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM headroom.nudge_outbox WHERE status <> 'sent'"), 0)
      << "an outbox row not marked sent";
  EXPECT_EQ(scalar(url, "SELECT count(*) - count(DISTINCT message_id) FROM headroom.nudge_outbox"), 0);
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  const auto received = sink.messages();
  std::set<std::string> repeated;
  std::size_t emails = 0;
  int unnamed_repeats = 0;
  for (const auto& row : tx.exec("SELECT message_id FROM headroom.nudge_outbox WHERE channel = 'email'")) {
    const std::string id = row[0].as<std::string>();
    ++emails;
    const int copies = received.count(id) ? received.at(id) : 0;
    EXPECT_GE(copies, 1) << id << " never reached the server";
    if (copies > 1) {
      repeated.insert(id);
      EXPECT_LE(copies, 2) << id;
      if (!may_repeat.count(id)) ++unnamed_repeats;
    }
  }
  EXPECT_LE(unnamed_repeats, max_unnamed_repeats) << "messages stored twice outside the documented window";
  EXPECT_EQ(received.size(), emails) << "the server holds messages the outbox does not";
  return repeated;
}

}  // namespace headroom::testing
