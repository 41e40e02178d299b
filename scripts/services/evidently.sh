#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through with_lock look unreachable to shellcheck
# Evidently (version pinned below) in its own venv, used only by the monitoring cross-check test and the
# drift bench to compare our verdicts and statistics with the real library.
#   bash scripts/services/evidently.sh install|python|status
#   `python` prints the venv's python path (installing first when missing).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EVIDENTLY_VERSION="${EVIDENTLY_VERSION:-0.7.23}"
EVIDENTLY_VENV="$TOOLS_DIR/evidently-$EVIDENTLY_VERSION"

installed() {
  [[ -x "$EVIDENTLY_VENV/bin/python" && -f "$EVIDENTLY_VENV/.installed" &&
    "$(cat "$EVIDENTLY_VENV/.installed")" == "$EVIDENTLY_VERSION" ]]
}

python_for_venv() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

do_install() {
  if installed; then return 0; fi
  local t0=$SECONDS py
  py=$(python_for_venv) || die "evidently: no Python >= 3.9 with venv found (apt-get install python3-venv)"
  log "evidently: pip install evidently==$EVIDENTLY_VERSION pyarrow into $EVIDENTLY_VENV (python: $py)"
  rm -rf "$EVIDENTLY_VENV"
  mkdir -p "$TOOLS_DIR"
  # pyarrow lets the cross-check script read the same Parquet files our engine reads; Evidently 0.7
  # imports a pandas internal that pandas 3 removed.
  if ! {
    "$py" -m venv "$EVIDENTLY_VENV" &&
      "$EVIDENTLY_VENV/bin/pip" install -q --disable-pip-version-check "evidently==$EVIDENTLY_VERSION" "pandas<3" pyarrow
  } >"$LOG_DIR/install-evidently.log" 2>&1; then
    tail_log "$LOG_DIR/install-evidently.log"
    rm -rf "$EVIDENTLY_VENV"
    die "evidently: pip install failed (see $LOG_DIR/install-evidently.log)"
  fi
  "$EVIDENTLY_VENV/bin/python" -c 'import evidently, pyarrow' || die "evidently: installed but import fails"
  printf '%s\n' "$EVIDENTLY_VERSION" >"$EVIDENTLY_VENV/.installed"
  log "evidently: installed $EVIDENTLY_VERSION in $((SECONDS - t0))s"
}

case "${1:-}" in
  install) with_lock install-evidently do_install ;;
  python)
    installed || with_lock install-evidently do_install
    printf '%s\n' "$EVIDENTLY_VENV/bin/python"
    ;;
  status)
    if installed; then echo "evidently: $EVIDENTLY_VERSION in $EVIDENTLY_VENV"; else
      echo "evidently: not installed"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 install|python|status" >&2
    exit 2
    ;;
esac
