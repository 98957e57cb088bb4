// Placeholder until the verb lands; says so instead of pretending.
#include <cstdio>

#include "service/command.hpp"

namespace headroom::service {

CommandRunner add_run_command(CLI::App& app) {
  app.add_subcommand("run", "(not implemented yet)");
  return [] {
    std::fprintf(stderr, "headroom run: not implemented yet\n");
    return kExitRuntimeFailure;
  };
}

}  // namespace headroom::service
