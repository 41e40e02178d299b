#!/usr/bin/env bash
# Redis for the tests on 127.0.0.1:$REDIS_PORT (default 16379), no persistence.
#   bash scripts/services/redis.sh start|stop|status
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA="$STATE_DIR/redis"
PIDFILE="$DATA/redis-$REDIS_PORT.pid"
LOGFILE="$LOG_DIR/redis.log"
NEEDLE="redis-server $SERVICES_HOST:$REDIS_PORT" # how redis-server shows its command line

answering() { [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; }

# our_pid — the pid of the Redis we started: from the pid file, or (pid file lost) the server on our
# port whose working dir is our data dir.
our_pid() {
  local pid dir
  pid=$(live_pid "$PIDFILE" "$NEEDLE")
  if [[ -z "$pid" ]] && answering; then
    dir=$(redis_cli config get dir 2>/dev/null | tr -d '\r' | sed -n 2p)
    if [[ "$dir" == "$(cd "$DATA" 2>/dev/null && pwd -P)" ]]; then
      pid=$(redis_cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
    fi
  fi
  printf '%s' "$pid"
}

do_start() {
  if answering; then
    log "redis: already answering on $SERVICES_HOST:$REDIS_PORT"
    return 0
  fi
  # A live process of ours that does not answer is wedged: stop it before starting anew.
  local pid
  pid=$(live_pid "$PIDFILE" "$NEEDLE")
  if [[ -n "$pid" ]]; then stop_pid redis "$pid" no 10; fi
  rm -f "$PIDFILE"
  if port_open "$SERVICES_HOST" "$REDIS_PORT"; then
    die "redis: port $REDIS_PORT is taken by something that is not Redis; set REDIS_PORT or free the port"
  fi
  command -v redis-server >/dev/null 2>&1 || bash "$SERVICES_DIR/install.sh" redis
  mkdir -p "$DATA" "$LOG_DIR"
  log "redis: starting on $SERVICES_HOST:$REDIS_PORT (log: $LOGFILE)"
  run_clean redis-server --port "$REDIS_PORT" --bind "$SERVICES_HOST" --save '' --appendonly no \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$DATA" ||
    {
      tail_log "$LOGFILE"
      die "redis: redis-server failed to start"
    }
  if ! wait_until 30 "redis to answer PING" answering; then
    tail_log "$LOGFILE"
    die "redis: did not answer on $SERVICES_HOST:$REDIS_PORT"
  fi
  log "redis: ready on $SERVICES_HOST:$REDIS_PORT ($(redis_cli info server | tr -d '\r' | grep '^redis_version:'))"
}

do_stop() {
  local pid
  pid=$(our_pid)
  if [[ -z "$pid" ]]; then
    log "redis: not running (no live pid file)"
    return 0
  fi
  stop_pid redis "$pid" no 10
  rm -f "$PIDFILE"
}

do_status() {
  local pid
  pid=$(our_pid)
  if answering; then
    if [[ -n "$pid" ]]; then
      echo "redis: running on $SERVICES_HOST:$REDIS_PORT (pid $pid)"
    else
      echo "redis: running on $SERVICES_HOST:$REDIS_PORT (not started by these scripts)"
    fi
    return 0
  fi
  echo "redis: stopped${pid:+ (pid $pid alive but not answering)}"
  return 3
}

case "${1:-}" in
  start) with_lock redis do_start ;;
  stop) with_lock redis do_stop ;;
  status) do_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
