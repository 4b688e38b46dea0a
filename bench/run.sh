#!/usr/bin/env bash
# Reproducible benchmarks: builds the release binaries, starts Evently on this machine's
# PostgreSQL and Redis, runs the load scenarios at several concurrency levels, measures
# the database ceiling with pgbench and a bare actix-web handler with wrk, and writes
# bench/results/*.json and the charts in bench/charts/. Usage: bench/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
PG=postgres://postgres@127.0.0.1:5432
PORT=18080
BASE=http://127.0.0.1:$PORT
OUT=bench/results
mkdir -p "$OUT" bench/charts

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
cargo build --release --locked -p evently -p evently-load

SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

# start_server NAME [ENV=VALUE...]: a fresh database and namespace, then the server.
start_server() {
    local name=$1; shift
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_bench WITH (FORCE)" -c "CREATE DATABASE evently_bench"
    env DATABASE_URL="$PG/evently_bench" REDIS_URL=redis://127.0.0.1:6379 EVENTLY_CACHE_NAMESPACE="bench-$name-$$" \
        EVENTLY_ADDR=127.0.0.1:$PORT EVENTLY_JWT_SECRET=bench-secret-bench-secret-bench-secret EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE EVENTLY_DB_POOL_SIZE=32 \
        EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=admin-password \
        EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn \
        "$@" "${CARGO_TARGET_DIR:-target}"/release/evently >"$OUT/server-$name.log" 2>&1 &
    SERVER_PID=$!
    until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
}

load() { "${CARGO_TARGET_DIR:-target}"/release/evently-load "$@" --base "$BASE" --admin-password admin-password; }

# Samples the server's resident memory every 200 ms into $1 until it exits.
sample_rss() { while kill -0 "$SERVER_PID" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; sleep 0.2; done >"$1" 2>/dev/null; }

echo "== group commit on"
start_server batched
load stampede --clients 64 --capacity 100 --users 1000 --json "$OUT/stampede.json"
sample_rss "$OUT/rss-samples.txt" &
users_for() { case $1 in 1) echo 8000 ;; 8) echo 30000 ;; *) echo 60000 ;; esac; }
for c in 1 8 64; do
    load hot --clients "$c" --duration "$SECS" --users "$(users_for "$c")" --json "$OUT/hot-batched-$c.json"
done
# Every booking with its own Idempotency-Key, as retrying mobile clients send them.
load hot --keys true --clients 64 --duration "$SECS" --users 60000 --json "$OUT/hot-batched-keyed-64.json"
echo "{\"peak_rss_kib\": $(sort -n "$OUT/rss-samples.txt" | tail -1), \"vm_hwm_kib\": $(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")}" >"$OUT/rss-hot.json"
load spread --clients 64 --duration "$SECS" --events 1000 --users 100 --json "$OUT/spread-64.json"
load mixed --clients 64 --duration "$SECS" --json "$OUT/mixed-64.json"
for c in 8 64; do
    load read --clients "$c" --duration "$SECS" --json "$OUT/read-cached-client-$c.json"
done
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-cached.txt"
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events/1" >"$OUT/wrk-read-one-cached.txt"
stop_server

echo "== one transaction per booking"
start_server single EVENTLY_GROUP_COMMIT=false
for c in 1 8 64; do
    load hot --clients "$c" --duration "$SECS" --users "$(users_for "$c")" --json "$OUT/hot-single-$c.json"
done
load hot --keys true --clients 64 --duration "$SECS" --users 60000 --json "$OUT/hot-single-keyed-64.json"
stop_server

echo "== reads without a cache"
start_server uncached EVENTLY_CACHE=off
load read --clients 8 --duration 1 >/dev/null
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-uncached.txt"
stop_server

echo "== reads from the in-process cache (no Redis)"
start_server local REDIS_URL=
load read --clients 8 --duration 1 >/dev/null
wrk -t2 -c64 -d"${SECS}s" --latency "$BASE/api/v1/events?limit=20" >"$OUT/wrk-read-local.txt"
stop_server

echo "== bare actix-web handler"
"${CARGO_TARGET_DIR:-target}"/release/evently-load bare --addr 127.0.0.1:18090 >/dev/null &
BARE=$!
sleep 0.5
wrk -t2 -c64 -d"${SECS}s" --latency http://127.0.0.1:18090/ >"$OUT/wrk-bare.txt"
kill $BARE; wait $BARE 2>/dev/null || true

echo "== pgbench: the database ceiling"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_pgbench WITH (FORCE)" -c "CREATE DATABASE evently_pgbench"
DATABASE_URL="$PG/evently_pgbench" "${CARGO_TARGET_DIR:-target}"/release/evently migrate
psql "$PG/evently_pgbench" -q -f bench/pgbench/setup.sql
for c in 1 8 64; do
    for script in single_statement evently_transaction; do
        pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -f "bench/pgbench/$script.sql" "$PG/evently_pgbench" \
            >"$OUT/pgbench-$script-$c.txt" 2>&1
    done
done
pgbench -n -M prepared -c 64 -j 2 -T "$SECS" -f bench/pgbench/single_statement_spread.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-single_statement_spread-64.txt" 2>&1

python3 bench/report.py
