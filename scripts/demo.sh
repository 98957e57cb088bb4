#!/usr/bin/env bash
# The main job end to end on this machine: installs what is missing, builds,
# starts the embedded PostgreSQL (.headroom/pg), simulates a population of
# accounts, imports their transactions, runs one full scoring cycle as of the
# day after the data ends, backtests the engine against its baselines on the
# same population, and prints what it measured.
# Environment: DEMO_ACCOUNTS (default 2000), DEMO_DAYS (365), DEMO_SEED (42).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ACCOUNTS=${DEMO_ACCOUNTS:-2000}
DAYS=${DEMO_DAYS:-365}
SEED=${DEMO_SEED:-42}
START=2025-10-01
OUT=$ROOT/.headroom/demo
BIN=$ROOT/build/bin/headroom

step() { printf '\n== %s\n' "$*"; }

step "Installing missing packages and building"
bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target headroom >/dev/null

unset HEADROOM_DATABASE_URL  # the demo always uses its private embedded cluster
step "Starting the embedded PostgreSQL"
"$BIN" db start
URL=$("$BIN" db url)
"$BIN" migrate

mkdir -p "$OUT"
step "Simulating $ACCOUNTS accounts over $DAYS days (seed $SEED)"
"$BIN" simulate --accounts "$ACCOUNTS" --days "$DAYS" --start "$START" --seed "$SEED" \
  --csv "$OUT/transactions.csv" --accounts-csv "$OUT/accounts.csv" --summary

step "Importing transactions (all or nothing; a re-run finds them unchanged)"
"$BIN" import "$OUT/transactions.csv"

AS_OF=$(date -u -d "$START + $DAYS days" +%F)
step "Scoring every account as of $AS_OF"
"$BIN" run --once --as-of "$AS_OF"

step "What the engine found"
psql -X -q "$URL" <<'SQL'
\pset footer off
SELECT count(*) AS accounts_forecast,
       round(avg(p_overdraft_window)::numeric, 3) AS mean_p_overdraft_30d,
       count(*) FILTER (WHERE p_overdraft_window >= 0.5) AS accounts_at_high_risk,
       count(*) FILTER (WHERE model_kind = 'fallback') AS fallback_models
FROM headroom.forecasts;
SELECT account_id, round(p_overdraft_window::numeric, 2) AS p_overdraft, first_risky_day, summary
FROM headroom.forecasts WHERE first_risky_day IS NOT NULL
ORDER BY p_overdraft_window DESC, account_id LIMIT 5;
SQL

step "Backtest: engine versus drift and seasonal-naive baselines (14-day window)"
for model in engine drift seasonal; do
  "$BIN" backtest --transactions "$OUT/transactions.csv" --horizon 14 --model "$model" --out "$OUT/pred-$model.csv" >/dev/null
done
for model in engine drift seasonal; do
  "$BIN" evaluate --transactions "$OUT/transactions.csv" --horizon 14 --predictions "$OUT/pred-$model.csv" --label "$model"
done

step "Stopping the embedded PostgreSQL"
"$BIN" db stop
echo "demo: done; outputs in $OUT"
