#!/usr/bin/env bash
# scripts/bench.sh NAME [ARGS…]: builds with benchmarks on and runs
# scripts/bench/NAME.sh. Without NAME, lists the benchmarks.
# Numbers go to docs/performance.md together with the command that made them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# One line each; the script's header has the method and its arguments.
declare -A ABOUT=(
  [api]="HTTP API forecast reads under wrk (64 connections) against pgbench on the same SELECT; /healthz under that load"
  [cycle]="one full scoring cycle against a bare COPY of the rows it reads; peak RSS"
  [forecast]="fit + 30-day projection per account; headroom backtest tasks/s"
  [import]="headroom import rows/s: first load, re-import, the server's floor, embedded cluster"
  [incremental]="insert-to-forecast latency of the LISTEN/NOTIFY path under a steady insert load"
  [nudges]="the planner's decisions/s; email throughput to a local SMTP sink"
  [sim]="simulator throughput, 100,000 accounts x 365 days to CSV"
)
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  echo "usage: scripts/bench.sh NAME [ARGS…]; benchmarks:"
  for f in scripts/bench/*.sh; do
    name=$(basename "$f" .sh)
    printf '  %-12s %s\n' "$name" "${ABOUT[$name]:-}"
  done
  exit 0
fi
name=$1; shift
[[ -f scripts/bench/$name.sh ]] || { echo "bench.sh: no benchmark '$name'" >&2; exit 2; }
bash scripts/bootstrap.sh
export BENCH_BUILD=${HEADROOM_BENCH_BUILD_DIR:-$ROOT/build-bench}
cmake -S . -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DHEADROOM_BUILD_BENCH=ON -DHEADROOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$BENCH_BUILD" -j"$(nproc)"
exec bash "scripts/bench/$name.sh" "$@"
