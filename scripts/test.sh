#!/usr/bin/env bash
# Builds Headroom and runs the whole CTest suite against a real PostgreSQL
# (private cluster on a Unix socket in a temp folder) and a real SMTP server
# (aiosmtpd on loopback), both started here and stopped on exit, pass or fail.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh

bash scripts/check_sources.sh
bash scripts/bootstrap.sh

BUILD=${HEADROOM_BUILD_DIR:-$ROOT/build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHEADROOM_BUILD_TESTS=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

WORK=$(mktemp -d /tmp/headroom-test.XXXXXX)
chmod 755 "$WORK"
SMTP_PID=""
cleanup() {
  local rc=$?
  [[ -n $SMTP_PID ]] && kill "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null || true
  pg_stop "$WORK/pg"
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

export HEADROOM_TEST_DATABASE_URL
HEADROOM_TEST_DATABASE_URL=$(pg_start "$WORK/pg")
export HEADROOM_TEST_PG_BINDIR
HEADROOM_TEST_PG_BINDIR=$(pg_bindir)

/usr/bin/python3 scripts/smtp_sink.py --maildir "$WORK/mail" --port-file "$WORK/smtp.port" &
SMTP_PID=$!
for _ in $(seq 1 100); do [[ -s $WORK/smtp.port ]] && break; sleep 0.1; done
[[ -s $WORK/smtp.port ]] || { echo "test.sh: SMTP sink did not start" >&2; exit 1; }
export HEADROOM_TEST_SMTP_URL="smtp://127.0.0.1:$(cat "$WORK/smtp.port")"
export HEADROOM_TEST_MAILDIR="$WORK/mail"
export HEADROOM_TEST_SMTP_SINK="$ROOT/scripts/smtp_sink.py"

cd "$BUILD"
ctest --output-on-failure -j"$(nproc)" "$@"
