# shellcheck shell=bash
# Shell helpers to run a throwaway PostgreSQL cluster on a Unix socket.
# Sourced by test.sh and bench.sh; the engine's own embedded cluster
# (headroom db start) is separate and lives under .headroom/pg.

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && { echo "$d"; return 0; }; done
  echo "PostgreSQL server binaries not found; run scripts/bootstrap.sh" >&2
  return 1
}

# PostgreSQL refuses to run as root: run it as the unprivileged 'postgres' user.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR: initdb + start with the socket in DIR, no TCP. Prints the libpq URL.
pg_start() {
  local dir=$1 bin
  bin=$(pg_bindir)
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  pg_as_owner "$bin/initdb" -D "$dir/data" -U headroom --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  # fsync off: a test cluster is thrown away, durability buys nothing here.
  # wal_level minimal: nothing replicates it, and a load into a table truncated
  # in the same transaction (the import's first load) then skips WAL.
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB -c wal_level=minimal -c max_wal_senders=0" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  echo "host=$dir user=headroom dbname=postgres"
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir) || return 0
  [[ -d $dir/data ]] && pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
