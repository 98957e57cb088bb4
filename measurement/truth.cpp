#include "measurement/truth.hpp"

#include <stdexcept>

namespace headroom::measurement {

int week_count(forecast::Date from, forecast::Date to) {
  const int days = forecast::days_between(from, to);
  return days <= 0 ? 0 : (days + 6) / 7;
}

std::vector<std::uint8_t> weekly_overdrawn(std::span<const forecast::Date> overdraft_dates, forecast::Date from,
                                           forecast::Date to) {
  std::vector<std::uint8_t> weeks(static_cast<std::size_t>(week_count(from, to)), 0);
  for (const forecast::Date d : overdraft_dates) {
    if (d < from || d >= to) continue;
    weeks[static_cast<std::size_t>(forecast::days_between(from, d) / 7)] = 1;
  }
  return weeks;
}

namespace {
long count_weeks(const std::vector<forecast::Date>& dates, forecast::Date from, forecast::Date to) {
  long n = 0;
  for (const std::uint8_t w : weekly_overdrawn(dates, from, to)) n += w;
  return n;
}
}  // namespace

TrueEffect true_incidence_effect(const std::vector<std::vector<forecast::Date>>& factual_overdraft_dates,
                                 const std::vector<std::vector<forecast::Date>>& counterfactual_overdraft_dates,
                                 forecast::Date from, forecast::Date to) {
  if (to <= from) throw std::invalid_argument("true_incidence_effect: the period is empty (to <= from)");
  if (factual_overdraft_dates.size() != counterfactual_overdraft_dates.size())
    throw std::invalid_argument("true_incidence_effect: factual and counterfactual account lists differ in length");
  if (factual_overdraft_dates.empty()) throw std::invalid_argument("true_incidence_effect: no treatment accounts");
  TrueEffect t;
  t.accounts = factual_overdraft_dates.size();
  t.account_weeks = static_cast<long>(t.accounts) * week_count(from, to);
  long factual = 0;
  long counterfactual = 0;
  for (std::size_t i = 0; i < t.accounts; ++i) {
    factual += count_weeks(factual_overdraft_dates[i], from, to);
    counterfactual += count_weeks(counterfactual_overdraft_dates[i], from, to);
  }
  const auto weeks = static_cast<double>(t.account_weeks);
  t.factual_incidence = static_cast<double>(factual) / weeks;
  t.counterfactual_incidence = static_cast<double>(counterfactual) / weeks;
  t.absolute = t.factual_incidence - t.counterfactual_incidence;
  t.relative = counterfactual == 0 ? 0.0 : t.absolute / t.counterfactual_incidence;
  return t;
}

}  // namespace headroom::measurement
