// headroom forget ACCOUNT: erase one customer's contact data and the copy
// rendered for them, keeping the pseudonymous decisions and outcomes
// (db/erasure.hpp; docs/privacy.md says what goes, what stays and why).
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "db/database.hpp"
#include "db/erasure.hpp"
#include "db/migrations.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {

CommandRunner add_forget_command(CLI::App& app) {
  struct Options {
    std::string account;
    std::string config_path;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "forget",
      "Erase one customer's data (GDPR Art. 17, CCPA deletion): the email address and consent, the rendered copy "
      "of every email and in-app nudge, pending deliveries; decisions, assignments and outcomes stay under the "
      "bank's account id (docs/privacy.md). A repeat changes nothing. Exit 1 for an account unknown here");
  add_config_option(*cmd, o->config_path);
  cmd->add_option("ACCOUNT", o->account, "The bank's account id")->required();
  return [o] {
    const Config config = load_config(o->config_path);
    db::DatabaseSession session{database_options(config.database)};
    auto conn = session.connect();
    db::require_current_schema(*conn);
    const db::ErasureReport report = db::erase_account(*conn, o->account, db::ErasureSource::kCli);
    const std::string line = db::describe_erasure(o->account, report);
    // The log is the audit trail a supervisor keeps; stdout is the operator's answer.
    spdlog::info("[forget] {}", line);
    if (!report.known) {
      std::fprintf(stderr, "headroom forget: %s\n", line.c_str());
      return kExitRuntimeFailure;
    }
    std::printf("forget: %s\n", line.c_str());
    return kExitOk;
  };
}

}  // namespace headroom::cli
