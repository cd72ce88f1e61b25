#!/usr/bin/env bash
# schemathesis (PyPI) over openapi/openapi.json against a real server (confab-sdk-e2e-server):
# generated valid and invalid requests for every operation (with a tenant admin's API token; the
# platform operations with the platform admin's session), checked for no 5xx and for responses that
# match the spec (status codes, content types, headers, bodies).
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
    { kill "$server_pid" && wait "$server_pid"; } 2>/dev/null || true
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

# The platform operations (tenants, plugin uploads, the platform audit log) refuse API tokens, which
# act only within a tenant: a second pass runs them as the platform admin signed in with a session
# cookie (and its CSRF token).
read -r cookie csrf < <(python3 - "$base" "$RUN/server.json" <<'PY'
import json, sys, urllib.request
base, info = sys.argv[1], json.loads(open(sys.argv[2]).readline())["admin"]
req = urllib.request.Request(base + "/v1/auth/login", method="POST",
    data=json.dumps({"email": info["email"], "password": info["password"]}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as resp:
    cookie = resp.headers["Set-Cookie"].split(";")[0]
    print(cookie, json.load(resp)["csrf_token"])
PY
) || fail "could not sign in as the platform admin"
PLATFORM='^(tenants_|plugins_|platform_)'

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
# `sweep NAME HEADER... -- ARGS...`: one schemathesis run; its JUnit report goes to report/NAME.
sweep() {
  local name="$1" headers=() status
  shift
  while [ "$1" != -- ]; do headers+=(--header "$1"); shift; done
  shift
  echo "== schemathesis ($name): $EXAMPLES examples per operation and phase, seed $SEED, against $base"
  # From the run directory, so that nothing schemathesis writes lands in the checkout. Not the
  # stateful phase: it chains real ids through the API and would, as a fuzzer should, disable
  # the very admin it runs as; the API tests cover those flows. One worker: with threads, Python
  # 3.11's ast.parse (used by hypothesis to describe filters) can fail with "AST constructor
  # recursion depth mismatch", which schemathesis reports as a runtime error.
  set +e
  (
    cd "$RUN"
    # shellcheck disable=SC2086 # SCHEMATHESIS_ARGS is a list of options
    "$venv/bin/schemathesis" run "$SPEC" --url "$base" "${headers[@]}" "$@" \
      --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" --seed "$SEED" --checks "$checks" \
      --workers 1 --generation-database none --no-color \
      --report junit --report-junit-path "$RUN/report/$name.xml" ${SCHEMATHESIS_ARGS:-}
  ) >"$RUN/$name.txt" 2>&1
  status=$?
  set -e
  # The failures, errors and the summary, without the per-operation progress lines.
  sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p; /^=* SUMMARY =*$/,$p' "$RUN/$name.txt" | awk '!seen[$0]++' | tail -n 200
  return "$status"
}

mkdir -p "$RUN/report"
status=0
sweep tenant "Authorization: Bearer $token" -- --exclude-operation-id-regex "$PLATFORM" || status=1
sweep platform "Cookie: $cookie" "X-CSRF-Token: $csrf" -- --include-operation-id-regex "$PLATFORM" || status=1
if grep -qi "server error" "$RUN"/tenant.txt "$RUN"/platform.txt; then
  echo "schemathesis: the server answered 5xx; its log:" >&2
  grep -E 'ERROR|WARN' "$RUN/server.log" | tail -n 20 >&2 || true
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
