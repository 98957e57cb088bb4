#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {
namespace {

// Each test sets the variables it needs and clears the rest.
struct SmtpEnv : ::testing::Test {
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* v : {"HEADROOM_CONFIG", "HEADROOM_SMTP_URL", "HEADROOM_SMTP_USER", "HEADROOM_SMTP_PASSWORD",
                          "HEADROOM_SMTP_PASSWORD_FILE", "HEADROOM_SMTP_FROM", "HEADROOM_SMTP_ALLOW_INSECURE",
                          "HEADROOM_SMTP_RETRY_DEADLINE_SECONDS", "HEADROOM_UNSUBSCRIBE_SECRET",
                          "HEADROOM_UNSUBSCRIBE_SECRET_FILE", "HEADROOM_BANK_UNSUBSCRIBE_URL"}) {
      ::unsetenv(v);
    }
    // The email channel needs an unsubscribe link; most tests are not about it.
    ::setenv("HEADROOM_UNSUBSCRIBE_SECRET", "smtp-settings-test", 1);
  }
};

std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no usage error)";
}

// The SMTP settings as `run` and `experiment` read them.
SmtpSettings smtp_settings() { return load_config("", ConfigAreas{.smtp = true, .smtp_retry_deadline = true}).smtp; }

TEST_F(SmtpEnv, DefaultsToNoUrlAndTheLocalhostSender) {
  const SmtpSettings s = smtp_settings();
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
  const SmtpSettings s = smtp_settings();
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
  EXPECT_EQ(smtp_settings().password, "s3cret");
  std::filesystem::remove(path);
}

TEST_F(SmtpEnv, RejectsBadValuesNamingTheVariable) {
  ::setenv("HEADROOM_SMTP_URL", "http://mail", 1);
  EXPECT_THROW(smtp_settings(), UsageError);
  ::setenv("HEADROOM_SMTP_URL", "smtp://mail:25", 1);
  ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", "maybe", 1);
  try {
    smtp_settings();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("HEADROOM_SMTP_ALLOW_INSECURE"), std::string::npos);
  }
  ::unsetenv("HEADROOM_SMTP_ALLOW_INSECURE");
  ::setenv("HEADROOM_SMTP_PASSWORD", "a", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD_FILE", "/nonexistent", 1);
  EXPECT_THROW(smtp_settings(), UsageError);
}

TEST_F(SmtpEnv, AllowInsecureTakesTheSameSpellingsAsEveryOtherSwitch) {
  for (const char* yes : {"1", "true", "yes", "on"}) {
    ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", yes, 1);
    EXPECT_TRUE(smtp_settings().allow_insecure) << yes;
  }
  for (const char* no : {"0", "false", "no", "off", ""}) {
    ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", no, 1);
    EXPECT_FALSE(smtp_settings().allow_insecure) << no;
  }
  ::setenv("HEADROOM_SMTP_ALLOW_INSECURE", "2", 1);
  try {
    smtp_settings();
    FAIL() << "'2' must be refused";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "HEADROOM_SMTP_ALLOW_INSECURE: expected 1/0 or true/false, got '2'");
  }
}

TEST_F(SmtpEnv, APasswordInTheUrlIsRefusedWithoutEchoingIt) {
  for (const char* url : {"smtp://headroom:hunter2@mail.bank.example:587", "smtps://u:hunter2@mail.bank.example"}) {
    ::setenv("HEADROOM_SMTP_URL", url, 1);
    const std::string message = usage_error_of([] { smtp_settings(); });
    EXPECT_EQ(message, "HEADROOM_SMTP_URL: the URL holds a password; move it to HEADROOM_SMTP_PASSWORD or "
                       "HEADROOM_SMTP_PASSWORD_FILE (and the user to HEADROOM_SMTP_USER)")
        << url;
    EXPECT_EQ(message.find("hunter2"), std::string::npos);
  }
}

