#!/usr/bin/env bash
# The Python SDK's checks, against a real server:
#   1. drift: confab_client/generated is what generate.sh makes from openapi/openapi.json;
#   2. version: pyproject.toml's version (and the installed package's) is the spec's info.version;
#   3. a fresh virtualenv, the SDK pip-installed into it from this directory, and pytest (tests/,
#      README examples included) against confab-sdk-e2e-server.
# Prints one cargo-style `test result:` line (the pytest tests plus the two checks above) and exits
# non-zero when anything failed.
#
# Env: SDK_E2E_SERVER_BIN (default $CARGO_TARGET_DIR/debug/confab-sdk-e2e-server, CARGO_TARGET_DIR
# defaulting to ~/.cache/confab-target), CONFAB_BIN (the server binary, passed on), PYTEST_ARGS.
set -uo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPEC="$SDK_DIR/../../openapi.json"
SERVER_BIN="${SDK_E2E_SERVER_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab-sdk-e2e-server}"
# shellcheck source-path=SCRIPTDIR source=venv.sh
. "$SDK_DIR/venv.sh"

RUN="$(mktemp -d "${TMPDIR:-/tmp}/confab-pysdk.XXXXXX")"
server_pid=""
cleanup() {
  exec 3>&- 2>/dev/null # closing its stdin stops the server
  if [ -n "$server_pid" ]; then
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    { kill "$server_pid" && wait "$server_pid"; } 2>/dev/null || true
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT

started=$SECONDS
checks_passed=0
checks_failed=0
check() { # check NAME COMMAND...: one of the non-pytest checks, counted in the result line
  if "${@:2}"; then
    checks_passed=$((checks_passed + 1))
  else
    echo "python sdk: $1 FAILED" >&2
    checks_failed=$((checks_failed + 1))
  fi
}

# ---- 1. drift -----------------------------------------------------------------------------------
drift() {
  "$SDK_DIR/generate.sh" "$RUN/generated" >/dev/null || return 1
  if ! diff -r "$SDK_DIR/confab_client/generated" "$RUN/generated" >"$RUN/drift.diff"; then
    head -n 40 "$RUN/drift.diff" >&2
    echo "python sdk: confab_client/generated differs from what openapi/openapi.json generates;" \
      "run openapi/sdks/python/generate.sh and commit the result" >&2
    return 1
  fi
}
echo "== python sdk: generated code matches openapi/openapi.json"
check drift drift

# ---- 2. version ---------------------------------------------------------------------------------
spec_version="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$SPEC")"
versions_agree() {
  local project
  project="$(sed -n -E 's/^version = "(.*)"$/\1/p' "$SDK_DIR/pyproject.toml")"
  [ "$project" = "$spec_version" ] && return 0
  echo "python sdk: pyproject.toml says version $project, the spec's info.version is $spec_version;" \
    "run openapi/sdks/python/generate.sh" >&2
  return 1
}
echo "== python sdk: version is the spec's ($spec_version)"
check version versions_agree

# ---- 3. a fresh virtualenv with the SDK, and pytest against a real server ----------------------
summary() {
  local passed=$(($1 + checks_passed)) failed=$(($2 + checks_failed)) ignored="$3" verdict=ok
  [ "$failed" -eq 0 ] && [ "${4:-0}" -eq 0 ] || verdict=FAILED
  echo "test result: $verdict. $passed passed; $failed failed; $ignored ignored; 0 measured; 0 filtered out; finished in $((SECONDS - started))s"
  [ "$verdict" = ok ]
}

deps="$(cached_venv confab-pysdk-tests "$SDK_DIR/tests/requirements.txt")" || { summary 0 1 0 1; exit 1; }
# The tools come from the cached virtualenv through a .pth file; the SDK itself is installed anew,
# offline (--no-index), so its declared dependencies must be met by the pins.
echo "== python sdk: installing confab-client into a fresh virtualenv"
"$PYTHON" -m venv --without-pip "$RUN/venv"
"$RUN/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' >"$RUN/purelib"
"$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' >"$(cat "$RUN/purelib")/confab-test-deps.pth"
cp -R "$SDK_DIR" "$RUN/src" # build from a copy: no build/ or egg-info left in the repository
rm -rf "$RUN/src/confab_client/generated/__pycache__"
if ! "$deps/bin/python" -m pip --python "$RUN/venv/bin/python" install --quiet --disable-pip-version-check \
  --no-index --no-build-isolation "$RUN/src" >"$RUN/pip.log" 2>&1; then
  cat "$RUN/pip.log" >&2
  summary 0 1 0 1
  exit 1
fi
installed_version() {
  (cd "$RUN" && "$RUN/venv/bin/python" -c '
import sys, confab_client
assert confab_client.__file__.startswith(sys.prefix), f"imported from {confab_client.__file__}, not the virtualenv"
print(confab_client.__version__)')
}
check "installed version" test "$(installed_version)" = "$spec_version"

if [ ! -x "$SERVER_BIN" ]; then
  echo "python sdk: no server binary at $SERVER_BIN (set SDK_E2E_SERVER_BIN)" >&2
  summary 0 1 0 1
  exit 1
fi
echo "== python sdk: starting $SERVER_BIN"
mkfifo "$RUN/server.stdin"
"$SERVER_BIN" <"$RUN/server.stdin" >"$RUN/server.json" 2>"$RUN/server.log" &
server_pid=$!
exec 3>"$RUN/server.stdin"
for _ in $(seq 600); do
  [ -s "$RUN/server.json" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! head -n 1 "$RUN/server.json" | python3 -c 'import json, sys; json.loads(sys.stdin.readline())' 2>/dev/null; then
  echo "python sdk: the e2e server did not start; its log:" >&2
  tail -n 30 "$RUN/server.log" >&2
  summary 0 1 0 1
  exit 1
fi

echo "== python sdk: pytest"
# From $RUN, so that `import confab_client` can only find the installed package.
read -ra pytest_args <<<"${PYTEST_ARGS:-}"
(
  cd "$RUN" &&
    CONFAB_E2E="$(head -n 1 "$RUN/server.json")" "$RUN/venv/bin/python" -m pytest "$RUN/src/tests" \
      -p no:cacheprovider --junitxml="$RUN/junit.xml" -q "${pytest_args[@]}"
)
pytest_status=$?
read -r tests failures errors skipped < <("$RUN/venv/bin/python" - "$RUN/junit.xml" <<'PY' 2>/dev/null || echo "0 0 1 0"
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = lambda key: sum(int(s.get(key, 0)) for s in suites)
print(total("tests"), total("failures"), total("errors"), total("skipped"))
PY
)
failed=$((failures + errors))
summary $((tests - failed - skipped)) "$failed" "$skipped" "$pytest_status"
