#pragma once
// Connection strings with settings of our own added: the pool's and the
// readiness probe's connect_timeout, whatever form the operator wrote the
// URL in (key=value or postgresql:// URI, libpq parses both).

#include <string>
#include <utility>
#include <vector>

namespace headroom::db {

// `url` (libpq key=value or URI) as a key=value string with each (keyword,
// value) of `settings` set, replacing the URL's own value of that keyword.
// Throws std::invalid_argument naming libpq's reason when `url` does not
// parse (the message never repeats the URL).
std::string conninfo_with(const std::string& url, const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace headroom::db
