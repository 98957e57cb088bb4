#!/usr/bin/env bash
# scripts/evaluate.sh: forecast quality of the engine against the two in-project
# baselines (drift, seasonal naive) on a simulated population.
#
#   scripts/evaluate.sh [--accounts N] [--days D] [--seed S] [--horizon H] [--out DIR]
#                       [--peer-tasks T] [--peer-paths P]
#
# Simulates N accounts (headroom simulate), backtests each model at origins
# every 7 days (headroom backtest --model …), scores them (headroom evaluate)
# and prints one table per model. Env HEADROOM_BIN overrides the binary
# (default: build/bin/headroom).
# When R with the forecast package is installed (Debian's r-cran-forecast;
# scripts/bootstrap.sh does not install it), it also runs the auto.arima and
# ets peers (scripts/peers/r_forecast.R, P sample paths, default 100) on T tasks
# (default 2000: four random origins of each of T/4 random accounts; about a
# third of a second per task) and scores the engine on the same tasks, so the
# two rows compare like with like. --peer-tasks 0 skips it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HEADROOM_BIN:-$ROOT/build/bin/headroom}
accounts=5000 days=365 seed=1 horizon=14 out=$ROOT/out/evaluate start=2024-01-01 threads=0
peer_tasks=2000 peer_paths=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --accounts) accounts=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --horizon) horizon=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --peer-tasks) peer_tasks=$2; shift 2 ;;
    --peer-paths) peer_paths=$2; shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
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

[[ $peer_tasks -gt 0 ]] || exit 0
if ! /usr/bin/Rscript -e 'quit(status = !requireNamespace("forecast", quietly = TRUE))' >/dev/null 2>&1; then
  echo "== R peers skipped: R's forecast package is not installed (apt-get install r-cran-forecast)" >&2
  exit 0
fi
# The peer's tasks: four random origins (of the engine's) of each of
# peer_tasks/4 random accounts, and only those accounts' transactions.
peer=$out/peer-$peer_tasks-$seed
mkdir -p "$peer"
awk -F, 'NR > 1 { print $1 }' "$out/pred-engine.csv" | uniq |
  awk -v s="$seed" 'BEGIN { srand(s) } { printf "%.9f\t%s\n", rand(), $0 }' | sort | awk -v k=$((peer_tasks / 4)) 'NR <= k' |
  cut -f2 | sort >"$peer/accounts"
{
  echo "account_id,origin"
  awk -F, 'NR == FNR { keep[$1] = 1; next } FNR > 1 && ($1 in keep) { print $1 "," $2 }' "$peer/accounts" "$out/pred-engine.csv" |
    awk -v s="$seed" 'BEGIN { srand(s + 1) } { printf "%s\t%.9f\t%s\n", substr($0, 1, index($0, ",") - 1), rand(), $0 }' |
    sort -k1,1 -k2,2 | awk -F'\t' '$1 != last { n = 0; last = $1 } ++n <= 4 { print $3 }'
} >"$peer/tasks.csv"
awk -F, 'NR == FNR { keep[$1] = 1; next } FNR == 1 || ($1 in keep)' "$peer/accounts" "$txns" >"$peer/transactions.csv"
awk -F, 'NR == FNR { keep[$1 "," $2] = 1; next } FNR == 1 || (($1 "," $2) in keep)' "$peer/tasks.csv" \
  "$out/pred-engine.csv" >"$peer/pred-engine.csv"
for model in auto.arima ets; do
  echo "== $model peer on $(($(wc -l <"$peer/tasks.csv") - 1)) tasks ($peer_paths paths each)" >&2
  /usr/bin/Rscript "$ROOT/scripts/peers/r_forecast.R" "$model" "$peer/transactions.csv" "$peer/tasks.csv" \
    "$horizon" "$peer_paths" "$seed" "$peer/pred-$model.csv"
done
for model in engine auto.arima ets; do
  "$BIN" evaluate --predictions "$peer/pred-$model.csv" --transactions "$txns" --horizon "$horizon" \
    --label "$model (peer tasks)" --json "$peer/scores-$model.json"
done
