#pragma once
// Process-wide logging set up once in main: every log line goes to stderr
// (stdout stays for a verb's own output), as text or as JSON lines.
// Components tag their messages "[component] …"; customer emails, names and
// balances are never logged: logs are shipped and kept where customer data
// must not go.

#include <string_view>

namespace headroom::service {

enum class LogFormat { text, json };

// "text" or "json"; nullopt-like false for anything else.
bool parse_log_format(std::string_view text, LogFormat& out);

// Installs the stderr logger. HEADROOM_LOG_FORMAT picks the format
// (default text); HEADROOM_LOG_LEVEL the level (default info).
void configure_logging_from_env();
void configure_logging(LogFormat format, std::string_view level);

}  // namespace headroom::service
