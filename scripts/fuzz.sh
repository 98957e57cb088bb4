#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser (docs/fuzzing.md), with libFuzzer
# under AddressSanitizer and UndefinedBehaviorSanitizer.
#   scripts/fuzz.sh [TARGET|all] [SECONDS]
# Runs TARGET (default: all of them, one after the other) for SECONDS each
# (default 60), at the lowest CPU priority. Installs clang and libFuzzer's
# runtime if missing (scripts/bootstrap.sh --fuzz), builds the targets in
# HEADROOM_FUZZ_BUILD_DIR (default build-fuzz) with HEADROOM_FUZZ=ON, starts
# each from its seed corpus tests/fuzz/corpus/TARGET/ (read only) and grows a
# working corpus in BUILD/fuzz-work/TARGET/corpus/ (kept between runs, never
# committed). Prints one summary line per target: runs, exec/s, coverage.
# A finding (property violation, sanitizer report, crash, timeout, leak)
# leaves its input in BUILD/fuzz-work/TARGET/ and makes the script exit 1
# after the remaining targets ran; fix it in the library and keep the
# minimized input in the corpus as regress-<what> (docs/fuzzing.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

TARGETS=(csv_reader transaction_row config_toml policies_toml templates email_roundtrip http_api unsubscribe_token)
WHICH=${1:-all}
SECONDS_EACH=${2:-60}
if [[ $WHICH != all ]]; then
  found=0
  for t in "${TARGETS[@]}"; do [[ $t == "$WHICH" ]] && found=1; done
  [[ $found == 1 ]] || { echo "fuzz.sh: unknown target '$WHICH' (known: all ${TARGETS[*]})" >&2; exit 2; }
  TARGETS=("$WHICH")
fi
[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a whole number >= 1, got '$SECONDS_EACH'" >&2; exit 2; }

bash scripts/bootstrap.sh --fuzz

BUILD=${HEADROOM_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEADROOM_BUILD_TESTS=OFF -DHEADROOM_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 >/dev/null
build_targets=()
for t in "${TARGETS[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$BUILD" -j"$(nproc)" "${build_targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${TARGETS[@]}"; do
  work="$BUILD/fuzz-work/$t"
  mkdir -p "$work/corpus"
  log="$work/last-run.log"
  echo "fuzz.sh: $t for ${SECONDS_EACH}s (log $log)" >&2
  rc=0
  nice -n 19 "$BUILD/bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  echo "fuzz.sh: $t: ${SECONDS_EACH}s, ${runs:-?} runs, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
  if [[ $rc -ne 0 ]]; then
    failed+=("$t")
    echo "fuzz.sh: $t: FINDING (exit $rc); input(s): $(ls "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-* 2>/dev/null | tr '\n' ' ')" >&2
    grep -E 'property violated|ERROR: |runtime error|SUMMARY' -A2 "$log" | head -20 >&2 || true
    echo "fuzz.sh: reproduce with $BUILD/bin/fuzz_$t INPUT" >&2
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} target(s), ${SECONDS_EACH}s each, no finding"
