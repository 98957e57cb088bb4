#!/usr/bin/env bash
# scripts/bench.sh import [ROWS]: end-to-end `headroom import` throughput on a
# generated ROWS-row contract CSV (default 5,000,000), into
#   1. an empty table on a throwaway cluster from scripts/lib/pg.sh (first load),
#   2. the same table again (re-import: every row found unchanged),
#   3. an empty table on the embedded cluster (`headroom db start`, wal_level=minimal),
# then the parse-only microbenchmark. Prints rows/s for each.
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

rate() {  # rate LABEL OUTPUT: pulls the seconds out of the summary line
  local secs
  secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$2")
  echo "$1: $ROWS rows in $secs s = $(awk -v r="$ROWS" -v s="$secs" 'BEGIN { printf "%d", r / s }') rows/s"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
export HEADROOM_DATABASE_URL
HEADROOM_DATABASE_URL=$(pg_start "$WORK/pg")
"$HEADROOM" migrate >/dev/null 2>&1
out=$("$HEADROOM" import "$CSV"); echo "$out"; rate "first load (pg.sh cluster)" "$out"
out=$("$HEADROOM" import "$CSV"); echo "$out"; rate "re-import, all unchanged" "$out"
unset HEADROOM_DATABASE_URL

export HEADROOM_DATABASE_EMBEDDED_DIR=$WORK/emb
"$HEADROOM" db start >/dev/null 2>&1
"$HEADROOM" migrate >/dev/null 2>&1
out=$("$HEADROOM" import "$CSV"); echo "$out"; rate "first load (embedded cluster)" "$out"

"$BENCH_BUILD/bin/import_bench" --benchmark_counters_tabular=true
