#!/usr/bin/env bash
# Smoke-test an MCP stdio server with the MCP Inspector CLI (v2, pinned).
#
# Usage (from the repo root or anywhere):
#   [INSPECTOR_TOOL=name] [INSPECTOR_ARGS='{"k":"v"}'] [INSPECTOR_ERA=legacy|modern|auto] \
#     bash .ci/tools/inspector.sh [--] SERVER_CMD [SERVER_ARGS...]
# Steps: ensure node22 (.ci/tools/node22.sh) -> ensure inspector in .ci/npm/inspector/
#   -> `inspector --cli -q --format json --method tools/list -- SERVER_CMD...`
#      check: result.tools is a non-empty array (+ INSPECTOR_EXPECT_TOOLS present)
#   -> if INSPECTOR_TOOL is set: `--method tools/call --tool-name $INSPECTOR_TOOL
#      --tool-args-json "${INSPECTOR_ARGS:-{}}"`; check: exit 0 and result.isError is not true
# Exit: 0 all checks passed; 1 a check failed; 2 usage/setup error.
# Env:
#   INSPECTOR_TOOL          tool to call (unset/empty: skip the call)
#   INSPECTOR_ARGS          JSON object of tool args (default {})
#   INSPECTOR_ERA           --protocol-era: legacy (default; 2025-11-25 handshake), modern (2026-07-28), auto
#   INSPECTOR_EXPECT_TOOLS  space-separated tool names that tools/list must contain (optional)
#   INSPECTOR_TIMEOUT       seconds per inspector invocation (default 60)
#   INSPECTOR_OUT           dir to keep the JSON outputs (default: a temp dir, removed)
#   INSPECTOR_VERSION       pin override (default below)
# A loopback http(s)://HOST:PORT/mcp URL may be given instead of SERVER_CMD (HTTP transport).
set -euo pipefail

INSPECTOR_VERSION="${INSPECTOR_VERSION:-2.12.0}"
ERA="${INSPECTOR_ERA:-legacy}"
TMO="${INSPECTOR_TIMEOUT:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.ci/npm/inspector"

[[ "${1:-}" == "--" ]] && shift
if [[ $# -eq 0 ]]; then
  echo "usage: [INSPECTOR_TOOL=name INSPECTOR_ARGS=json] $0 [--] SERVER_CMD [ARGS...]" >&2; exit 2
fi
if [[ "$1" =~ ^https?:// ]]; then  # HTTP target also works (auto-detected); loopback only here
  python3 -c 'import sys,urllib.parse,ipaddress as i
h=urllib.parse.urlsplit(sys.argv[1]).hostname or ""
try: ok=h=="localhost" or i.ip_address(h).is_loopback
except ValueError: ok=False
sys.exit(0 if ok else 1)' "$1" || { echo "[inspector] ERROR: refusing non-loopback URL $1" >&2; exit 2; }
fi
case "$ERA" in legacy|modern|auto) ;; *) echo "[inspector] ERROR: INSPECTOR_ERA must be legacy|modern|auto" >&2; exit 2;; esac

NODE_BIN="$(bash "$ROOT/.ci/tools/node22.sh")"
export PATH="$NODE_BIN:$PATH"
# shellcheck source=SCRIPTDIR/npm_pin.sh
source "$ROOT/.ci/tools/npm_pin.sh"
npm_pin_install "$DIR" "@modelcontextprotocol/inspector" "$INSPECTOR_VERSION" 600
INSP="$DIR/node_modules/.bin/inspector"

if [[ -n "${INSPECTOR_OUT:-}" ]]; then OUT="$INSPECTOR_OUT"; mkdir -p "$OUT"
else OUT="$(mktemp -d /tmp/ci-inspector.XXXXXX)"; trap 'rm -rf "$OUT"' EXIT; fi

run_insp() {  # run_insp NAME inspector-args...  -> sets RC; stdout/stderr in $OUT/NAME.{json,err}
  local name="$1"; shift
  echo "[inspector] \$ inspector --cli -q --format json --protocol-era $ERA $* -- $SERVER_DESC"
  set +e
  timeout "$TMO" "$INSP" --cli -q --format json --protocol-era "$ERA" "$@" -- "${SERVER[@]}" \
    </dev/null >"$OUT/$name.json" 2>"$OUT/$name.err"
  RC=$?
  set -e
  echo "[inspector]   exit=$RC"
  [[ $RC -eq 124 ]] && echo "[inspector]   (killed by timeout ${TMO}s)"
  return 0
}

SERVER=("$@")
SERVER_DESC="$*"
FAIL=0

# 1) tools/list
run_insp tools_list --method tools/list
if [[ $RC -ne 0 ]]; then
  echo "[inspector] FAIL tools/list exited $RC; stderr:"; sed 's/^/    /' "$OUT/tools_list.err" | tail -20; FAIL=1
elif ! python3 - "$OUT/tools_list.json" "${INSPECTOR_EXPECT_TOOLS:-}" <<'PY'
import json, sys
path, expect = sys.argv[1], sys.argv[2].split()
try:
    doc = json.load(open(path))
except Exception as e:
    print(f"[inspector] FAIL tools/list output is not JSON: {e}"); sys.exit(1)
tools = (doc.get("result") or {}).get("tools")
if not isinstance(tools, list) or not tools:
    print(f"[inspector] FAIL tools/list returned no tools: {json.dumps(doc)[:500]}"); sys.exit(1)
names = [t.get("name") for t in tools]
print(f"[inspector] OK   tools/list: {len(names)} tools: {', '.join(map(str, names))}")
missing = [n for n in expect if n not in names]
if missing:
    print(f"[inspector] FAIL expected tools missing: {', '.join(missing)}"); sys.exit(1)
PY
then FAIL=1
fi

# 2) optional tools/call
if [[ -n "${INSPECTOR_TOOL:-}" ]]; then
  ARGS_JSON="${INSPECTOR_ARGS:-}"
  [[ -z "$ARGS_JSON" ]] && ARGS_JSON='{}'
  run_insp tools_call --method tools/call --tool-name "$INSPECTOR_TOOL" --tool-args-json "$ARGS_JSON"
  if ! python3 - "$OUT/tools_call.json" "$OUT/tools_call.err" "$RC" "$INSPECTOR_TOOL" <<'PY'
import json, sys
path, errpath, rc, tool = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
raw = open(path).read()
err = open(errpath).read().strip()
try:
    doc = json.loads(raw) if raw.strip() else {}
except Exception as e:
    print(f"[inspector] FAIL tools/call output is not JSON: {e}: {raw[:300]}"); sys.exit(1)
res = doc.get("result")
text = ""
if isinstance(res, dict):
    text = " ".join(c.get("text", "") for c in res.get("content", []) if isinstance(c, dict))[:300]
if rc != 0 or not isinstance(res, dict) or res.get("isError") is True:
    why = "isError:true" if isinstance(res, dict) and res.get("isError") else f"exit {rc}"
    print(f"[inspector] FAIL tools/call {tool}: {why}; content: {text!r}; stderr: {err[-500:]}"); sys.exit(1)
print(f"[inspector] OK   tools/call {tool}: isError={res.get('isError')}; content: {text!r}")
PY
  then FAIL=1
  fi
else
  echo "[inspector] INSPECTOR_TOOL not set: skipping tools/call"
fi

if [[ $FAIL -ne 0 ]]; then echo "[inspector] FAILED (era=$ERA)"; exit 1; fi
echo "[inspector] PASSED (era=$ERA)"
