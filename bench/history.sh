#!/usr/bin/env bash
# History check, long version: 24 clients book, cancel, join and leave waitlists on two
# server processes of one database while connections are terminated and processes
# SIGKILLed; every request is recorded and the whole history is checked against the
# contract and the final state (tests/api/history.rs). The summary line (ops by outcome,
# anomalies) goes to bench/results/history.txt, the full output to history.log.
# Usage: bench/history.sh [seconds]    (default 600; EVENTLY_HISTORY_SEED=<seed> replays
# a run's random choices; at most 3000: the tokens last an hour)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
OUT=bench/results/history.txt
LOG=bench/results/history.log
mkdir -p bench/results
status=0
EVENTLY_HISTORY_SECS=$SECS cargo test --release --locked --test api history -- --nocapture 2>&1 | tee "$LOG" \
    || status=$?
{
    echo "# bench/history.sh $SECS at $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    grep -E '^history|^[0-9]+ anomalies|^  \[|^test result' "$LOG" || true
} >"$OUT"
cat "$OUT"
exit "$status"
