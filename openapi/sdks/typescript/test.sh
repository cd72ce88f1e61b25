#!/usr/bin/env bash
# The TypeScript SDK's suite, as scripts/test.sh's sdk stage runs it: npm ci, generated-code drift,
# version, strict typecheck, build, unit tests, then the e2e tests and the README's examples against
# a real server (confab-sdk-e2e-server, started and stopped here). Prints one cargo-style
# `test result:` line and exits non-zero when anything failed.
#   SDK_E2E_SERVER_BIN  the server (default: $CARGO_TARGET_DIR or ~/.cache/confab-target, debug/)
#   CONFAB_BIN          the confab binary it runs
set -uo pipefail
cd "$(dirname "$0")"
export SDK_E2E_SERVER_BIN="${SDK_E2E_SERVER_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab-sdk-e2e-server}"

passed=0
failed=0
started=$SECONDS
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# `check NAME COMMAND…`: one check, counted as one test.
check() {
  local name="$1"
  shift
  echo "== typescript sdk: $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "typescript sdk: $name FAILED" >&2
    return 1
  fi
}

# `tests NAME COMMAND…`: a node --test run whose COMMAND writes TAP to $TAP (see reporters); each
# of its tests counts.
tests() {
  local name="$1" p f c
  shift
  echo "== typescript sdk: $name"
  TAP="$tmp/$name.tap"
  "$@"
  local rc=$?
  p="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)"
  f="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)"
  c="$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)"
  p="${p:-0}" f=$((${f:-0} + ${c:-0}))
  # A run that failed without reporting a failing test (it did not start, or crashed) counts as one.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$rc" = 0 ]
}

finish() {
  local result=ok
  [ "$failed" = 0 ] || result=FAILED
  echo "test result: $result. $passed passed; $failed failed; 0 ignored; 0 measured; 0 filtered out; finished in $((SECONDS - started))s (typescript sdk)"
  [ "$failed" = 0 ]
  exit
}

# --ignore-scripts: prepare would build dist/, which the build check does.
check "npm ci" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error || finish
check "generated code matches openapi/openapi.json (else: run npm run gen)" node scripts/gen.mjs --check
check "version is the spec's info.version" node scripts/check-version.mjs
# The build checks src/ alone, without Node's types (it runs in browsers too); the tests' compile
# checks them with src/.
check "build (tsc, strict: dist/ with .d.ts)" bash -c 'rm -rf dist && npx tsc -p tsconfig.build.json && test -f dist/index.js && test -f dist/index.d.ts' || finish
check "typecheck and compile the tests (tsc, strict)" bash -c 'rm -rf .test-build && npx tsc -p tsconfig.test.json' || finish
# node --test's spec report on the console, its TAP (with the totals) in a file to count.
reporters() { echo --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$TAP"; }
unit() { node --test $(reporters) .test-build/test/unit/; }
e2e() { node scripts/with-server.mjs node --test $(reporters) --test-concurrency=1 --test-timeout=60000 .test-build/test/e2e/; }
tests unit unit
if [ -x "$SDK_E2E_SERVER_BIN" ]; then
  tests e2e e2e
else
  echo "typescript sdk: no server at $SDK_E2E_SERVER_BIN (set SDK_E2E_SERVER_BIN)" >&2
  failed=$((failed + 1))
fi
finish
