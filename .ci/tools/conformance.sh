#!/usr/bin/env bash
# Run a curated set of MCP conformance scenarios against a running Streamable-HTTP
# server and compare the passing scenarios/checks with a baseline file.
#
# Usage (from the repo root or anywhere):
#   bash .ci/tools/conformance.sh URL BASELINE_FILE                  # check; exit 1 on regression
#   bash .ci/tools/conformance.sh --write-baseline URL BASELINE_FILE # (re)generate the baseline
#   e.g. URL=http://127.0.0.1:8765/mcp  (the server must already be running; loopback only)
#
# Baseline format: one entry per line; '#' comments and blank lines ignored.
#   SPEC/scenario          the whole scenario must pass (no FAILURE check, >= 1 SUCCESS)
#   SPEC/scenario:check    that check id must be SUCCESS (every occurrence of it)
#   scenario / scenario:check   (no SPEC/) = the same, for every spec version it was run at
# --write-baseline writes SPEC/scenario for each fully passing scenario and, for partially
# passing ones, SPEC/scenario:check for each passing check.
#
# Exit: 0 ok (or baseline written); 1 a baseline entry no longer passes;
#       2 usage/setup error (bad args, install failure, server not reachable).
# Env:
#   CONFORMANCE_SCENARIOS  space-separated SPEC/scenario list (default: DEFAULT_SCENARIOS below)
#   CONFORMANCE_OUT        results dir (default: new /tmp/ci-conformance.XXXXXX, kept). Holds
#                          raw/SPEC/SCENARIO/server-SCENARIO-<ts>/checks.json, logs/, results.json
#   CONFORMANCE_TIMEOUT    seconds per scenario (default 120)
#   CONFORMANCE_WAIT       seconds to wait for the server's port to accept (default 30)
#   CONFORMANCE_VERSION    pin override (default below)
set -euo pipefail

CONFORMANCE_VERSION="${CONFORMANCE_VERSION:-0.2.0-alpha.11}"
# Generic scenarios that make sense for a real server without the suite's fixture
# tools (test_*), resources (test://...) or prompts. Verified names with
# `conformance list --server` at 0.2.0-alpha.11.
DEFAULT_SCENARIOS="
2026-07-28/tools-list
2026-07-28/resources-list
2026-07-28/prompts-list
2026-07-28/caching
2026-07-28/http-header-validation
2026-07-28/sep-2164-resource-not-found
2026-07-28/dns-rebinding-protection
2026-07-28/server-stateless
2025-11-25/server-initialize
2025-11-25/ping
2025-11-25/server-session-lifecycle
2025-11-25/tools-list
2025-11-25/resources-list
2025-11-25/prompts-list
2025-11-25/dns-rebinding-protection
"
SCEN_TMO="${CONFORMANCE_TIMEOUT:-120}"
WAIT="${CONFORMANCE_WAIT:-30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.ci/npm/conformance"

log() { echo "[conformance] $*"; }
usage() { echo "usage: $0 [--write-baseline] URL BASELINE_FILE" >&2; exit 2; }

MODE="check"; POS=()
for a in "$@"; do
  case "$a" in
    --write-baseline) MODE="write" ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $a" >&2; usage ;;
    *) POS+=("$a") ;;
  esac
