#include "cli/environment.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace headroom::cli {

std::string env_value(const std::string& variable) {
  const char* v = std::getenv(variable.c_str());
  return v ? v : "";
}

bool parse_bool(std::string_view text, std::string_view where) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
  throw std::invalid_argument(std::string(where) + ": expected 1/0 or true/false, got '" + std::string(text) + "'");
}

namespace {

std::string expected(std::string_view where, const WholeNumberRange& range) {
  std::string text = std::string(where) + ": expected " + std::string(range.unit) + " " + std::to_string(range.min) +
                     "-" + std::to_string(range.max);
  if (!range.note.empty()) text += " (" + std::string(range.note) + ")";
  return text;
}

}  // namespace

long long check_whole_number(long long value, std::string_view where, const WholeNumberRange& range) {
  if (value < range.min || value > range.max)
    throw std::invalid_argument(expected(where, range) + ", got " + std::to_string(value));
  return value;
}

long long parse_whole_number(std::string_view text, std::string_view where, const WholeNumberRange& range) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw std::invalid_argument(expected(where, range) + ", got '" + std::string(text) + "'");
  return check_whole_number(value, where, range);
}

std::string secret_from_env(const std::string& variable) {
  const std::string file_variable = variable + "_FILE";
  const std::string value = env_value(variable);
  const std::string file = env_value(file_variable);
  if (!value.empty() && !file.empty())
    throw std::invalid_argument("set only one of " + variable + " and " + file_variable);
  if (file.empty()) return value;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::invalid_argument(file_variable + ": cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  // Editors and `echo` end files with a newline that is no part of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

}  // namespace headroom::cli
