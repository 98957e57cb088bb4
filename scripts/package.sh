#!/usr/bin/env bash
# Builds the Debian package of Headroom: a Release build of the binary alone
# (no tests) in build-package/, installed under /usr by CPack into
# build-package/packages/headroom_VERSION-1_ARCH.deb, whose path is printed.
#   scripts/package.sh            # build-package/
#   BUILD=DIR scripts/package.sh  # another build folder (tests may be on)
# Inspect: dpkg-deb --info / --contents FILE. Install: dpkg -i FILE (it enables
# and starts nothing; docs/deployment.md says what to configure first).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/bootstrap.sh
BUILD=${BUILD:-$ROOT/build-package}
[[ -f $BUILD/CMakeCache.txt ]] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHEADROOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target headroom headroom_help_text
(cd "$BUILD" && cpack -G DEB -B "$BUILD/packages" >/dev/null)
ls -1t "$BUILD"/packages/headroom_*.deb | head -1
