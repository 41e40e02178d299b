#!/usr/bin/env bash
# Install what is missing, then start Redis, Kafka and MLflow (in parallel) on their loopback ports.
# Idempotent: services already answering are left alone. Exits non-zero if any service fails.
#   bash scripts/services/start-all.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

t0=$SECONDS
bash "$SERVICES_DIR/install.sh" redis kafka mlflow

pids=()
names=(redis kafka mlflow)
for name in "${names[@]}"; do
  bash "$SERVICES_DIR/$name.sh" start &
  pids+=($!)
done
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
if ((${#failed[@]})); then
  die "failed to start: ${failed[*]} (logs in $LOG_DIR)"
fi
log "all services up in $((SECONDS - t0))s: redis $SERVICES_HOST:$REDIS_PORT, kafka $SERVICES_HOST:$KAFKA_PORT, mlflow http://$SERVICES_HOST:$MLFLOW_PORT"
