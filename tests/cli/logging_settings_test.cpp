// HEADROOM_LOG_LEVEL and HEADROOM_LOG_FORMAT: the accepted names and the
// usage error for anything else (spdlog alone would turn a typo into "off").
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "cli/config.hpp"
#include "cli/logging.hpp"

namespace headroom::cli {
namespace {

struct LogEnv : ::testing::Test {
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    ::unsetenv("HEADROOM_LOG_LEVEL");
    ::unsetenv("HEADROOM_LOG_FORMAT");
  }
  static std::string usage_error() {
    try {
      load_log_settings();
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
};

TEST(LogLevelNames, EveryDocumentedNameIsAcceptedInAnyCase) {
  const struct {
    const char* text;
    LogLevel level;
  } cases[] = {
      {"trace", LogLevel::trace}, {"debug", LogLevel::debug},     {"info", LogLevel::info},
      {"INFO", LogLevel::info},   {"Warn", LogLevel::warn},       {"warning", LogLevel::warn},
      {"error", LogLevel::error}, {"critical", LogLevel::critical}, {"OFF", LogLevel::off},
      {"err", LogLevel::error},  // spdlog's own spelling, which worked before names were checked
  };
  for (const auto& c : cases) {
    LogLevel level = LogLevel::trace;
    EXPECT_TRUE(parse_log_level(c.text, level)) << c.text;
    EXPECT_EQ(level, c.level) << c.text;
  }
}

TEST(LogLevelNames, TyposAreRefused) {
  for (const char* text : {"warnings", "verbose", "inf", " info", "0", ""}) {
    LogLevel level = LogLevel::info;
    EXPECT_FALSE(parse_log_level(text, level)) << text;
  }
}

TEST(LogFormatNames, TextAndJsonInAnyCase) {
  LogFormat format = LogFormat::text;
  EXPECT_TRUE(parse_log_format("JSON", format));
  EXPECT_EQ(format, LogFormat::json);
  EXPECT_TRUE(parse_log_format("text", format));
  EXPECT_EQ(format, LogFormat::text);
  EXPECT_FALSE(parse_log_format("logfmt", format));
}

TEST_F(LogEnv, UnsetOrEmptyMeansTextAtInfo) {
  LogSettings s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::text);
  EXPECT_EQ(s.level, LogLevel::info);
  ::setenv("HEADROOM_LOG_LEVEL", "", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "", 1);
  s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::text);
  EXPECT_EQ(s.level, LogLevel::info);
}

TEST_F(LogEnv, ReadsBothVariables) {
  ::setenv("HEADROOM_LOG_LEVEL", "DEBUG", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "json", 1);
  const LogSettings s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::json);
  EXPECT_EQ(s.level, LogLevel::debug);
}

TEST_F(LogEnv, TheConfigHoldsTheSameLoggingSettingsMainApplied) {
  ::setenv("HEADROOM_LOG_LEVEL", "warn", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "json", 1);
  const Config config = load_config("");
  EXPECT_EQ(config.logging.format, LogFormat::json);
  EXPECT_EQ(config.logging.level, LogLevel::warn);
}

TEST_F(LogEnv, AnUnknownLevelIsAUsageErrorListingTheNames) {
  ::setenv("HEADROOM_LOG_LEVEL", "verbose", 1);
  EXPECT_EQ(usage_error(),
            "HEADROOM_LOG_LEVEL: expected one of trace, debug, info, warn, error, critical, off; got 'verbose'");
}

TEST_F(LogEnv, AnUnknownFormatIsAUsageErrorRatherThanText) {
  ::setenv("HEADROOM_LOG_FORMAT", "yaml", 1);
  EXPECT_EQ(usage_error(), "HEADROOM_LOG_FORMAT: expected text or json; got 'yaml'");
}

}  // namespace
}  // namespace headroom::cli
