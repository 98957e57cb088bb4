#!/usr/bin/env bash
# scripts/bench.sh import [ROWS]: end-to-end `headroom import` throughput on a
# generated ROWS-row contract CSV (default 5,000,000), into
#   1. an empty table on a throwaway cluster from scripts/lib/pg.sh (first load),
#   2. the same table again (re-import: every row found unchanged),
#   3. the server's floor: the same load from a server-side file, no client,
#   4. an empty table on the embedded cluster (`headroom db start`),
# then the parse-only microbenchmark. Prints rows/s for each, with the CPU
# seconds (user+sys) of the client and of the server, so a figure taken on a
# busy machine can be compared with one taken on an idle one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
ROWS=${1:-5000000}
HEADROOM=$BENCH_BUILD/bin/headroom

DATA=$BENCH_BUILD/bench-data
mkdir -p "$DATA"
CSV=$DATA/transactions-$ROWS.csv
if [[ ! -s $CSV ]]; then
  echo "bench import: generating $CSV" >&2
  "$BENCH_BUILD/bin/gen_transactions_csv" "$ROWS" "$CSV.tmp" && mv "$CSV.tmp" "$CSV"
fi

WORK=$(mktemp -d /tmp/headroom-bench-import.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  HEADROOM_DATABASE_EMBEDDED_DIR=$WORK/emb "$HEADROOM" db stop >/dev/null 2>&1 || true
  pg_stop "$WORK/pg"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# CPU ticks used so far by a cluster: its live processes plus the children the
# postmaster has reaped (backends and parallel workers that have exited).
server_ticks() {
  local pm t c
  pm=$(head -1 "$1/postmaster.pid")
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
  for c in $(cat /proc/"$pm"/task/*/children); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# Waits (at most 5 s) until the import's backend has exited and been reaped,
# so that its CPU is in the postmaster's children's ticks.
wait_for_backends_gone() {
  local pm c busy
  pm=$(head -1 "$1/postmaster.pid")
  for _ in $(seq 50); do
    busy=0
    for c in $(cat /proc/"$pm"/task/*/children); do
      grep -q ' \[local\]' "/proc/$c/cmdline" 2>/dev/null && busy=1
      [[ $(awk '{ print $3 }' "/proc/$c/stat" 2>/dev/null) == Z ]] && busy=1
    done
    [[ $busy -eq 0 ]] && return 0
    sleep 0.1
  done
}

# bench_import LABEL DATADIR: one `headroom import`; prints the summary and
# the rate with client and server CPU seconds.
bench_import() {
  local label=$1 datadir=$2 before after out secs client hz
  hz=$(getconf CLK_TCK)
  before=$(server_ticks "$datadir")
  out=$(/usr/bin/time -f '%U %S' -o "$WORK/time" "$HEADROOM" import "$CSV")
  wait_for_backends_gone "$datadir"
  after=$(server_ticks "$datadir")
  echo "$out"
  secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$out")
  client=$(awk '{ printf "%.1f", $1 + $2 }' "$WORK/time")
  awk -v l="$label" -v r="$ROWS" -v s="$secs" -v c="$client" -v sv="$(( after - before ))" -v hz="$hz" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      printf "%s: %d rows in %s s = %d rows/s (CPU: client %s s, server %.1f s; load %s)\n", l, r, s, r / s, c, sv / hz, load }'
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
export HEADROOM_DATABASE_URL
HEADROOM_DATABASE_URL=$(pg_start "$WORK/pg")
"$HEADROOM" migrate >/dev/null 2>&1
bench_import "first load (pg.sh cluster)" "$WORK/pg/data"
bench_import "re-import, all unchanged" "$WORK/pg/data"

# The server's own floor for a first load, with no client at all: the same
# statements as the import's first load (drop the indexes and the notify
# trigger, TRUNCATE, binary COPY … FREEZE, rebuild the indexes with the same
# settings), fed the same rows from a server-side binary file, rolled back.
# No client can make an import faster than this.
mkdir "$WORK/floor"
[[ $(id -u) -eq 0 ]] && chown postgres: "$WORK/floor"
COLUMNS_LIST="account_id, txn_id, posted_at, amount, balance_after, description, kind"
psql "$HEADROOM_DATABASE_URL" -qc "COPY headroom.transactions ($COLUMNS_LIST) TO '$WORK/floor/rows.bin' (FORMAT binary)"
{
  echo "BEGIN;"
  echo "LOCK TABLE headroom.transactions IN ACCESS EXCLUSIVE MODE;"
  psql "$HEADROOM_DATABASE_URL" -Atc "
    SELECT CASE WHEN c.conname IS NOT NULL
                THEN 'ALTER TABLE headroom.transactions DROP CONSTRAINT ' || quote_ident(c.conname) || ';'
                ELSE 'DROP INDEX headroom.' || quote_ident(ic.relname) || ';' END
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
    WHERE i.indrelid = 'headroom.transactions'::regclass"
  echo "DROP TRIGGER IF EXISTS transactions_notify_insert ON headroom.transactions;"
  echo "TRUNCATE headroom.transactions;"
  echo "\\timing on"
  echo "COPY headroom.transactions ($COLUMNS_LIST) FROM '$WORK/floor/rows.bin' (FORMAT binary, FREEZE);"
  echo "\\timing off"
  echo "SET LOCAL maintenance_work_mem = '1GB';"
  echo "SET LOCAL max_parallel_maintenance_workers = 1;"
  echo "\\timing on"
  psql "$HEADROOM_DATABASE_URL" -Atc "
    SELECT CASE WHEN c.conname IS NOT NULL
                THEN 'ALTER TABLE headroom.transactions ADD CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid) || ';'
                ELSE pg_get_indexdef(i.indexrelid) || ';' END
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
    WHERE i.indrelid = 'headroom.transactions'::regclass
    ORDER BY c.conname IS NULL, ic.relname"
  echo "\\timing off"
  echo "ROLLBACK;"
} >"$WORK/floor/load.sql"
for _ in 1 2 3; do
  psql "$HEADROOM_DATABASE_URL" -q -f "$WORK/floor/load.sql" | awk -v r="$ROWS" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
    /^Time: / { ms[n++] = $2 }
    END {
      for (i = 0; i < n; i++) { total += ms[i]; steps = steps sprintf("%s%.2f", i ? " + " : "", ms[i] / 1000) }
      printf "server floor (COPY + index builds, no client): %s = %.2f s = %d rows/s (load %s)\n", steps, total / 1000, r / (total / 1000), load }'
done
unset HEADROOM_DATABASE_URL

export HEADROOM_DATABASE_EMBEDDED_DIR=$WORK/emb
"$HEADROOM" db start >/dev/null 2>&1
"$HEADROOM" migrate >/dev/null 2>&1
bench_import "first load (embedded cluster)" "$WORK/emb/data"

"$BENCH_BUILD/bin/import_bench" --benchmark_counters_tabular=true
