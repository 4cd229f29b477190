#!/usr/bin/env bash
# Ensure Debian's Chromium is installed and that the PyPI `playwright` package
# (no `playwright install`: it downloads browsers and fails here) drives it offline.
#
# Usage (from the repo root or anywhere; needs root for apt-get):
#   bash .ci/tools/chromium.sh
# Steps: if /usr/bin/chromium is missing: apt-get update + apt-get install -y chromium
#   -> /usr/bin/chromium --version -> PYTHON .ci/tools/pw_check.py (localhost page,
#   fill + click + screenshot).
# Exit: 0 OK; 1 the Playwright check failed; 2 install/setup failed.
# Env:
#   PYTHON             interpreter with playwright (default: REPO/.venv/bin/python, else python3)
#   CHROMIUM_SKIP_PW=1 only install + --version, skip the Playwright check
#   PW_SCREENSHOT      where pw_check.py saves its PNG (default /tmp/pw_check.png)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHROMIUM=/usr/bin/chromium
log() { echo "[chromium] $*"; }

if [[ -x "$CHROMIUM" ]]; then
  log "already installed: $CHROMIUM"
else
  [[ $(id -u) -eq 0 ]] || { log "ERROR: $CHROMIUM missing and not root (apt-get needs root)"; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update (timeout 300s)"
  timeout 300 apt-get update -q || { log "ERROR: apt-get update failed"; exit 2; }
  log "apt-get install -y chromium (timeout 900s)"
  timeout 900 apt-get install -y -q chromium </dev/null || { log "ERROR: apt-get install chromium failed"; exit 2; }
fi

# The Debian wrapper's /dev/shm probe prints a harmless "[: ...: unexpected operator"
# on stderr on this machine (findmnt lists /dev/shm twice); drop that line only.
ver="$(timeout 30 "$CHROMIUM" --version 2> >(grep -v 'unexpected operator' >&2))" \
  || { log "ERROR: $CHROMIUM --version failed"; exit 2; }
log "version: $ver"

if [[ "${CHROMIUM_SKIP_PW:-}" == 1 ]]; then log "CHROMIUM_SKIP_PW=1: skipping the Playwright check"; exit 0; fi

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
if ! "$PY" -c 'import playwright' 2>/dev/null; then
  log "ERROR: '$PY' cannot import playwright (install the PyPI package; never run 'playwright install')"; exit 2
fi
log "playwright $("$PY" -c 'import importlib.metadata as m; print(m.version("playwright"))') via $PY: running pw_check.py (timeout 120s)"
set +e
CHROMIUM="$CHROMIUM" timeout 120 "$PY" "$ROOT/.ci/tools/pw_check.py" "${PW_SCREENSHOT:-/tmp/pw_check.png}" \
  2> >(grep -v 'unexpected operator' >&2)
rc=$?
set -e
if [[ $rc -ne 0 ]]; then log "FAILED: Playwright check exited $rc"; exit 1; fi
log "PASSED"
