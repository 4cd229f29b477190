#!/usr/bin/env bash
# Install the pinned MCP clients that tests/interop/ runs our server under (issue 14 item 8):
#   Node 22 (.ci/tools/node22.sh) and, with npm_pin_install,
#     .ci/npm/ts-sdk1/    @modelcontextprotocol/sdk     (TypeScript SDK 1.x: 2025-03-26 … 2025-11-25)
#     .ci/npm/ts-client2/ @modelcontextprotocol/client  (TypeScript 2.x client: 2026-07-28 via server/discover)
#   and the Python SDK 1.x in its own venv .ci/py-mcp1/ (pip install mcp==<pin>).
# All gitignored; idempotent (nothing is fetched when the pinned versions are present).
#
# Usage (from anywhere): bash .ci/tools/interop.sh
# Then: python -m pytest tests/interop   (INTEROP_REQUIRED=1 turns "client absent" skips into failures)
# Exit: 0 ok; 2 install/setup failed.
# Env: INTEROP_TS_SDK1_VERSION, INTEROP_TS_CLIENT2_VERSION, INTEROP_PY_MCP1_VERSION (pin overrides),
#      INTEROP_PYTHON (interpreter for the 1.x venv, default python3), INTEROP_INSTALL_TIMEOUT (s, default 600).
set -euo pipefail

TS_SDK1_VERSION="${INTEROP_TS_SDK1_VERSION:-1.32.2}"      # newest 1.x on npm as of writing
TS_CLIENT2_VERSION="${INTEROP_TS_CLIENT2_VERSION:-2.4.0}" # newest 2.x; engines: node >= 20
PY_MCP1_VERSION="${INTEROP_PY_MCP1_VERSION:-1.30.0}"      # newest 1.x on PyPI as of writing
TMO="${INTEROP_INSTALL_TIMEOUT:-600}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { echo "[interop] $*"; }

NODE_BIN="$(bash "$ROOT/.ci/tools/node22.sh")" || { log "ERROR: Node 22 install failed"; exit 2; }
export PATH="$NODE_BIN:$PATH"
# shellcheck source=SCRIPTDIR/npm_pin.sh
source "$ROOT/.ci/tools/npm_pin.sh"
npm_pin_install "$ROOT/.ci/npm/ts-sdk1" "@modelcontextprotocol/sdk" "$TS_SDK1_VERSION" "$TMO" || exit 2
npm_pin_install "$ROOT/.ci/npm/ts-client2" "@modelcontextprotocol/client" "$TS_CLIENT2_VERSION" "$TMO" || exit 2

VENV="$ROOT/.ci/py-mcp1"
have="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null || true)"
if [[ "$have" == "$PY_MCP1_VERSION" ]]; then
  log "already installed: mcp==$PY_MCP1_VERSION in $VENV"
else
  log "creating $VENV with mcp==$PY_MCP1_VERSION (was: ${have:-none}; timeout ${TMO}s)"
  rm -rf "$VENV"
  "${INTEROP_PYTHON:-python3}" -m venv "$VENV" || { log "ERROR: venv creation failed"; exit 2; }
  timeout "$TMO" "$VENV/bin/pip" install --quiet --disable-pip-version-check "mcp==$PY_MCP1_VERSION" </dev/null \
    || { log "ERROR: pip install mcp==$PY_MCP1_VERSION failed"; exit 2; }
  have="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
  [[ "$have" == "$PY_MCP1_VERSION" ]] || { log "ERROR: mcp installed as $have, expected $PY_MCP1_VERSION"; exit 2; }
  log "installed mcp==$PY_MCP1_VERSION"
fi
log "ready: node $(node --version), @modelcontextprotocol/sdk@$TS_SDK1_VERSION, @modelcontextprotocol/client@$TS_CLIENT2_VERSION, mcp==$PY_MCP1_VERSION"
