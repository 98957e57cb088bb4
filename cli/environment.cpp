#include "cli/environment.hpp"

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
