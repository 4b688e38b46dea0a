#!/usr/bin/env bash
# Webhooks, measured: hot bookings at 64 clients with one endpoint subscribed to
# booking.confirmed against the same endpoint disabled (no message made), alternating
# twice on one server; and how fast the instance delivers to a fast local receiver
# (`evently-load bare`, POST /hook answers 204), from the attempts' own timestamps.
# Writes bench/results/webhooks-*.json and webhooks.txt. Usage: bench/webhooks.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
PG=postgres://postgres@127.0.0.1:5432
PORT=18086
BASE=http://127.0.0.1:$PORT
HOOK=127.0.0.1:18096
OUT=bench/results
BIN=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$OUT"
cargo build --release --locked -p evently -p evently-load

PIDS=()
stop() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_webhooks WITH (FORCE)" -c "CREATE DATABASE evently_webhooks"
"$BIN/evently-load" bare --addr "$HOOK" >/dev/null 2>&1 &
PIDS+=($!)
env DATABASE_URL="$PG/evently_webhooks" EVENTLY_ADDR=127.0.0.1:$PORT EVENTLY_DB_POOL_SIZE=32 \
    EVENTLY_JWT_SECRET=bench-secret-bench-secret-bench-secret EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE \
    EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=admin-password EVENTLY_WEBHOOK_ALLOW_PRIVATE=true \
    EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn \
    "$BIN/evently" >"$OUT/server-webhooks.log" 2>&1 &
PIDS+=($!)
until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
TOKEN=$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@example.org","password":"admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
ENDPOINT=$(curl -fsS -X POST "$BASE/api/v1/admin/webhooks" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"url\":\"http://$HOOK/hook\",\"event_types\":[\"booking.confirmed\"]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
enabled() {
    curl -fsS -X PATCH "$BASE/api/v1/admin/webhooks/$ENDPOINT" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/json' -d "{\"enabled\":$1}" >/dev/null
}
load() { "$BIN/evently-load" hot --base "$BASE" --admin-password admin-password --clients 64 --duration "$SECS" --users 40000 "$@"; }
for round in 1 2; do
    enabled false
    load --json "$OUT/webhooks-off-$round.json" | sed -n 1,2p
    enabled true
    load --json "$OUT/webhooks-on-$round.json" | sed -n 1,2p
done
# Every message of the 'on' runs delivered: then the attempts' timestamps give the rate.
until [ "$(psql "$PG/evently_webhooks" -Atc "SELECT count(*) FROM webhook_deliveries WHERE due_at IS NOT NULL")" = 0 ]; do sleep 0.2; done
psql "$PG/evently_webhooks" -At -F ' ' -c "SELECT count(*), round(count(*) / extract(epoch FROM max(attempted_at) - min(attempted_at))), \
    (SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded' AND attempts = 1), \
    (SELECT count(*) FROM webhook_deliveries) FROM webhook_attempts" |
    while read -r attempts per_s first_time deliveries; do
        echo "attempts=$attempts delivered_per_s=$per_s succeeded_first_time=$first_time deliveries=$deliveries" | tee "$OUT/webhooks.txt"
    done
awk '/VmHWM/ {print $2}' "/proc/${PIDS[1]}/status" >"$OUT/peak-rss-webhooks.txt"
for f in webhooks-off-1 webhooks-on-1 webhooks-off-2 webhooks-on-2; do
    python3 -c "import json; r=json.load(open('$OUT/$f.json')); print('$f', round(r['created_per_s']), 'bookings/s, p99', r['latency_ms']['p99'], 'ms')" | tee -a "$OUT/webhooks.txt"
done
