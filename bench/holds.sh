#!/usr/bin/env bash
# Holds, measured in one run beside their database ceiling: hot-event holds and hold plus
# confirm at 64 clients, hot bookings for comparison, pgbench's single-statement rate on
# one hot row, and the time the server takes to settle every active hold expiring at
# once (10,000 made for it plus the 20,000-odd the holds run left active; expired in SQL
# at one instant, then settled by the server's own sweeper: marked, holders told). Writes bench/results/holds-*.json, pgbench-holds-run-*.txt and
# sweep.json. Usage: bench/holds.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
source bench/lib.sh

start_server holds 18082
load holds --clients 64 --duration "$SECS" --users 60000 --json "$OUT/holds-64.json"
load holds --confirm true --clients 64 --duration "$SECS" --users 40000 --json "$OUT/holds-confirm-64.json"
load hot --clients 64 --duration "$SECS" --users 60000 --json "$OUT/holds-run-hot-64.json"

echo "== every active hold (10,000 more) expiring at once"
load holds --clients 64 --duration 60 --users 10000 --json "$OUT/holds-sweep-setup.json" >/dev/null
active=$(psql "$PG/evently_holds" -Atc "SELECT count(*) FROM holds WHERE status = 'active'")
started=$(date +%s.%N)
psql "$PG/evently_holds" -qc "UPDATE holds SET expires_at = now() WHERE status = 'active'"
until [ "$(psql "$PG/evently_holds" -Atc "SELECT count(*) FROM holds WHERE status = 'active'")" = 0 ]; do sleep 0.05; done
settled=$(date +%s.%N)
told=$(psql "$PG/evently_holds" -Atc "SELECT count(*) FROM notifications WHERE kind = 'hold_expired'")
seconds=$(python3 -c "print(round($settled - $started, 3))")
echo "{\"holds\": $active, \"settled_after_s\": $seconds, \"holders_told\": $told}" | tee "$OUT/sweep.json"
stop_server

echo "== pgbench: one statement on one hot row"
pgbench_db
pgbench -n -M prepared -c 64 -j 2 -T "$SECS" -f bench/pgbench/single_statement.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-holds-run-64.txt" 2>&1
grep -E "^tps" "$OUT/pgbench-holds-run-64.txt"
for f in holds-64 holds-confirm-64 holds-run-hot-64; do
    python3 -c "import json,sys; r=json.load(open('$OUT/$f.json')); print('$f', r['requests_per_s'], 'req/s, p99', r['latency_ms']['p99'], 'ms, errors', r['errors'])"
done
