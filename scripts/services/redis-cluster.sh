#!/usr/bin/env bash
# A 3-node Redis Cluster (3 masters, no replicas, no persistence) on loopback for the online-store
# tests: 127.0.0.1:16391, 16392, 16393 (REDIS_CLUSTER_PORTS, space separated).
#   bash scripts/services/redis-cluster.sh start|stop|status
# Nodes live in .services/redis-cluster/<port>/ with their pid files; logs in .services/logs/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -r -a PORTS <<<"${REDIS_CLUSTER_PORTS:-16391 16392 16393}"
DATA="$STATE_DIR/redis-cluster"

cli() {
  local port=$1
  shift
  redis-cli -h "$SERVICES_HOST" -p "$port" "$@"
}
pidfile_of() { printf '%s/%s/redis-%s.pid' "$DATA" "$1" "$1"; }
needle_of() { printf 'redis-server %s:%s' "$SERVICES_HOST" "$1"; }
answering() { [[ "$(cli "$1" ping 2>/dev/null)" == PONG ]]; }
cluster_ok() { cli "${PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | grep -q '^cluster_state:ok$'; }

all_answering() {
  local port
  for port in "${PORTS[@]}"; do answering "$port" || return 1; done
}

stop_nodes() {
  local port pid
  for port in "${PORTS[@]}"; do
    pid=$(live_pid "$(pidfile_of "$port")" "$(needle_of "$port")")
    if [[ -n "$pid" ]]; then stop_pid "redis-cluster:$port" "$pid" no 10; fi
    rm -f "$(pidfile_of "$port")"
  done
}

start_node() {
  local port=$1 dir="$DATA/$1"
  if port_open "$SERVICES_HOST" "$port"; then
    die "redis-cluster: port $port is taken by something these scripts did not start; set REDIS_CLUSTER_PORTS or free it"
  fi
  # A node starts empty: the cluster is created anew, so no node remembers an old one.
  rm -rf "$dir"
  mkdir -p "$dir" "$LOG_DIR"
  run_clean redis-server --port "$port" --bind "$SERVICES_HOST" --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout 5000 --save '' --appendonly no --daemonize yes \
    --pidfile "$(pidfile_of "$port")" --logfile "$LOG_DIR/redis-cluster-$port.log" --dir "$dir" ||
    {
      tail_log "$LOG_DIR/redis-cluster-$port.log"
      die "redis-cluster: node $port failed to start"
    }
  wait_until 30 "redis-cluster node $port to answer PING" answering "$port" || die "redis-cluster: node $port did not answer"
}

do_start() {
  if all_answering && cluster_ok; then
    log "redis-cluster: already up on ${PORTS[*]}"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || bash "$SERVICES_DIR/install.sh" redis
  # Half a cluster (a node down, slots unassigned) is rebuilt from scratch: it only holds test data.
  stop_nodes
  local port hosts=()
  for port in "${PORTS[@]}"; do
    start_node "$port"
    hosts+=("$SERVICES_HOST:$port")
  done
  log "redis-cluster: creating the cluster on ${hosts[*]}"
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 0 --cluster-yes >"$LOG_DIR/redis-cluster-create.log" 2>&1 ||
    {
      tail_log "$LOG_DIR/redis-cluster-create.log"
      die "redis-cluster: redis-cli --cluster create failed"
    }
  wait_until 30 "the cluster state to be ok" cluster_ok || die "redis-cluster: cluster_state did not become ok"
  log "redis-cluster: ready on ${hosts[*]}"
}

do_status() {
  if all_answering && cluster_ok; then
    echo "redis-cluster: running on ${PORTS[*]} (cluster_state:ok)"
    return 0
  fi
  echo "redis-cluster: stopped or incomplete on ${PORTS[*]}"
  return 3
}

case "${1:-}" in
  start) with_lock redis-cluster do_start ;;
  stop) with_lock redis-cluster stop_nodes ;;
  status) do_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
