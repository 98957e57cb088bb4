// load_config: the file's top-level names, where the file comes from, the
// database URL's password rule, secrets from a variable or its _FILE
// variant, and the unsubscribe link base.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "cli/config.hpp"
#include "cli/environment.hpp"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

// Every variable these tests set, cleared around each test.
constexpr const char* kVariables[] = {
    "HEADROOM_CONFIG",
    "HEADROOM_DATABASE_URL",
    "HEADROOM_DATABASE_URL_FILE",
    "HEADROOM_DATABASE_PASSWORD",
    "HEADROOM_DATABASE_PASSWORD_FILE",
    "HEADROOM_API_TOKEN",
    "HEADROOM_API_TOKEN_FILE",
    "HEADROOM_UNSUBSCRIBE_SECRET",
    "HEADROOM_UNSUBSCRIBE_SECRET_FILE",
    "HEADROOM_UNSUBSCRIBE_BASE_URL",
    "HEADROOM_HTTP_ADDRESS",
    "HEADROOM_HTTP_PORT",
    "HEADROOM_API_THREADS",
    "HEADROOM_HTTP_MAX_CONNECTIONS",
    "HEADROOM_READY_MAX_CYCLE_AGE_SECONDS",
    "HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS",
};

struct ConfigTest : ::testing::Test {
  void SetUp() override {
    clear();
    dir_ = fs::temp_directory_path() /
           ("headroom-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    clear();
    fs::remove_all(dir_);
  }
  static void clear() {
    for (const char* v : kVariables) ::unsetenv(v);
  }
  std::string file(const std::string& name, const std::string& text) const {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  static std::string usage_error(const std::string& config_path = "") {
    try {
      load_config(config_path);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(ConfigTest, AMisspeltTableIsRefusedNamingTheFileTheNameAndTheKnownTables) {
  const std::string path = file("h.toml", "[databse]\nurl = \"host=/x\"\n");
  EXPECT_EQ(usage_error(path),
            path + ": unknown table or key 'databse' (known: [database], [http], [incremental], [[policies]])");
}

TEST_F(ConfigTest, SettingsThatLiveInTheEnvironmentHaveNoTable) {
  const std::string path = file("h.toml", "[http]\nport = 9000\n\n[smtp]\nurl = \"smtp://mail\"\n");
  EXPECT_NE(usage_error(path).find(": unknown table or key 'smtp'"), std::string::npos) << usage_error(path);
}

TEST_F(ConfigTest, ATopLevelKeyIsRefusedLikeATable) {
  const std::string path = file("h.toml", "port = 9000\n");
  EXPECT_NE(usage_error(path).find(": unknown table or key 'port'"), std::string::npos) << usage_error(path);
}

TEST_F(ConfigTest, AKnownNameThatIsNotATableIsRefused) {
  const std::string path = file("h.toml", "database = \"host=/x\"\n");
  EXPECT_EQ(usage_error(path), path + ": database: expected a table [database]");
}

TEST_F(ConfigTest, TheSampleConfigurationLoads) {
  const Config config = load_config(std::string(HEADROOM_SOURCE_DIR) + "/docs/headroom.example.toml");
  EXPECT_EQ(config.database.url, "host=/var/run/postgresql dbname=bank user=headroom");
  EXPECT_EQ(config.database.statement_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(config.http.max_connections, 512u);
}

TEST_F(ConfigTest, AMissingFileNamedByHeadroomConfigNamesTheVariableAndTheReason) {
  ::setenv("HEADROOM_CONFIG", "/nonexistent-dir/h.toml", 1);
  EXPECT_EQ(usage_error(), "HEADROOM_CONFIG: cannot read /nonexistent-dir/h.toml: No such file or directory");
}

TEST_F(ConfigTest, AFileThatCannotBeReadNamesTheFlagWithoutALineNumber) {
  EXPECT_EQ(usage_error("/nonexistent-dir/h.toml"), "--config: cannot read /nonexistent-dir/h.toml: No such file or directory");
}

TEST_F(ConfigTest, APasswordInTheUrlVariableIsRefusedWithoutEchoingIt) {
  for (const char* url : {"postgresql://headroom:hunter2@db.bank.example/headroom",
                          "host=db dbname=headroom password=hunter2", "host=db password = hunter2",
                          "postgresql://db/headroom?password=hunter2", "host=db password\n= hunter2",
                          "postgresql://db/headroom?pass%77ord=hunter2", "postgresql://db/headroom?%70assword=hunter2"}) {
    ::setenv("HEADROOM_DATABASE_URL", url, 1);
    const std::string message = usage_error();
    EXPECT_EQ(message,
              "HEADROOM_DATABASE_URL: the URL holds a password; move it to HEADROOM_DATABASE_PASSWORD or "
              "HEADROOM_DATABASE_PASSWORD_FILE")
        << url;
    EXPECT_EQ(message.find("hunter2"), std::string::npos);
  }
}

TEST_F(ConfigTest, APasswordInTheUrlFileNamesTheFileVariable) {
  ::setenv("HEADROOM_DATABASE_URL_FILE", file("url", "postgresql://headroom:hunter2@db/headroom\n").c_str(), 1);
  EXPECT_EQ(usage_error().rfind("HEADROOM_DATABASE_URL_FILE: the URL holds a password", 0), 0u) << usage_error();
}

TEST_F(ConfigTest, AUrlWithoutAPasswordIsKept) {
  for (const char* url : {"host=/run/postgresql dbname=password_store user=headroom",
                          "postgresql://headroom@db.bank.example:5433/headroom",
                          "postgresql://db.bank.example:5432/headroom?application_name=svc@eu",
                          "postgresql://db.bank.example/headroom?user=headroom@bankserver"}) {
    ::setenv("HEADROOM_DATABASE_URL", url, 1);
    EXPECT_EQ(load_config("").database.url, url);
  }
}

// Every secret reads the same way: the variable, or the file its _FILE
// variant names, never both.
class SecretVariables : public ConfigTest, public ::testing::WithParamInterface<const char*> {};

std::string secret_of(const Config& c, const std::string& variable) {
  if (variable == "HEADROOM_DATABASE_PASSWORD") return c.database.password;
  if (variable == "HEADROOM_API_TOKEN") return c.http.api_token;
  if (variable == "HEADROOM_UNSUBSCRIBE_SECRET") return c.http.unsubscribe_secret;
  if (variable == "HEADROOM_DATABASE_URL") return c.database.url;
  return "?";
}

TEST_P(SecretVariables, TheVariableAloneIsRead) {
  ::setenv(GetParam(), "host=/from-variable", 1);
  EXPECT_EQ(secret_of(load_config(""), GetParam()), "host=/from-variable");
}

TEST_P(SecretVariables, TheFileAloneIsReadWithoutItsTrailingNewline) {
  const std::string variable = std::string(GetParam()) + "_FILE";
  ::setenv(variable.c_str(), file("secret", "host=/from-file\n").c_str(), 1);
  EXPECT_EQ(secret_of(load_config(""), GetParam()), "host=/from-file");
}

TEST_P(SecretVariables, BothAreRefusedRatherThanOneWinning) {
  const std::string variable = GetParam();
  ::setenv(variable.c_str(), "host=/from-variable", 1);
  ::setenv((variable + "_FILE").c_str(), file("secret", "host=/from-file\n").c_str(), 1);
  EXPECT_EQ(usage_error(), "set only one of " + variable + " and " + variable + "_FILE");
}

TEST_P(SecretVariables, AnUnreadableFileIsRefusedByName) {
  const std::string variable = std::string(GetParam()) + "_FILE";
  ::setenv(variable.c_str(), "/nonexistent-dir/secret", 1);
  EXPECT_EQ(usage_error(), variable + ": cannot read /nonexistent-dir/secret");
}

INSTANTIATE_TEST_SUITE_P(Config, SecretVariables,
                         ::testing::Values("HEADROOM_DATABASE_PASSWORD", "HEADROOM_API_TOKEN",
                                           "HEADROOM_UNSUBSCRIBE_SECRET", "HEADROOM_DATABASE_URL"));

TEST_F(ConfigTest, UnsubscribeLinksPointAtTheApiListenerUnlessTheBaseUrlIsSet) {
  EXPECT_EQ(load_config("").http.unsubscribe_base_url, "http://127.0.0.1:8080/unsubscribe");
  const std::string path = file("h.toml", "[http]\naddress = \"10.0.0.5\"\nport = 9000\n");
  EXPECT_EQ(load_config(path).http.unsubscribe_base_url, "http://10.0.0.5:9000/unsubscribe");
  ::setenv("HEADROOM_UNSUBSCRIBE_BASE_URL", "https://bank.example/headroom/unsubscribe", 1);
  EXPECT_EQ(load_config(path).http.unsubscribe_base_url, "https://bank.example/headroom/unsubscribe");
}

TEST(EnvironmentSwitches, AcceptEveryDocumentedSpellingAndNameTheSettingOtherwise) {
  for (const char* yes : {"1", "true", "yes", "on"}) EXPECT_TRUE(parse_bool(yes, "X")) << yes;
  for (const char* no : {"0", "false", "no", "off", ""}) EXPECT_FALSE(parse_bool(no, "X")) << no;
  try {
    parse_bool("maybe", "HEADROOM_LISTEN");
    FAIL() << "'maybe' must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "HEADROOM_LISTEN: expected 1/0 or true/false, got 'maybe'");
  }
}

TEST_F(ConfigTest, TheHttpPortIsAWholeNumberUpTo65535InTheFileAndTheVariable) {
  const std::string too_high = file("high.toml", "[http]\nport = 70000\n");
  EXPECT_EQ(usage_error(too_high), too_high + ": [http] port: expected a port 0-65535, got 70000");
  const std::string text = file("text.toml", "[http]\nport = \"80\"\n");
  EXPECT_EQ(usage_error(text), text + ": [http] port: expected an integer");
  ::setenv("HEADROOM_HTTP_PORT", "9000", 1);
  EXPECT_EQ(load_config("").http.port, 9000);
  ::setenv("HEADROOM_HTTP_PORT", "80x", 1);
  EXPECT_EQ(usage_error(), "HEADROOM_HTTP_PORT: expected a port 0-65535, got '80x'");
  ::setenv("HEADROOM_HTTP_PORT", "65536", 1);
  EXPECT_EQ(usage_error(), "HEADROOM_HTTP_PORT: expected a port 0-65535, got 65536");
}

TEST_F(ConfigTest, TheApiSettingsHaveTheirDefaultsWithoutFileOrVariables) {
  const Config config = load_config("");
  EXPECT_EQ(config.http.api_threads, 0u);  // one per core
  EXPECT_EQ(config.http.max_connections, 512u);
  EXPECT_EQ(config.http.ready_max_cycle_age, std::chrono::seconds(0));  // twice the cycle interval
  EXPECT_EQ(config.database.statement_timeout, std::chrono::milliseconds(5000));
}

TEST_F(ConfigTest, TheApiSettingsComeFromTheFileAndTheVariablesWinOverIt) {
  const std::string path = file("h.toml",
                                "[http]\napi_threads = 8\nmax_connections = 100\nready_max_cycle_age_seconds = 7200\n"
                                "[database]\nstatement_timeout_ms = 1500\n");
  Config config = load_config(path);
  EXPECT_EQ(config.http.api_threads, 8u);
  EXPECT_EQ(config.http.max_connections, 100u);
  EXPECT_EQ(config.http.ready_max_cycle_age, std::chrono::seconds(7200));
  EXPECT_EQ(config.database.statement_timeout, std::chrono::milliseconds(1500));
  ::setenv("HEADROOM_API_THREADS", "3", 1);
  ::setenv("HEADROOM_HTTP_MAX_CONNECTIONS", "64", 1);
  ::setenv("HEADROOM_READY_MAX_CYCLE_AGE_SECONDS", "0", 1);
  ::setenv("HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS", "0", 1);
  config = load_config(path);
  EXPECT_EQ(config.http.api_threads, 3u);
  EXPECT_EQ(config.http.max_connections, 64u);
  EXPECT_EQ(config.http.ready_max_cycle_age, std::chrono::seconds(0));
  EXPECT_EQ(config.database.statement_timeout, std::chrono::milliseconds(0));
}

TEST_F(ConfigTest, TheApiSettingsOutOfRangeAreRefusedNamingTheSettingAndTheRange) {
  const struct {
    const char* variable;
    const char* value;
    const char* message;
  } refused[] = {
      {"HEADROOM_API_THREADS", "257", "HEADROOM_API_THREADS: expected threads 0-256 (0 = one per core), got 257"},
      {"HEADROOM_HTTP_MAX_CONNECTIONS", "0", "HEADROOM_HTTP_MAX_CONNECTIONS: expected connections 1-65536, got 0"},
      {"HEADROOM_READY_MAX_CYCLE_AGE_SECONDS", "-1",
       "HEADROOM_READY_MAX_CYCLE_AGE_SECONDS: expected whole seconds 0-2592000 (0 = twice the cycle interval), got -1"},
      {"HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS", "5s",
       "HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS: expected whole milliseconds 0-3600000 (0 = no limit), got '5s'"},
  };
  for (const auto& r : refused) {
    ::setenv(r.variable, r.value, 1);
    EXPECT_EQ(usage_error(), r.message);
    ::unsetenv(r.variable);
  }
  const std::string path = file("h.toml", "[database]\nstatement_timeout_ms = 3600001\n");
  EXPECT_EQ(usage_error(path),
            path + ": [database] statement_timeout_ms: expected whole milliseconds 0-3600000 (0 = no limit), got 3600001");
  const std::string text = file("t.toml", "[http]\napi_threads = \"4\"\n");
  EXPECT_EQ(usage_error(text), text + ": [http] api_threads: expected an integer");
}

TEST_F(ConfigTest, AReloadReadsTheFileFoundAtStartAndNamesItTheSameWay) {
  const std::string path = file("h.toml", "[http]\nport = 9000\n");
  ::setenv("HEADROOM_CONFIG", path.c_str(), 1);
  const Config config = load_config("");
  EXPECT_EQ(config.file.path, path);
  EXPECT_EQ(config.file.named_by, "HEADROOM_CONFIG");
  EXPECT_EQ(reload_config(config.file).http.port, 9000);
  fs::remove(path);
  try {
    reload_config(config.file);
    FAIL() << "a file gone since the start must be refused";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "HEADROOM_CONFIG: cannot read " + path + ": No such file or directory");
  }
  EXPECT_EQ(load_config("/dev/null").file.named_by, "--config");
  ::unsetenv("HEADROOM_CONFIG");
  EXPECT_EQ(load_config("").file.path, "");
}

// One reader for every whole-number setting (port, poll interval, retry
// deadline): digits with an optional '-', in range, and the message names
// the setting, the unit and the range.
TEST(WholeNumbers, AcceptDigitsInRangeAndNameTheSettingOtherwise) {
  constexpr WholeNumberRange kPort{0, 65'535, "a port"};
  constexpr WholeNumberRange kPoll{0, 86'400, "whole seconds", "0 = off"};
  EXPECT_EQ(parse_whole_number("0", "X", kPort), 0);
  EXPECT_EQ(parse_whole_number("65535", "X", kPort), 65'535);
  EXPECT_EQ(check_whole_number(30, "X", kPoll), 30);
  const struct {
    const char* text;
    const char* message;
  } refused[] = {
      {"", "X: expected a port 0-65535, got ''"},
      {" 8080", "X: expected a port 0-65535, got ' 8080'"},
      {"+8080", "X: expected a port 0-65535, got '+8080'"},
      {"8080 ", "X: expected a port 0-65535, got '8080 '"},
      {"0x50", "X: expected a port 0-65535, got '0x50'"},
      {"99999999999999999999", "X: expected a port 0-65535, got '99999999999999999999'"},
      {"-1", "X: expected a port 0-65535, got -1"},
      {"65536", "X: expected a port 0-65535, got 65536"},
  };
  for (const auto& r : refused) {
    try {
      parse_whole_number(r.text, "X", kPort);
      ADD_FAILURE() << "'" << r.text << "' must be refused";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), r.message);
    }
  }
  try {
    check_whole_number(86'401, "Y", kPoll);
    FAIL() << "86401 must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Y: expected whole seconds 0-86400 (0 = off), got 86401");
  }
}

}  // namespace
}  // namespace headroom::cli
