#include "edge/build_info.hpp"

// Defined for this file alone (edge/CMakeLists.txt), so a new commit
// recompiles nothing else.
#ifndef HEADROOM_VERSION
#error "HEADROOM_VERSION is set by edge/CMakeLists.txt"
#endif
#ifndef HEADROOM_COMMIT
#error "HEADROOM_COMMIT is set by edge/CMakeLists.txt"
#endif

namespace headroom::edge {

std::string_view build_version() { return HEADROOM_VERSION; }
std::string_view build_commit() { return HEADROOM_COMMIT; }
std::string build_description() {
  return "headroom " + std::string(build_version()) + " (commit " + std::string(build_commit()) + ")";
}

}  // namespace headroom::edge
