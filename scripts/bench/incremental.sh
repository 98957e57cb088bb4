#!/usr/bin/env bash
# scripts/bench.sh incremental [ACCOUNTS] [RATE] [SECONDS]: the daemon's
# incremental path (LISTEN/NOTIFY re-forecast) under a steady insert load.
#
# On a throwaway cluster (scripts/lib/pg.sh): simulates ACCOUNTS accounts
# (default 5,000) with a year of history ending yesterday, imports them,
# starts `headroom run` (default settings: LISTEN on, full cycles a week
# apart) and waits until its first full cycle is done, so the daemon is idle.
# Then bench/incremental_load inserts RATE transactions per second (default
# 200) for SECONDS (default 60), each its own committed transaction on a
# random account, and times each commit to the commit of that account's
# updated forecast row, seen through a benchmark-only trigger on
# headroom.forecasts that NOTIFYs at commit (see bench/incremental_load.cpp
# for the method). Prints p50/p90/p99/max and the inserts whose forecast
# never updated within the settle time. Target: p99 <= 100 ms.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
HEADROOM=$BENCH_BUILD/bin/headroom
LOAD=$BENCH_BUILD/bin/incremental_load
ACCOUNTS=${1:-5000}
RATE=${2:-200}
SECONDS_LOAD=${3:-60}
DAYS=365
# The daemon forecasts as of today (UTC): the history ends yesterday, as a
# live bank's would.
START=$(date -u -d "today - $DAYS days" +%F)

WORK=$(mktemp -d /tmp/headroom-bench-incremental.XXXXXX)
chmod 755 "$WORK"
DAEMON_PID=""
cleanup() {
  if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  pg_stop "$WORK/pg"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
export HEADROOM_DATABASE_URL
HEADROOM_DATABASE_URL=$(pg_start "$WORK/pg")
sql() { psql -X -qAt -v ON_ERROR_STOP=1 "$HEADROOM_DATABASE_URL" -c "$1"; }

echo "bench incremental: simulating $ACCOUNTS accounts x $DAYS days from $START" >&2
"$HEADROOM" simulate --accounts "$ACCOUNTS" --days "$DAYS" --start "$START" --seed 7 --csv "$WORK/t.csv" >/dev/null
"$HEADROOM" migrate >/dev/null
"$HEADROOM" import "$WORK/t.csv" >&2
rm -f "$WORK/t.csv"
sql "VACUUM ANALYZE headroom.transactions"

# The daemon with its defaults, except: any free HTTP port, and full cycles
# a week apart so that none runs during the load.
HEADROOM_HTTP_PORT=0 "$HEADROOM" run --interval-seconds 604800 >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
echo "bench incremental: waiting for the daemon's first full cycle" >&2
for _ in $(seq 1 1800); do
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; echo "daemon exited" >&2; exit 1; }
  done_cycles=$(sql "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL")
  listening=$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %headroom_transactions%' AND pid <> pg_backend_pid()")
  [[ $done_cycles -ge 1 && $listening -ge 1 ]] && break
  sleep 0.5
done
[[ $done_cycles -ge 1 && $listening -ge 1 ]] || { echo "daemon not ready after 15 min" >&2; exit 1; }
FORECASTS=$(sql "SELECT count(*) FROM headroom.forecasts")
echo "bench incremental: daemon idle, $FORECASTS forecasts; loading $RATE inserts/s for $SECONDS_LOAD s" >&2

# Benchmark-only: NOTIFY at the commit of every forecast row written.
sql "CREATE FUNCTION public.bench_notify_forecast() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN PERFORM pg_notify('bench_forecast', NEW.account_id); RETURN NULL; END \$\$;
     CREATE TRIGGER bench_forecast_notify AFTER INSERT OR UPDATE ON headroom.forecasts
       FOR EACH ROW EXECUTE FUNCTION public.bench_notify_forecast();"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
SUMMARY=$("$LOAD" --url "$HEADROOM_DATABASE_URL" --rate "$RATE" --seconds "$SECONDS_LOAD" --settle-seconds 10 \
  --latencies "${INCREMENTAL_LATENCIES:-$WORK/latencies.csv}")
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || true
DAEMON_PID=""
grep -iE "error|warn" "$WORK/daemon.log" | head -5 >&2 || true
echo "$SUMMARY; load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
