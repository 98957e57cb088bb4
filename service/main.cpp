// headroom: one binary, one verb per job (docs/DESIGN.md, "CLI").
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "service/command.hpp"
#include "service/logging.hpp"

using namespace headroom::service;

int main(int argc, char** argv) {
  CLI::App app{"Headroom: forecasts overdraft risk per account and nudges customers before it happens."};
  app.require_subcommand(1, 1);
  app.set_help_all_flag("--help-all", "Describe every verb and flag");

  std::vector<std::pair<CLI::App*, CommandRunner>> verbs;
  auto add = [&](CommandRunner (*adder)(CLI::App&)) {
    const auto before = app.get_subcommands({}).size();
    CommandRunner run = adder(app);
    verbs.emplace_back(app.get_subcommands({}).at(before), std::move(run));
  };
  add(add_db_command);
  add(add_migrate_command);
  add(add_import_command);
  add(add_run_command);
  add(add_forecast_command);
  add(add_backtest_command);
  add(add_evaluate_command);
  add(add_simulate_command);
  add(add_experiment_command);
  add(add_report_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  // libcurl's global state must exist before any thread starts.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = kExitRuntimeFailure;
  try {
    configure_logging(log_settings_from_env());
    for (auto& [sub, run] : verbs) {
      if (sub->parsed()) code = run();
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "headroom: %s\nRun 'headroom --help' for usage.\n", e.what());
    code = kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "headroom: error: %s\n", e.what());
    code = kExitRuntimeFailure;
  }
  curl_global_cleanup();
  return code;
}
