#!/usr/bin/env bash
# Reproducible benchmarks: builds the release binaries, starts Evently on this machine's
# PostgreSQL and Redis, runs the load scenarios at several concurrency levels, measures
# the database ceiling with pgbench and a bare actix-web handler with wrk, then runs the
# benchmarks of every later path (holds, tickets, seating, queue, webhooks), each beside
# its own ceiling. Writes bench/results/*.json|txt, the peak memory of every server
# (peak-rss-*.txt) and the charts in bench/charts/. Usage: bench/run.sh [seconds]
# (BENCH_PATHS="holds queue" runs only those later paths; BENCH_PATHS= none of them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
source bench/lib.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
REDIS=(REDIS_URL=redis://127.0.0.1:6379)

echo "== group commit on (Redis, near cache)"
start_server batched 18080 "${REDIS[@]}" EVENTLY_CACHE_NAMESPACE="bench-batched-$$"
load stampede --clients 64 --capacity 100 --users 1000 --json "$OUT/stampede.json"
users_for() { case $1 in 1) echo 8000 ;; 8) echo 30000 ;; *) echo 90000 ;; esac; }
for c in 1 8 64; do
    load hot --clients "$c" --duration "$SECS" --users "$(users_for "$c")" --json "$OUT/hot-batched-$c.json"
done
# Every booking with its own Idempotency-Key, as retrying mobile clients send them.
load hot --keys true --clients 64 --duration "$SECS" --users 60000 --json "$OUT/hot-batched-keyed-64.json"
load spread --clients 64 --duration "$SECS" --events 1000 --users 100 --json "$OUT/spread-64.json"
load spread --keys true --clients 64 --duration "$SECS" --events 1000 --users 100 --json "$OUT/spread-keyed-64.json"
load mixed --clients 64 --duration "$SECS" --json "$OUT/mixed-64.json"
for c in 8 64; do
    load read --clients "$c" --duration "$SECS" --json "$OUT/read-cached-client-$c.json"
done
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-cached.txt"
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events/1" >"$OUT/wrk-read-one-cached.txt"
stop_server

echo "== two instances sharing Redis: how long a write takes to show on the other"
for mode in near strict; do
    start_server "stale_$mode" 18080 "${REDIS[@]}" EVENTLY_CACHE_NAMESPACE="bench-stale-$mode-$$" EVENTLY_CACHE_COHERENCE=$mode
    start_peer 18081 "${REDIS[@]}" EVENTLY_CACHE_NAMESPACE="bench-stale-$mode-$$" EVENTLY_CACHE_COHERENCE=$mode
    sleep 0.5 # the listeners subscribe
    load staleness --other "$PEER" --rounds 300 --json "$OUT/staleness-$mode.json"
    if [ "$mode" = strict ]; then
        load read --clients 8 --duration 1 >/dev/null
        wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-strict.txt"
    fi
    stop_server
done

echo "== one transaction per booking"
start_server single 18080 "${REDIS[@]}" EVENTLY_CACHE_NAMESPACE="bench-single-$$" EVENTLY_GROUP_COMMIT=false
for c in 1 8 64; do
    load hot --clients "$c" --duration "$SECS" --users "$(users_for "$c")" --json "$OUT/hot-single-$c.json"
done
load hot --keys true --clients 64 --duration "$SECS" --users 60000 --json "$OUT/hot-single-keyed-64.json"
stop_server

echo "== reads without a cache"
start_server uncached 18080 EVENTLY_CACHE=off
load read --clients 8 --duration 1 >/dev/null
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-uncached.txt"
stop_server

echo "== reads from the in-process cache (no Redis)"
start_server local 18080
load read --clients 8 --duration 1 >/dev/null
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-local.txt"
stop_server

echo "== bare actix-web handler"
"$BIN/evently-load" bare --addr 127.0.0.1:18090 >/dev/null &
BARE=$!
sleep 0.5
wrk -t2 -c64 -d"${SECS}s" --latency http://127.0.0.1:18090/ >"$OUT/wrk-bare.txt"
kill $BARE; wait $BARE 2>/dev/null || true

echo "== pgbench: the database ceiling"
pgbench_db
for c in 1 8 64; do
    for script in single_statement evently_transaction; do
        pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -f "bench/pgbench/$script.sql" "$PG/evently_pgbench" \
            >"$OUT/pgbench-$script-$c.txt" 2>&1
    done
done
pgbench -n -M prepared -c 64 -j 2 -T "$SECS" -f bench/pgbench/single_statement_spread.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-single_statement_spread-64.txt" 2>&1
trap - EXIT

echo "== every later path, each beside its own ceiling"
for path in ${BENCH_PATHS-holds tickets seating queue webhooks}; do
    echo "== $path"
    "bench/$path.sh" "$SECS"
done

python3 bench/report.py
