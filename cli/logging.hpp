#pragma once
// Process-wide logging set up once in main: every log line goes to stderr
// (stdout stays for a verb's own output), as text or as JSON lines.
// Components tag their messages "[component] …"; customer emails, names and
// balances are never logged: logs are shipped and kept where customer data
// must not go.

#include <string_view>

namespace headroom::cli {

enum class LogFormat { kText, kJson };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// "text" or "json", in any case; false for anything else.
bool parse_log_format(std::string_view text, LogFormat& out);
// trace, debug, info, warn (or warning), error, critical, off, in any case;
// false for anything else.
bool parse_log_level(std::string_view text, LogLevel& out);

// The format and level (HEADROOM_LOG_FORMAT, HEADROOM_LOG_LEVEL), read with
// the rest of the configuration (cli/config.hpp).
struct LogSettings;

// Installs the stderr logger.
void configure_logging(const LogSettings& settings);

}  // namespace headroom::cli
