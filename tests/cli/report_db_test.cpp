// The real `headroom report` process against a seeded PostgreSQL: the files
// it writes, a few numbers worked out by hand, and its errors.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/db/experiment_seed.hpp"
#include "tests/measurement/report_numbers.hpp"

namespace headroom::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// 20 treatment and 20 holdout accounts (by the assignment hash) over the two
// weeks [2026-03-02, 2026-03-16). Every 4th treatment account and every 2nd
// holdout account is overdrawn on 03-03 and 03-04 (week one) and pays a
// 35.00 overdraft fee; all are scored on 03-02 and 03-09, and (unless
// `deliver` is false) every treatment account's 03-02 nudge is delivered.
// Incidence: treatment 5 / 40 account-weeks, holdout 10 / 40.
class ReportCommand : public MigratedDatabase {
 protected:
  void seed(bool deliver = true) {
    seed_policy(*conn_);
    const auto treatment = ids_in_arm(false, 20);
    const auto holdout = ids_in_arm(true, 20);
    std::vector<SeedTxn> rows;
    const auto account = [&](const std::string& id, bool overdrawn, const std::string& arm) {
      rows.push_back({id, "2025-12-01", "400.00", "400.00", "PAYROLL ACME", "deposit"});
      if (overdrawn) {
        rows.push_back({id, "2026-03-03", "-450.00", "-50.00", "LANDLORD RENT", ""});
        rows.push_back({id, "2026-03-03", "-35.00", "-85.00", "OVERDRAFT FEE", "fee"});
        rows.push_back({id, "2026-03-05", "400.00", "315.00", "PAYROLL ACME", "deposit"});
      }
      // Every account live to the period's end (one silent through its last
      // 28 days would be taken as closed): a small card payment.
      rows.push_back({id, "2026-03-13", "-1.00", overdrawn ? "314.00" : "399.00", "CARD COFFEE", ""});
      for (const char* day : {"2026-03-02", "2026-03-09"}) {
        const long long decision =
            seed_decision(*conn_, id, arm, arm == "holdout" ? "holdout" : "send", day, overdrawn ? 0.8 : 0.1);
        if (deliver && arm == "treatment" && std::string(day) == "2026-03-02") seed_delivery(*conn_, decision, "seen");
      }
    };
    for (std::size_t i = 0; i < treatment.size(); ++i) account(treatment[i], i % 4 == 0, "treatment");
    for (std::size_t i = 0; i < holdout.size(); ++i) account(holdout[i], i % 2 == 0, "holdout");
    seed_transactions(*conn_, rows);
  }
  CommandResult report(const std::string& args) {
    return run_command("env HEADROOM_DATABASE_URL=" + shell_quote(db_.url()) + " " + shell_quote(HEADROOM_BINARY) +
                       " report " + args);
  }
};

