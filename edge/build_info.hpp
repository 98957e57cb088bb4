#pragma once
// What this binary was built from, for `headroom --version` and the
// headroom_build_info series of /metrics.

#include <string>
#include <string_view>

namespace headroom::edge {

// CMake's project version ("0.1.0").
std::string_view build_version();
// `git rev-parse --short HEAD` when CMake configured the build; "unknown"
// outside a git checkout. A commit made since then is not seen until the next
// configure.
std::string_view build_commit();
// "headroom 0.1.0 (commit 1ac2d4a)".
std::string build_description();

}  // namespace headroom::edge
