#!/usr/bin/env bash
# Shared helper (sourced, not run): install one npm package at an exact version
# into its own prefix dir, idempotently.  Requires node22 on PATH.
#   npm_pin_install DIR PKG VERSION TIMEOUT_S
npm_pin_install() {
  local dir="$1" pkg="$2" ver="$3" tmo="$4"
  local pj="$dir/node_modules/$pkg/package.json" have=""
  if [[ -f "$pj" ]]; then
    have="$(node -p "require(process.argv[1]).version" "$pj" 2>/dev/null || true)"
  fi
  if [[ "$have" == "$ver" ]]; then
    echo "[npm] already installed: $pkg@$ver in $dir"
    return 0
  fi
  echo "[npm] installing $pkg@$ver into $dir (was: ${have:-none}; timeout ${tmo}s)"
  mkdir -p "$dir"
  printf '{\n  "name": "ci-%s",\n  "private": true,\n  "description": "CI-only tool install (see .ci/tools/)",\n  "dependencies": { "%s": "%s" }\n}\n' \
    "$(basename "$dir")" "$pkg" "$ver" > "$dir/package.json"
  # --ignore-scripts: no lifecycle script may download anything (none is needed).
  timeout "$tmo" npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts \
    --loglevel=error </dev/null
  have="$(node -p "require(process.argv[1]).version" "$pj")"
  if [[ "$have" != "$ver" ]]; then
    echo "[npm] ERROR: $pkg installed as $have, expected $ver" >&2
    return 1
  fi
  echo "[npm] installed $pkg@$ver"
}
