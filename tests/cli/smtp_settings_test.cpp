#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/config.hpp"

namespace headroom::cli {
namespace {

// Each test sets the variables it needs and clears the rest.
struct SmtpEnv : ::testing::Test {
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* v : {"HEADROOM_SMTP_URL", "HEADROOM_SMTP_USER", "HEADROOM_SMTP_PASSWORD",
                          "HEADROOM_SMTP_PASSWORD_FILE", "HEADROOM_SMTP_FROM", "HEADROOM_SMTP_ALLOW_INSECURE"}) {
      ::unsetenv(v);
    }
  }
};

TEST_F(SmtpEnv, DefaultsToNoUrlAndTheLocalhostSender) {
  const edge::SmtpSettings s = smtp_settings_from_env();
  EXPECT_EQ(s.url, "");
  EXPECT_EQ(s.from, "headroom@localhost");
  EXPECT_FALSE(s.allow_insecure);
}

TEST_F(SmtpEnv, ReadsEveryVariable) {
  ::setenv("HEADROOM_SMTP_URL", "smtps://mail.bank.example:465", 1);
  ::setenv("HEADROOM_SMTP_USER", "headroom", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD", "pw", 1);
  ::setenv("HEADROOM_SMTP_FROM", "alerts@bank.example", 1);
  ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", "1", 1);
  const edge::SmtpSettings s = smtp_settings_from_env();
  EXPECT_EQ(s.url, "smtps://mail.bank.example:465");
  EXPECT_EQ(s.user, "headroom");
  EXPECT_EQ(s.password, "pw");
  EXPECT_EQ(s.from, "alerts@bank.example");
  EXPECT_TRUE(s.allow_insecure);
}

TEST_F(SmtpEnv, ReadsThePasswordFromAFileWithoutTheTrailingNewline) {
  const auto path = std::filesystem::temp_directory_path() / ("headroom-pw-" + std::to_string(::getpid()));
  std::ofstream(path) << "s3cret\n";
  ::setenv("HEADROOM_SMTP_URL", "smtp://mail.bank.example:587", 1);
  ::setenv("HEADROOM_SMTP_USER", "headroom", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD_FILE", path.c_str(), 1);
  EXPECT_EQ(smtp_settings_from_env().password, "s3cret");
  std::filesystem::remove(path);
}

TEST_F(SmtpEnv, RejectsBadValuesNamingTheVariable) {
  ::setenv("HEADROOM_SMTP_URL", "http://mail", 1);
  EXPECT_THROW(smtp_settings_from_env(), std::invalid_argument);
  ::setenv("HEADROOM_SMTP_URL", "smtp://mail:25", 1);
  ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", "maybe", 1);
  try {
    smtp_settings_from_env();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("HEADROOM_SMTP_ALLOW_INSECURE"), std::string::npos);
  }
  ::unsetenv("HEADROOM_SMTP_ALLOW_INSECURE");
  ::setenv("HEADROOM_SMTP_PASSWORD", "a", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD_FILE", "/nonexistent", 1);
  EXPECT_THROW(smtp_settings_from_env(), std::invalid_argument);
}

TEST_F(SmtpEnv, AllowInsecureTakesTheSameSpellingsAsEveryOtherSwitch) {
  for (const char* yes : {"1", "true", "yes", "on"}) {
    ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", yes, 1);
    EXPECT_TRUE(smtp_settings_from_env().allow_insecure) << yes;
  }
  for (const char* no : {"0", "false", "no", "off", ""}) {
    ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", no, 1);
    EXPECT_FALSE(smtp_settings_from_env().allow_insecure) << no;
  }
  ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", "2", 1);
  try {
    smtp_settings_from_env();
    FAIL() << "'2' must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "HEADROOM_SMTP_ALLOW_INSECURE: expected 1/0 or true/false, got '2'");
  }
}

TEST_F(SmtpEnv, APasswordInBothTheVariableAndTheFileIsRefusedWithoutEchoingIt) {
  ::setenv("HEADROOM_SMTP_PASSWORD", "hunter2", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD_FILE", "/etc/hostname", 1);
  try {
    smtp_settings_from_env();
    FAIL() << "both set must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "set only one of HEADROOM_SMTP_PASSWORD and HEADROOM_SMTP_PASSWORD_FILE");
  }
}

}  // namespace
}  // namespace headroom::cli
