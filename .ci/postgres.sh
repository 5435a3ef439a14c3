#!/usr/bin/env bash
# A throwaway PostgreSQL server (15 or newer) for the `postgres` tests and the dispatch benchmark.
#
#   eval "$(.ci/postgres.sh start)"    # prints: export CETAK_TEST_PG_DSN=... CETAK_TEST_PG_DIR=...
#   .ci/postgres.sh stop "$CETAK_TEST_PG_DIR"
#
# The cluster lives in a fresh temporary folder owned by the postgres user (initdb refuses to
# run as root), listens on 127.0.0.1 only, on a free port, with trust authentication: it holds
# nothing but test data and is deleted by `stop`. fsync stays on, so benchmark commits are
# as durable as in production.
set -euo pipefail

# The newest PostgreSQL installed (Debian keeps each major version in its own folder).
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}"
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    echo "postgres.sh: no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)" >&2
    exit 1
fi

# Run a command as the postgres user when we are root; as ourselves otherwise.
as_pg() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir port
    dir="$(mktemp -d "${TMPDIR:-/tmp}/cetak-pg.XXXXXX")"
    chmod 755 "$dir"
    if [[ "$(id -u)" == "0" ]]; then
        chown postgres: "$dir"
    fi
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A port taken between free_port and bind makes pg_ctl fail: try a few.
    for _ in 1 2 3 4 5; do
        port="$(free_port)"
        if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
                    -c max_connections=200 -c shared_buffers=128MB" start >/dev/null; then
            "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres cetak_test
            echo "export CETAK_TEST_PG_DSN=postgresql://postgres@127.0.0.1:$port/cetak_test"
            echo "export CETAK_TEST_PG_DIR=$dir"
            return 0
        fi
    done
    cat "$dir/server.log" >&2
    exit 1
}

stop() {
    local dir="${1:-${CETAK_TEST_PG_DIR:-}}"
    if [[ -z "$dir" || ! -d "$dir/data" ]]; then
        echo "postgres.sh stop: give the folder printed by start" >&2
        exit 1
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
