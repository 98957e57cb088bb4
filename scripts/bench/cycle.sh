#!/usr/bin/env bash
# scripts/bench.sh cycle [ACCOUNTS] [DAYS]: one full scoring cycle over a
# simulated population (default 100,000 accounts x 365 days) compared with a
# bare COPY of the same rows in the order the cycle reads them, measured in
# the same run on a throwaway cluster, cache warm for both. Reports both wall
# times, their ratio (target <= 1.5: reading the data is the floor), the
# daemon's peak RSS (target <= 1 GiB), and the CPU seconds of client and
# server, which a busy machine does not inflate the way it does wall times.
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
# CPU seconds of the whole server: its live processes plus the backends it
# has reaped (the postmaster's cutime/cstime). Call after the client exits
# and the backend is gone (server_cpu waits a moment for the reaping).
server_cpu() {
  sleep 1
  local pm; pm=$(head -1 "$WORK/pg/data/postmaster.pid")
  { awk '{print $14+$15+$16+$17}' "/proc/$pm/stat"
    for p in $(pgrep -P "$pm"); do awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || true; done
  } | awk -v hz="$(getconf CLK_TCK)" '{s+=$1} END{printf "%.1f", s/hz}'
}
echo "bench cycle: simulating $ACCOUNTS accounts x $DAYS days" >&2
"$HEADROOM" simulate --accounts "$ACCOUNTS" --days "$DAYS" --start "$START" --seed 7 --csv "$WORK/t.csv" >/dev/null
"$HEADROOM" migrate >/dev/null
"$HEADROOM" import "$WORK/t.csv" >&2
rm -f "$WORK/t.csv"
psql -X -q "$HEADROOM_DATABASE_URL" -c "VACUUM ANALYZE headroom.transactions" >/dev/null
ROWS=$(psql -X -qAt "$HEADROOM_DATABASE_URL" -c "SELECT count(*) FROM headroom.transactions")

# The rows the cycle reads, in the order it reads them (db/scoring_cycle.cpp
# streams the same columns per chunk of accounts with the same ORDER BY).
COPY_SQL="COPY (SELECT account_id, txn_id, posted_at, amount, balance_after, description, kind FROM headroom.transactions ORDER BY account_id, posted_at, txn_id) TO STDOUT"
# Warm the cache once so neither measurement pays for cold pages.
psql -X -q "$HEADROOM_DATABASE_URL" -c "$COPY_SQL" >/dev/null
echo "bench cycle: $ROWS rows; bare COPY, then the full cycle" >&2
c0=$(server_cpu)
t0=$(now)
psql -X -q "$HEADROOM_DATABASE_URL" -c "$COPY_SQL" >/dev/null
t1=$(now)
c1=$(server_cpu)
AS_OF=$(date -u -d "$START + $DAYS days" +%F)
t2=$(now)
/usr/bin/time -f "%M %U %S" -o "$WORK/time" "$HEADROOM" run --once --as-of "$AS_OF" >"$WORK/cycle.out" 2>"$WORK/cycle.err"
t3=$(now)
c2=$(server_cpu)
cat "$WORK/cycle.out"
grep -F "chunks here" "$WORK/cycle.err" >&2 || true
COPY_S=$(echo "$t1 - $t0" | bc -l)
RUN_S=$(echo "$t3 - $t2" | bc -l)
# The cycle's own wall time as it reports it (from leasing the first chunk
# to the last commit); the command's adds start-up and the delivery pass.
CYCLE_S=$(sed -n 's/^cycle .* chunks, \([0-9.]*\) s.*/\1/p' "$WORK/cycle.out")
read -r RSS_KB CLIENT_USER CLIENT_SYS <"$WORK/time"
# A second cycle, as of the next day: the daemon's steady state, in which
# every account's forecast row exists and is updated (the first inserts them).
AS_OF2=$(date -u -d "$AS_OF + 1 day" +%F)
/usr/bin/time -f "%M %U %S" -o "$WORK/time2" "$HEADROOM" run --once --as-of "$AS_OF2" >"$WORK/cycle2.out" 2>"$WORK/cycle2.err"
cat "$WORK/cycle2.out"
grep -F "chunks here" "$WORK/cycle2.err" >&2 || true
CYCLE2_S=$(sed -n 's/^cycle .* chunks, \([0-9.]*\) s.*/\1/p' "$WORK/cycle2.out")
read -r RSS2_KB _ _ <"$WORK/time2"
printf 'cycle bench: %d accounts, %d rows; bare COPY %.2f s; full cycle %.2f s (whole run --once %.2f s); ratio %.2f (whole command %.2f); second cycle (forecasts updated) %.2f s, ratio %.2f; peak RSS %d / %d MiB; CPU s: COPY server %.1f, first cycle client %.1f + server %.1f; load %s\n' \
  "$ACCOUNTS" "$ROWS" "$COPY_S" "$CYCLE_S" "$RUN_S" "$(echo "$CYCLE_S / $COPY_S" | bc -l)" "$(echo "$RUN_S / $COPY_S" | bc -l)" \
  "$CYCLE2_S" "$(echo "$CYCLE2_S / $COPY_S" | bc -l)" "$((RSS_KB / 1024))" "$((RSS2_KB / 1024))" \
  "$(echo "$c1 - $c0" | bc -l)" "$(echo "$CLIENT_USER + $CLIENT_SYS" | bc -l)" "$(echo "$c2 - $c1" | bc -l)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
