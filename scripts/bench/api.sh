#!/usr/bin/env bash
# scripts/bench.sh api [ACCOUNTS] [SECONDS] [CONNECTIONS]: the HTTP API's read
# of a stored forecast under load, against PostgreSQL serving the same SELECT.
#
# On a throwaway cluster (scripts/lib/pg.sh): simulates 200 accounts with a
# year of history ending yesterday, imports them and starts `headroom run`
# (API token from a file, full cycles a week apart); once its first cycle has
# written their 30-day forecasts, the real rows are copied round-robin to
# ACCOUNTS account ids in all (default 10,000), as the daemon would have
# written them for a population that size. Then, one after the other:
#   1. wrk -t2 -cCONNECTIONS -dSECONDS (default 64, 15 s) on
#      /v1/accounts/ID/forecast, a random account per request; meanwhile a
#      liveness probe as a kubelet sends it (one prober process, a new
#      connection each time, 10 a second) on /healthz;
#   2. pgbench with the same concurrency (-cCONNECTIONS -j2 -TSECONDS
#      -M prepared) running the SELECT of db/forecast_store.cpp read_forecast
#      for a random account: the database's own floor for that request (the
#      API runs the same prepared statement, outside a transaction block).
# Prints one table: API 2xx requests/s (a fast 503 is not a served read),
# p50/p90/p99, timeouts (wrk's 2 s) and non-2xx; /healthz p99 idle and under
# load; pgbench tps and p99 (from its per-transaction log); the ratio
# API/pgbench; the load average before and after. Targets (docs/performance.md):
# ratio >= 0.5, API p99 <= 50 ms, /healthz p99 under load <= 10 ms.
# BENCH_BUILD picks the build (scripts/bench.sh sets it):
#   BENCH_BUILD=build bash scripts/bench/api.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
HEADROOM=$BENCH_BUILD/bin/headroom
[[ -x $HEADROOM ]] || HEADROOM=$BENCH_BUILD/headroom
[[ -x $HEADROOM ]] || { echo "bench api: no headroom binary in $BENCH_BUILD (set BENCH_BUILD)" >&2; exit 2; }
ACCOUNTS=${1:-10000}
SECONDS_LOAD=${2:-15}
CONNECTIONS=${3:-64}
SEED_ACCOUNTS=200
DAYS=365
PROBES_PER_SECOND=10
PROBE_MAX_SECONDS=10
START=$(date -u -d "today - $DAYS days" +%F)
(( ACCOUNTS >= SEED_ACCOUNTS )) || { echo "bench api: ACCOUNTS must be at least $SEED_ACCOUNTS" >&2; exit 2; }

# wrk comes from Debian; installed here, idempotently, as scripts/bootstrap.sh
# installs the rest (it is needed by this benchmark alone).
if ! command -v wrk >/dev/null; then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "bench api: need root to install wrk" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "bench api: installing wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
PGBENCH=$(pg_bindir)/pgbench

WORK=$(mktemp -d /tmp/headroom-bench-api.XXXXXX)
chmod 755 "$WORK"
DAEMON_PID=""
PROBE_PID=""
cleanup() {
  if [[ -n $PROBE_PID ]]; then
    pkill -P "$PROBE_PID" 2>/dev/null || true  # its prober
    kill "$PROBE_PID" 2>/dev/null || true
    wait "$PROBE_PID" 2>/dev/null || true
  fi
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
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

echo "bench api: simulating $SEED_ACCOUNTS accounts x $DAYS days from $START" >&2
"$HEADROOM" simulate --accounts "$SEED_ACCOUNTS" --days "$DAYS" --start "$START" --seed 7 --csv "$WORK/t.csv" >/dev/null
"$HEADROOM" migrate >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; exit 1; }
"$HEADROOM" import "$WORK/t.csv" >>"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; exit 1; }
rm -f "$WORK/t.csv"

# The token reaches the daemon, wrk and curl through files only (mode 600),
# never a command line another user could read in ps.
umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token"
printf 'Authorization: Bearer %s\n' "$(cat "$WORK/token")" >"$WORK/auth-header"
umask 022
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
HEADROOM_HTTP_ADDRESS=127.0.0.1 HEADROOM_HTTP_PORT=$PORT HEADROOM_API_TOKEN_FILE=$WORK/token \
  "$HEADROOM" run --interval-seconds 604800 >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
