#!/usr/bin/env bash
# Source rules the compiler cannot see, checked by scripts/test.sh before the
# build (exit 1 names each offending line):
#  1. the pure folders include no SQL, network or logging library;
#  2. the environment is read only by the configuration code (cli/environment.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

pure=(forecast nudges measurement ingest sim)
if hits=$(grep -rnE '#include[[:space:]]*<(pqxx|boost/asio|boost/beast|curl|spdlog)' "${pure[@]}"); then
  echo "check_sources: a pure folder includes an I/O or logging library (docs/DESIGN.md):" >&2
  echo "$hits" >&2
  status=1
fi

product=(forecast nudges measurement ingest sim db edge service cli)
if hits=$(grep -rnE '\b(std::)?(secure_)?getenv[[:space:]]*\(' "${product[@]}" | grep -v '^cli/environment\.cpp:'); then
  echo "check_sources: the environment is read outside cli/environment.cpp (add the setting to cli/config.hpp):" >&2
  echo "$hits" >&2
  status=1
fi
exit $status