done
[[ ${#POS[@]} -eq 2 ]] || usage
URL="${POS[0]}"; BASELINE="${POS[1]}"
if [[ "$MODE" == check && ! -f "$BASELINE" ]]; then
  log "ERROR: baseline file '$BASELINE' not found (generate it with --write-baseline)"; exit 2
fi

# Loopback only (this workplace's network rule) + wait for the port.
python3 - "$URL" "$WAIT" <<'PY' || exit 2
import socket, sys, time, urllib.parse, ipaddress
url, wait = sys.argv[1], float(sys.argv[2])
u = urllib.parse.urlsplit(url)
host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
if u.scheme not in ("http", "https") or not host:
    print(f"[conformance] ERROR: not an http(s) URL: {url}"); sys.exit(2)
ok = host == "localhost"
if not ok:
    try: ok = ipaddress.ip_address(host).is_loopback
    except ValueError: ok = False
if not ok:
    print(f"[conformance] ERROR: refusing non-loopback host {host!r} (use 127.0.0.1/localhost/[::1])"); sys.exit(2)
deadline = time.monotonic() + wait
while True:
    try:
        socket.create_connection((host, port), timeout=2).close(); break
    except OSError as e:
        if time.monotonic() > deadline:
            print(f"[conformance] ERROR: {host}:{port} not accepting connections after {wait:.0f}s: {e}"); sys.exit(2)
        time.sleep(0.3)
print(f"[conformance] server port {host}:{port} is accepting connections")
PY

NODE_BIN="$(bash "$ROOT/.ci/tools/node22.sh")" || exit 2
export PATH="$NODE_BIN:$PATH"
# shellcheck source=SCRIPTDIR/npm_pin.sh
source "$ROOT/.ci/tools/npm_pin.sh"
npm_pin_install "$DIR" "@modelcontextprotocol/conformance" "$CONFORMANCE_VERSION" 600 || exit 2
CONF="$DIR/node_modules/.bin/conformance"

if [[ -n "${CONFORMANCE_OUT:-}" ]]; then OUT="$CONFORMANCE_OUT"; rm -rf "$OUT/raw" "$OUT/logs"; mkdir -p "$OUT"
else OUT="$(mktemp -d /tmp/ci-conformance.XXXXXX)"; fi
mkdir -p "$OUT/raw" "$OUT/logs"
log "conformance@$CONFORMANCE_VERSION against $URL; results in $OUT"

export NO_COLOR=1 FORCE_COLOR=0
read -r -d "" -a SCEN_LIST <<<"${CONFORMANCE_SCENARIOS:-$DEFAULT_SCENARIOS}" || true
[[ ${#SCEN_LIST[@]} -gt 0 ]] || { log "ERROR: empty scenario list"; exit 2; }
T0=$SECONDS
for entry in "${SCEN_LIST[@]}"; do
  spec="${entry%%/*}"; scen="${entry#*/}"
  if [[ "$entry" != */* || -z "$spec" || -z "$scen" ]]; then log "ERROR: bad scenario entry '$entry' (want SPEC/scenario)"; exit 2; fi
  rdir="$OUT/raw/$spec/$scen"; mkdir -p "$rdir"
  t=$SECONDS
  set +e
  timeout "$SCEN_TMO" "$CONF" server --url "$URL" --spec-version "$spec" --scenario "$scen" \
    -o "$rdir" </dev/null >"$OUT/logs/${spec}__${scen}.log" 2>&1
  rc=$?
  set -e
  summary="$(grep -E '^(Passed: |SKIPPED: )' "$OUT/logs/${spec}__${scen}.log" | head -1 || true)"
  [[ $rc -eq 124 ]] && summary="TIMEOUT after ${SCEN_TMO}s"
  [[ -z "$summary" ]] && summary="(no summary; see logs/${spec}__${scen}.log)"
  log "$(printf '%-45s rc=%-3s %3ss  %s' "$entry" "$rc" "$((SECONDS - t))" "$summary")"
done
log "ran all scenarios in $((SECONDS - T0))s"

python3 - "$MODE" "$OUT" "$BASELINE" "$URL" "$CONFORMANCE_VERSION" "${SCEN_LIST[@]}" <<'PY'
import glob, json, os, sys
mode, out, baseline, url, ver, *entries = sys.argv[1:]
OKISH = {"SUCCESS", "WARNING", "INFO", "SKIPPED"}
results = {}  # "spec/scen" -> {"ran": bool, "pass": bool, "checks": {id: bool}, "counts": {...}}
for e in entries:
    files = sorted(glob.glob(os.path.join(out, "raw", e, "*", "checks.json")))
    r = {"ran": False, "pass": False, "checks": {}, "counts": {}}
    if files:
        checks = json.load(open(files[-1]))
        r["ran"] = True
        for c in checks:
            st = c.get("status", "?")
            r["counts"][st] = r["counts"].get(st, 0) + 1
            prev = r["checks"].get(c["id"], True)
            r["checks"][c["id"]] = prev and st == "SUCCESS"
        r["pass"] = bool(checks) and all(c.get("status") in OKISH for c in checks) \
            and any(c.get("status") == "SUCCESS" for c in checks)
        r["failed"] = [f'{c["id"]}: {c.get("errorMessage", "")[:160]}' for c in checks if c.get("status") not in OKISH]
    results[e] = r
json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=1)

def passing_keys():
    keys = []
    for e, r in results.items():
        if r["pass"]:
            keys.append(e)
        elif r["ran"]:
            keys += [f"{e}:{cid}" for cid, ok in r["checks"].items() if ok]
    return keys

npass = sum(r["pass"] for r in results.values())
print(f"[conformance] scenarios fully passing: {npass}/{len(results)}")
for e, r in results.items():
    if not r["ran"]:
        print(f"[conformance]   NOT RUN  {e} (skipped/not applicable or crashed: see logs/)")
    elif not r["pass"]:
        print(f"[conformance]   PARTIAL  {e} {r['counts']}")
        for f in r.get("failed", [])[:6]:
            print(f"[conformance]            - {f}")

if mode == "write":
    keys = passing_keys()
    os.makedirs(os.path.dirname(os.path.abspath(baseline)), exist_ok=True)
    with open(baseline, "w") as fh:
        fh.write(f"# MCP conformance baseline: entries that must keep passing.\n"
                 f"# Generated by .ci/tools/conformance.sh --write-baseline "
                 f"(@modelcontextprotocol/conformance@{ver}).\n"
                 f"# Format: SPEC/scenario (whole scenario) or SPEC/scenario:check.\n")
        fh.write("\n".join(keys) + "\n")
    print(f"[conformance] wrote {len(keys)} entries to {baseline}")
    sys.exit(0)

want = []
for ln in open(baseline):
    ln = ln.split("#", 1)[0].strip()
    if ln: want.append(ln)
def status(key):
    scen_part, _, check = key.partition(":")
    if "/" in scen_part:
        targets = [scen_part]
    else:
        targets = [e for e in results if e.split("/", 1)[1] == scen_part]
    if not targets or any(t not in results for t in targets):
        return False, "not in the scenario list that was run"
    for t in targets:
        r = results[t]
        if not r["ran"]:
            return False, f"{t} did not run"
        if not check and not r["pass"]:
            return False, f"{t} no longer fully passes: " + "; ".join(r.get("failed", [])[:3])
        if check and not r["checks"].get(check, False):
            return False, f"check {check} is " + ("missing" if check not in r["checks"] else "not SUCCESS") + f" in {t}"
    return True, ""
bad = []
for k in want:
    ok, why = status(k)
    if not ok: bad.append((k, why))
covered = set()
for k in want:  # expand bare "scenario[:check]" entries to every SPEC/ they match
    sp, sep, ck = k.partition(":")
    for e in ([sp] if "/" in sp else [e for e in results if e.split("/", 1)[1] == sp]):
        covered.add(e + sep + ck)
        if not ck: covered.update(f"{e}:{c}" for c in results.get(e, {}).get("checks", {}))
new = [k for k in passing_keys() if k not in covered
       and not (":" in k and k.split(":", 1)[0] in covered)]
for k in new:
    print(f"[conformance]   NEW PASS (not in baseline) {k}")
if bad:
    for k, why in bad:
        print(f"[conformance] REGRESSION {k}: {why}")
    print(f"[conformance] FAILED: {len(bad)}/{len(want)} baseline entries no longer pass (details: {out})")
    sys.exit(1)
print(f"[conformance] PASSED: all {len(want)} baseline entries pass")
PY
