#pragma once
// index.html of the experiment report: one self-contained page (inline CSS
// and SVG, no script, no external asset) that an analyst can mail around.
// Sections, each with a stable id the render test looks for:
//   #headline        plain-language effect on overdraft incidence with its 95% interval
//   #sample-ratio    the sample-ratio check in words (class srm-ok / srm-mismatch)
//   #caveats         the analysis' warnings, in words
//   #effects         effect-with-interval chart (svg#effect-chart) and table
//   #weekly          overdraft rate by week and arm (svg#weekly-chart)
//   #funnel          assigned -> at risk -> decided -> sent -> seen -> avoided (svg#funnel-chart)
//   #targeted        nudged versus would-have-been-nudged accounts
//   #segments        incidence effect per segment (table#segment-table)
//   #variants        incidence effect per copy variant
//   #forecast-health calibration plot (svg#calibration-chart) and scores
// Every number shown is format_number() of a value in report.json (the
// report_json.hpp contract), except chart axis tick labels (class "axis"),
// which are scale, not results. Pure: values in, text out.

#include <string>

#include "measurement/experiment.hpp"
#include "nudges/templates.hpp"

namespace headroom::measurement {

std::string render_report_html(const ExperimentAnalysis& analysis);

// HTML escaping is nudges::html_escape (nudges/templates.hpp), shared with the email copy.
using nudges::html_escape;

}  // namespace headroom::measurement
