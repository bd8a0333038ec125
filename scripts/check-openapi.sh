#!/usr/bin/env bash
# Starts the server on a free port, fetches /openapi.json as a client would, and validates it
# with openapi-spec-validator (an independent implementation of the OpenAPI 3.1 schema).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7' >&2
fi

BIN="$(swift build --show-bin-path)/dialogue-admin"
[[ -x "$BIN" ]] || swift build --product dialogue-admin >&2
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# A throwaway database of its own on the test server (dropped by the next test run too).
if [[ -z "${DIALOGUE_TEST_DATABASE_URL:-}" ]]; then deploy/local-cluster.sh ensure >/dev/null; fi
SERVER_URL="${DIALOGUE_TEST_DATABASE_URL:-$(deploy/local-cluster.sh url)}"
DB="dlgt_contract_$$"
psql -q "$SERVER_URL" -c "CREATE DATABASE $DB"
export DATABASE_URL="${SERVER_URL/\/dialogue\?//$DB?}"
LOG="$(mktemp)"
"$BIN" serve --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$LOG"; psql -q "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB" || true' EXIT
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 $PID 2>/dev/null; then cat "$LOG" >&2; echo "server exited" >&2; exit 1; fi
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/openapi.json" -o "$LOG.json"
python3 - "$LOG.json" <<'PY'
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
spec = json.load(open(sys.argv[1]))
assert spec.get("openapi", "").startswith("3.1"), "not an OpenAPI 3.1 document"
validate(spec, cls=OpenAPIV31SpecValidator)
ops = sum(1 for item in spec["paths"].values() for m in item if m in ("get","post","put","patch","delete"))
print(f"openapi: valid OpenAPI {spec['openapi']} document, {len(spec['paths'])} paths, {ops} operations")
PY
rm -f "$LOG.json"

# Start-up is quiet: no warning (PostgresNIO's included) and no bare PSQLError.
if grep -Ei ' (warning|error|critical) |PSQLError' "$LOG"; then echo "start-up logged the lines above" >&2; exit 1; fi

# The operations guide runs the service with its least-privileged login and no migration URL
# once migrations are current: it must start (it only checks them), not fail on CREATE.
if [[ "$SERVER_URL" == "$(deploy/local-cluster.sh url 2>/dev/null)" ]] && SERVICE_URL="$(deploy/local-cluster.sh service-url 2>/dev/null)"; then
    PORT2="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    DATABASE_URL="${SERVICE_URL/\/dialogue\?//$DB?}" DIALOGUE_MIGRATION_DATABASE_URL= \
        "$BIN" serve --host 127.0.0.1 --port "$PORT2" >"$LOG.service" 2>&1 &
    PID2=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$PORT2/readyz" >/dev/null 2>&1; then break; fi
        if ! kill -0 $PID2 2>/dev/null; then cat "$LOG.service" >&2; echo "serve with the service login exited" >&2; exit 1; fi
        sleep 0.2
    done
    curl -fsS "http://127.0.0.1:$PORT2/readyz" >/dev/null
    kill $PID2; wait $PID2 2>/dev/null || true
    if grep -Ei ' (warning|error|critical) |PSQLError' "$LOG.service"; then echo "start-up logged the lines above" >&2; exit 1; fi
    rm -f "$LOG.service"
    echo "serve: starts with the service's login on a current database; start-up logs no warning"
fi
