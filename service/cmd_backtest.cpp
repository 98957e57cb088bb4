// Placeholder until the verb lands; says so instead of pretending.
#include <cstdio>

#include "service/command.hpp"

namespace headroom::service {

CommandRunner add_backtest_command(CLI::App& app) {
  app.add_subcommand("backtest", "(not implemented yet)");
  return [] {
    std::fprintf(stderr, "headroom backtest: not implemented yet\n");
    return kExitRuntimeFailure;
  };
}

}  // namespace headroom::service
