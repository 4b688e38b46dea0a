#!/usr/bin/env bash
# Tickets, measured beside their database ceiling: check-ins at 64 clients on one event
# (every scan a distinct ticket), pgbench's guarded single-statement UPDATE of a ticket
# by primary key at 64 clients, and offline verification of codes (the pure function,
# on one and on two threads). Writes bench/results/checkins-64.json, verify-*.json and
# pgbench-checkin-64.txt. Usage: bench/tickets.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
PG=postgres://postgres@127.0.0.1:5432
PORT=18083
BASE=http://127.0.0.1:$PORT
OUT=bench/results
BIN=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$OUT"
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
cargo build --release --locked -p evently -p evently-load

SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_tickets WITH (FORCE)" -c "CREATE DATABASE evently_tickets"
env DATABASE_URL="$PG/evently_tickets" EVENTLY_ADDR=127.0.0.1:$PORT EVENTLY_DB_POOL_SIZE=32 \
    EVENTLY_JWT_SECRET=bench-secret-bench-secret-bench-secret EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE \
    EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=admin-password \
    EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn \
    "$BIN/evently" >"$OUT/server-tickets.log" 2>&1 &
SERVER_PID=$!
until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
"$BIN/evently-load" checkins --base "$BASE" --admin-password admin-password --clients 64 --duration "$SECS" \
    --users "${USERS:-6000}" --json "$OUT/checkins-64.json"
stop_server

"$BIN/evently-load" verify --clients 1 --duration "$SECS" --json "$OUT/verify-1.json"
"$BIN/evently-load" verify --clients 2 --duration "$SECS" --json "$OUT/verify-2.json"

echo "== pgbench: one guarded UPDATE of a ticket by primary key"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_pgbench WITH (FORCE)" -c "CREATE DATABASE evently_pgbench"
DATABASE_URL="$PG/evently_pgbench" "$BIN/evently" migrate
psql "$PG/evently_pgbench" -q -f bench/pgbench/setup.sql
psql "$PG/evently_pgbench" -q -f bench/pgbench/tickets.sql
pgbench -n -M prepared -c 64 -j 2 -T "$SECS" -f bench/pgbench/checkin.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-checkin-64.txt" 2>&1
grep -E "^tps" "$OUT/pgbench-checkin-64.txt"
for f in checkins-64 verify-1 verify-2; do
    python3 -c "import json,sys; r=json.load(open('$OUT/$f.json')); print('$f', round(r['requests_per_s']), 'per s, p99', r['latency_ms']['p99'], 'ms, errors', r['errors'])"
done
