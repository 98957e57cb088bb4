#!/usr/bin/env bash
# scripts/evaluate.sh: forecast quality of the engine against the two in-project
# baselines (drift, seasonal naive) on a simulated population.
#
#   scripts/evaluate.sh [--accounts N] [--days D] [--seed S] [--horizon H] [--out DIR]
#
# Simulates N accounts (headroom simulate), backtests each model at origins
# every 7 days (headroom backtest --model …), scores them (headroom evaluate)
# and prints one table per model. Env HEADROOM_BIN overrides the binary
# (default: build/bin/headroom). When R with the forecast package is present,
# auto.arima would be the optional peer from DESIGN.md; it is not wired yet.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HEADROOM_BIN:-$ROOT/build/bin/headroom}
accounts=5000 days=365 seed=1 horizon=14 out=$ROOT/out/evaluate start=2024-01-01 threads=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --accounts) accounts=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --horizon) horizon=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "evaluate.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x $BIN ]] || { echo "evaluate.sh: $BIN not built (cmake --build build --target headroom)" >&2; exit 1; }
mkdir -p "$out"
txns=$out/transactions-$accounts-$days-$seed.csv
if [[ ! -s $txns ]]; then
  echo "== simulate $accounts accounts × $days days (seed $seed)" >&2
  "$BIN" simulate --accounts "$accounts" --days "$days" --start "$start" --seed "$seed" --csv "$txns" >/dev/null
fi
for model in engine drift seasonal; do
  echo "== backtest $model" >&2
  t0=$(date +%s.%N)
  "$BIN" backtest --transactions "$txns" --horizon "$horizon" --model "$model" --threads "$threads" \
    --out "$out/pred-$model.csv" 2> >(grep -v '^\[backtest\] [0-9]*/' >&2)
  t1=$(date +%s.%N)
  n=$(($(wc -l < "$out/pred-$model.csv") - 1))
  awk -v n="$n" -v a="$t0" -v b="$t1" -v m="$model" 'BEGIN { printf "# %s: %d tasks in %.1f s (%.0f tasks/s, CSV read included)\n", m, n, b - a, n / (b - a) }'
  "$BIN" evaluate --predictions "$out/pred-$model.csv" --transactions "$txns" --horizon "$horizon" \
    --label "$model" --json "$out/scores-$model.json"
done
