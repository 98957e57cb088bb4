#!/usr/bin/env bash
# Nudge benchmarks (run through scripts/bench.sh nudges, which builds BENCH_BUILD):
#  1. the pure planner on one core (taskset to CPU 0 when available);
#  2. email throughput to a local SMTP sink (scripts/smtp_sink.py, aiosmtpd on
#     loopback, stores every message as a file) over one reused connection.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:?run through scripts/bench.sh nudges}

PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
echo "== planner (one core)"
"${PIN[@]}" "$BUILD/bin/nudges_bench" --benchmark_counters_tabular=true

WORK=$(mktemp -d /tmp/headroom-bench-smtp.XXXXXX)
SINK_PID=""
cleanup() {
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
/usr/bin/python3 "$ROOT/scripts/smtp_sink.py" --maildir "$WORK/mail" --port-file "$WORK/port" &
SINK_PID=$!
for _ in $(seq 1 100); do [[ -s $WORK/port ]] && break; sleep 0.1; done
[[ -s $WORK/port ]] || { echo "nudges.sh: SMTP sink did not start" >&2; exit 1; }
export HEADROOM_BENCH_SMTP_URL="smtp://127.0.0.1:$(cat "$WORK/port")"
echo "== email to a local SMTP sink (one connection, reused)"
"$BUILD/bin/smtp_bench" --benchmark_counters_tabular=true
echo "messages stored by the sink: $(find "$WORK/mail" -name '*.eml' | wc -l)"
