#!/usr/bin/env bash
# Database outage (SECURITY.md 13): with PostgreSQL stopped the server stays up, answers 503
# problem+json with Retry-After, /readyz 503 and /healthz 200; once PostgreSQL is back,
# requests succeed again within 5 seconds, without restarting the server. Runs on a private,
# throwaway cluster so that stopping it disturbs nothing else. Loopback only, bounded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$(swift build --show-bin-path)/dialogue-admin"
[[ -x "$BIN" ]] || swift build --product dialogue-admin >&2
BINDIR="$(pg_config --bindir 2>/dev/null || true)"
[[ -x "$BINDIR/initdb" ]] || BINDIR="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
as_owner() { if [[ "$(id -u)" == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dialogue-outage.XXXXXX")"
chmod 755 "$WORK"
[[ "$(id -u)" == 0 ]] && chown postgres: "$WORK"
PGPORT="$(free_port)"; PORT="$(free_port)"
PGDATA="$WORK/data"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
as_owner "$BINDIR/initdb" -D "$PGDATA" -U outage --auth=trust >/dev/null
start_pg() {
    as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories='$WORK'" start >/dev/null
}
start_pg
psql -q -h 127.0.0.1 -p "$PGPORT" -U outage -d postgres -c "CREATE DATABASE dialogue"
export DATABASE_URL="postgres://outage@127.0.0.1:$PGPORT/dialogue?sslmode=disable"
"$BIN" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
ADMIN="$("$BIN" participant add --name "Outage admin" --kind official)"
TOKEN="$("$BIN" token issue --participant "$ADMIN" --role admin 2>/dev/null)"
api() { curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1"; }
fail() { echo "outage: FAIL: $*" >&2; tail -n 20 "$WORK/server.log" >&2; exit 1; }

[[ "$(api /v1/directions)" == 200 ]] || fail "not serving before the outage"
as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null
code="$(api /v1/directions)"
[[ "$code" == 503 ]] || fail "API answered $code during the outage, expected 503"
grep -qi '^retry-after:' "$WORK/headers" || fail "503 without Retry-After"
grep -qi '^content-type: application/problem+json' "$WORK/headers" || fail "503 without a problem document"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" == 503 ]] || fail "/readyz was not 503"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" == 200 ]] || fail "/healthz was not 200"
kill -0 "$SERVER_PID" || fail "the server died"

start_pg
back_ms=$(( $(date +%s%N) / 1000000 ))
recovered=""
while (( $(date +%s%N) / 1000000 - back_ms < 5000 )); do
    if [[ "$(api /v1/directions)" == 200 ]]; then recovered=$(( $(date +%s%N) / 1000000 - back_ms )); break; fi
    sleep 0.1
done
[[ -n "$recovered" ]] || fail "requests did not succeed within 5 s of PostgreSQL's return"
echo "outage: 503 with Retry-After while down; recovered ${recovered} ms after PostgreSQL returned"
