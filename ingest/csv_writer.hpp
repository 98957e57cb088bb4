#pragma once
// Writing RFC 4180 CSV: the one field-quoting rule every CSV the project
// writes uses (simulator files, experiment report tables, reject reports,
// backtest output), next to the reader that reads them back (csv_reader.hpp).
//
// A field is quoted only when it holds a comma, a double quote, CR or LF, or
// starts with a UTF-8 byte-order mark (which the reader drops from the start
// of a file); a quote inside a quoted field is doubled. Records end with LF. Bytes are
// copied unchanged (no UTF-8 check, no trimming), so what CsvRecordReader
// returns for a written field is the text that was written.
// Thread safety: pure functions on the caller's buffer.

#include <initializer_list>
#include <string>
#include <string_view>

namespace headroom::ingest {

// True when `text` must be quoted: it holds ',', '"', '\r' or '\n', or starts with U+FEFF.
bool csv_needs_quotes(std::string_view text);

// Appends `text` as one field, quoted when needed: `say "hi"` -> `"say ""hi"""`.
void append_csv_field(std::string& out, std::string_view text);
// The same, as a new string.
std::string csv_field(std::string_view text);

// Appends one record: `cells` joined by ',' and a '\n'. Cells are CSV text
// already (a number, or a field from csv_field()); they are not quoted again,
// so a cell may hold several fields joined by ','.
void append_csv_row(std::string& out, std::initializer_list<std::string_view> cells);

}  // namespace headroom::ingest
