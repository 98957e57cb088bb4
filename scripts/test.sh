#!/usr/bin/env bash
# Builds Headroom and runs the whole CTest suite against a real PostgreSQL
# (private cluster on a Unix socket in a temp folder) and a real SMTP server
# (aiosmtpd on loopback), both started here and stopped on exit, pass or fail.
# Before the suite, every fuzz target runs for HEADROOM_FUZZ_SECONDS (default
# 10; 0 skips it) from its seed corpus (scripts/fuzz.sh, docs/fuzzing.md);
# the suite itself replays the corpora as unit tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib/pg.sh

FUZZ_SECONDS=${HEADROOM_FUZZ_SECONDS:-10}
[[ $FUZZ_SECONDS =~ ^[0-9]+$ ]] || { echo "test.sh: HEADROOM_FUZZ_SECONDS must be whole seconds, got '$FUZZ_SECONDS'" >&2; exit 2; }

bash scripts/check_sources.sh
if [[ $FUZZ_SECONDS -gt 0 ]]; then
  bash scripts/bootstrap.sh --fuzz  # clang and libFuzzer, for the fuzz slice
else
  bash scripts/bootstrap.sh
fi

BUILD=${HEADROOM_BUILD_DIR:-$ROOT/build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHEADROOM_BUILD_TESTS=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# A short bounded fuzzing slice of every target; a finding fails the run
# (its input is left in the fuzz build folder, docs/fuzzing.md says what next).
if [[ $FUZZ_SECONDS -gt 0 ]]; then
  HEADROOM_FUZZ_BUILD_DIR=${HEADROOM_FUZZ_BUILD_DIR:-$BUILD-fuzz} bash scripts/fuzz.sh all "$FUZZ_SECONDS"
fi

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
