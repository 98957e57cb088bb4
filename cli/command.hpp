#pragma once
// A CLI verb: registers its flags on a CLI11 subcommand and returns the code
// that runs it. Exit codes (docs/DESIGN.md): 0 success, 1 runtime failure, 2 usage
// error, 3 schema not current (db::SchemaNotCurrent: run `headroom migrate`).

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "forecast/date.hpp"

namespace headroom::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;
// The database has no Headroom schema or another version of it: not a fault of
// the command line, and a supervisor can tell it from a crash.
inline constexpr int kExitSchemaNotCurrent = 3;

// Thrown by a verb for a usage problem found after parsing (e.g. a flag value
// that parses but makes no sense); main turns it into exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using CommandRunner = std::function<int()>;

// The value of an --as-of flag: the given YYYY-MM-DD, or today in UTC when
// the flag was not given. A malformed date is a usage error.
inline forecast::Date as_of_or_today(const std::string& flag_value) {
  if (flag_value.empty()) return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const auto d = forecast::parse_iso_date(flag_value);
  if (!d) throw UsageError("--as-of: expected a date YYYY-MM-DD, got '" + flag_value + "'");
  return *d;
}

// Runs `read_settings`, which throws std::invalid_argument for a bad
// setting, and reports that as a usage problem (exit 2).
template <typename Read>
auto settings_or_usage_error(Read&& read_settings) {
  try {
    return read_settings();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// Each verb lives in its own cmd_<verb>.cpp.
CommandRunner add_db_command(CLI::App& app);
CommandRunner add_migrate_command(CLI::App& app);
CommandRunner add_import_command(CLI::App& app);
CommandRunner add_run_command(CLI::App& app);
CommandRunner add_forecast_command(CLI::App& app);
CommandRunner add_forget_command(CLI::App& app);
CommandRunner add_backtest_command(CLI::App& app);
CommandRunner add_evaluate_command(CLI::App& app);
CommandRunner add_simulate_command(CLI::App& app);
CommandRunner add_report_command(CLI::App& app);
CommandRunner add_experiment_command(CLI::App& app);

}  // namespace headroom::cli
