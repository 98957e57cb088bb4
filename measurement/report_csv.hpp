#pragma once
// CSV tables of the experiment report for analysts' own tools (RFC 4180,
// header line first, "\n" line ends, UTF-8). Numbers are unrounded: the
// shortest text that reads back as the same double (report_format.hpp's
// display rounding is for the HTML only); money in cents, rates as fractions,
// dates YYYY-MM-DD, booleans 0/1. Pure: values in, text out.
//
//   effects.csv      one row per metric (incidence, days, overdraft fees, total fees)
//   segments.csv     incidence effect per (dimension, segment)
//   variants.csv     incidence effect per copy variant (all its assigned accounts) versus the whole
//                    holdout, with the Holm-adjusted p-value (p_holm) over the variant family
//   variant_pairs.csv incidence effect of each pair of variants, variant minus other, with p_holm
//   weekly.csv       share of each arm overdrawn per experiment week
//   funnel.csv       assigned -> at_risk -> decided -> sent -> seen -> overdraft_avoided
//   calibration.csv  forecast calibration bins
//   accounts.csv     per-account outcomes with arm and segments (no names or addresses)

#include <string>
#include <vector>

#include "measurement/experiment.hpp"

namespace headroom::measurement {

std::string effects_csv(const ExperimentAnalysis& analysis);
std::string segments_csv(const ExperimentAnalysis& analysis);
std::string variants_csv(const ExperimentAnalysis& analysis);
std::string variant_pairs_csv(const ExperimentAnalysis& analysis);
std::string weekly_csv(const ExperimentAnalysis& analysis);
std::string funnel_csv(const ExperimentAnalysis& analysis);
std::string calibration_csv(const ExperimentAnalysis& analysis);
std::string accounts_csv(const std::vector<AccountOutcome>& accounts);

// Shortest round-trip text of a double ("0.1", "1e-05"); "" for NaN or infinity.
std::string csv_number(double value);

}  // namespace headroom::measurement
