#!/usr/bin/env bash
# Webhooks, measured: hot bookings at 64 clients with one endpoint subscribed to
# booking.confirmed against the same endpoint disabled (no message made), in ROUNDS
# rounds (4 unless set; off then on, then on then off, ...) on one server; after each
# subscribed run, how many deliveries it left open (the worker defers them while the
# instance answers a crowd of writes) and how long they took to be delivered after it,
# then how fast the instance delivers that run's messages again (made due as a manual
# redelivery makes them) to a fast local receiver (`evently-load bare`, POST /hook reads
# the body and answers 204) with nothing else running. Every run starts with no backlog.
# Writes bench/results/webhooks-*.json and webhooks.txt. Usage: bench/webhooks.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
ROUNDS=${ROUNDS:-4}
source bench/lib.sh
HOOK=127.0.0.1:18096
"$BIN/evently-load" bare --addr "$HOOK" >/dev/null 2>&1 &
BARE_PID=$!
trap 'stop_server; kill $BARE_PID 2>/dev/null || true' EXIT
start_server webhooks 18086 EVENTLY_WEBHOOK_ALLOW_PRIVATE=true
TOKEN=$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@example.org","password":"admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
ENDPOINT=$(curl -fsS -X POST "$BASE/api/v1/admin/webhooks" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"url\":\"http://$HOOK/hook\",\"event_types\":[\"booking.confirmed\"]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
enabled() {
    curl -fsS -X PATCH "$BASE/api/v1/admin/webhooks/$ENDPOINT" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/json' -d "{\"enabled\":$1}" >/dev/null
}
open_deliveries() {
    psql "$PG/evently_webhooks" -Atc "SELECT (SELECT count(*) FROM webhook_deliveries WHERE due_at IS NOT NULL) \
        + (SELECT COALESCE(sum(cardinality(messages)), 0) FROM webhook_fan_outs)"
}
delivered() { until [ "$(open_deliveries)" = 0 ]; do sleep 0.1; done; }
hot() { load hot --clients 64 --duration "$SECS" --users 60000 "$@" | sed -n 1,2p; }
# Warm-up: the tables grown past empty and analysed before the first measured run.
load hot --clients 64 --duration 3 --users 5000 >/dev/null
sleep 11
: >"$OUT/webhooks.txt"
# off ROUND: hot bookings with the endpoint disabled.
off() {
    enabled false
    hot --json "$OUT/webhooks-off-$1.json"
}
# on ROUND: hot bookings with the endpoint subscribed, then its deliveries delivered, and
# delivered again with nothing else running.
on() {
    local before left ended drained backlog started
    before=$(psql "$PG/evently_webhooks" -Atc "SELECT COALESCE(max(id), 0) FROM webhook_deliveries")
    enabled true
    hot --json "$OUT/webhooks-on-$1.json"
    left=$(open_deliveries)
    ended=$(date +%s.%N)
    delivered
    drained=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$ended" "$(date +%s.%N)")
    # The run's deliveries made due again, delivered with nothing else running.
    backlog=$(psql "$PG/evently_webhooks" -Atc "WITH again AS (UPDATE webhook_deliveries SET due_at = now(), \
        status = 'failed' WHERE id > $before RETURNING 1) SELECT count(*) FROM again")
    started=$(date +%s.%N)
    delivered
    python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); \
print(f'round $1: {sys.argv[4]} left open by the run, delivered {sys.argv[5]} s after it; {n} delivered again in {t:.1f} s: {n / t:.0f} deliveries/s')" \
        "$backlog" "$started" "$(date +%s.%N)" "$left" "$drained" | tee -a "$OUT/webhooks.txt"
}
# Off and on alternate as off-on, on-off, ...: a drift of the machine or of the tables'
# size over the runs weighs on both alike.
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then off "$round" && on "$round"; else on "$round" && off "$round"; fi
done
psql "$PG/evently_webhooks" -At -F ' ' -c "SELECT count(*), \
    (SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'), \
    (SELECT count(*) FROM webhook_deliveries) FROM webhook_attempts" |
    while read -r attempts failed deliveries; do
        echo "attempts=$attempts not_succeeded=$failed deliveries=$deliveries" | tee -a "$OUT/webhooks.txt"
    done
python3 - "$OUT" "$ROUNDS" <<'PY' | tee -a "$OUT/webhooks.txt"
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rate = {}
for round in range(1, rounds + 1):
    for mode in ("off", "on"):
        r = json.load(open(f"{out}/webhooks-{mode}-{round}.json"))
        rate[mode, round] = r["created_per_s"]
        print(f"webhooks-{mode}-{round} {r['created_per_s']:.0f} bookings/s, p99 {r['latency_ms']['p99']} ms")
    print(f"round {round}: subscribed {rate['on', round] / rate['off', round]:.2f}x")
total = {mode: sum(rate[mode, r] for r in range(1, rounds + 1)) for mode in ("off", "on")}
print(f"all rounds: subscribed {total['on'] / total['off']:.2f}x the disabled rate")
PY