TEST_F(ReportCommand, WritesThePageTheJsonAndEveryCsvWithTheHandWorkedNumbers) {
  seed();
  const auto out = dir_.path() / "report";
  const auto r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Half the holdout's incidence, but with 20 accounts an arm the interval
  // includes no effect (p = 0.10): the headline says so instead of claiming it.
  const std::string expected_headline = "Inconclusive: overdraft incidence changed by -50% with nudges";
  EXPECT_THAT(r.output, HasSubstr(expected_headline));
  EXPECT_THAT(r.output, HasSubstr("wrote " + out.string()));

  for (const char* f : {"index.html", "report.json", "effects.csv", "segments.csv", "variants.csv",
                        "variant_pairs.csv", "weekly.csv", "funnel.csv", "calibration.csv", "accounts.csv"})
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  const auto j = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(j["experiment"], "exp-a");
  EXPECT_EQ(j["sample_ratio"]["treatment"], 20);
  EXPECT_EQ(j["sample_ratio"]["holdout"], 20);
  EXPECT_DOUBLE_EQ(j["sample_ratio"]["expected_holdout_share"].get<double>(), 0.5);
  ASSERT_GE(j["effects"].size(), 3u);
  EXPECT_EQ(j["effects"][0]["metric"], "overdraft_incidence");
  EXPECT_DOUBLE_EQ(j["effects"][0]["treatment"].get<double>(), 5.0 / 40.0);
  EXPECT_DOUBLE_EQ(j["effects"][0]["holdout"].get<double>(), 10.0 / 40.0);
  EXPECT_DOUBLE_EQ(j["effects"][0]["relative"].get<double>(), -0.5);
  EXPECT_EQ(j["effects"][2]["metric"], "overdraft_fees");
  EXPECT_DOUBLE_EQ(j["effects"][2]["treatment"].get<double>(), 5 * 3500.0 / 20);
  EXPECT_DOUBLE_EQ(j["effects"][2]["holdout"].get<double>(), 10 * 3500.0 / 20);
  ASSERT_EQ(j["weekly"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["weekly"][0]["treatment"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["weekly"][1]["holdout"].get<double>(), 0.0);

  const std::string accounts = read(out / "accounts.csv");
  EXPECT_EQ(line_count(accounts), 41u);
  EXPECT_THAT(accounts, ::testing::Not(HasSubstr("@")));
  EXPECT_EQ(line_count(read(out / "weekly.csv")), 3u);
  EXPECT_EQ(line_count(read(out / "effects.csv")), 1 + j["effects"].size());
  // Intention to treat: the policy's one variant for every treatment account, decided or not.
  ASSERT_EQ(j["variants"].size(), 1u);
  EXPECT_EQ(j["variants"][0]["variant"], "gentle");
  EXPECT_EQ(j["variants"][0]["accounts"], 20);
  EXPECT_EQ(j["variant_correction"]["comparisons"], 1);

  const std::string html = read(out / "index.html");
  EXPECT_THAT(html, HasSubstr(expected_headline));
  EXPECT_EQ(j["primary"]["verdict"], "inconclusive");
  EXPECT_GE(j["effects"][0]["relative_ci"]["low"].get<double>(), -1.0);
  EXPECT_THAT(measurement::testing::numbers_missing_from_json(html, j), IsEmpty());
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  return out;
}

// The same rows without a single delivered nudge: the arms differ by chance
// (or imbalance), and the headline says nothing was sent.
TEST_F(ReportCommand, SaysNoNudgesWereSentWhenNoneWereDelivered) {
  seed(false);
  const auto out = dir_.path() / "unsent";
  const auto r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("No nudges were sent in this period, so it cannot show an effect of nudges: "
                                  "overdraft incidence was 12.5% in the treatment arm and 25% in the holdout."));
  const auto j = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(j["primary"]["verdict"], "no_nudges_sent");
  EXPECT_THAT(read(out / "index.html"), HasSubstr("data-verdict=\"no_nudges_sent\""));
}

// The column `name` of accounts.csv (no field of which holds a comma), summed over its rows.
long csv_column_sum(const std::string& csv, const std::string& name) {
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  const auto header = csv_fields(line);
  const auto column = static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  long sum = 0;
  while (std::getline(lines, line)) sum += std::stol(csv_fields(line).at(column));
  return sum;
}

// --from a week into the experiment: the overdrafts of 03-03/04 happened
// after the first decision (03-02), so they are in neither the outcome nor
// CUPED's covariate, which is still the eight weeks before 03-02.
TEST_F(ReportCommand, AFromInsideTheExperimentKeepsCupedsCovariateBeforeItsStart) {
  seed();
  const auto out = dir_.path() / "late";
  const auto r = report("--experiment exp-a --from 2026-03-09 --to 2026-03-16 --horizon 3 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(j["from"], "2026-03-09");
  EXPECT_EQ(j["cuped"]["experiment_start"], "2026-03-02");
  EXPECT_EQ(j["cuped"]["from"], "2026-01-05");
  EXPECT_EQ(j["cuped"]["to"], "2026-03-02");
  EXPECT_EQ(j["cuped"]["before_start"], true);
  EXPECT_EQ(j["cuped"]["accounts_short"], 0);
  EXPECT_EQ(j["primary"]["analysis"], "cuped");
  const std::string accounts = read(out / "accounts.csv");
  EXPECT_EQ(csv_column_sum(accounts, "pre_overdraft_days"), 0) << "nudged days were read as pre-period";
  EXPECT_EQ(csv_column_sum(accounts, "pre_weeks"), 40 * 8);
  for (const auto& c : j["caveats"]) EXPECT_THAT(c.get<std::string>(), ::testing::Not(HasSubstr("CUPED")));
}

// The whole pipeline: simulated transactions, the daemon's own cycles (its
// decision rows for the shipped policy, 10% holdout), then the report.
TEST_F(ReportCommand, ReportsOnWhatTheDaemonWrote) {
  const std::string env = "env HEADROOM_DATABASE_URL=" + shell_quote(db_.url()) + " ";
  const auto sim = run_command(env + shell_quote(HEADROOM_BINARY) +
                               " simulate --accounts 300 --days 200 --start 2025-09-01 --db --threads 1");
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  for (const char* day : {"2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"}) {
    const auto run = run_command(env + shell_quote(HEADROOM_BINARY) + " run --once --as-of " + day);
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  const auto out = dir_.path() / "pipeline";
  const auto r = report("--experiment default --to 2026-03-02 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(j["from"], "2026-01-05");
  EXPECT_EQ(j["sample_ratio"]["treatment"].get<long long>(),
            count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions WHERE arm = 'treatment'"));
  EXPECT_EQ(j["sample_ratio"]["holdout"].get<long long>(),
            count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions WHERE arm = 'holdout'"));
  EXPECT_EQ(line_count(read(out / "accounts.csv")),
            1 + static_cast<std::size_t>(count("SELECT count(DISTINCT account_id) FROM headroom.nudge_decisions")));
  // The daemon's arms are the assignment hash's: no disagreement caveat.
  for (const auto& c : j["caveats"]) EXPECT_THAT(c.get<std::string>(), ::testing::Not(HasSubstr("assignment hash")));
  EXPECT_GT(j["forecast_health"]["forecasts"].get<long long>(), 0);
  // Past days run with --once --as-of are replays, and the report says so.
  EXPECT_EQ(j["clocks"], nlohmann::json::array({"replay"}));
  const std::string html = read(out / "index.html");
  EXPECT_THAT(html, HasSubstr("in a replay of past days"));
  EXPECT_THAT(measurement::testing::numbers_missing_from_json(html, j), IsEmpty());
}

// Cycles of the period on different clocks: the report names them and warns
// that the period mixes real deliveries with replayed or simulated ones. A
// period without cycles says none was recorded.
TEST_F(ReportCommand, StatesWhichClockThePeriodsCyclesRanOn) {
  seed();
  const auto without = dir_.path() / "without";
  auto r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + without.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(read(without / "report.json"))["clocks"], nlohmann::json::array());
  EXPECT_THAT(read(without / "index.html"), HasSubstr("No scoring cycle of this period was recorded."));

  {
    pqxx::work tx{*conn_};
    tx.exec(
        "INSERT INTO headroom.scoring_cycles (as_of, chunks, accounts, clock) VALUES "
        "('2026-03-02', 0, 0, 'wall'), ('2026-03-09', 0, 0, 'simulated'), ('2026-03-20', 0, 0, 'replay')");
    tx.commit();
  }
  const auto mixed = dir_.path() / "mixed";
  r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + mixed.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read(mixed / "report.json"));
  EXPECT_EQ(j["clocks"], nlohmann::json::array({"simulated", "wall"})) << "a cycle after --to was counted";
  EXPECT_THAT(j["caveats"].dump(), HasSubstr("different clocks (simulated, wall)"));
  EXPECT_THAT(read(mixed / "index.html"), HasSubstr("ran on different clocks (simulated, wall)"));
}

// A holdout account nudged by another experiment's policy is not untreated:
// the report counts such nudges and says so.
TEST_F(ReportCommand, NudgesToTheHoldoutFromOtherExperimentsAreACaveat) {
  seed();
  const auto out = dir_.path() / "clean";
  auto r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(read(out / "report.json"), ::testing::Not(HasSubstr("other experiments")));

  const std::string held = ids_in_arm(true, 1).front();
  const std::string treated = ids_in_arm(false, 1).front();
  for (const std::string& id : {held, treated}) {
    const long long d = seed_decision(*conn_, id, "treatment", "send", "2026-03-05", 0.8, "in_app", 0, "payday-gap");
    seed_delivery(*conn_, d, "available");
  }
  const auto exposed = dir_.path() / "exposed";
  r = report("--experiment exp-a --from 2026-03-02 --to 2026-03-16 --horizon 3 --out " + exposed.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(nlohmann::json::parse(read(exposed / "report.json"))["caveats"].dump(),
              HasSubstr("1 holdout accounts received 1 nudges from policies of other experiments ('payday-gap')"));
}

TEST_F(ReportCommand, DefaultPeriodIsTheDecisionsSpan) {
  seed();
  const auto out = dir_.path() / "r";
  const auto r = report("--experiment exp-a --horizon 3 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(j["from"], "2026-03-02");
  EXPECT_EQ(j["to"], "2026-03-10");
}

TEST_F(ReportCommand, UnknownExperimentFailsAndListsTheKnownOnes) {
  seed();
  const auto r = report("--experiment nope --out " + (dir_.path() / "x").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("unknown experiment 'nope'"));
  EXPECT_THAT(r.output, HasSubstr("Known experiments: default, exp-a"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "x" / "index.html"));
}

TEST_F(ReportCommand, UsageErrorsExitTwoAndNameTheFlag) {
  const auto no_out = report("--experiment exp-a");
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_THAT(no_out.output, HasSubstr("--out"));
  const auto bad_date = report("--experiment exp-a --out /tmp/x --from 2026-13-01");
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_THAT(bad_date.output, HasSubstr("--from: expected a date YYYY-MM-DD, got '2026-13-01'"));
  const auto backwards = report("--experiment exp-a --out /tmp/x --from 2026-03-09 --to 2026-03-02");
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_THAT(backwards.output, HasSubstr("--to 2026-03-02 must be after --from 2026-03-09"));
}

}  // namespace
}  // namespace headroom::testing
