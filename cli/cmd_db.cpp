// headroom db start|stop|status|url: manage the embedded cluster by hand.
#include <cstdio>
#include <memory>

#include "db/embedded_cluster.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {

namespace {

struct DbArgs {
  std::string config_path;
};

db::EmbeddedCluster embedded_cluster(const Config& config) {
  return db::EmbeddedCluster(db::EmbeddedClusterOptions{config.database.embedded_dir, config.database.pg_bindir});
}

void require_embedded(const Config& config, const char* action) {
  if (!config.database.url.empty())
    throw UsageError(std::string("a database URL is configured (HEADROOM_DATABASE_URL or [database] url): "
                                 "'headroom db ") +
                     action + "' manages only the embedded cluster");
}

}  // namespace

CommandRunner add_db_command(CLI::App& app) {
  auto args = std::make_shared<DbArgs>();
  CLI::App* db = app.add_subcommand("db", "Manage the embedded PostgreSQL cluster (.headroom/pg)");
  db->require_subcommand(1, 1);
  add_config_option(*db, args->config_path);
  CLI::App* start = db->add_subcommand(
      "start", "Create (initdb) and start the embedded cluster; it keeps running until 'headroom db stop'");
  CLI::App* stop = db->add_subcommand("stop", "Stop the embedded cluster (open sessions are disconnected)");
  CLI::App* status = db->add_subcommand("status", "Print whether the embedded cluster is running, stopped or not created");
  CLI::App* url = db->add_subcommand("url", "Print the libpq connection string headroom uses");
  // `headroom db url --config F` works as well as `headroom db --config F url`.
  for (CLI::App* action : {start, stop, status, url}) action->fallthrough();

  return [=] {
    const Config config = load_config(args->config_path);
    if (url->parsed()) {
      std::printf("%s\n", config.database.url.empty() ? embedded_cluster(config).url().c_str()
                                                        : config.database.url.c_str());
      return kExitOk;
    }
    if (start->parsed()) {
      require_embedded(config, "start");
      auto cluster = embedded_cluster(config);
      const bool started = cluster.acquire(/*keep=*/true);
      std::printf("embedded cluster %s in %s\nurl: %s\n", started ? "started" : "already running",
                  cluster.dir().c_str(), cluster.url().c_str());
      return kExitOk;
    }
    if (stop->parsed()) {
      require_embedded(config, "stop");
      auto cluster = embedded_cluster(config);
      const bool was_running = cluster.state() == db::ClusterState::kRunning;
      cluster.stop();
      std::printf("embedded cluster %s (%s)\n", was_running ? "stopped" : "was not running", cluster.dir().c_str());
      return kExitOk;
    }
    if (status->parsed()) {
      auto cluster = embedded_cluster(config);
      std::printf("%s (%s)\n", db::to_string(cluster.state()), cluster.dir().c_str());
      return kExitOk;
    }
    return kExitUsage;
  };
}

}  // namespace headroom::cli
