#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: `scripts/with-postgres.sh CMD ARGS...`
# Starts a fresh cluster on a random free loopback port in a temp dir, exports DATABASE_URL, runs CMD,
# then stops the cluster and removes the dir (also on failure or Ctrl-C). Exit code: CMD's.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local found
  found=$(ls -1d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] && { echo "$found"; return; }
  echo "with-postgres: $name not found. Install PostgreSQL server binaries (Debian: apt-get install postgresql)." >&2
  exit 3
}
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

dir=$(mktemp -d /tmp/peyvand-pg.XXXXXX)
chmod 755 "$dir"
run_as=()
if [ "$(id -u)" = "0" ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
  chown postgres "$dir"
  run_as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${run_as[@]}" "$PG_CTL" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${run_as[@]}" "$INITDB" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 3; }
"${run_as[@]}" "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w start \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  >/dev/null || { cat "$dir/server.log" >&2; exit 3; }
for ext in pg_trgm unaccent btree_gin; do
  psql_cmd=$(find_bin psql)
  "$psql_cmd" -q -h 127.0.0.1 -p "$port" -U postgres -d template1 -c "CREATE EXTENSION IF NOT EXISTS $ext" >/dev/null
done
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
set -e
exit $status
