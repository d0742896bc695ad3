#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `scripts/pg.sh start DIR` initialises a cluster in
# DIR (fsync off, trust auth, listening only on a Unix socket in DIR) and prints its
# SQLAlchemy URL; `scripts/pg.sh stop DIR` stops it and deletes DIR.
#
# The binaries come from PG_BIN, else `pg_config --bindir`, else the newest
# /usr/lib/postgresql/*/bin (Debian's layout). initdb and pg_ctl refuse to run as root,
# so as root they run as the `postgres` user (runuser), which then owns DIR.
# Exit code 3 from `start`: no PostgreSQL binaries on this machine.
set -euo pipefail

find_bin() {
    if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/pg_ctl" ]; then
        echo "$PG_BIN"; return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        local dir
        dir="$(pg_config --bindir)"
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    fi
    # the glob sorts 10 before 9, so pick the highest version number explicitly
    local best
    best="$(for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_ctl" ] && echo "$dir"; done \
        | sort -t/ -k4,4n | tail -n1)"
    [ -n "$best" ] && { echo "$best"; return 0; }
    return 1
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: scripts/pg.sh start|stop DIR" >&2
    exit 2
fi

case "$cmd" in
start)
    if ! bin="$(find_bin)"; then
        echo "scripts/pg.sh: no PostgreSQL binaries found (set PG_BIN, or install PostgreSQL)" >&2
        exit 3
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    # the socket's folder must be reachable by the tests' user
    chmod 0755 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
            -c shared_buffers=64MB" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql+psycopg://postgres@/postgres?host=$dir"
    ;;
stop)
    if [ -d "$dir/data" ] && bin="$(find_bin)"; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
