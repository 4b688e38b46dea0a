#!/usr/bin/env bash
# The fair on-sale queue at 64 clients, beside pgbench's single-statement rate on one hot
# row in the same run: queue tickets taken by fresh users (joins/s), then 20,000 users'
# tickets read round robin (reads/s, answered from the queue's snapshot) while the queue
# admits 10,000 a minute and its lag behind the pace is sampled. Writes
# bench/results/queue-*.json and pgbench-queue-64.txt. Usage: bench/queue.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
source bench/lib.sh

start_server queue 18085
load queue --clients 64 --duration "$SECS" --users 40000 --json "$OUT/queue-joins-64.json"
load queue --reads true --clients 64 --duration "$SECS" --users 20000 --rate 10000 --json "$OUT/queue-reads-64.json"
psql "$PG/evently_queue" -Atc "SELECT count(*) FROM queue_tickets WHERE admitted_at IS NOT NULL" | sed 's/^/admitted in all: /'
stop_server

echo "== pgbench: one statement on one hot row"
pgbench_db
pgbench -n -M prepared -c 64 -j 2 -T 10 -f bench/pgbench/single_statement.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-queue-64.txt" 2>&1
grep -E "^tps" "$OUT/pgbench-queue-64.txt"
for f in queue-joins-64 queue-reads-64; do
    python3 -c "import json; r=json.load(open('$OUT/$f.json')); print('$f', r['requests_per_s'], 'req/s, p99', r['latency_ms']['p99'], 'ms, errors', r['errors'], r['notes'], r.get('invariants_violated'))"
done
