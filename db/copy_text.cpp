#include "db/copy_text.hpp"

namespace headroom::db {

void split_copy_line(std::string_view line, std::vector<std::optional<std::string_view>>& fields,
                     std::vector<std::string>& scratch) {
  fields.clear();
  // libpqxx 6.4's get_raw_line keeps the line's terminating newline (a data
  // newline is escaped as \n, so a raw one can only be the terminator).
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::size_t used_scratch = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t end = line.find('\t', start);
    if (end == std::string_view::npos) end = line.size();
    const std::string_view raw = line.substr(start, end - start);
    if (raw == "\\N") {
      fields.emplace_back(std::nullopt);
    } else if (raw.find('\\') == std::string_view::npos) {
      fields.emplace_back(raw);
    } else {
      if (scratch.size() <= used_scratch) scratch.emplace_back();
      std::string& out = scratch[used_scratch++];
      out.clear();
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\' || i + 1 == raw.size()) {
          out.push_back(raw[i]);
          continue;
        }
        const char c = raw[++i];
        switch (c) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case 'r': out.push_back('\r'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'v': out.push_back('\v'); break;
          default: out.push_back(c); break;  // \\ and any other escaped byte
        }
      }
      fields.emplace_back(std::string_view(out));
    }
    if (end == line.size()) break;
    start = end + 1;
  }
}

std::optional<std::int64_t> parse_numeric_cents(std::string_view t) {
  if (t.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (t[0] == '-' || t[0] == '+') {
    negative = t[0] == '-';
    i = 1;
  }
  std::int64_t whole = 0;
  bool digits = false;
  for (; i < t.size() && t[i] != '.'; ++i) {
    if (t[i] < '0' || t[i] > '9' || whole > 100'000'000'000'000'000LL / 10) return std::nullopt;
    whole = whole * 10 + (t[i] - '0');
    digits = true;
  }
  std::int64_t frac = 0;
  int places = 0;
  if (i < t.size()) {
    for (++i; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9' || places == 2) return std::nullopt;
      frac = frac * 10 + (t[i] - '0');
      ++places;
      digits = true;
    }
  }
  if (!digits) return std::nullopt;
  if (places == 1) frac *= 10;
  const std::int64_t cents = whole * 100 + frac;
  return negative ? -cents : cents;
}

}  // namespace headroom::db
