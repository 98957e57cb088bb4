#pragma once
// Reading HEADROOM_* environment variables, and the value parsers every
// settings reader (cli/config.cpp, for variables and TOML keys alike) shares,
// so that one spelling behaves like every other. Each throws
// std::invalid_argument whose message names the variable or key; verbs
// report that as a usage error (exit 2).

#include <string>
#include <string_view>

namespace headroom::cli {

// The variable's value; empty when it is unset.
std::string env_value(const std::string& variable);

// 1/true/yes/on or 0/false/no/off; empty is false (unset). `where` names the
// setting in the error.
bool parse_bool(std::string_view text, std::string_view where);

// What a whole-number setting accepts, and how its error names it:
// "<where>: expected <unit> <min>-<max> (<note>), got <value>".
struct WholeNumberRange {
  long long min;
  long long max;
  std::string_view unit;       // "a port", "whole seconds"
  std::string_view note = {};  // e.g. "0 = off"; empty: none
};

// `value` when it lies in `range`; otherwise throws naming `where`.
long long check_whole_number(long long value, std::string_view where, const WholeNumberRange& range);

// `text` as a whole number in `range`: decimal digits with an optional
// leading '-', and nothing else (no '+', spaces or unit). Otherwise throws
// naming `where`, with `text` quoted.
long long parse_whole_number(std::string_view text, std::string_view where, const WholeNumberRange& range);

// A secret: VARIABLE, or else the contents of the file named by
// VARIABLE_FILE without its trailing newline; empty when neither is set.
// Setting both is refused rather than letting one silently win, and an
// unreadable file is refused; the messages never contain the secret.
std::string secret_from_env(const std::string& variable);

}  // namespace headroom::cli
