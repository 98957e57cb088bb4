#pragma once
// Reading HEADROOM_* environment variables: the helpers every settings reader
// (config.cpp, smtp_mailer.cpp) shares, so that one variable spelling
// behaves like every other. Each throws std::invalid_argument whose message
// names the variable; verbs report that as a usage error (exit 2).

#include <string>
#include <string_view>

namespace headroom::cli {

// The variable's value; empty when it is unset.
std::string env_value(const std::string& variable);

// 1/true/yes/on or 0/false/no/off; empty is false (unset). `where` names the
// setting in the error.
bool parse_bool(std::string_view text, std::string_view where);

// A secret: VARIABLE, or else the contents of the file named by
// VARIABLE_FILE without its trailing newline; empty when neither is set.
// Setting both is refused rather than letting one silently win, and an
// unreadable file is refused; the messages never contain the secret.
std::string secret_from_env(const std::string& variable);

}  // namespace headroom::cli
