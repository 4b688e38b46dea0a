#!/usr/bin/env bash
# Soak: the `mixed` scenario for a long time against one server, sampling its memory and
# each minute's latency, then checking the invariants in SQL (bench/invariants.sql).
# Usage: bench/soak.sh [minutes]
# Every booking rewrites its event's row, so the hot rows leave dead versions behind
# that autovacuum clears in a normal installation. Where autovacuum is off (as on the
# machine these figures come from), the script vacuums once a minute in its place.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
PG=postgres://postgres@127.0.0.1:5432
PORT=18085
BASE=http://127.0.0.1:$PORT
OUT=bench/results/soak
mkdir -p "$OUT"
cargo build --release --locked -p evently -p evently-load
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS evently_soak WITH (FORCE)" -c "CREATE DATABASE evently_soak"
DATABASE_URL="$PG/evently_soak" REDIS_URL=redis://127.0.0.1:6379 EVENTLY_CACHE_NAMESPACE="soak-$$" \
    EVENTLY_ADDR=127.0.0.1:$PORT EVENTLY_JWT_SECRET=soak-secret-soak-secret-soak-secret EVENTLY_TICKET_SIGNING_KEY=YmVuY2ggdGlja2V0IHNpZ25pbmcga2V5LCAzMiBiISE EVENTLY_ADMIN_EMAIL=admin@example.org \
    EVENTLY_ADMIN_PASSWORD=admin-password EVENTLY_ARGON2_MEMORY_KIB=1024 EVENTLY_ARGON2_ITERATIONS=1 \
    EVENTLY_AUTH_RATE_PER_MIN=0 RUST_LOG=warn "${CARGO_TARGET_DIR:-target}"/release/evently >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
until curl -fsS "$BASE/health" >/dev/null 2>&1; do sleep 0.2; done
: >"$OUT/rss.txt"
for minute in $(seq 1 "$MINUTES"); do
    "${CARGO_TARGET_DIR:-target}"/release/evently-load mixed --base "$BASE" --admin-password admin-password --clients 32 \
        --duration 60 --events 20 --users 200 --json "$OUT/minute-$minute.json" >"$OUT/minute-$minute.txt"
    head -2 "$OUT/minute-$minute.txt"
    echo "$minute $(awk '/VmRSS/ {print $2}' /proc/$PID/status)" >>"$OUT/rss.txt"
    if [ "$(psql "$PG/evently_soak" -Atc 'SHOW autovacuum')" = off ]; then
        psql "$PG/evently_soak" -qc "VACUUM (ANALYZE) events, bookings, waitlist_entries"
    fi
done
echo "invariants in SQL (violations per rule):"
psql "$PG/evently_soak" -AtF ': ' -f bench/invariants.sql | tee "$OUT/invariants.txt"
if grep -qv ': 0$' "$OUT/invariants.txt"; then echo "INVARIANTS VIOLATED" >&2; exit 1; fi
python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = []
for path in sorted(out.glob("minute-*.json"), key=lambda p: int(p.stem.split("-")[1])):
    r = json.loads(path.read_text())
    rows.append((path.stem, r["requests_per_s"], r["latency_ms"]["p99"], r["errors"], r["invariants_violated"]))
rss = dict(line.split() for line in (out / "rss.txt").read_text().splitlines())
print("minute  req/s  p99 ms  unexpected  rss KiB  invariants")
for i, (name, rps, p99, errors, broken) in enumerate(rows, 1):
    print(f"{i:>6} {rps:>6.0f} {p99:>7.1f} {errors:>11} {rss.get(str(i), '?'):>8}  {broken or 'held'}")
PY
