// Fuzz target: the configuration file (cli/config.hpp), read by load_config
// from a TOML file with no HEADROOM_* variable set. Properties:
//  - load_config either returns a Config or throws UsageError, whose message
//    names the file (nothing else escapes: a toml++ or JSON exception would
//    reach the operator without the place at fault);
//  - an accepted Config has its numbers in their documented ranges, and
//    validated policies equal to what
//    nudges::parse_policies_toml reads from the same text.

#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/config.hpp"
#include "nudges/policy.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern char** environ;

using namespace headroom;

namespace {

// The target reads the file alone: no variable of the machine it runs on.
void clear_headroom_environment() {
  std::vector<std::string> names;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("HEADROOM_")) names.emplace_back(entry.substr(0, entry.find('=')));
  }
  for (const auto& n : names) ::unsetenv(n.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool cleared = (clear_headroom_environment(), true);
  (void)cleared;
  static fuzz::MemoryFile file;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string& path = file.write(text);

  cli::Config config;
  try {
    config = cli::load_config(path);
  } catch (const cli::UsageError& e) {
    FUZZ_CHECK(std::string_view(e.what()).find(path) != std::string_view::npos, e.what());
    return 0;
  }
  FUZZ_CHECK(config.database.statement_timeout.count() >= 0 && config.database.statement_timeout.count() <= 3'600'000,
             std::to_string(config.database.statement_timeout.count()));
  FUZZ_CHECK(config.http.api_threads <= 256, std::to_string(config.http.api_threads));
  FUZZ_CHECK(config.http.max_connections >= 1 && config.http.max_connections <= 65'536,
             std::to_string(config.http.max_connections));
  FUZZ_CHECK(config.http.ready_max_cycle_age.count() >= 0 && config.http.ready_max_cycle_age.count() <= 30 * 86'400,
             std::to_string(config.http.ready_max_cycle_age.count()));
  FUZZ_CHECK(config.incremental.poll_interval.count() >= 0 && config.incremental.poll_interval.count() <= 86'400,
             std::to_string(config.incremental.poll_interval.count()));

  std::vector<nudges::Policy> direct;
  try {
    direct = nudges::parse_policies_toml(text, path);
  } catch (const nudges::PolicyError& e) {
    FUZZ_CHECK(false, std::string("load_config accepted policies that parse_policies_toml refuses: ") + e.what());
  }
  FUZZ_CHECK(direct.size() == config.policies.size(), std::to_string(direct.size()));
  for (std::size_t i = 0; i < direct.size(); ++i) {
    nudges::validate_policy(config.policies[i], "fuzz");
    FUZZ_CHECK(nudges::policy_to_json(direct[i]) == nudges::policy_to_json(config.policies[i]), direct[i].name);
  }
  return 0;
}