echo "bench api: waiting for /healthz and the daemon's first cycle" >&2
ready=0
for _ in $(seq 1 1200); do
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; echo "bench api: daemon exited" >&2; exit 1; }
  if curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null &&
     [[ $(sql "SELECT count(*) FROM headroom.scoring_cycles WHERE finished_at IS NOT NULL") -ge 1 ]]; then
    ready=1
    break
  fi
  sleep 0.5
done
[[ $ready -eq 1 ]] || { echo "bench api: daemon not ready after 10 min" >&2; exit 1; }

# Every column but account_id, whatever the schema adds later.
COLUMNS_LIST=$(sql "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
                    FROM information_schema.columns
                    WHERE table_schema = 'headroom' AND table_name = 'forecasts' AND column_name <> 'account_id'")
REAL=$(sql "SELECT count(*) FROM headroom.forecasts")
[[ $REAL -ge 1 ]] || { echo "bench api: the first cycle wrote no forecast" >&2; exit 1; }
# Account ids continue the simulator's (acct-0000001 …), each copy taking a
# real forecast row in turn.
sql "INSERT INTO headroom.forecasts (account_id, $COLUMNS_LIST)
     SELECT format('acct-%s', lpad(i::text, 7, '0')), $COLUMNS_LIST
     FROM generate_series($SEED_ACCOUNTS + 1, $ACCOUNTS) AS i
     JOIN (SELECT row_number() OVER (ORDER BY account_id) - 1 AS k, * FROM headroom.forecasts) AS f
       ON f.k = i % $REAL
     ON CONFLICT (account_id) DO NOTHING"
sql "VACUUM ANALYZE headroom.forecasts"
FORECASTS=$(sql "SELECT count(*) FROM headroom.forecasts")
HORIZON=$(sql "SELECT max(cardinality(day_p50_cents)) FROM headroom.forecasts")
# Warm the cache (rows and their TOASTed arrays) for both measurements.
sql "SELECT sum(length(f::text)) FROM headroom.forecasts AS f" >/dev/null
MISSING_ID=$(sql "SELECT format('acct-%s', lpad(i::text, 7, '0')) FROM generate_series(1, $ACCOUNTS) AS i
                  EXCEPT SELECT account_id FROM headroom.forecasts LIMIT 1")
[[ -z $MISSING_ID ]] || echo "bench api: some ids have no forecast (e.g. $MISSING_ID); they answer 404" >&2
code=$(curl -sS -o "$WORK/one.json" -w '%{http_code}' -H @"$WORK/auth-header" "$BASE/v1/accounts/acct-0000001/forecast")
[[ $code == 200 ]] || { echo "bench api: /v1/accounts/acct-0000001/forecast answered $code" >&2; cat "$WORK/one.json" >&2; exit 1; }
echo "bench api: $FORECASTS forecasts ($HORIZON-day horizon), a response is $(wc -c <"$WORK/one.json") bytes" >&2

# wrk: a random account per request; done() prints the figures in
# microseconds on one line for the table below.
cat >"$WORK/forecast.lua" <<EOF
local accounts = $ACCOUNTS
local headers = { ["Authorization"] = "Bearer $(cat "$WORK/token")" }
local thread_count = 0
setup = function(thread)
  thread_count = thread_count + 1
  thread:set("seed", thread_count)
end
init = function(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end
request = function()
  local path = string.format("/v1/accounts/acct-%07d/forecast", math.random(1, accounts))
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
                         "timeouts=%d non2xx=%d connect=%d read=%d write=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.timeout, e.status, e.connect, e.read, e.write))
end
EOF
chmod 600 "$WORK/forecast.lua"

# probe_healthz SECONDS OUT: probes /healthz for SECONDS, PROBES_PER_SECOND
# a second at most, one at a time, each on a new connection as a kubelet
# probes; one line per probe in OUT: HTTP status and seconds (000 when it
# failed or had no answer within PROBE_MAX_SECONDS). A probe sent before the
# end is waited for, so one stuck behind the load counts with its whole wait.
# One long-lived prober process, as a kubelet is: a process started per
# probe (curl) took 6 % of the machine's CPU from the load it measures.
cat >"$WORK/probe.py" <<'EOF_PROBE'
import http.client, sys, time
base_port, seconds, per_second, max_wait, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
end = time.monotonic() + seconds
with open(out, "w") as f:
    while time.monotonic() < end:
        due = time.monotonic() + 1.0 / per_second
        start = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", base_port, timeout=max_wait)
            c.request("GET", "/healthz", headers={"Connection": "close"})
            r = c.getresponse()
            r.read()
            status = r.status
            c.close()
        except OSError:
            status = 0
        f.write("%03d %.6f\n" % (status, time.monotonic() - start))
        f.flush()
        # Pacing of the probes, not synchronization: the next is due then.
        time.sleep(max(0.0, due - time.monotonic()))
EOF_PROBE
probe_healthz() {
  python3 "$WORK/probe.py" "$PORT" "$1" "$PROBES_PER_SECOND" "$PROBE_MAX_SECONDS" "$2"
}
# quantile_ms FILE Q: the Q-quantile (nearest rank) of column 1 of FILE, in
# microseconds, printed in milliseconds; a value of PROBE_FAILED_US or more
# (a probe without an answer) prints as "failed".
PROBE_FAILED_US=$((PROBE_MAX_SECONDS * 1000000 + 1))
quantile_ms() {
  sort -n "$1" | awk -v q="$2" -v failed="$PROBE_FAILED_US" '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    r = int(q * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR
    if (v[r] >= failed) print "failed"; else printf "%.2f", v[r] / 1000 }'
}
# healthz_summary FILE: "p50 p99 max failed count" in milliseconds; a probe
# that failed (no answer within PROBE_MAX_SECONDS, or not 200) ranks above
# every answered one.
healthz_summary() {
  awk -v failed="$PROBE_FAILED_US" '{ if ($1 == 200) printf "%d\n", $2 * 1e6; else print failed }' "$1" >"$1.us"
  echo "$(quantile_ms "$1.us" 0.5) $(quantile_ms "$1.us" 0.99) $(quantile_ms "$1.us" 1) $(awk '$1 != 200' "$1" | wc -l) $(wc -l <"$1")"
}

LOAD_BEFORE=$(load_average)
echo "bench api: /healthz idle for 5 s" >&2
probe_healthz 5 "$WORK/healthz-idle"

echo "bench api: wrk -t2 -c$CONNECTIONS -d${SECONDS_LOAD}s on /v1/accounts/ID/forecast, /healthz probed alongside" >&2
probe_healthz "$SECONDS_LOAD" "$WORK/healthz-load" &
PROBE_PID=$!
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_LOAD}s" --timeout 2s --latency -s "$WORK/forecast.lua" "$BASE" >"$WORK/wrk.out"
wait "$PROBE_PID" || true  # at most PROBE_MAX_SECONDS after wrk
PROBE_PID=""
grep -v '^WRK ' "$WORK/wrk.out" >&2
kill -0 "$DAEMON_PID" 2>/dev/null || { tail -20 "$WORK/daemon.log" >&2; echo "bench api: the daemon died under load" >&2; exit 1; }
LOAD_MIDDLE=$(load_average)

# The SELECT of read_forecast (db/forecast_store.cpp), the id a parameter.
cat >"$WORK/read_forecast.sql" <<EOF
\set n random(1, $ACCOUNTS)
SELECT account_id, as_of - DATE '1970-01-01', horizon_days, start_balance_cents, buffer_cents, p_overdraft_window, p_below_buffer_window, first_risky_day - DATE '1970-01-01', model_kind, fallback_reason, summary, drivers::text, anomalies::text, (extract(epoch FROM computed_at) * 1000000)::bigint, extract(timezone FROM computed_at)::integer, day_p_below_zero, day_p_below_buffer, day_p10_cents, day_p50_cents, day_p90_cents FROM headroom.forecasts WHERE account_id = 'acct-' || lpad(:n::text, 7, '0');
EOF
echo "bench api: pgbench -c$CONNECTIONS -j2 -T$SECONDS_LOAD -M prepared, the same SELECT" >&2
mkdir "$WORK/pgbench"
(cd "$WORK/pgbench" && "$PGBENCH" -n -c "$CONNECTIONS" -j 2 -T "$SECONDS_LOAD" -M prepared -f "$WORK/read_forecast.sql" \
  --log --log-prefix=tx "$HEADROOM_DATABASE_URL") >"$WORK/pgbench.out" 2>"$WORK/pgbench.err" \
  || { cat "$WORK/pgbench.err" >&2; exit 1; }
grep -E '^(number of (transactions actually processed|failed)|latency average|tps)' "$WORK/pgbench.out" >&2
LOAD_AFTER=$(load_average)

# Figures. wrk's in microseconds; pgbench's per-transaction log has the
# latency in microseconds in column 3.
read -r API_REQUESTS API_DURATION API_P50 API_P90 API_P99 API_MAX API_TIMEOUTS API_NON2XX API_CONNECT API_READ API_WRITE \
  < <(sed -n 's/^WRK //p' "$WORK/wrk.out" | sed 's/[a-z0-9_]*=//g')
cat "$WORK"/pgbench/tx.* | awk '{ print $3 }' >"$WORK/pgbench.us"
PG_TPS=$(sed -n 's/^tps = \([0-9]*\.[0-9]\).*/\1/p' "$WORK/pgbench.out" | head -1)
PG_P50=$(quantile_ms "$WORK/pgbench.us" 0.5)
PG_P99=$(quantile_ms "$WORK/pgbench.us" 0.99)
read -r HI_P50 HI_P99 HI_MAX HI_FAILED HI_COUNT < <(healthz_summary "$WORK/healthz-idle")
read -r HL_P50 HL_P99 HL_MAX HL_FAILED HL_COUNT < <(healthz_summary "$WORK/healthz-load")
API_OK_RPS=$(awk -v r="$API_REQUESTS" -v n="$API_NON2XX" -v d="$API_DURATION" 'BEGIN { printf "%.1f", (r - n) / (d / 1e6) }')
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
RATIO=$(awk -v a="$API_OK_RPS" -v p="$PG_TPS" 'BEGIN { printf "%.3f", (p > 0 ? a / p : 0) }')

row() { printf '| %-50s | %-52s | %-9s |\n' "$1" "$2" "$3"; }
echo
echo "api bench: $FORECASTS accounts with $HORIZON-day forecasts, $CONNECTIONS connections, ${SECONDS_LOAD} s each; $(nproc) cores"
row "measure" "value" "target"
row "$(printf -- '-%.0s' {1..50})" "$(printf -- '-%.0s' {1..52})" "---------"
row "API /v1/accounts/ID/forecast, 2xx requests/s" "$API_OK_RPS ($API_REQUESTS requests)" ""
row "API latency p50 / p90 / p99 / max, ms" "$(ms "$API_P50") / $(ms "$API_P90") / $(ms "$API_P99") / $(ms "$API_MAX")" "p99 <= 50"
row "API timeouts (2 s, not in the latencies) / non-2xx" "$API_TIMEOUTS / $API_NON2XX (socket errors: connect $API_CONNECT, read $API_READ, write $API_WRITE)" "0 / 0"
row "/healthz idle p50 / p99 / max, ms" "$HI_P50 / $HI_P99 / $HI_MAX ($HI_COUNT probes, $HI_FAILED failed)" ""
row "/healthz under /v1 load p50 / p99 / max, ms" "$HL_P50 / $HL_P99 / $HL_MAX ($HL_COUNT probes, $HL_FAILED failed)" "p99 <= 10"
row "pgbench, the same SELECT: tps" "$PG_TPS" ""
row "pgbench latency p50 / p99, ms" "$PG_P50 / $PG_P99" ""
row "ratio API 2xx requests/s / pgbench tps" "$RATIO" ">= 0.5"
row "load average before / after wrk / after pgbench" "$LOAD_BEFORE / $LOAD_MIDDLE / $LOAD_AFTER" ""
echo "/healthz: probes one at a time, ${PROBES_PER_SECOND} a second at most; a failed one had no 200 within ${PROBE_MAX_SECONDS} s"
grep -iE '\b(error|critical)\b' "$WORK/daemon.log" | head -5 >&2 || true
