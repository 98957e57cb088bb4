#include "ingest/csv_writer.hpp"

namespace headroom::ingest {

bool csv_needs_quotes(std::string_view text) {
  // A field starting with a byte-order mark: unquoted as a file's first
  // field, the reader would take it for the file's BOM and drop it.
  if (text.starts_with("\xEF\xBB\xBF")) return true;
  for (char c : text) {
    // Every special character is below '-'; one compare rejects most letters
    // (this runs once per description in `headroom simulate --csv`).
    if (c < '-' && (c == ',' || c == '"' || c == '\r' || c == '\n')) return true;
  }
  return false;
}

void append_csv_field(std::string& out, std::string_view text) {
  if (!csv_needs_quotes(text)) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string csv_field(std::string_view text) {
  std::string out;
  append_csv_field(out, text);
  return out;
}

void append_csv_row(std::string& out, std::initializer_list<std::string_view> cells) {
  bool first = true;
  for (std::string_view cell : cells) {
    if (!first) out.push_back(',');
    out.append(cell);
    first = false;
  }
  out.push_back('\n');
}

}  // namespace headroom::ingest
