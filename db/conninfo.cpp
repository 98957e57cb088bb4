#include "db/conninfo.hpp"

#include <map>
#include <memory>
#include <stdexcept>

#include <libpq-fe.h>

namespace headroom::db {
namespace {

// key='value' with backslash and quote escaped, libpq's key=value syntax.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string conninfo_with(const std::string& url, const std::vector<std::pair<std::string, std::string>>& settings) {
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options{PQconninfoParse(url.c_str(), &error),
                                                                              &PQconninfoFree};
  if (!options) {
    const std::string reason = error ? error : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument("database URL: " + reason);
  }
  // Only the keywords the URL gave, then ours over them; each once, so their
  // order does not matter.
  std::map<std::string, std::string> given;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o)
    if (o->val) given[o->keyword] = o->val;
  for (const auto& [keyword, value] : settings) given[keyword] = value;
  std::string out;
  for (const auto& [keyword, value] : given) {
    if (!out.empty()) out += ' ';
    out += keyword + '=' + quoted(value);
  }
  return out;
}

}  // namespace headroom::db
