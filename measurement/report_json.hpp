#pragma once
// report.json: every value of an ExperimentAnalysis, unrounded, for analysts'
// own tools; plus the plain-language texts the HTML shows (headline, sample
// ratio summary, caveats) and the derived shares the HTML displays, so that
// every number in index.html is the display form (report_format.hpp) of a
// value here. Dates are "YYYY-MM-DD"; intervals are {"low", "high"}; money in
// cents; rates as fractions. Pure: values in, text out.

#include <string>

#include <nlohmann/json.hpp>

#include "measurement/experiment.hpp"

namespace headroom::measurement {

nlohmann::json report_json(const ExperimentAnalysis& analysis);
// report_json(analysis).dump(2) followed by a newline.
std::string render_report_json(const ExperimentAnalysis& analysis);

}  // namespace headroom::measurement
