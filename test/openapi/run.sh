#!/usr/bin/env bash
# Lints the OpenAPI document of boxoffice-http with Redocly's CLI, pinned in
# package.json and package-lock.json here and installed with npm ci. The
# document comes from `boxoffice-http --print-openapi`, so no database is
# needed; the rules are redocly.yaml's. Prints "ok: openapi lint", or
# "FAIL: openapi lint" and the report, and then exits non-zero.
#   BOXOFFICE_HTTP_BIN  the boxoffice-http to ask (default: build/cmake/boxoffice-http,
#                       built with CMake when it is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shim=${BOXOFFICE_HTTP_BIN:-$root/build/cmake/boxoffice-http}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: openapi lint"
  [ -s "$work/report" ] && cat "$work/report"
  [ $# -gt 0 ] && echo "$*"
  exit 1
}

# Node.js and npm: Debian's, if the machine has none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  [ "$(id -u)" -eq 0 ] || fail "node and npm are missing; install Debian's nodejs and npm (as root)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends nodejs npm ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm; }; } >"$work/report" 2>&1 ||
    fail "apt-get could not install nodejs and npm"
fi

if [ -z "${BOXOFFICE_HTTP_BIN:-}" ] && [ ! -x "$shim" ]; then
  { cmake -S "$root" -B "$root/build/cmake" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$root/build/cmake" --target boxoffice-http -j2; } >"$work/report" 2>&1 ||
    fail "could not build boxoffice-http"
fi
"$shim" --print-openapi >"$work/openapi.json" 2>"$work/report" || fail "$shim --print-openapi failed"

# Exactly the locked versions; their install scripts are not needed to lint.
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$work/report" 2>&1 ||
  fail "npm ci failed in $here"

"$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" "$work/openapi.json" >"$work/report" 2>&1 || fail
echo "ok: openapi lint"
