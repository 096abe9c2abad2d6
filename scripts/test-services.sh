#!/usr/bin/env bash
# Private PostgreSQL and Redis on loopback for the test suite (used by
# scripts/test.sh, README's `npm test`). Nothing of the machine's own clusters
# is touched: PostgreSQL is a scratch cluster (initdb) in a folder of its own,
# Redis a non-persistent instance, both on fixed high loopback ports.
#
#   scripts/test-services.sh start   # prints `export FACEGATE_TEST_...=...` lines for eval
#   scripts/test-services.sh stop    # stops what `start` started (and only that)
#
# FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL already set: nothing is
# started; the given servers are used as they are.
set -euo pipefail
DIR="${FACEGATE_TEST_SERVICES_DIR:-${TMPDIR:-/tmp}/facegate-test-services}"
PG_PORT="${FACEGATE_TEST_PG_PORT:-54329}"
REDIS_PORT="${FACEGATE_TEST_REDIS_PORT:-63790}"
log() { printf '[test-services] %s\n' "$*" >&2; }

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$v" ] || { log "PostgreSQL is not installed (run: bash scripts/install.sh --test)"; exit 1; }
  echo "/usr/lib/postgresql/$v/bin"
}

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

start_pg() {
  local bin; bin=$(pg_bin)
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; chmod 0755 "$DIR"; fi
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    if [ ! -f "$DIR/pg/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1 \
        || { tail -n 20 "$DIR/initdb.log" >&2; exit 1; }
    fi
    as_pg "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=200" \
      start >/dev/null || { tail -n 20 "$DIR/pg.log" >&2; exit 1; }
    touch "$DIR/pg.started-by-us"
    log "PostgreSQL on 127.0.0.1:$PG_PORT ($DIR/pg)"
  fi
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc "select 1 from pg_database where datname='facegate_test'" | grep -q 1 \
    || "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database facegate_test" >/dev/null
}

start_redis() {
  command -v redis-server >/dev/null || { log "redis-server is not installed (run: bash scripts/install.sh --test)"; exit 1; }
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    mkdir -p "$DIR"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
      --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null
    touch "$DIR/redis.started-by-us"
    log "Redis on 127.0.0.1:$REDIS_PORT"
  fi
}

case "${1:-}" in
  start)
    if [ -z "${FACEGATE_TEST_DATABASE_URL:-}" ]; then
      start_pg
      echo "export FACEGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/facegate_test"
    fi
    if [ -z "${FACEGATE_TEST_REDIS_URL:-}" ]; then
      start_redis
      echo "export FACEGATE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    fi
    ;;
  stop)
    if [ -f "$DIR/redis.started-by-us" ]; then
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
      rm -f "$DIR/redis.started-by-us"
    fi
    if [ -f "$DIR/pg.started-by-us" ]; then
      as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
      rm -f "$DIR/pg.started-by-us"
    fi
    ;;
  *) echo "usage: scripts/test-services.sh start|stop" >&2; exit 2 ;;
esac
