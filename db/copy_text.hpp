#pragma once
// Decoding of PostgreSQL COPY text format lines (tab-separated, backslash
// escapes, \N for NULL) and of numeric(18,2) text into cents. Used where the
// engine streams rows out of PostgreSQL with COPY … TO STDOUT.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace headroom::db {

// Splits one COPY text line into fields; a NULL field is nullopt.
// `scratch` keeps the unescaped storage; the views stay valid until the next call.
void split_copy_line(std::string_view line, std::vector<std::optional<std::string_view>>& fields,
                     std::vector<std::string>& scratch);

// "-1234.5" → -123450. nullopt for text that is not a decimal with ≤ 2 places.
std::optional<std::int64_t> parse_numeric_cents(std::string_view text);

}  // namespace headroom::db
