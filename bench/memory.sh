#!/usr/bin/env bash
# Peak memory under what anonymous and unauthenticated clients can send: a burst of
# logins at the default argon2 cost (19 MiB per hash) and reads whose query strings are
# all different (every one a cache miss and a new cache entry: pages of LIMIT events, 20 by
# default, with DESCRIPTION characters of description each, 300 by default: ~12 KB). Larger
# pages (LIMIT=100 DESCRIPTION=5000: ~530 KB each) show the memory of answers in flight to
# 64 clients, which the cache's byte budget does not bound. EXTRA_ENV adds server settings.
# Writes bench/results/memory.json.
# Usage: bench/memory.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
PG=postgres://postgres@127.0.0.1:5432
PORT=18081
BASE=http://127.0.0.1:$PORT
OUT=bench/results
BIN=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$OUT"
cargo build --release --locked -p evently -p evently-load

SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

# measure NAME SCENARIO [OPTIONS...]: a fresh server (default argon2 cost, in-process
# cache), the scenario at 64 clients, and the server's peak resident memory (VmHWM).
measure() {
    local name=$1; shift
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_memory WITH (FORCE)" -c "CREATE DATABASE evently_memory"
    env ${EXTRA_ENV:-} DATABASE_URL="$PG/evently_memory" EVENTLY_ADDR=127.0.0.1:$PORT \
        EVENTLY_JWT_SECRET=memory-secret-memory-secret-memory-secret EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE \
        EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=admin-password \
        EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn "$BIN/evently" >"$OUT/server-memory-$name.log" 2>&1 &
    SERVER_PID=$!
    until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
    # At rest first: the hashing threads drop their working memory after 5 s idle, and the
    # allocator returns freed memory to the system about 10 s later.
    sleep 16; curl -fsS "$BASE/health" >/dev/null
    echo 5 >"/proc/$SERVER_PID/clear_refs" # the peak (VmHWM) counts from here
    local before
    before=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    "$BIN/evently-load" "$@" --clients 64 --duration "$SECS" --base "$BASE" --admin-password admin-password \
        --json "$OUT/memory-$name.json" >&2
    printf '"%s": {"rss_before_kib": %s, "peak_rss_kib": %s, "rss_after_kib": %s}' "$name" "$before" \
        "$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")" "$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
    stop_server
}

{
    echo "{"
    measure logins logins --users 64
    echo ","
    measure distinct-reads read --path "/api/v1/events?limit=${LIMIT:-20}" --distinct true --events 100 --description "${DESCRIPTION:-300}"
    echo "}"
} >"$OUT/memory.json"
cat "$OUT/memory.json"
