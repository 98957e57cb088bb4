#pragma once
// Thousands separators for display text, the one copy the forecast's
// explanations, the nudge copy and the experiment report share (it lives in
// forecast/, the folder all three depend on).

#include <string>
#include <string_view>

namespace headroom::forecast {

// Puts ',' between every three digits of the integer part of a plain decimal
// (optional '-', digits, optional '.' and fraction; no exponent):
// "1234567" -> "1,234,567", "-1234.56" -> "-1,234.56", "999.5" -> "999.5".
// Anything after the first '.' is copied unchanged.
std::string group_thousands(std::string_view plain_decimal);

}  // namespace headroom::forecast
