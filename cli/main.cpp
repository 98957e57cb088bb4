// headroom: one binary, one verb per job (docs/DESIGN.md, "CLI").
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "db/migrations.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"
#include "cli/logging.hpp"
#include "edge/build_info.hpp"

using namespace headroom::cli;

namespace {

using Verbs = std::vector<std::pair<CLI::App*, CommandRunner>>;

// CLI11 reports an unknown verb as a missing one ("A subcommand is
// required"), which hides the word that was typed. Returns the message naming
// it and the verbs of that level when a leading word is no verb; nullopt when
// CLI11's own message is the right one (a flag, an operand, a missing verb).
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  std::string typed;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    const auto verbs = level->get_subcommands({});
    if (word.empty() || word[0] == '-' || verbs.empty()) return std::nullopt;
    typed += (typed.empty() ? "" : " ") + word;
    CLI::App* next = nullptr;
    for (CLI::App* verb : verbs)
      if (verb->check_name(word)) next = verb;
    if (next == nullptr) {
      std::string names;
      for (CLI::App* verb : verbs) names += (names.empty() ? "" : ", ") + verb->get_name();
      return "unknown command '" + typed + "' (commands: " + names + ")";
    }
    level = next;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Headroom: forecasts overdraft risk per account and nudges customers before it happens."};
  app.require_subcommand(1, 1);
  app.set_help_all_flag("--help-all", "Describe every verb and flag");
  // The same version and commit as /metrics' headroom_build_info.
  app.set_version_flag("--version", headroom::edge::build_description());
  app.footer(
      "'headroom migrate' comes first: it is the only verb that creates or changes the schema, the embedded "
      "cluster's included; every other verb that touches the database checks the schema version and exits 3 "
      "when it is not this binary's (docs/deployment.md).");

  Verbs verbs;
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
  add(add_forget_command);
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
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const auto unknown = unknown_command(app, argc, argv)) {
      std::fprintf(stderr, "headroom: %s\nRun 'headroom --help' for usage.\n", unknown->c_str());
      return kExitUsage;
    }
    app.exit(e);
    return kExitUsage;
  }

  // libcurl's global state must exist before any thread starts.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = kExitRuntimeFailure;
  try {
    // Before the verb, which reads the rest of the configuration itself (or
    // none: backtest, evaluate and a file-only simulate read no settings).
    configure_logging(load_log_settings());
    for (auto& [sub, run] : verbs) {
      if (sub->parsed()) code = run();
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "headroom: %s\nRun 'headroom --help' for usage.\n", e.what());
    code = kExitUsage;
  } catch (const headroom::db::SchemaNotCurrent& e) {
    std::fprintf(stderr, "headroom: error: %s\n", e.what());
    code = kExitSchemaNotCurrent;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "headroom: error: %s\n", e.what());
    code = kExitRuntimeFailure;
  }
  curl_global_cleanup();
  return code;
}
