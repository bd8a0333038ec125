#!/usr/bin/env bash
# Contract fuzzing (SECURITY.md 15): schemathesis drives every operation of the served
# /openapi.json with positive and negative data, as an admin, against a throwaway database,
# and fails on any 5xx, undocumented status code, response that breaks its schema, or wrong
# content type. Bounded: a fixed number of examples per operation, loopback only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXAMPLES="${FUZZ_EXAMPLES:-30}"
SEED="${FUZZ_SEED:-20261124}"

python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
BIN="$(swift build --show-bin-path)/dialogue-admin"
[[ -x "$BIN" ]] || swift build --product dialogue-admin >&2

if [[ -z "${DIALOGUE_TEST_DATABASE_URL:-}" ]]; then deploy/local-cluster.sh ensure >/dev/null; fi
SERVER_URL="${DIALOGUE_TEST_DATABASE_URL:-$(deploy/local-cluster.sh url)}"
DB="dlgt_fuzz_$$"
psql -q "$SERVER_URL" -c "CREATE DATABASE $DB"
export DATABASE_URL="${SERVER_URL/\/dialogue\?//$DB?}"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
LOG="$(mktemp)"
"$BIN" serve --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    psql -q "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB" || true
    rm -f "$LOG"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.2
done
ADMIN="$("$BIN" participant add --name "Fuzzing admin" --kind official)"

# Operations that can end the fuzzer's own access (revoking its token, deactivating or
# compromising its participant) run last, in a pass of their own, so they cannot hide the rest.
LOCKOUT=(--operation-id revokeParticipantToken --operation-id compromiseParticipant --operation-id updateParticipant)
status=0
fuzz() {
    local token
    token="$("$BIN" token issue --participant "$ADMIN" --role admin --label fuzz 2>/dev/null)"
    timeout 900 schemathesis run "http://127.0.0.1:$PORT/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
        --phases examples,coverage,fuzzing,stateful --max-examples "$EXAMPLES" --seed "$SEED" \
        --request-timeout 10 --suppress-health-check all --no-color "$@" || status=$?
}
fuzz "${LOCKOUT[@]/#--operation-id/--exclude-operation-id}"
fuzz "${LOCKOUT[@]/#--operation-id/--include-operation-id}"
if grep -q " error .*unexpected error" "$LOG"; then
    echo "fuzz: the server logged unexpected errors:" >&2
    grep " error .*unexpected error" "$LOG" | head -20 >&2
    status=1
fi
exit "$status"
