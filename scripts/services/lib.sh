# shellcheck shell=bash disable=SC2034  # variables here are used by the scripts that source this file
# Shared helpers for scripts/services/*.sh — sourced, never run.
#
# Layout:
#   <repo>/.services/            state dir (gitignored; override with SERVICES_STATE_DIR)
#     <svc>/                     data of one service (redis/, kafka/, mlflow/)
#     <svc>/<svc>[-<port>].pid   pid file written at start, removed at stop (one per port/instance)
#     logs/<svc>.log             service log; logs/install-<what>.log install output
#     locks/<name>.lock          flock files so parallel test workers don't start/install twice
#   ${SERVICES_TOOLS_DIR:-$HOME/.cache/taxi-mlops-services}/
#     mlflow-<version>/          Python venv with the pinned MLflow (outside the clone, so fresh CI
#                                clones of the repo on the same machine reuse it)

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_DIR/../.." && pwd)"
STATE_DIR="${SERVICES_STATE_DIR:-$REPO_ROOT/.services}"
LOG_DIR="$STATE_DIR/logs"
LOCK_DIR="$STATE_DIR/locks"
TOOLS_DIR="${SERVICES_TOOLS_DIR:-${HOME:-/root}/.cache/taxi-mlops-services}"

# shellcheck source-path=SCRIPTDIR source=ports.env
. "$SERVICES_DIR/ports.env"
export REDIS_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT MLFLOW_PORT

SERVICES_HOST=127.0.0.1

# Pinned versions (Redis and Chromium come from Debian 12's apt; their versions are whatever bookworm ships).
MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
MLFLOW_VENV="$TOOLS_DIR/mlflow-$MLFLOW_VERSION"
KAFKA_LIBS="$STATE_DIR/kafka/libs"
# The Kafka version itself is pinned in scripts/services/kafka/pom.xml (<kafka.version>).

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

ensure_state_dirs() { mkdir -p "$STATE_DIR" "$LOG_DIR" "$LOCK_DIR"; }

# with_lock NAME CMD... — run CMD while holding an exclusive flock on $LOCK_DIR/NAME.lock (waits for it).
with_lock() {
  local name=$1
  shift
  ensure_state_dirs
  local lock="$LOCK_DIR/$name.lock"
  (
    exec 9>"$lock"
    if ! flock -w 900 9; then
      die "timed out waiting for lock $lock (another start/install still running?)"
    fi
    "$@"
  )
}

# port_open HOST PORT — true if a TCP connect succeeds within 1 s.
port_open() {
  # shellcheck disable=SC2016  # $1/$2 expand in the inner bash
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# wait_until TIMEOUT_SECONDS DESCRIPTION CMD... — poll CMD every 0.5 s until it succeeds.
# Returns 1 (with a message) on timeout; callers decide whether that is fatal.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

wait_for_port() { wait_until "$3" "$1:$2 to accept connections" port_open "$1" "$2"; }

# pid_alive PID — process exists (and is not a zombie).
pid_alive() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ "$state" != "Z" ]]
}

# pid_matches PID NEEDLE... — the process's command line contains every NEEDLE (guards against
# recycled pids and against another instance of the same service).
pid_matches() {
  local pid=$1 cmdline needle
  shift
  pid_alive "$pid" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  for needle in "$@"; do
    [[ "$cmdline" == *"$needle"* ]] || return 1
  done
}

# read_pidfile FILE — prints the pid stored in FILE, or nothing.
read_pidfile() {
  [[ -f "$1" ]] || return 0
  tr -dc '0-9' <"$1" || true
}

# live_pid PIDFILE NEEDLE... — prints the pid if the pid file points at our live process; removes a
# stale pid file (dead pid, or a pid now used by another program) and prints nothing.
live_pid() {
  local pidfile=$1 pid
  shift
  pid=$(read_pidfile "$pidfile")
  if [[ -n "$pid" ]] && pid_matches "$pid" "$@"; then
    printf '%s\n' "$pid"
    return 0
  fi
  if [[ -f "$pidfile" ]]; then
    log "removing stale pid file $pidfile${pid:+ (pid $pid is not ours any more)}"
    rm -f "$pidfile"
  fi
}

# stop_pid NAME PID GROUP(yes|no) GRACE_SECONDS — SIGTERM (to the process group when GROUP=yes, i.e. the
# process was started with setsid and leads its own group), wait, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 group=$3 grace=$4 target
  if [[ "$group" == yes ]]; then target="-$pid"; else target="$pid"; fi
  log "stopping $name (pid $pid)"
  kill -TERM -- "$target" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "$name did not stop within ${grace}s; sending SIGKILL"
      kill -KILL -- "$target" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  if [[ "$group" == yes ]]; then
    # Children that outlived the leader (e.g. uvicorn workers) are still in the group.
    kill -KILL -- "$target" 2>/dev/null || true
  fi
}

# close_fds_exec CMD... — exec CMD with every file descriptor above 2 closed. Services must not inherit
# our lock fd (they would hold the start lock forever) nor pipes of whoever called us (Node's execFile
# would never see EOF).
close_fds_exec() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec ${fd}>&-"; fi
  done
  exec "$@"
}

# run_clean CMD... — run CMD in the foreground with fds > 2 closed (for self-daemonizing servers).
run_clean() { (close_fds_exec "$@"); }

# start_detached PIDFILE LOGFILE CMD... — start CMD in its own session/process group, detached from our
# stdio and fds, and write its pid to PIDFILE.
start_detached() {
  local pidfile=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
  # Without job control the background subshell is not a group leader, so setsid execs in place:
  # $! is the service's pid and also its process-group id.
  (close_fds_exec setsid "$@" </dev/null >>"$logfile" 2>&1) &
  printf '%s\n' "$!" >"$pidfile"
}

# tail_log FILE — last lines of a log, for error messages.
tail_log() {
  if [[ -f "$1" ]]; then
    log "last lines of $1:"
    tail -n 30 "$1" | sed 's/^/    /' >&2
  fi
}

need_root_or_sudo() {
  if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "installing Debian packages needs root (or sudo): apt-get install $*"
  fi
}

APT_UPDATED=0
# apt_install PKG... — apt-get update (once per run) + install, non-interactive, without recommends.
apt_install() {
  local SUDO=()
  need_root_or_sudo "$@"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages by hand: $*"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
}

# Commands used by the service scripts (absolute paths where Debian puts them).
redis_cli() { redis-cli -h "$SERVICES_HOST" -p "$REDIS_PORT" "$@"; }

kafka_java() {
  java -Xmx256m -Dlog4j.configuration="file:$SERVICES_DIR/kafka/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}
