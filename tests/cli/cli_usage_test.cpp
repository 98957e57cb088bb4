// The real binary on bad settings: a usage error exits 2 naming the setting
// before any database is reached; a server that cannot be reached exits 1
// saying what to check. The database URL points at a folder with no server,
// and the binary runs from /tmp with a clean environment, so nothing here
// can start an embedded cluster or reach a real database.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNoServer = "HEADROOM_DATABASE_URL='host=/nonexistent-dir dbname=x'";

using Result = headroom::testing::CommandResult;

// `env` is a shell-quoted list of VAR=value words.
Result headroom(const std::string& args, const std::string& env = kNoServer) {
  return headroom::testing::run_command("cd /tmp && env -i " + env + " '" + std::string(HEADROOM_BINARY) + "' " +
                                        args);
}

TEST(CliSettings, AnUnknownCommandIsNamedAndTheCommandsListed) {
  const Result r = headroom("bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("headroom: unknown command 'bogus' (commands: db, migrate, import, run,"));
  EXPECT_THAT(r.output, HasSubstr("experiment, report)"));
}

TEST(CliSettings, AnUnknownDbActionIsNamedWithTheActions) {
  const Result r = headroom("db bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("headroom: unknown command 'db bogus' (commands: start, stop, status, url)"));
}

TEST(CliSettings, AnUnexpectedOperandKeepsCliElevensMessage) {
  const Result r = headroom("migrate bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, Not(HasSubstr("unknown command")));
  EXPECT_THAT(r.output, HasSubstr("bogus"));
}

TEST(CliSettings, NoCommandAtAllIsStillAUsageError) { EXPECT_EQ(headroom("").exit_code, 2); }

TEST(CliSettings, AnUnknownLogLevelIsAUsageErrorNotSilence) {
  const Result r = headroom("db url", std::string(kNoServer) + " HEADROOM_LOG_LEVEL=verbose");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("headroom: HEADROOM_LOG_LEVEL: expected one of trace, debug, info, warn, error, "
                                  "critical, off; got 'verbose'"));
  EXPECT_EQ(headroom("db url", std::string(kNoServer) + " HEADROOM_LOG_LEVEL=INFO").exit_code, 0);
}

TEST(CliSettings, AnUnknownLogFormatIsAUsageError) {
  const Result r = headroom("db url", std::string(kNoServer) + " HEADROOM_LOG_FORMAT=yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("HEADROOM_LOG_FORMAT: expected text or json; got 'yaml'"));
}

TEST(CliSettings, AMissingConfigFileNamesTheVariable) {
  const Result r = headroom("db url", std::string(kNoServer) + " HEADROOM_CONFIG=/missing");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("headroom: HEADROOM_CONFIG: cannot read /missing: No such file or directory"));
  EXPECT_THAT(r.output, Not(HasSubstr(":0:")));
}

TEST(CliSettings, RunAsOfWithoutOnceIsAUsageErrorBeforeTheDatabase) {
  const Result r = headroom("run --as-of 2025-03-01");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--as-of applies to --once only"));
}

TEST(CliSettings, RunWithAMalformedAsOfIsAUsageErrorBeforeTheDatabase) {
  const Result r = headroom("run --once --as-of 2025-13-01");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--as-of: expected a date YYYY-MM-DD, got '2025-13-01'"));
}

TEST(CliSettings, RunWithBadSmtpSettingsIsAUsageErrorBeforeTheDatabase) {
  const Result r = headroom("run --once", std::string(kNoServer) + " HEADROOM_SMTP_URL=http://mail.bank.example");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("HEADROOM_SMTP_URL must start with smtp:// or smtps://"));
}

TEST(CliSettings, ExperimentWithBadSmtpSettingsIsAUsageErrorBeforeTheDatabase) {
  const Result r =
      headroom("experiment --reset", std::string(kNoServer) + " HEADROOM_SMTP_ALLOW_INSECURE=sometimes");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("HEADROOM_SMTP_ALLOW_INSECURE: expected 1/0 or true/false, got 'sometimes'"));
}

TEST(CliSettings, ExperimentWithAnUnwritableTruthPathIsAUsageErrorBeforeTheDatabase) {
  const Result r = headroom("experiment --reset --truth-out /nonexistent-dir/truth.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot write --truth-out /nonexistent-dir/truth.json: No such file or directory"));
}

TEST(CliSettings, AnUnreachableServerExitsOneSayingWhatToCheckWithoutPrintingTheUrl) {
  // The URL could hold secrets libpq accepts (e.g. sslpassword): it is never
  // echoed, which the distinctive database name shows.
  const Result r = headroom("migrate", "HEADROOM_DATABASE_URL='host=/nonexistent-dir dbname=ledger_x7q'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("/nonexistent-dir"));  // libpq's own reason is kept
  EXPECT_THAT(r.output, HasSubstr("Check HEADROOM_DATABASE_URL or [database] url in the config file, or unset both "
                                  "to use the embedded cluster"));
  EXPECT_THAT(r.output, Not(HasSubstr("ledger_x7q")));
}

TEST(CliSettings, APasswordInTheUrlVariableIsRefusedAndNotPrinted) {
  const Result r = headroom("db url", "HEADROOM_DATABASE_URL='postgresql://headroom:hunter2@db/headroom'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("HEADROOM_DATABASE_URL: the URL holds a password"));
  EXPECT_THAT(r.output, Not(HasSubstr("hunter2")));
}

TEST(CliSettings, ASecretInBothTheVariableAndItsFileIsAUsageError) {
  const Result r = headroom("db url", std::string(kNoServer) +
                                          " HEADROOM_API_TOKEN=t0ken HEADROOM_API_TOKEN_FILE=/etc/hostname");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("set only one of HEADROOM_API_TOKEN and HEADROOM_API_TOKEN_FILE"));
}

TEST(CliVersion, PrintsTheVersionAndCommitOfBuildInfoAndExitsZero) {
  const Result r = headroom("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::MatchesRegex("headroom [0-9.]+ \\(commit ([0-9a-f]+|unknown)\\)\n"));
}

}  // namespace
