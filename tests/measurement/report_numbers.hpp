#pragma once
// The check behind "every number in the HTML is in the JSON": the numbers an
// analyst can read in index.html (its text, chart axis ticks excepted) must
// each be format_number() of some value in report.json, in some style, or sit
// inside a label that report.json holds verbatim (dates, segment names,
// variant names, the experiment name, caveats).

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measurement/report_format.hpp"

namespace headroom::measurement::testing {

inline void collect_json(const nlohmann::json& j, const std::string& key, std::set<std::string>& displays,
                         std::vector<std::string>& labels) {
  static const std::set<std::string> kLabelKeys = {"experiment", "from",      "to",      "week_start", "segment",
                                                   "variant",    "other",     "dimension", "metric",  "unit",       "step",
                                                   "status",     "caveats",   "experiment_start"};
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) collect_json(v, k, displays, labels);
  } else if (j.is_array()) {
    for (const auto& v : j) collect_json(v, key, displays, labels);
  } else if (j.is_number()) {
    const double x = j.get<double>();
    for (auto style : {NumberStyle::kPercent, NumberStyle::kPoints, NumberStyle::kCount, NumberStyle::kDecimal,
                       NumberStyle::kDollars, NumberStyle::kPValue}) {
      displays.insert(format_number(x, style));
      displays.insert(format_number(-x, style));
    }
  } else if (j.is_string() && kLabelKeys.count(key)) {
    labels.push_back(j.get<std::string>());
  }
}

inline std::string unescape_html(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
      s.replace(p, from.size(), to);
  }
  return s;
}

// Numbers shown in `html` that are not the display form of a value in
// `report_json` (empty = the property holds). Also returns how many numbers
// were checked, so a test can see the check had something to check.
inline std::vector<std::string> numbers_missing_from_json(const std::string& html, const nlohmann::json& report_json,
                                                          std::size_t* checked = nullptr) {
  std::set<std::string> displays;
  std::vector<std::string> labels;
  collect_json(report_json, "", displays, labels);
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });

  std::string text = std::regex_replace(html, std::regex("<style>[\\s\\S]*?</style>"), "\n");
  text = std::regex_replace(text, std::regex("<text class=\"axis\"[^>]*>[^<]*</text>"), "\n");
  text = std::regex_replace(text, std::regex("<[^>]*>"), "\n");
  text = unescape_html(text);
  for (const auto& label : labels) {
    if (label.empty()) continue;
    // Only whole labels: "<0" (a balance band) must not eat the start of "<0.001".
    const auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
    for (std::size_t p = text.find(label); p != std::string::npos; p = text.find(label, p + 1)) {
      const std::size_t end = p + label.size();
      if ((p > 0 && digit(p - 1)) || digit(end) || (end < text.size() && text[end] == '.' && digit(end + 1))) continue;
      text.replace(p, label.size(), " ");
    }
  }
  std::vector<std::string> missing;
  static const std::regex kNumber("<?-?\\$?[0-9][0-9,]*(\\.[0-9]+)?(%| pp)?");
  std::size_t n = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), kNumber), end; it != end; ++it) {
    ++n;
    std::string token = it->str();
    // A thousands comma at the end belongs to the sentence ("3,120, then").
    while (!token.empty() && token.back() == ',') token.pop_back();
    if (!displays.count(token)) missing.push_back(token);
  }
  if (checked) *checked = n;
  return missing;
}

}  // namespace headroom::measurement::testing
