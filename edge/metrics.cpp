#include "edge/metrics.hpp"

#include <fmt/format.h>

namespace headroom::edge {

void Metrics::set_forecast_calibration(const measurement::CalibrationSummary& summary) {
  std::lock_guard lock(calibration_mutex_);
  calibration_ = summary;
}

std::optional<measurement::CalibrationSummary> Metrics::forecast_calibration() const {
  std::lock_guard lock(calibration_mutex_);
  return calibration_;
}

std::string Metrics::render() const {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
  };
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    family(name, "counter", help);
    out += fmt::format("{} {}\n", name, v);
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    family(name, "gauge", help);
    out += fmt::format("{} {}\n", name, v);
  };
  // Both channels always appear, zeros included, so rates and ratios are
  // defined from the first scrape.
  auto by_channel = [&](const char* name, const char* help, const ChannelCounter& c) {
    family(name, "counter", help);
    for (const auto channel : {nudges::Channel::kInApp, nudges::Channel::kEmail})
      out += fmt::format("{}{{channel=\"{}\"}} {}\n", name, nudges::to_string(channel), c.get(channel));
  };

  counter("headroom_cycles_completed_total", "Full scoring cycles this process took part in.", cycles_completed);
  family("headroom_cycle_duration_seconds", "summary", "Wall time this process spent in completed full cycles.");
  out += fmt::format("headroom_cycle_duration_seconds_sum {}\nheadroom_cycle_duration_seconds_count {}\n",
                     cycle_seconds_sum.load(), cycles_completed.load());
  counter("headroom_accounts_scored_total", "Accounts scored in full cycles by this process.", accounts_scored);
  counter("headroom_incremental_rescores_total", "Accounts re-forecast after a new transaction.", incremental_rescores);
  counter("headroom_transaction_polls_total", "High-water-mark reads of the polling fallback.", transaction_polls);
  counter("headroom_transaction_poll_accounts_total", "Accounts those reads found with new transactions.",
          polled_accounts);
  counter("headroom_chunks_lost_total", "Chunks whose lease another replica took before commit.", chunks_lost);
  counter("headroom_quarantined_rows_total", "Transaction rows the engine could not decode.", undecodable_rows);
  counter("headroom_database_errors_total", "Database operations that failed.", database_errors);
  counter("headroom_smtp_errors_total", "SMTP deliveries that failed.", smtp_errors);
  by_channel("headroom_nudges_decided_total", "Nudges scheduled for delivery (outbox rows written).", nudges_decided);
  by_channel("headroom_nudges_sent_total", "Nudges delivered: in-app made available, email accepted by SMTP.",
             nudges_sent);
  by_channel("headroom_nudges_failed_total", "Nudges that failed for good (email: 5xx or retry deadline).",
             nudges_failed);
  by_channel("headroom_nudges_retried_total", "Transient delivery failures rescheduled.", nudges_retried);
  by_channel("headroom_nudges_cancelled_total", "Nudges cancelled: opted out, no contact, or expired.",
             nudges_cancelled);
  gauge("headroom_last_cycle_duration_seconds", "Wall time of the last full cycle.", last_cycle_seconds);
  gauge("headroom_last_cycle_finished_timestamp_seconds", "Unix time the last full cycle ended; 0 before the first.",
        last_cycle_finished_unix);
  if (const auto c = forecast_calibration()) {
    gauge("headroom_forecast_resolved_windows",
          "Forecasts scored here whose window ended in the last 28 days and whose outcome is known.",
          static_cast<double>(c->resolved));
    gauge("headroom_forecast_pending_windows", "Forecasts scored here waiting for their window to end.",
          static_cast<double>(c->pending));
    if (c->resolved > 0) {
      gauge("headroom_forecast_brier_score", "Mean (p - overdrawn)^2 over those resolved windows.", c->brier);
      gauge("headroom_forecast_calibration_error",
            "Expected calibration error (10 equal-width bins) over those resolved windows.",
            c->expected_calibration_error);
      gauge("headroom_forecast_mean_predicted", "Mean window probability of overdraft over those resolved windows.",
            c->mean_predicted);
      gauge("headroom_forecast_observed_rate", "Share of those resolved windows with an end-of-day balance < 0.",
            c->observed_rate);
    }
  }
  return out;
}

}  // namespace headroom::edge
