#include "service/metrics.hpp"

#include <fmt/format.h>

namespace headroom::service {

std::string Metrics::render() const {
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, v);
  };
  counter("headroom_cycles_completed_total", "Full scoring cycles this process took part in.", cycles_completed);
  counter("headroom_accounts_scored_total", "Accounts scored in full cycles by this process.", accounts_scored);
  counter("headroom_incremental_rescores_total", "Accounts re-forecast after a new transaction.", incremental_rescores);
  counter("headroom_chunks_lost_total", "Chunks whose lease another replica took before commit.", chunks_lost);
  counter("headroom_quarantined_rows_total", "Transaction rows the engine could not decode.", undecodable_rows);
  counter("headroom_database_errors_total", "Database operations that failed.", database_errors);
  counter("headroom_smtp_errors_total", "SMTP deliveries that failed.", smtp_errors);
  gauge("headroom_last_cycle_duration_seconds", "Wall time of the last full cycle.", last_cycle_seconds);
  gauge("headroom_last_cycle_finished_timestamp_seconds", "Unix time the last full cycle ended; 0 before the first.",
        last_cycle_finished_unix);
  return out;
}

}  // namespace headroom::service
