#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through with_lock look unreachable to shellcheck
# MLflow tracking server (version pinned in lib.sh) on 127.0.0.1:$MLFLOW_PORT (default 15000),
# SQLite backend store and proxied artifact serving under .services/mlflow/.
#   bash scripts/services/mlflow.sh start|stop|status
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA="$STATE_DIR/mlflow"
DB="$DATA/mlflow.db"
ARTIFACTS="$DATA/artifacts"
PIDFILE="$DATA/mlflow-$MLFLOW_PORT.pid"
if [[ "$MLFLOW_PORT" == 15000 ]]; then LOGFILE="$LOG_DIR/mlflow.log"; else LOGFILE="$LOG_DIR/mlflow-$MLFLOW_PORT.log"; fi
BACKEND_URI="sqlite:///$DB"
URL="http://$SERVICES_HOST:$MLFLOW_PORT"
WORKERS="${MLFLOW_WORKERS:-2}"

# http_ok URL — GET succeeds with a 2xx status within 3 s.
http_ok() {
  if command -v curl >/dev/null 2>&1; then
    curl -fs -o /dev/null --max-time 3 "$1" 2>/dev/null
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$1" 2>/dev/null
  fi
}

# The health endpoint alone answers before the stores are usable; the search call proves the REST API
# and the SQLite store work.
answering() {
  http_ok "$URL/health" && http_ok "$URL/api/2.0/mlflow/experiments/search?max_results=1"
}

do_start() {
  if answering; then
    log "mlflow: already answering on $URL"
    return 0
  fi
  local pid
  pid=$(live_pid "$PIDFILE" "--port $MLFLOW_PORT " "$BACKEND_URI")
  if [[ -n "$pid" ]]; then
    if wait_until 60 "mlflow (pid $pid) to answer on $URL" answering; then
      log "mlflow: already running on $URL (pid $pid)"
      return 0
    fi
    stop_pid mlflow "$pid" yes 15
  fi
  rm -f "$PIDFILE"
  if port_open "$SERVICES_HOST" "$MLFLOW_PORT"; then
    die "mlflow: port $MLFLOW_PORT is taken by something that is not our MLflow server; set MLFLOW_PORT or free it"
  fi
  bash "$SERVICES_DIR/install.sh" mlflow
  mkdir -p "$DATA" "$ARTIFACTS" "$LOG_DIR"
  log "mlflow: starting $MLFLOW_VERSION on $URL (log: $LOGFILE)"
  # Run from the data dir so nothing (mlruns/, mlartifacts/) lands in the caller's cwd.
  (
    cd "$DATA"
    export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
    # The background job runner (huey consumers, ~1 GB of RSS) serves features the tests don't use.
    export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
    start_detached "$PIDFILE" "$LOGFILE" \
      "$MLFLOW_VENV/bin/mlflow" server --host "$SERVICES_HOST" --port "$MLFLOW_PORT" \
      --workers "$WORKERS" \
      --backend-store-uri "$BACKEND_URI" \
      --artifacts-destination "$ARTIFACTS" --serve-artifacts
  )
  pid=$(read_pidfile "$PIDFILE")
  local deadline=$((SECONDS + 180))
  until answering; do
    if ! pid_alive "$pid"; then
      tail_log "$LOGFILE"
      rm -f "$PIDFILE"
      die "mlflow: server exited during startup (log above)"
    fi
    if ((SECONDS >= deadline)); then
      tail_log "$LOGFILE"
      die "mlflow: not answering on $URL after 180s (pid $pid left running; stop with mlflow.sh stop)"
    fi
    sleep 0.5
  done
  log "mlflow: ready on $URL (pid $pid, mlflow $MLFLOW_VERSION)"
}

do_stop() {
  local pid
  pid=$(live_pid "$PIDFILE" "--port $MLFLOW_PORT " "$BACKEND_URI")
  if [[ -z "$pid" ]]; then
    log "mlflow: not running (no live pid file)"
    return 0
  fi
  stop_pid mlflow "$pid" yes 15
  rm -f "$PIDFILE"
}

do_status() {
  local pid
  pid=$(live_pid "$PIDFILE" "--port $MLFLOW_PORT " "$BACKEND_URI")
  if answering; then
    if [[ -n "$pid" ]]; then
      echo "mlflow: running on $URL (pid $pid)"
    else
      echo "mlflow: running on $URL (not started by these scripts)"
    fi
    return 0
  fi
  echo "mlflow: stopped${pid:+ (pid $pid alive but not answering)}"
  return 3
}

case "${1:-}" in
  start) with_lock mlflow do_start ;;
  stop) with_lock mlflow do_stop ;;
  status) do_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
