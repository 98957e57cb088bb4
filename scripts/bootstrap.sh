#!/usr/bin/env bash
# Installs the Debian 12 packages Headroom needs to build, test and demo.
# Idempotent and quiet: packages already installed are skipped; nothing else
# on the machine is touched. Needs root (or sudo) only when something is missing.
#   scripts/bootstrap.sh [--fuzz]
# --fuzz (or HEADROOM_BOOTSTRAP_FUZZ=1) adds clang and libFuzzer's runtime,
# which only the fuzz targets need (scripts/fuzz.sh, docs/fuzzing.md).
set -euo pipefail

FUZZ=${HEADROOM_BOOTSTRAP_FUZZ:-0}
for arg in "$@"; do
  case $arg in
    --fuzz) FUZZ=1 ;;
    *) echo "bootstrap: unknown option '$arg' (known: --fuzz)" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  build-essential cmake pkg-config git
  libeigen3-dev libboost-dev libpqxx-dev libpq-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libhowardhinnant-date-dev
  postgresql-15 postgresql-client-15
  python3-aiosmtpd curl ca-certificates bc time systemd
  chromium fonts-dejavu-core
)
# clang-14 for -fsanitize=fuzzer; libclang-rt-14-dev holds libFuzzer and the
# sanitizer runtimes it links.
[[ $FUZZ == 1 ]] && PACKAGES+=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "bootstrap: installing ${missing[*]}" >&2
# Headroom runs its own private clusters; keep Debian from creating and
# starting a system-wide one when it installs the server.
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/headroom.conf >/dev/null
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
