#!/usr/bin/env bash
# Tickets, measured beside their database ceiling: check-ins at 64 clients on one event
# (every scan a distinct ticket), pgbench's guarded single-statement UPDATE of a ticket
# by primary key at 64 clients, and offline verification of codes (the pure function,
# on one and on two threads). Writes bench/results/checkins-64.json, verify-*.json and
# pgbench-checkin-64.txt. Usage: bench/tickets.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
source bench/lib.sh

start_server tickets 18083
load checkins --clients 64 --duration "$SECS" \
    --users "${USERS:-6000}" --json "$OUT/checkins-64.json"
stop_server

"$BIN/evently-load" verify --clients 1 --duration "$SECS" --json "$OUT/verify-1.json"
"$BIN/evently-load" verify --clients 2 --duration "$SECS" --json "$OUT/verify-2.json"

echo "== pgbench: one guarded UPDATE of a ticket by primary key"
pgbench_db
psql "$PG/evently_pgbench" -q -f bench/pgbench/tickets.sql
pgbench -n -M prepared -c 64 -j 2 -T "$SECS" -f bench/pgbench/checkin.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-checkin-64.txt" 2>&1
grep -E "^tps" "$OUT/pgbench-checkin-64.txt"
for f in checkins-64 verify-1 verify-2; do
    python3 -c "import json,sys; r=json.load(open('$OUT/$f.json')); print('$f', round(r['requests_per_s']), 'per s, p99', r['latency_ms']['p99'], 'ms, errors', r['errors'])"
done
