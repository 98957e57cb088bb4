#!/usr/bin/env bash
# The Debian package, installed on this machine and removed again:
#   package_test.sh BUILD_DIR SOURCE_DIR
# builds the .deb with CPack from BUILD_DIR (the suite's build), installs it
# with dpkg -i, runs the installed /usr/bin/headroom (--version, migrate
# against a database of its own on the suite's PostgreSQL), checks the unit
# (systemd-analyze verify; security exposure at most 3.0), then purges the
# package and checks that nothing of it is left. Refuses to run when a
# headroom package is already installed (it would be replaced). Needs root
# and HEADROOM_TEST_DATABASE_URL (scripts/test.sh sets it).
set -euo pipefail
BUILD=$1
SOURCE=$2
fail() { echo "package_test: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "package_test: not root, skipped"; exit 77; }
[[ -n ${HEADROOM_TEST_DATABASE_URL:-} ]] || fail "HEADROOM_TEST_DATABASE_URL is not set: run through scripts/test.sh"
if dpkg-query -W -f='${Status}' headroom 2>/dev/null | grep -q "install ok installed"; then
  echo "package_test: a headroom package is installed here already; skipped"; exit 77
fi

WORK=$(mktemp -d /tmp/headroom-package.XXXXXX)
DB=headroom_pkg_$$
cleanup() {
  dpkg --purge headroom >/dev/null 2>&1 || true
  psql -X -q "$HEADROOM_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# CPack installs the suite's build under /usr (the DEB generator's prefix).
(cd "$BUILD" && cpack -G DEB -B "$WORK" >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
DEB=$(find "$WORK" -maxdepth 1 -name 'headroom_*.deb' | head -1)
[[ -n $DEB ]] || { cat "$WORK/cpack.log" >&2; fail "cpack wrote no .deb"; }
dpkg-deb --info "$DEB" >"$WORK/info.txt"
grep -q "Depends: .*libpqxx" "$WORK/info.txt" || fail "the package does not depend on libpqxx"
dpkg-deb --contents "$DEB" >"$WORK/contents.txt"
if grep -q " \./etc/" "$WORK/contents.txt"; then fail "the package installs into /etc (a fresh install must configure nothing)"; fi

dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i failed"; }
[[ -x /usr/bin/headroom ]] || fail "/usr/bin/headroom is not installed"
version=$(/usr/bin/headroom --version)
[[ $version =~ ^headroom\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-f]+ ]] || fail "headroom --version printed '$version'"
for f in README.md CHANGELOG.md copyright headroom.help.txt examples/headroom.example.toml docs/deployment.md; do
  [[ -s /usr/share/doc/headroom/$f ]] || fail "/usr/share/doc/headroom/$f is missing"
done

psql -X -q -v ON_ERROR_STOP=1 "$HEADROOM_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
URL="$HEADROOM_TEST_DATABASE_URL dbname=$DB"
HEADROOM_DATABASE_URL=$URL /usr/bin/headroom migrate >"$WORK/migrate.log" 2>&1 ||
  { cat "$WORK/migrate.log" >&2; fail "the installed headroom could not migrate"; }
latest=$(ls "$SOURCE"/db/migrations/*.sql | sed 's|.*/||; s|_.*||' | sort | tail -1)
applied=$(psql -X -qAt "$URL" -c "SELECT max(version) FROM headroom.schema_migrations")
[[ $((10#$applied)) -eq $((10#$latest)) ]] || fail "migrate applied up to $applied, the source has $latest"

UNIT=/usr/lib/systemd/system/headroom.service
[[ -f $UNIT ]] || fail "$UNIT is not installed"
systemd-analyze verify "$UNIT" >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify failed"; }
exposure=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[[ -n $exposure ]] || fail "systemd-analyze security printed no exposure level"
awk -v e="$exposure" 'BEGIN { exit !(e <= 3.0) }' || fail "the unit's exposure is $exposure, above 3.0"
echo "package_test: $(basename "$DEB") installed, $version, schema $applied, unit exposure $exposure"

dpkg --purge headroom >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log" >&2; fail "dpkg --purge failed"; }
[[ ! -e /usr/bin/headroom && ! -e $UNIT && ! -e /usr/share/doc/headroom ]] || fail "files left after purge"
dpkg-query -W headroom >/dev/null 2>&1 && dpkg-query -W -f='${Status}' headroom | grep -q "installed" && fail "dpkg still lists headroom"
echo "package_test: purged cleanly"
