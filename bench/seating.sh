#!/usr/bin/env bash
# Reserved seating, measured beside its database ceiling in one run: best-available and
# named-seat bookings at 64 clients on a 20,000-seat event (one seat per booking, a
# fresh user each, until it sells out), hot general-admission bookings for comparison,
# pgbench's single-statement rate on one hot row, and the time to create a
# 100,000-seat plan and to read its seats and map. Writes bench/results/seated-*.json,
# seating-plan.json and pgbench-seating-64.txt. Usage: bench/seating.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
source bench/lib.sh

start_server seating 18084
load seated --clients 64 --duration "$SECS" --rows 100 --json "$OUT/seated-best-64.json"
load seated --named true --clients 64 --duration "$SECS" --rows 100 --json "$OUT/seated-named-64.json"
load hot --clients 64 --duration 10 --users 40000 --json "$OUT/seating-run-hot-64.json"

echo "== a 100,000-seat plan: created, then its seats and map read"
admin=$(curl -fsS "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email": "admin@example.org", "password": "admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
python3 -c '
import json
rows = [{"label": "R%d" % r, "seats": 200} for r in range(100)]
sections = [{"name": "Level %d" % s, "rows": rows} for s in range(5)]
print(json.dumps({"name": "Stadium", "venue": "Bench", "starts_at": "2030-01-01T20:00:00Z", "seating": {"sections": sections}}))
' >"$OUT/plan-100k.json"
times=()
for i in 1 2 3; do
    answer=$(curl -sS -o "$OUT/plan-100k-answer.json" -w '%{http_code} %{time_total}' "$BASE/api/v1/events" \
        -H "authorization: Bearer $admin" -H 'content-type: application/json' --data-binary @"$OUT/plan-100k.json")
    [ "${answer%% *}" = 201 ] || { echo "plan creation answered $answer"; cat "$OUT/plan-100k-answer.json"; exit 1; }
    times+=("${answer#* }")
done
id=$(python3 -c "import json; print(json.load(open('$OUT/plan-100k-answer.json'))['id'])")
seats=$(curl -sS -o /dev/null -w '%{size_download} %{time_total}' "$BASE/api/v1/events/$id/seats")
svg=$(curl -sS -o /dev/null -w '%{size_download} %{time_total}' "$BASE/api/v1/events/$id/seatmap.svg")
gzipped() { curl -sS -o /dev/null -H 'accept-encoding: gzip' -w '%{size_download} %{time_total}' "$BASE/api/v1/events/$id/$1"; }
seats_gzip=$(gzipped seats)
svg_gzip=$(gzipped seatmap.svg)
python3 - "$OUT/seating-plan.json" "${times[*]}" "$seats" "$svg" "$seats_gzip" "$svg_gzip" <<'PY'
import json, statistics, sys
out, times, *answers = sys.argv[1:]
times = sorted(float(t) for t in times.split())
result = {"seats": 100000, "create_s": times, "create_median_s": statistics.median(times)}
for name, answer in zip(["seats_json", "seatmap_svg", "seats_json_gzip", "seatmap_svg_gzip"], answers):
    size, seconds = answer.split()
    result[f"{name}_bytes"], result[f"{name}_s"] = int(size), float(seconds)
json.dump(result, open(out, "w"), indent=2)
print(json.dumps(result))
PY
psql "$PG/evently_seating" -f bench/invariants.sql | tee "$OUT/seating-invariants.txt"
stop_server

echo "== pgbench: one statement on one hot row"
pgbench_db
pgbench -n -M prepared -c 64 -j 2 -T 10 -f bench/pgbench/single_statement.sql "$PG/evently_pgbench" \
    >"$OUT/pgbench-seating-64.txt" 2>&1
grep -E "^tps" "$OUT/pgbench-seating-64.txt"
for f in seated-best-64 seated-named-64 seating-run-hot-64; do
    python3 -c "import json; r=json.load(open('$OUT/$f.json')); print('$f', r['created_per_s'], 'bookings/s, p99', r['latency_ms']['p99'], 'ms, errors', r['errors'], r.get('invariants_violated'))"
done
