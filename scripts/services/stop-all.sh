#!/usr/bin/env bash
# Stop the services started by these scripts (only the processes named in their pid files).
#   bash scripts/services/stop-all.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pids=()
names=(mlflow kafka redis redis-cluster)
for name in "${names[@]}"; do
  bash "$SERVICES_DIR/$name.sh" stop &
  pids+=($!)
done
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
((${#failed[@]} == 0)) || die "failed to stop: ${failed[*]}"
