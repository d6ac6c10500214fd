#!/usr/bin/env bash
# One PostgreSQL 15 for a whole test run, shared by every test binary that asks for it (a CTest fixture:
# tests/CMakeLists.txt). `start STATE` initialises a cluster in a new temp dir, starts it on a free loopback
# port and writes `port=` and `dir=` to the STATE file; `stop STATE` stops it and removes the dir. Tests read
# STATE through MH_TEST_POSTGRES_STATE (tests/postgres_server.hpp) and each takes its own new database.
#
# PostgreSQL refuses to run as root, and CI runs as root: then every PostgreSQL tool runs as Debian's `postgres`
# system user through runuser, and the temp dir is handed to it.
#
# Tests run with fsync=off (nothing they check survives a power cut anyway); a benchmark that measures durable
# commits sets MH_POSTGRES_FSYNC=on (bench/pg_ingest).
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
action=${1:?usage: postgres.sh start|stop STATE}
state=${2:?usage: postgres.sh start|stop STATE}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then /usr/sbin/runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  [ -f "$state" ] || return 0
  local dir
  dir=$(sed -n 's/^dir=//p' "$state")
  if [ -n "$dir" ] && [ -d "$dir/data" ]; then
    as_postgres "$bin/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
  rm -f "$state"
}

start() {
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL 15 at $bin (install it: scripts/setup test)" >&2; exit 1; }
  stop  # a server a killed run left behind
  local dir port
  dir=$(mktemp -d /tmp/mh-test-postgres.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if ! as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  # A free port; should another process take it before postgres binds, pg_ctl fails and says so.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! as_postgres "$bin/pg_ctl" start -D "$dir/data" -w -t 60 -l "$dir/postgres.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${MH_POSTGRES_FSYNC:-off} -c max_connections=300" >/dev/null; then
    cat "$dir/postgres.log" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$state")"
  printf 'port=%s\ndir=%s\n' "$port" "$dir" >"$state"
  echo "PostgreSQL on 127.0.0.1:$port ($dir)"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: postgres.sh start|stop STATE" >&2; exit 2 ;;
esac
