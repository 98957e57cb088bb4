#!/usr/bin/env bash
# Forecast engine speed (run through scripts/bench.sh forecast; BENCH_BUILD set).
# 1. Google Benchmark: fit + 30-day projection for one account with a year of
#    history (~420 rows), medians of 9 repetitions, one core.
# 2. headroom backtest throughput on a simulated population (default 1,000
#    accounts × 365 days, horizon 14, 1 and 2 threads); prints tasks/s of the
#    forecast phase and its process CPU time (CSV read reported separately).
#    Set HEADROOM_BENCH_BUILD_DIR (scripts/bench.sh) to keep your own build dir.
set -euo pipefail
BUILD=${BENCH_BUILD:?run through scripts/bench.sh}
ACCOUNTS=${FORECAST_BENCH_ACCOUNTS:-1000}
WORK=${FORECAST_BENCH_DIR:-$BUILD/forecast-bench}
mkdir -p "$WORK"
"$BUILD/bin/forecast_bench" --benchmark_repetitions=9 --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true
csv=$WORK/sim-$ACCOUNTS.csv
[[ -s $csv ]] || "$BUILD/bin/headroom" simulate --accounts "$ACCOUNTS" --days 365 --start 2024-01-01 --seed 1 --csv "$csv" >/dev/null
for threads in 1 2; do
  "$BUILD/bin/headroom" backtest --transactions "$csv" --horizon 14 --threads "$threads" --out "$WORK/pred-$threads.csv" \
    2>&1 | grep -v '^\[backtest\] [0-9]*/'
done
cmp -s "$WORK/pred-1.csv" "$WORK/pred-2.csv" && echo "predictions identical for 1 and 2 threads"
