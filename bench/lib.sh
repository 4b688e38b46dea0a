# Shared by the benchmark scripts: paths, the release build, a server on a fresh
# database, and a pgbench database with Evently's schema. Source it after `cd` to the
# repository root. BENCH_NO_BUILD=1 skips the release build and runs the binaries
# already in the target directory.
PG=postgres://postgres@127.0.0.1:5432
OUT=bench/results
BIN=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$OUT"
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --locked -p evently -p evently-load

SERVER_PID=
PEER_PID=
ANALYZER_PID=
# stop_server: stops the server (and its peer), first writing its peak resident memory
# (VmHWM, KiB) to $OUT/peak-rss-NAME.txt.
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status" >"$OUT/peak-rss-$SERVER_NAME.txt" 2>/dev/null || true
        kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    fi
    if [ -n "$PEER_PID" ]; then kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null; fi
    if [ -n "$ANALYZER_PID" ]; then kill "$ANALYZER_PID" 2>/dev/null; wait "$ANALYZER_PID" 2>/dev/null || true; fi
    SERVER_PID= PEER_PID= ANALYZER_PID=
    return 0
}
trap stop_server EXIT

# server_env NAME PORT: the environment of a bench server on database evently_NAME.
server_env() {
    echo DATABASE_URL="$PG/evently_$1" EVENTLY_ADDR=127.0.0.1:$2 \
        EVENTLY_JWT_SECRET=bench-secret-bench-secret-bench-secret \
        EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE \
        EVENTLY_ADMIN_EMAIL=admin@example.org EVENTLY_ADMIN_PASSWORD=admin-password \
        EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn
}

# start_server NAME PORT [VAR=value...]: the release server on a fresh database
# evently_NAME at 127.0.0.1:PORT, logging to $OUT/server-NAME.log; sets BASE.
start_server() {
    local name=$1 port=$2
    shift 2
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_$name WITH (FORCE)" -c "CREATE DATABASE evently_$name"
    # shellcheck disable=SC2046
    env $(server_env "$name" "$port") "$@" "$BIN/evently" >"$OUT/server-$name.log" 2>&1 &
    SERVER_PID=$! SERVER_NAME=$name
    BASE=http://127.0.0.1:$port
    until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
    # This machine's PostgreSQL runs without autovacuum: its ANALYZE, every 10 s, in its
    # place. Without it the plans sessions keep are those made for the first, empty
    # tables (one booking path fell from 875 to 234/s as its tables grew).
    (while sleep 10; do psql "$PG/evently_$name" -qc "ANALYZE" >/dev/null 2>&1 || exit 0; done) &
    ANALYZER_PID=$!
}

# start_peer PORT [VAR=value...]: a second instance on the running server's database;
# sets PEER.
start_peer() {
    local port=$1
    shift
    # shellcheck disable=SC2046
    env $(server_env "$SERVER_NAME" "$port") "$@" "$BIN/evently" >"$OUT/server-$SERVER_NAME-peer.log" 2>&1 &
    PEER_PID=$!
    PEER=http://127.0.0.1:$port
    until curl -fsS "$PEER/health" >/dev/null 2>&1; do sleep 0.2; done
}

# load SCENARIO [--option value...]: the load tool against the running server.
load() { "$BIN/evently-load" "$@" --base "$BASE" --admin-password admin-password; }

# pgbench_db: a fresh evently_pgbench database with Evently's schema and bench/pgbench/setup.sql.
pgbench_db() {
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_pgbench WITH (FORCE)" -c "CREATE DATABASE evently_pgbench"
    DATABASE_URL="$PG/evently_pgbench" "$BIN/evently" migrate
    psql "$PG/evently_pgbench" -q -f bench/pgbench/setup.sql
}