// RFC 8058: with the email channel on, every email needs a working link, made
// by Headroom (the secret) or the bank's own page, never both or neither.
TEST_F(SmtpEnv, TheEmailChannelRefusesToStartWithoutAnUnsubscribeLink) {
  ::setenv("HEADROOM_SMTP_URL", "smtp://mail.bank.example:587", 1);
  ::unsetenv("HEADROOM_UNSUBSCRIBE_SECRET");
  EXPECT_THAT(usage_error_of([] { smtp_settings(); }),
              ::testing::StartsWith("HEADROOM_SMTP_URL turns the email channel on, and every email must carry a "
                                    "working unsubscribe link: set HEADROOM_UNSUBSCRIBE_SECRET"));
  ::setenv("HEADROOM_BANK_UNSUBSCRIBE_URL", "https://bank.example/settings/email?one-click=1", 1);
  EXPECT_EQ(load_config("", ConfigAreas{.smtp = true}).http.bank_unsubscribe_url,
            "https://bank.example/settings/email?one-click=1");
  ::setenv("HEADROOM_UNSUBSCRIBE_SECRET", "s", 1);
  EXPECT_THAT(usage_error_of([] { smtp_settings(); }), ::testing::StartsWith("set only one of"));
  ::unsetenv("HEADROOM_UNSUBSCRIBE_SECRET");
  for (const char* bad : {"ftp://bank.example/u", "https://bank.example/a b", "bank.example/u", "https://x/<y>"}) {
    ::setenv("HEADROOM_BANK_UNSUBSCRIBE_URL", bad, 1);
    EXPECT_THAT(usage_error_of([] { smtp_settings(); }), ::testing::StartsWith("HEADROOM_BANK_UNSUBSCRIBE_URL: "))
        << bad;
  }
  // Email off: nothing about unsubscribe links is required.
  ::unsetenv("HEADROOM_SMTP_URL");
  ::unsetenv("HEADROOM_BANK_UNSUBSCRIBE_URL");
  EXPECT_NO_THROW(smtp_settings());
}

TEST_F(SmtpEnv, APasswordInBothTheVariableAndTheFileIsRefusedWithoutEchoingIt) {
  ::setenv("HEADROOM_SMTP_PASSWORD", "hunter2", 1);
  ::setenv("HEADROOM_SMTP_PASSWORD_FILE", "/etc/hostname", 1);
  try {
    smtp_settings();
    FAIL() << "both set must be refused";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "set only one of HEADROOM_SMTP_PASSWORD and HEADROOM_SMTP_PASSWORD_FILE");
  }
}

TEST_F(SmtpEnv, TheRetryDeadlineIsADayUnlessSetInWholeSecondsUpToThirtyDays) {
  EXPECT_EQ(smtp_settings().retry_deadline, std::chrono::seconds(86'400));
  ::setenv("HEADROOM_SMTP_RETRY_DEADLINE_SECONDS", "2592000", 1);
  EXPECT_EQ(smtp_settings().retry_deadline, std::chrono::seconds(2'592'000));
  const struct {
    const char* text;
    const char* message;
  } refused[] = {
      {"1d", "HEADROOM_SMTP_RETRY_DEADLINE_SECONDS: expected whole seconds 1-2592000 (30 days), got '1d'"},
      {"0", "HEADROOM_SMTP_RETRY_DEADLINE_SECONDS: expected whole seconds 1-2592000 (30 days), got 0"},
      {"2592001", "HEADROOM_SMTP_RETRY_DEADLINE_SECONDS: expected whole seconds 1-2592000 (30 days), got 2592001"},
  };
  for (const auto& r : refused) {
    ::setenv("HEADROOM_SMTP_RETRY_DEADLINE_SECONDS", r.text, 1);
    try {
      smtp_settings();
      ADD_FAILURE() << r.text << " must be refused";
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), r.message);
    }
  }
}

// `migrate` and the other database verbs load the Config without SMTP, and
// `experiment` without the retry deadline: a bad value there stops only the
// verbs that use it.
TEST_F(SmtpEnv, OnlyTheVerbsThatAskForSmtpSettingsReadThem) {
  ::setenv("HEADROOM_SMTP_URL", "http://mail.bank.example", 1);
  ::setenv("HEADROOM_SMTP_RETRY_DEADLINE_SECONDS", "1d", 1);
  const Config config = load_config("");
  EXPECT_EQ(config.smtp.url, "");
  EXPECT_EQ(config.smtp.retry_deadline, std::chrono::seconds(86'400));
  ::setenv("HEADROOM_SMTP_URL", "smtp://mail.bank.example:587", 1);
  EXPECT_EQ(load_config("", ConfigAreas{.smtp = true}).smtp.url, "smtp://mail.bank.example:587");
  EXPECT_THROW(load_config("", ConfigAreas{.smtp = true, .smtp_retry_deadline = true}), UsageError);
}

TEST_F(SmtpEnv, TheMailerGetsEverySmtpSetting) {
  SmtpSettings s;
  s.url = "smtps://mail.bank.example:465";
  s.user = "headroom";
  s.password = "pw";
  s.from = "alerts@bank.example";
  s.allow_insecure = true;
  const edge::SmtpSettings m = mailer_settings(s);
  EXPECT_EQ(m.url, s.url);
  EXPECT_EQ(m.user, s.user);
  EXPECT_EQ(m.password, s.password);
  EXPECT_EQ(m.from, s.from);
  EXPECT_TRUE(m.allow_insecure);
  EXPECT_EQ(SmtpSettings{}.from, edge::SmtpSettings{}.from);
}

}  // namespace
}  // namespace headroom::cli
