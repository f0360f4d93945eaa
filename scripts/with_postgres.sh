#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback, run the given command with
# KPI_TEST_DATABASE_URL pointing at it, then stop the server. For the tests durability is off
# (fsync, synchronous_commit); PG_DURABLE=1 keeps PostgreSQL's defaults (e.g. for a benchmark).
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGPORT=${PGPORT:-$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
DIR=$(mktemp -d /tmp/kpi-pg.XXXXXX)
RUNAS=()
FAST="-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
[ "${PG_DURABLE:-}" = "1" ] && FAST=""
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$DIR"
  RUNAS=(runuser -u postgres --)
fi
"${RUNAS[@]}" "$BIN/initdb" -D "$DIR/data" -U kpi --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-h 127.0.0.1 -p $PGPORT -k $DIR $FAST -c max_connections=200" start >/dev/null
cleanup() { "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U kpi kpi_test
export KPI_TEST_DATABASE_URL="postgresql+psycopg://kpi@127.0.0.1:$PGPORT/kpi_test"
export KPI_TEST_PG_ADMIN_URL="postgresql+psycopg://kpi@127.0.0.1:$PGPORT/postgres"
"$@"
