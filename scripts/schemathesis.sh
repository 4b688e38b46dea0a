#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own OpenAPI document: every response
# must be documented (status, content type, schema) and none may be a 5xx.
# positive_data_acceptance is left out: the API validates more than JSON Schema can say
# (trimmed non-empty text without control characters, plausible emails, seats within the
# event's own limit, offsets the stores can page to), so some schema-valid requests are
# rightly refused with 422.
# Installs schemathesis from PyPI into a private virtualenv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${EVENTLY_TOOLS:-$HOME/.cache/evently-tools}
EXAMPLES=${1:-20}
if [ ! -x "$TOOLS/bin/st" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q "schemathesis==4.*"
fi
cargo build --quiet --bin evently
PORT=18181
BASE=http://127.0.0.1:$PORT
EVENTLY_ADDR=127.0.0.1:$PORT EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=fuzz-admin-password \
    EVENTLY_AUTH_RATE_PER_MIN=0 EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 RUST_LOG=warn \
    "${CARGO_TARGET_DIR:-target}/debug/evently" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    curl -fsS "$BASE/health" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
    sleep 0.2
done
TOKEN=$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@example.org","password":"fuzz-admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Something for id-based operations to find.
curl -fsS -X POST "$BASE/api/v1/events" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"name":"Fuzz","venue":"Lab","starts_at":"2030-01-01T00:00:00Z","capacity":5}' >/dev/null
"$TOOLS/bin/st" run "$BASE/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "$EXAMPLES" \
    --seed 20261124 \
    --request-timeout 10
