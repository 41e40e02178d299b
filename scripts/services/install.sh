#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through with_lock look unreachable to shellcheck
# Install (when missing) what the tests' real services need. Idempotent and quick when installed.
#   bash scripts/services/install.sh [redis|kafka|mlflow|chromium|all]...   (default: all)
# Debian packages first (one apt-get run), then Kafka (Maven) and MLflow (pip) in parallel.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: $0 [redis|kafka|mlflow|chromium|all]..." >&2
  exit 2
}

want_redis=0 want_kafka=0 want_mlflow=0 want_chromium=0
[[ $# -eq 0 ]] && set -- all
for arg in "$@"; do
  case "$arg" in
    redis) want_redis=1 ;;
    kafka) want_kafka=1 ;;
    mlflow) want_mlflow=1 ;;
    chromium) want_chromium=1 ;;
    all) want_redis=1 want_kafka=1 want_mlflow=1 want_chromium=1 ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done

ensure_state_dirs

# ---------- what is missing ----------
python_for_venv() {
  # MLflow 3.x needs Python >= 3.10 with the venv module (pyenv's or Debian's python3).
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

kafka_stamp() { sha256sum "$SERVICES_DIR/kafka/pom.xml" | cut -c1-16; }
kafka_installed() {
  [[ -f "$KAFKA_LIBS/.installed" && "$(cat "$KAFKA_LIBS/.installed")" == "$(kafka_stamp)" ]] &&
    compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null
}
mlflow_installed() {
  [[ -x "$MLFLOW_VENV/bin/mlflow" && -f "$MLFLOW_VENV/.installed" &&
    "$(cat "$MLFLOW_VENV/.installed")" == "$MLFLOW_VERSION" ]]
}

apt_pkgs=()
if ((want_redis)) && ! command -v redis-server >/dev/null 2>&1; then apt_pkgs+=(redis-server); fi
if ((want_chromium)) && [[ ! -x /usr/bin/chromium ]]; then apt_pkgs+=(chromium fonts-liberation); fi
if ((want_kafka)); then
  command -v java >/dev/null 2>&1 || apt_pkgs+=(openjdk-17-jre-headless)
  if ! kafka_installed && ! command -v mvn >/dev/null 2>&1; then apt_pkgs+=(maven); fi
fi
if ((want_mlflow)) && ! mlflow_installed && ! python_for_venv >/dev/null; then
  apt_pkgs+=(python3 python3-venv)
fi
if ((want_redis || want_kafka || want_mlflow)) && ! command -v flock >/dev/null 2>&1; then
  apt_pkgs+=(util-linux)
fi

if ((${#apt_pkgs[@]})); then
  t0=$SECONDS
  apt_install "${apt_pkgs[@]}"
  log "apt packages installed in $((SECONDS - t0))s: ${apt_pkgs[*]}"
fi

# ---------- Kafka: broker jars from Maven Central ----------
install_kafka() {
  if kafka_installed; then return 0; fi
  local t0=$SECONDS tmp="$KAFKA_LIBS.tmp.$$"
  log "kafka: resolving broker jars with Maven into $KAFKA_LIBS"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -f "$SERVICES_DIR/kafka/pom.xml" dependency:copy-dependencies -Dlibs.dir="$tmp" \
    >"$LOG_DIR/install-kafka.log" 2>&1; then
    tail_log "$LOG_DIR/install-kafka.log"
    rm -rf "$tmp"
    die "kafka: mvn dependency:copy-dependencies failed (see $LOG_DIR/install-kafka.log)"
  fi
  kafka_stamp >"$tmp/.installed"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: installed $(basename "$(compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar")") in $((SECONDS - t0))s"
}

# ---------- MLflow: pinned version in its own venv ----------
install_mlflow() {
  if mlflow_installed; then return 0; fi
  local t0=$SECONDS py
  py=$(python_for_venv) || die "mlflow: no Python >= 3.10 with venv found"
  log "mlflow: pip install mlflow==$MLFLOW_VERSION into $MLFLOW_VENV (python: $py)"
  rm -rf "$MLFLOW_VENV"
  mkdir -p "$TOOLS_DIR"
  if ! {
    "$py" -m venv "$MLFLOW_VENV" &&
      "$MLFLOW_VENV/bin/pip" install -q --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
  } >"$LOG_DIR/install-mlflow.log" 2>&1; then
    tail_log "$LOG_DIR/install-mlflow.log"
    rm -rf "$MLFLOW_VENV"
    die "mlflow: pip install failed (see $LOG_DIR/install-mlflow.log)"
  fi
  "$MLFLOW_VENV/bin/mlflow" --version >/dev/null || die "mlflow: installed but 'mlflow --version' fails"
  printf '%s\n' "$MLFLOW_VERSION" >"$MLFLOW_VENV/.installed"
  log "mlflow: installed $MLFLOW_VERSION in $((SECONDS - t0))s"
}

# Network-bound installs run in parallel; each takes its own lock so concurrent callers
# (two test workers, start-all + a test) wait instead of installing twice.
pids=()
names=()
if ((want_kafka)) && ! kafka_installed; then
  with_lock install-kafka install_kafka &
  pids+=($!)
  names+=(kafka)
fi
if ((want_mlflow)) && ! mlflow_installed; then
  with_lock install-mlflow install_mlflow &
  pids+=($!)
  names+=(mlflow)
fi
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
((${#failed[@]} == 0)) || die "install failed for: ${failed[*]}"

if ((want_mlflow)); then bash "$SERVICES_DIR/evidently.sh" install; fi # the monitoring cross-check's Evidently rides with the Python tools

# Final check of everything asked for.
if ((want_redis)); then command -v redis-server >/dev/null || die "redis-server still missing"; fi
if ((want_chromium)); then [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium still missing"; fi
if ((want_kafka)); then kafka_installed || die "kafka jars still missing in $KAFKA_LIBS"; fi
if ((want_mlflow)); then mlflow_installed || die "mlflow still missing in $MLFLOW_VENV"; fi
exit 0
