// Nudge policies in the configuration file: validated when the file is read,
// errors naming the file, the line and the field.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "cli/config.hpp"
#include "tests/support/child_process.hpp"

using namespace headroom;

namespace {

std::string write_config(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST(ConfigPolicies, PoliciesTablesAreReadNextToTheOtherAreas) {
  const std::string path = write_config("policies-ok",
                                        "[http]\nport = 9000\n\n"
                                        "[[policies]]\nname = \"payday-gap\"\nrisk_threshold = 0.3\n"
                                        "lead_time_days = { min = 2, max = 7 }\nexperiment = \"gap-q3\"\n\n"
                                        "[[policies]]\nname = \"shadow-early\"\nshadow = true\n");
  const cli::Config config = cli::load_config(path);
  std::filesystem::remove(path);
  EXPECT_EQ(config.http.port, 9000);
  ASSERT_EQ(config.policies.size(), 2u);
  EXPECT_EQ(config.policies[0].name, "payday-gap");
  EXPECT_DOUBLE_EQ(config.policies[0].risk_threshold, 0.3);
  EXPECT_EQ(config.policies[0].lead_time_max_days, 7);
  EXPECT_EQ(config.policies[0].experiment, "gap-q3");
  EXPECT_TRUE(config.policies[1].shadow);
}

TEST(ConfigPolicies, AFileWithoutPoliciesLeavesTheTableInCharge) {
  const std::string path = write_config("policies-none", "[http]\nport = 9001\n");
  const cli::Config config = cli::load_config(path);
  std::filesystem::remove(path);
  EXPECT_TRUE(config.policies.empty());
}

TEST(ConfigPolicies, ABadFieldIsAUsageErrorNamingTheFileLineAndField) {
  const std::string path = write_config("policies-bad",
                                        "[[policies]]\nname = \"ok\"\n\n"
                                        "[[policies]]\nname = \"typo\"\nrisk_treshold = 0.3\n");
  try {
    cli::load_config(path);
    FAIL() << "a misspelt key must be refused";
  } catch (const cli::UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ":4"), std::string::npos) << message;
    EXPECT_NE(message.find("risk_treshold"), std::string::npos) << message;
  }
  std::filesystem::remove(path);
}

TEST(RunSettings, ABadRetryDeadlineIsAUsageErrorBeforeTheDatabaseIsTouched) {
  const auto log = std::filesystem::temp_directory_path() / ("retry-deadline-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  headroom::testing::ChildProcess run{{HEADROOM_BINARY, "run", "--once"},
                                      {"HEADROOM_SMTP_RETRY_DEADLINE_SECONDS=1d", "HEADROOM_DATABASE_URL=host=/nonexistent"},
                                      log.string()};
  EXPECT_EQ(run.wait_exit(std::chrono::seconds(60)), 2);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("HEADROOM_SMTP_RETRY_DEADLINE_SECONDS"), std::string::npos) << text;
  std::filesystem::remove(log);
}
