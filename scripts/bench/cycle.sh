#!/usr/bin/env bash
# scripts/bench.sh cycle [ACCOUNTS] [DAYS]: one full scoring cycle over a
# simulated population (default 100,000 accounts x 365 days) compared with a
# bare COPY of the same rows in the order the cycle reads them, measured in
# the same run on a throwaway cluster. Reports both wall times, their ratio
# (target <= 1.5: reading the data is the floor) and the daemon's peak RSS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
HEADROOM=$BENCH_BUILD/bin/headroom
ACCOUNTS=${1:-100000}
DAYS=${2:-365}
START=2025-01-01

WORK=$(mktemp -d /tmp/headroom-bench-cycle.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop "$WORK/pg"; rm -rf "$WORK"' EXIT INT TERM
export HEADROOM_DATABASE_URL
HEADROOM_DATABASE_URL=$(pg_start "$WORK/pg")

now() { date +%s.%N; }
echo "bench cycle: simulating $ACCOUNTS accounts x $DAYS days" >&2
"$HEADROOM" simulate --accounts "$ACCOUNTS" --days "$DAYS" --start "$START" --seed 7 --csv "$WORK/t.csv" >/dev/null
"$HEADROOM" migrate >/dev/null
"$HEADROOM" import "$WORK/t.csv" >&2
rm -f "$WORK/t.csv"
psql -X -q "$HEADROOM_DATABASE_URL" -c "VACUUM ANALYZE headroom.transactions" >/dev/null
ROWS=$(psql -X -qAt "$HEADROOM_DATABASE_URL" -c "SELECT count(*) FROM headroom.transactions")

# Warm the cache once so neither measurement pays for cold pages.
psql -X -q "$HEADROOM_DATABASE_URL" -c "COPY (SELECT account_id, txn_id, posted_at, amount, balance_after, description, kind FROM headroom.transactions ORDER BY account_id, posted_at, txn_id) TO STDOUT" >/dev/null
t0=$(now)
psql -X -q "$HEADROOM_DATABASE_URL" -c "COPY (SELECT account_id, txn_id, posted_at, amount, balance_after, description, kind FROM headroom.transactions ORDER BY account_id, posted_at, txn_id) TO STDOUT" >/dev/null
t1=$(now)
AS_OF=$(date -u -d "$START + $DAYS days" +%F)
/usr/bin/time -f "%M" -o "$WORK/rss" "$HEADROOM" run --once --as-of "$AS_OF" >"$WORK/cycle.out" 2>"$WORK/cycle.err"
t2=$(now)
cat "$WORK/cycle.out"
COPY_S=$(echo "$t1 - $t0" | bc -l)
CYCLE_S=$(echo "$t2 - $t1" | bc -l)
RSS_MB=$(( $(cat "$WORK/rss") / 1024 ))
printf 'cycle bench: %d accounts, %d rows; bare COPY %.2f s; full cycle %.2f s; ratio %.2f; peak RSS %d MiB; load %s\n' \
  "$ACCOUNTS" "$ROWS" "$COPY_S" "$CYCLE_S" "$(echo "$CYCLE_S / $COPY_S" | bc -l)" "$RSS_MB" "$(cut -d' ' -f1-3 /proc/loadavg)"
