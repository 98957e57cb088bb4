#include "edge/metrics.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "edge/build_info.hpp"
#include "edge/process_stats.hpp"

namespace headroom::edge {

void Metrics::set_forecast_calibration(const measurement::CalibrationSummary& summary) {
  std::lock_guard lock(calibration_mutex_);
  calibration_ = summary;
}

std::optional<measurement::CalibrationSummary> Metrics::forecast_calibration() const {
  std::lock_guard lock(calibration_mutex_);
  return calibration_;
}

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
}

// The Prometheus client convention's process series; each left out when
// /proc cannot be read now.
void render_process(std::string& out) {
  const ProcessStats p = read_process_stats();
  auto series = [&](std::string_view name, std::string_view type, std::string_view help, const auto& value) {
    if (!value) return;
    family(out, name, type, help);
    out += fmt::format("{} {}\n", name, *value);
  };
  series("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", p.cpu_seconds);
  series("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.resident_memory_bytes);
  series("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtual_memory_bytes);
  series("process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds);
  series("process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds);
  series("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
         p.start_time_seconds);
}

void render_build_info(std::string& out) {
  family(out, "headroom_build_info", "gauge", "The version and commit of this binary; always 1.");
  out += fmt::format("headroom_build_info{{version=\"{}\",commit=\"{}\"}} 1\n", build_version(), build_commit());
}

}  // namespace

void HttpMetrics::count_request(std::string_view route, std::string_view method, unsigned status, double seconds) {
  const auto bucket = std::lower_bound(kDurationBucketsSeconds.begin(), kDurationBucketsSeconds.end(), seconds) -
                      kDurationBucketsSeconds.begin();
  std::lock_guard lock(mutex_);
  ++requests_[RequestKey{route, method, status}];
  auto at = durations_.find(route);
  if (at == durations_.end()) at = durations_.emplace(std::string(route), Histogram{}).first;
  Histogram& h = at->second;
  if (static_cast<std::size_t>(bucket) < h.in_bucket.size()) ++h.in_bucket[static_cast<std::size_t>(bucket)];
  ++h.count;
  h.sum_seconds += seconds;
}

void HttpMetrics::accept_failed(AcceptError reason) {
  ++(reason == AcceptError::kFdLimit ? accept_errors_fd_limit_ : accept_errors_other_);
}

std::string HttpMetrics::render() const {
  decltype(requests_) requests;
  decltype(durations_) durations;
  {
    std::lock_guard lock(mutex_);
    requests = requests_;
    durations = durations_;
  }
  std::string out;
  family(out, "headroom_http_requests_total", "counter", "HTTP responses given, by route template, method and status.");
  for (const auto& [key, n] : requests) {
    const auto& [route, method, status] = key;
    out += fmt::format("headroom_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n", route,
                       method, status, n);
  }
  family(out, "headroom_http_request_duration_seconds", "histogram",
         "From a request read in full to its response ready, by route template.");
  for (const auto& [route, h] : durations) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.in_bucket.size(); ++i) {
      cumulative += h.in_bucket[i];
      out += fmt::format("headroom_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                         kDurationBucketsSeconds[i], cumulative);
    }
    out += fmt::format("headroom_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
                       h.count);
    out += fmt::format("headroom_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum_seconds);
    out += fmt::format("headroom_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  family(out, "headroom_http_connections_open", "gauge", "HTTP connections being served.");
  out += fmt::format("headroom_http_connections_open {}\n", connections_open_.load());
  family(out, "headroom_http_backend_requests", "gauge",
         "Requests admitted to the backend threads, running or waiting for one.");
  out += fmt::format("headroom_http_backend_requests {}\n", backend_requests_.load());
  family(out, "headroom_http_connections_refused_total", "counter",
         "Connections beyond the connection cap, answered 503 and closed.");
  out += fmt::format("headroom_http_connections_refused_total {}\n", connections_refused_.load());
  family(out, "headroom_http_accept_errors_total", "counter",
         "Failed accepts (each followed by a backoff): fd_limit is EMFILE or ENFILE.");
  out += fmt::format("headroom_http_accept_errors_total{{reason=\"fd_limit\"}} {}\n", accept_errors_fd_limit_.load());
  out += fmt::format("headroom_http_accept_errors_total{{reason=\"other\"}} {}\n", accept_errors_other_.load());
  return out;
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
  render_process(out);
  render_build_info(out);
  return out;
}

}  // namespace headroom::edge
