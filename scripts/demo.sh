#!/usr/bin/env bash
# The main job end to end on this machine: installs what is missing, builds,
# starts the embedded PostgreSQL (.headroom/pg) and a local SMTP server, runs
# a simulated nudge experiment through the daemon's code path (a warm-up with
# no nudges, then every simulated day: import, scoring cycle, decisions,
# in-app and email delivery, customer responses), writes the counterfactual
# report, and prints the measured overdraft reduction next to the simulator's
# true effect.
# Environment: DEMO_ACCOUNTS (default 20000), DEMO_WARMUP_DAYS (120),
# DEMO_DAYS (90), DEMO_SEED (42). Outputs under .headroom/demo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ACCOUNTS=${DEMO_ACCOUNTS:-20000}
WARMUP=${DEMO_WARMUP_DAYS:-120}
DAYS=${DEMO_DAYS:-90}
SEED=${DEMO_SEED:-42}
START=2025-01-01
OUT=$ROOT/.headroom/demo
BIN=$ROOT/build/bin/headroom

step() { printf '\n== %s\n' "$*"; }

step "Installing missing packages and building"
bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target headroom >/dev/null

unset HEADROOM_DATABASE_URL  # the demo always uses its private embedded cluster
rm -rf "$OUT"
mkdir -p "$OUT/mail"
SMTP_PID=""
cleanup() {
  local rc=$?
  [[ -n $SMTP_PID ]] && kill "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null || true
  "$BIN" db stop >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT INT TERM

step "Starting the embedded PostgreSQL and a local SMTP server"
"$BIN" db start
"$BIN" migrate
/usr/bin/python3 scripts/smtp_sink.py --maildir "$OUT/mail" --port-file "$OUT/smtp.port" &
SMTP_PID=$!
for _ in $(seq 1 100); do [[ -s $OUT/smtp.port ]] && break; sleep 0.1; done
[[ -s $OUT/smtp.port ]] || { echo "demo: the SMTP server did not start" >&2; exit 1; }
export HEADROOM_SMTP_URL="smtp://127.0.0.1:$(cat "$OUT/smtp.port")"
export HEADROOM_SMTP_ALLOW_INSECURE=1  # loopback only
export HEADROOM_SMTP_FROM=nudges@headroom.test
# Every email carries a signed one-click unsubscribe link; the key is made for
# this demo and read from a file, never passed on a command line.
( umask 077; head -c 32 /dev/urandom | base64 > "$OUT/unsubscribe.secret" )
export HEADROOM_UNSUBSCRIBE_SECRET_FILE="$OUT/unsubscribe.secret"

# A fresh install ships the default policy in shadow mode (it decides, and
# messages nobody); the demo is the operator who switches it on, with the
# shipped reach (docs/policies.md).
cat > "$OUT/headroom.toml" <<'TOML'
[[policies]]
name = "default"
risk_threshold = 0.2
lead_time_days = { min = 1, max = 14 }
holdout_share = 0.10
experiment = "default"
shadow = false
TOML
export HEADROOM_CONFIG="$OUT/headroom.toml"

step "Simulated experiment: $ACCOUNTS accounts, $WARMUP warm-up days, $DAYS experiment days (seed $SEED)"
# A 14-day forecast window covers the default policy's 1-14-day lead time.
# The private cluster need not wait for each commit to reach disk.
SECONDS=0
PGOPTIONS="-c synchronous_commit=off" HEADROOM_LOG_LEVEL=${HEADROOM_LOG_LEVEL:-warn} "$BIN" experiment \
  --accounts "$ACCOUNTS" --warmup-days "$WARMUP" --days "$DAYS" --start "$START" --seed "$SEED" --horizon 14 \
  --accounts-per-chunk 2500 --reset --truth-out "$OUT/truth.json" --work-dir "$OUT/work"
EXPERIMENT_SECONDS=$SECONDS

step "Counterfactual report for analysts"
SECONDS=0
"$BIN" report --experiment default --horizon 14 --out "$OUT/report"
REPORT_SECONDS=$SECONDS

step "Summary"
/usr/bin/python3 - "$OUT/report/report.json" "$OUT/truth.json" "$OUT/mail" "$EXPERIMENT_SECONDS" "$REPORT_SECONDS" <<'PY'
import json, os, sys
report, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mails = len([f for f in os.listdir(sys.argv[3]) if not f.startswith(".")])
effects = {e["metric"]: e for e in report["effects"]}
inc, fees = effects["overdraft_incidence"], effects["total_fees"]
t_inc, t_fees = truth["overdraft_incidence"], truth["fees_cents_per_account"]
pct = lambda x: "unbounded" if x is None else f"{100 * x:+.1f}%"  # null: an interval end that does not exist
print(f"experiment '{truth['experiment']}', {truth['from']} to {truth['to']} (exclusive), {truth['accounts']} accounts")
print(f"nudges delivered: {truth['nudges_delivered']['in_app']} in-app, {truth['nudges_delivered']['email']} email "
      f"({mails} messages in the local SMTP server's mailbox), {truth['nudges_delivered']['acted_on']} acted on")
print()
print(f"{'':38}{'measured (treatment vs holdout)':>34}{'simulator truth':>18}")
ci = inc["cuped_relative_ci"]
print(f"{'overdraft incidence, CUPED':38}{pct(inc['cuped_relative']):>12} (95% CI {pct(ci['low'])} to {pct(ci['high'])})"
      f"{pct(t_inc['relative']):>18}")
ci = inc["relative_ci"]
print(f"{'overdraft incidence, unadjusted':38}{pct(inc['relative']):>12} (95% CI {pct(ci['low'])} to {pct(ci['high'])})")
ci = fees["relative_ci"]
print(f"{'total fees per account':38}{pct(fees['relative']):>12} (95% CI {pct(ci['low'])} to {pct(ci['high'])})"
      f"{pct(t_fees['relative']):>18}")
print()
print(f"experiment {sys.argv[4]} s, report {sys.argv[5]} s")
print(f"report: {os.path.dirname(sys.argv[1])}/index.html (report.json and CSV tables beside it); truth: {sys.argv[2]}")
PY
