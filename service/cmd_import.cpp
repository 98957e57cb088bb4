// Placeholder until the verb lands; says so instead of pretending.
#include <cstdio>

#include "service/command.hpp"

namespace headroom::service {

CommandRunner add_import_command(CLI::App& app) {
  app.add_subcommand("import", "(not implemented yet)");
  return [] {
    std::fprintf(stderr, "headroom import: not implemented yet\n");
    return kExitRuntimeFailure;
  };
}

}  // namespace headroom::service
