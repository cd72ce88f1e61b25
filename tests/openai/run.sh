#!/usr/bin/env bash
# The OpenAI-compatible endpoint (/openai/v1) through the official `openai` Python package
# (pinned in requirements.txt) against a real server: confab-sdk-e2e-server starts the scripted
# upstream and `confab serve`, seeds tenants, tokens, presets and the pii-redactor plugin, and
# prints one JSON line that the tests read (CONFAB_E2E).
# Prints one cargo-style `test result:` line; exits non-zero when anything failed.
#
# Env: SDK_E2E_SERVER_BIN (default $CARGO_TARGET_DIR/debug/confab-sdk-e2e-server), CONFAB_BIN (the
# server binary, passed on), PYTEST_ARGS, PYTHON, CONFAB_VENVS (default ~/.cache/confab-venvs).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
SERVER_BIN="${SDK_E2E_SERVER_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab-sdk-e2e-server}"
started=$SECONDS

RUN="$(mktemp -d "${TMPDIR:-/tmp}/confab-openai.XXXXXX")"
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

summary() { # summary PASSED FAILED SKIPPED [STATUS]
  local verdict=ok
  [ "$2" -eq 0 ] && [ "${4:-0}" -eq 0 ] || verdict=FAILED
  echo "test result: $verdict. $1 passed; $2 failed; $3 ignored; 0 measured; 0 filtered out; finished in $((SECONDS - started))s"
  [ "$verdict" = ok ]
}
fail() {
  echo "openai: $*" >&2
  summary 0 1 0 1
  exit 1
}

# A virtualenv with exactly the pinned packages (the shared helper the SDK and schemathesis use).
# shellcheck source=openapi/sdks/python/venv.sh
. "$ROOT/openapi/sdks/python/venv.sh"
venv="$(cached_venv confab-openai-tests "$HERE/requirements.txt")" || fail "could not create the virtualenv"

# The plugin the redaction test installs; built from source when missing.
if [ ! -e "$ROOT/plugins/dist/pii-redactor.manifest.json" ]; then
  echo "== openai: building the example plugins (plugins/build.sh)"
  bash "$ROOT/plugins/build.sh" >&2 || fail "could not build the example plugins"
fi

[ -x "$SERVER_BIN" ] || fail "no server binary at $SERVER_BIN (set SDK_E2E_SERVER_BIN)"
echo "== openai: starting $SERVER_BIN"
mkfifo "$RUN/server.stdin"
"$SERVER_BIN" <"$RUN/server.stdin" >"$RUN/server.json" 2>"$RUN/server.log" &
server_pid=$!
exec 3>"$RUN/server.stdin"
for _ in $(seq 900); do
  [ -s "$RUN/server.json" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! head -n 1 "$RUN/server.json" | "$PYTHON" -c 'import json, sys; json.loads(sys.stdin.readline())' 2>/dev/null; then
  tail -n 30 "$RUN/server.log" >&2
  fail "the e2e server did not start"
fi

echo "== openai: pytest ($("$venv/bin/python" -c 'import openai; print("openai", openai.__version__)'))"
read -ra pytest_args <<<"${PYTEST_ARGS:-}"
(
  cd "$RUN" &&
    CONFAB_E2E="$(head -n 1 "$RUN/server.json")" "$venv/bin/python" -m pytest "$HERE/tests" \
      -p no:cacheprovider --junitxml="$RUN/junit.xml" -q "${pytest_args[@]}"
)
pytest_status=$?
read -r tests failures errors skipped < <("$venv/bin/python" - "$RUN/junit.xml" <<'PY' 2>/dev/null || echo "0 0 1 0"
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
