// `headroom run --once --as-of` a past day replays it on its own clock:
// nudges are planned and delivered as of that day, and the cycle records
// which clock it ran on (migration 0013) for the report to state.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <string>

#include "forecast/date.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/running_low.hpp"
#include "tests/support/test_database.hpp"

using namespace std::chrono_literals;
using headroom::testing::ChildProcess;

namespace {

constexpr int kAccounts = 12;

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  return pqxx::nontransaction{c}.exec(sql)[0][0].as<long long>();
}

std::string text(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  return pqxx::nontransaction{c}.exec(sql)[0][0].as<std::string>();
}

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    HEADROOM_REQUIRE_DATABASE(db_);
    ChildProcess m{{HEADROOM_BINARY, "migrate"}, {"HEADROOM_DATABASE_URL=" + db_.url()}};
    ASSERT_EQ(m.wait_exit(60s), 0);
  }
  // `headroom run --once`, with `--as-of` when given; its exit code
  // (nullopt: still running after two minutes, then killed).
  std::optional<int> run_once(const std::string& as_of = "") {
    std::vector<std::string> args{HEADROOM_BINARY, "run", "--once", "--threads", "1"};
    if (!as_of.empty()) args.insert(args.end(), {"--as-of", as_of});
    ChildProcess run{args, {"HEADROOM_DATABASE_URL=" + db_.url()}};
    return run.wait_exit(120s);
  }
  headroom::testing::TestDatabase db_;
};

std::string days_before_today(int days) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return headroom::forecast::to_iso_string(headroom::forecast::Date(today - std::chrono::days(days)));
}

}  // namespace

// Ten days ago every account was days from running out: the replay decides
// to nudge each in-app and delivers the nudge as of that day. On the wall
// clock every one of those risky days is long over, and delivery would
// expire them all instead.
TEST_F(Replay, APastDayDeliversItsInAppNudgesAsOfThatDay) {
  {
    pqxx::connection c{db_.url()};
    headroom::testing::seed_accounts_running_low(c, kAccounts, 0, 10);
  }
  ASSERT_EQ(run_once(days_before_today(10)), 0);

  EXPECT_EQ(text(db_.url(), "SELECT string_agg(DISTINCT clock, ',') FROM headroom.scoring_cycles"), "replay");
  EXPECT_EQ(count(db_.url(), "SELECT count(DISTINCT account_id) FROM headroom.nudges"), kAccounts)
      << "the replay did not decide an in-app nudge for every account";
  EXPECT_EQ(count(db_.url(), "SELECT count(*) FROM headroom.nudges WHERE status <> 'available'"), 0)
      << "in-app nudges of the replayed day were not delivered on its clock";
  EXPECT_EQ(count(db_.url(), "SELECT count(*) FROM headroom.nudges WHERE (available_at AT TIME ZONE 'UTC')::date <> '" +
                                 days_before_today(10) + "'::date"),
            0)
      << "nudges were not made available on the replayed day";
}

TEST_F(Replay, TodaysCycleIsOnTheWallClock) {
  {
    pqxx::connection c{db_.url()};
    headroom::testing::seed_accounts_running_low(c, kAccounts);
  }
  ASSERT_EQ(run_once(), 0);
  EXPECT_EQ(text(db_.url(), "SELECT string_agg(DISTINCT clock, ',') FROM headroom.scoring_cycles"), "wall");
  EXPECT_EQ(count(db_.url(), "SELECT count(*) FROM headroom.nudges WHERE status = 'available'"), kAccounts);
}
