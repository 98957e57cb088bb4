#pragma once
// The simulator's truth about an experiment, stated in the analysis's terms,
// without depending on the simulator's types (measurement does not link sim):
// the caller passes each treatment account's overdraft dates on the factual
// path (nudges and responses included) and on the counterfactual path (the
// same account never nudged).
//
// Weeks are the analysis's weeks: [from + 7k, from + 7k + 7) for
// k = 0 .. week_count(from, to) - 1, the last one cut at `to` (a partial week
// still counts as one account-week, as in AccountOutcome::weeks).

#include <cstdint>
#include <span>
#include <vector>

#include "forecast/date.hpp"

namespace headroom::measurement {

// ceil((to - from) / 7 days); 0 when to <= from.
int week_count(forecast::Date from, forecast::Date to);

// Per week of [from, to): 1 when some date of `overdraft_dates` falls in it.
// Dates outside [from, to) are ignored; any order, duplicates allowed.
std::vector<std::uint8_t> weekly_overdrawn(std::span<const forecast::Date> overdraft_dates, forecast::Date from,
                                           forecast::Date to);

struct TrueEffect {
  std::size_t accounts = 0;
  long account_weeks = 0;
  double factual_incidence = 0;         // share of the arm's account-weeks overdrawn, as it happened
  double counterfactual_incidence = 0;  // the same accounts, never nudged
  double absolute = 0;                  // factual - counterfactual (negative = overdrafts avoided)
  double relative = 0;                  // absolute / counterfactual; 0 when counterfactual is 0
};

// The true average effect on overdraft incidence over the treatment arm: the
// quantity the intention-to-treat estimate targets. Throws std::invalid_argument
// when the two lists differ in length, are empty, or to <= from.
TrueEffect true_incidence_effect(const std::vector<std::vector<forecast::Date>>& factual_overdraft_dates,
                                 const std::vector<std::vector<forecast::Date>>& counterfactual_overdraft_dates,
                                 forecast::Date from, forecast::Date to);

}  // namespace headroom::measurement
