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
OWNER_URL="${SERVER_URL/\/dialogue\?//$DB?}"
# The server runs as it does in production: the service's least-privileged login, with the
# owner's login for migrations only, so a missing GRANT fails here. The CLI steps below are
# the operator's and use the owner's login.
export DATABASE_URL="$OWNER_URL"
SERVICE_URL=""
if [[ "$SERVER_URL" == "$(deploy/local-cluster.sh url 2>/dev/null)" ]]; then
    SERVICE_URL="$(deploy/local-cluster.sh service-url)"
    SERVICE_URL="${SERVICE_URL/\/dialogue\?//$DB?}"
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
LOG="$(mktemp)"
DATABASE_URL="${SERVICE_URL:-$OWNER_URL}" DIALOGUE_MIGRATION_DATABASE_URL="$OWNER_URL" \
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

# One real object of every kind, whose ids schemathesis.toml hands to the operations that
# need them, so that every operation is exercised on something that exists, not only on 404s.
SEED_TOKEN="$("$BIN" token issue --participant "$ADMIN" --role admin --label seed 2>/dev/null)"
eval "$(python3 - "$PORT" "$SEED_TOKEN" <<'PY'
import http.client, json, sys
port, token = int(sys.argv[1]), sys.argv[2]
def call(method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    payload = json.loads(response.read() or b"null")
    if response.status >= 300:
        sys.exit(f"fuzz seed: {method} {path} answered {response.status}: {payload}")
    return payload
ids = {}
ids["ORGANIZATION"] = call("POST", "/v1/organizations", {"name": "Fuzz ministry", "side": "government"})["id"]
ids["PARTICIPANT"] = call("POST", "/v1/participants", {"display_name": "Fuzz member", "kind": "diaspora"})["id"]
ids["GROUP"] = call("POST", "/v1/working-groups", {"direction": "media", "name": "Fuzz group"})["id"]
call("PUT", f"/v1/working-groups/{ids['GROUP']}/members/{ids['PARTICIPANT']}", {"role": "member"})
ids["SESSION"] = call("POST", "/v1/sessions", {"kind": "working_group", "working_group_id": ids["GROUP"], "title": "Fuzz session",
                                              "starts_at": "2027-05-01T10:00:00Z", "ends_at": "2027-05-01T12:00:00Z",
                                              "timezone": "Europe/Vilnius"})["id"]
call("PUT", f"/v1/sessions/{ids['SESSION']}/attendees/{ids['PARTICIPANT']}", {})
ids["AGENDA_ITEM"] = call("POST", f"/v1/sessions/{ids['SESSION']}/agenda", {"title": "Fuzz item", "duration_minutes": 10})["id"]
ids["PROPOSAL"] = call("POST", "/v1/proposals", {"working_group_id": ids["GROUP"], "title": "Fuzz proposal", "kind": "policy",
                                                "scale": "small"})["id"]
ids["ACTION_ITEM"] = call("POST", "/v1/action-items", {"working_group_id": ids["GROUP"], "title": "Fuzz action",
                                                      "owner_id": ids["PARTICIPANT"], "due_on": "2027-06-01"})["id"]
ids["TOKEN"] = call("POST", f"/v1/participants/{ids['PARTICIPANT']}/tokens", {"role": "observer"})["id"]
feed = call("POST", "/v1/calendar/feed-url")
ids["FEED"] = feed["id"]
ids["FEED_SECRET"] = feed["url"].rsplit("/", 1)[-1].removesuffix(".ics")
for name, value in ids.items():
    print(f"export FUZZ_{name}={value}")
PY
)"

# Operations that can end the fuzzer's own access (revoking its token, deactivating or
# compromising its participant) run last, in a pass of their own, so they cannot hide the rest.
LOCKOUT=(--operation-id revokeParticipantToken --operation-id compromiseParticipant --operation-id updateParticipant)
status=0
fuzz() {
    local token
    token="$("$BIN" token issue --participant "$ADMIN" --role admin --label fuzz 2>/dev/null)"
    timeout 900 schemathesis run "http://127.0.0.1:$PORT/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks "${FUZZ_CHECKS:-all}" \
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
