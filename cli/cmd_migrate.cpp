// headroom migrate: apply the migrations compiled into this binary.
#include <cstdio>
#include <memory>

#include "db/database.hpp"
#include "db/migrations.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {

CommandRunner add_migrate_command(CLI::App& app) {
  auto config_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Apply the database migrations this headroom carries (forward-only; re-running is a no-op). The only verb "
      "that changes the schema: run it first, as the owner role (docs/deployment.md)");
  add_config_option(*cmd, *config_path);
  return [=] {
    const Config config = load_config(*config_path);
    db::DatabaseSession session(database_options(config.database));
    auto conn = session.connect();
    const auto report = db::apply_migrations(*conn, db::embedded_migrations());
    for (const auto& name : report.applied) std::printf("applied %s\n", name.c_str());
    std::printf("migrate: %zu applied, %zu already applied\n", report.applied.size(), report.already_applied);
    return kExitOk;
  };
}

}  // namespace headroom::cli
