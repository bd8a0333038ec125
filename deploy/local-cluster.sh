#!/usr/bin/env bash
# The embedded development database: a private PostgreSQL cluster for this checkout.
#
#   deploy/local-cluster.sh ensure   create on first use, start if stopped, print the owner's URL
#                                    (migrations) and, on a second line, the service role's URL
#   deploy/local-cluster.sh stop     stop it (pg_ctl, i.e. by the cluster's own pid file)
#   deploy/local-cluster.sh status   say whether it runs, and where it lives
#
# Only for development and tests: production sets DATABASE_URL and never calls this.
# State lives in .data/ of the checkout (port, password, where the cluster is). The cluster
# itself is in .data/pg, unless the checkout sits under a folder the `postgres` user cannot
# enter (PostgreSQL refuses to run as root, so as root we run it as `postgres`): then it goes
# to a folder owned by that user in the system temp directory, named after the checkout path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.data"
DB_NAME="dialogue"
DB_USER="dialogue"
SERVICE_USER="dialogue_service"

say() { printf 'local-cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

pg_bindir() {
    local dir=""
    if command -v pg_config >/dev/null 2>&1; then dir="$(pg_config --bindir)"; fi
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    fi
    [[ -n "$dir" && -x "$dir/initdb" ]] || die "PostgreSQL server binaries not found (install the Debian package 'postgresql')"
    printf '%s\n' "$dir"
}

# Run a PostgreSQL server command as the unprivileged owner of the cluster.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

ensure_owner_user() {
    [[ "$(id -u)" == 0 ]] || return 0
    if ! id postgres >/dev/null 2>&1; then
        say "creating system user 'postgres' to own the local cluster"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
}

checkout_hash() { printf '%s' "$ROOT" | sha256sum | cut -c1-16; }

choose_cluster_dir() {
    if [[ "$(id -u)" != 0 ]] || runuser -u postgres -- test -x "$STATE"; then
        printf '%s\n' "$STATE/pg"
    else
        printf '%s\n' "${TMPDIR:-/tmp}/dialogue-pg-$(checkout_hash)"
    fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

choose_port() {
    local base=$((54320 + $(printf '%d' "0x$(checkout_hash | cut -c1-4)") % 400)) p
    for ((p = base; p < base + 200; p++)); do
        if ! port_in_use "$p"; then printf '%s\n' "$p"; return; fi
    done
    die "no free port found near $base"
}

url() {
    printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' \
        "$DB_USER" "$(cat "$STATE/password")" "$(cat "$STATE/port")" "$DB_NAME"
}

# The role the service runs as: a login that holds the grants of `dialogue_app` (made by the
# migrations), never the owner's (SECURITY.md 9: least privilege).
service_url() {
    printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' \
        "$SERVICE_USER" "$(cat "$STATE/service-password")" "$(cat "$STATE/port")" "$DB_NAME"
}

init_cluster() {
    local dir="$1" bindir="$2"
    ensure_owner_user
    umask 077
    mkdir -p "$STATE"
    # The state folder must be enterable by the cluster owner when the cluster lives in it.
    if [[ "$(id -u)" == 0 && "$dir" == "$STATE/pg" ]]; then chmod 711 "$STATE"; fi
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$STATE/password"
    choose_port >"$STATE/port"
    printf '%s\n' "$dir" >"$STATE/cluster-dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$dir"
    chmod 700 "$dir"
    local pwfile="$dir.pw"
    cp "$STATE/password" "$pwfile"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$pwfile"
    say "creating a private PostgreSQL cluster in $dir (port $(cat "$STATE/port"))"
    as_owner "$bindir/initdb" -D "$dir/data" --username="$DB_USER" --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; cat "$STATE/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
}

start_cluster() {
    local dir="$1" bindir="$2" port
    port="$(cat "$STATE/port")"
    if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
    if port_in_use "$port"; then
        die "port $port (recorded in .data/port) is taken by another program; free it or edit .data/port"
    fi
    # The test suites run in parallel, each on a pool of its own: 100 connections (the
    # default) ran out, and a pool that cannot connect looks like a database outage.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 9>&- \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c max_connections=400" start >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
}

# The database and the service's login role; idempotent, so it runs on every `ensure`.
ensure_database_and_roles() {
    local port
    port="$(cat "$STATE/port")"
    export PGPASSWORD
    PGPASSWORD="$(cat "$STATE/password")"
    if ! psql -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -qc "CREATE DATABASE $DB_NAME" >/dev/null
    fi
    if [[ ! -f "$STATE/service-password" ]]; then
        (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$STATE/service-password")
    fi
    psql -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -q -v ON_ERROR_STOP=1 \
        -v pw="$(cat "$STATE/service-password")" >/dev/null <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dialogue_app') AS need_app \gset
\if :need_app
CREATE ROLE dialogue_app NOLOGIN;
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dialogue_service') AS need_service \gset
\if :need_service
CREATE ROLE dialogue_service LOGIN IN ROLE dialogue_app;
\endif
ALTER ROLE dialogue_service PASSWORD :'pw';
SQL
}

# PostgreSQL stops with a PANIC when its disk fills, and a test run then fails far from the
# cause ("the database system is in recovery mode"): say so up front. `make test` peaks at
# about 1.5 GiB in the cluster (the report's scale-1 dataset and the WAL).
warn_if_disk_low() {
    local free_kib
    free_kib="$(df -Pk "$1" | awk 'NR == 2 { print $4 }')"
    if [[ -n "$free_kib" ]] && ((free_kib < 2 * 1024 * 1024)); then
        say "warning: only $((free_kib / 1024)) MiB free on the disk of $1; the test suites need about 2 GiB," \
            "and PostgreSQL stops when its disk is full"
    fi
}

cmd_ensure() {
    mkdir -p "$STATE"
    exec 9>"$STATE/lock"
    flock 9
    local bindir dir
    bindir="$(pg_bindir)"
    if [[ -f "$STATE/cluster-dir" && -f "$STATE/password" && -f "$STATE/port" ]]; then
        dir="$(cat "$STATE/cluster-dir")"
    else
        dir="$(choose_cluster_dir)"
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then init_cluster "$dir" "$bindir"; fi
    start_cluster "$dir" "$bindir"
    warn_if_disk_low "$dir"
    ensure_database_and_roles
    url
    service_url
}

cmd_stop() {
    [[ -f "$STATE/cluster-dir" ]] || { say "no local cluster in this checkout"; return 0; }
    local dir bindir
    dir="$(cat "$STATE/cluster-dir")"
    bindir="$(pg_bindir)"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && say "stopped"
    else
        say "not running"
    fi
}

cmd_status() {
    [[ -f "$STATE/cluster-dir" ]] || { say "no local cluster in this checkout"; return 1; }
    local dir
    dir="$(cat "$STATE/cluster-dir")"
    if as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        say "running on 127.0.0.1:$(cat "$STATE/port"), data in $dir"
    else
        say "stopped, data in $dir"
        return 3
    fi
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    url) url ;;
    service-url) service_url ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) die "usage: $0 ensure|url|service-url|stop|status" ;;
esac
