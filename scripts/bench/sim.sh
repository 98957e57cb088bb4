#!/usr/bin/env bash
# Simulator throughput: 100,000 accounts x 365 days to CSV on all cores
# (acceptance: <= 60 s on the 2-core project machine), then the per-account
# micro-benchmark. Run through scripts/bench.sh sim (sets BENCH_BUILD).
# Env: SIM_BENCH_ACCOUNTS (default 100000), SIM_BENCH_DIR (default a temp dir; the
# CSV is ~5 GB and is deleted afterwards).
set -euo pipefail
BENCH_BUILD=${BENCH_BUILD:?run through scripts/bench.sh sim}
accounts=${SIM_BENCH_ACCOUNTS:-100000}
dir=${SIM_BENCH_DIR:-$(mktemp -d)}
out=$dir/sim-bench-transactions.csv
trap 'rm -f "$out"' EXIT
threads=$(nproc)
echo "== headroom simulate --accounts $accounts --days 365 --seed 1 --csv $out --threads $threads"
start=$(date +%s.%N)
"$BENCH_BUILD/bin/headroom" simulate --accounts "$accounts" --days 365 --seed 1 --csv "$out" --threads "$threads"
end=$(date +%s.%N)
rows=$(($(wc -l <"$out") - 1))
bytes=$(stat -c %s "$out")
awk -v s="$start" -v e="$end" -v r="$rows" -v b="$bytes" -v a="$accounts" 'BEGIN {
  t = e - s
  printf "wall %.1f s, %d rows (%.0f rows/s), %.2f GB (%.0f MB/s), %.0f accounts/s\n", t, r, r / t, b / 1e9, b / 1e6 / t, a / t
}'
if [[ -x $BENCH_BUILD/bin/sim_bench ]]; then
  "$BENCH_BUILD/bin/sim_bench" --benchmark_min_time=2
fi
