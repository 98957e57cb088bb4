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
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},     {"info", LogLevel::kInfo},
      {"INFO", LogLevel::kInfo},   {"Warn", LogLevel::kWarn},       {"warning", LogLevel::kWarn},
      {"error", LogLevel::kError}, {"critical", LogLevel::kCritical}, {"OFF", LogLevel::kOff},
      {"err", LogLevel::kError},  // spdlog's own spelling, which worked before names were checked
  };
  for (const auto& c : cases) {
    LogLevel level = LogLevel::kTrace;
    EXPECT_TRUE(parse_log_level(c.text, level)) << c.text;
    EXPECT_EQ(level, c.level) << c.text;
  }
}

TEST(LogLevelNames, TyposAreRefused) {
  for (const char* text : {"warnings", "verbose", "inf", " info", "0", ""}) {
    LogLevel level = LogLevel::kInfo;
    EXPECT_FALSE(parse_log_level(text, level)) << text;
  }
}

TEST(LogFormatNames, TextAndJsonInAnyCase) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(parse_log_format("JSON", format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(parse_log_format("text", format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(parse_log_format("logfmt", format));
}

TEST_F(LogEnv, UnsetOrEmptyMeansTextAtInfo) {
  LogSettings s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::kText);
  EXPECT_EQ(s.level, LogLevel::kInfo);
  ::setenv("HEADROOM_LOG_LEVEL", "", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "", 1);
  s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::kText);
  EXPECT_EQ(s.level, LogLevel::kInfo);
}

TEST_F(LogEnv, ReadsBothVariables) {
  ::setenv("HEADROOM_LOG_LEVEL", "DEBUG", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "json", 1);
  const LogSettings s = load_log_settings();
  EXPECT_EQ(s.format, LogFormat::kJson);
  EXPECT_EQ(s.level, LogLevel::kDebug);
}

TEST_F(LogEnv, TheConfigHoldsTheSameLoggingSettingsMainApplied) {
  ::setenv("HEADROOM_LOG_LEVEL", "warn", 1);
  ::setenv("HEADROOM_LOG_FORMAT", "json", 1);
  const Config config = load_config("");
  EXPECT_EQ(config.logging.format, LogFormat::kJson);
  EXPECT_EQ(config.logging.level, LogLevel::kWarn);
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
