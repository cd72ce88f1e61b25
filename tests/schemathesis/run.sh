#!/usr/bin/env bash
# schemathesis (PyPI) over openapi/openapi.json against a real server (confab-sdk-e2e-server):
# generated valid and invalid requests for every operation, as a tenant admin who is also the
# platform admin, checked for no 5xx and for responses that match the spec (status codes, content
# types, headers, bodies).
#
#   bash tests/schemathesis/run.sh                          # CI: SCHEMATHESIS_EXAMPLES=20
#   SCHEMATHESIS_EXAMPLES=300 bash tests/schemathesis/run.sh  # a longer sweep
#
# Env: SDK_E2E_SERVER_BIN (default $CARGO_TARGET_DIR/debug/confab-sdk-e2e-server), CONFAB_BIN,
# SCHEMATHESIS_EXAMPLES (test cases per operation and phase), SCHEMATHESIS_SEED (to replay a run),
# SCHEMATHESIS_SPEC (another spec file), SCHEMATHESIS_ARGS (more options, e.g. `--include-operation-id messages_send`).
# Prints one cargo-style `test result:` line (one test per operation) and exits non-zero on any
# failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SERVER_BIN="${SDK_E2E_SERVER_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab-sdk-e2e-server}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-20}"
SPEC="$(realpath "${SCHEMATHESIS_SPEC:-$ROOT/openapi/openapi.json}")"
SEED="${SCHEMATHESIS_SEED:-$(python3 -c 'import random; print(random.getrandbits(64))')}"
# shellcheck source=openapi/sdks/python/venv.sh
. "$ROOT/openapi/sdks/python/venv.sh"

RUN="$(mktemp -d)"
server_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true # closing its stdin stops the server
  if [ -n "$server_pid" ]; then
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT

fail() {
  echo "schemathesis: $*" >&2
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
  exit 1
}

venv="$(cached_venv schemathesis "$HERE/requirements.txt")" || fail "could not install schemathesis"
[ -x "$SERVER_BIN" ] || fail "no server binary at $SERVER_BIN (set SDK_E2E_SERVER_BIN)"

mkfifo "$RUN/server.stdin"
"$SERVER_BIN" <"$RUN/server.stdin" >"$RUN/server.json" 2>"$RUN/server.log" &
server_pid=$!
exec 3>"$RUN/server.stdin"
for _ in $(seq 600); do
  [ -s "$RUN/server.json" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
read -r base token < <(python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).readline())
print(e["base"], e["admin"]["token"])' "$RUN/server.json" 2>/dev/null) || {
  tail -n 30 "$RUN/server.log" >&2
  fail "the e2e server did not start"
}

echo "== schemathesis: $EXAMPLES examples per operation and phase, seed $SEED, against $base"
# Not the stateful phase: it chains real ids through the API and would, as intended by a fuzzer,
# disable the very admin it runs as; the API tests cover those flows.
set +e
# From the run directory, so that nothing schemathesis writes lands in the checkout.
cd "$RUN"
"$venv/bin/schemathesis" run "$SPEC" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing \
  --max-examples "$EXAMPLES" \
  --seed "$SEED" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --workers 2 \
  --generation-database none \
  --no-color \
  --report junit --report-dir "$RUN/report" \
  ${SCHEMATHESIS_ARGS:-} >"$RUN/out.txt" 2>&1
status=$?
set -e
# The summary and any failures, without the per-operation progress lines.
sed -n '/^=* FAILURES =*$/,$p; /^=* SUMMARY =*$/,$p' "$RUN/out.txt" | awk '!seen[$0]++' | tail -n 200
if grep -q "server error\|Server error" "$RUN/out.txt"; then
  echo "schemathesis: the server answered 5xx; its log:" >&2
  grep -E '"level":"(ERROR|WARN)"|ERROR|WARN' "$RUN/server.log" | tail -n 20 >&2 || true
fi

python3 - "$RUN/report" "$status" <<'EOF'
import glob, sys
import xml.etree.ElementTree as ET
passed = failed = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
status = int(sys.argv[2])
if status != 0 and failed == 0:
    failed = 1  # schemathesis failed without a per-operation result (e.g. the spec did not load)
verdict = "ok" if failed == 0 else "FAILED"
print(f"test result: {verdict}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out")
EOF
[ "$status" = 0 ] || {
  echo "schemathesis: failures above; replay with SCHEMATHESIS_SEED=$SEED" >&2
  exit 1
}
