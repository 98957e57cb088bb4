#!/usr/bin/env bash
# scripts/bench.sh NAME [ARGS…]: builds with benchmarks on and runs
# scripts/bench/NAME.sh. Without NAME, lists the benchmarks.
# Numbers go to docs/performance.md together with the command that made them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  echo "usage: scripts/bench.sh NAME [ARGS…]; benchmarks:"
  for f in scripts/bench/*.sh; do echo "  $(basename "$f" .sh)"; done
  exit 0
fi
name=$1; shift
[[ -f scripts/bench/$name.sh ]] || { echo "bench.sh: no benchmark '$name'" >&2; exit 2; }
bash scripts/bootstrap.sh
export BENCH_BUILD=${HEADROOM_BENCH_BUILD_DIR:-$ROOT/build-bench}
cmake -S . -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DHEADROOM_BUILD_BENCH=ON -DHEADROOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$BENCH_BUILD" -j"$(nproc)"
exec bash "scripts/bench/$name.sh" "$@"
