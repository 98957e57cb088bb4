// The incremental path's settings ([incremental] in the TOML file,
// HEADROOM_LISTEN, HEADROOM_POLL_INTERVAL_SECONDS): defaults, precedence and
// the usage errors.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "cli/config.hpp"

using namespace headroom;
using namespace std::chrono_literals;

namespace {

std::string write_config(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

// Sets a variable for the test's lifetime and restores the absence after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

std::string usage_error(const std::string& path) {
  try {
    cli::load_config(path);
  } catch (const cli::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PollConfig, ListeningIsOnAndPollingOffByDefault) {
  const cli::Config config = cli::load_config("");
  EXPECT_TRUE(config.incremental.listen);
  EXPECT_EQ(config.incremental.poll_interval, 0s);
}

TEST(PollConfig, TheFileSetsBothAndTheEnvironmentWins) {
  const std::string path = write_config("poll-ok", "[incremental]\nlisten = false\npoll_interval_seconds = 30\n");
  {
    const cli::Config config = cli::load_config(path);
    EXPECT_FALSE(config.incremental.listen);
    EXPECT_EQ(config.incremental.poll_interval, 30s);
  }
  {
    ScopedEnv listen("HEADROOM_LISTEN", "1");
    ScopedEnv poll("HEADROOM_POLL_INTERVAL_SECONDS", "5");
    const cli::Config config = cli::load_config(path);
    EXPECT_TRUE(config.incremental.listen);
    EXPECT_EQ(config.incremental.poll_interval, 5s);
  }
  std::filesystem::remove(path);
}

TEST(PollConfig, OutOfRangeOrMistypedValuesAreUsageErrorsNamingTheKey) {
  const std::string negative = write_config("poll-neg", "[incremental]\npoll_interval_seconds = -1\n");
  EXPECT_NE(usage_error(negative).find("[incremental] poll_interval_seconds: expected whole seconds 0-86400"),
            std::string::npos)
      << usage_error(negative);
  std::filesystem::remove(negative);
  const std::string typo = write_config("poll-typo", "[incremental]\npoll_interval = 5\n");
  EXPECT_NE(usage_error(typo).find("[incremental] poll_interval: unknown key"), std::string::npos) << usage_error(typo);
  std::filesystem::remove(typo);
  {
    ScopedEnv poll("HEADROOM_POLL_INTERVAL_SECONDS", "5s");
    EXPECT_NE(usage_error("").find("HEADROOM_POLL_INTERVAL_SECONDS: expected whole seconds"), std::string::npos);
  }
  {
    ScopedEnv poll("HEADROOM_POLL_INTERVAL_SECONDS", "86401");
    EXPECT_NE(usage_error("").find("HEADROOM_POLL_INTERVAL_SECONDS: expected whole seconds"), std::string::npos);
  }
  {
    ScopedEnv listen("HEADROOM_LISTEN", "maybe");
    EXPECT_NE(usage_error("").find("HEADROOM_LISTEN: expected 1/0"), std::string::npos);
  }
}
