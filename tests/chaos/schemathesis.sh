#!/usr/bin/env bash
# schemathesis's stateful phase (chains of real calls, links inferred from the spec and from
# Location headers) over the whole tenant API, as a tenant admin, an auditor and a member of one
# tenant while another tenant's data exists, against confab-sdk-e2e-server. The operations that
# revoke the caller's own credential (sign-out, token revocation, disabling, erasing or demoting
# users, password change) run last, in a phase of their own, so the run stays authenticated.
# The bar: no 5xx, no response that contradicts the spec, and the other tenant's data unchanged.
#
# CI: SQLite as member and auditor, PostgreSQL as tenant admin, SCHEMATHESIS_SECONDS each
# (default 25). CHAOS_LONG=1: every role on both backends (SCHEMATHESIS_SECONDS, default 600).
# Appends one record per check to CHAOS_RESULTS (see tests/chaos/table.py) and prints a
# cargo-style `test result:` line.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SERVER_BIN="${SDK_E2E_SERVER_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab-sdk-e2e-server}"
SECONDS_PER_ROLE="${SCHEMATHESIS_SECONDS:-25}"
SEED="${SCHEMATHESIS_SEED:-$(python3 -c 'import random; print(random.getrandbits(64))')}"
RESULTS="${CHAOS_RESULTS:-/dev/null}"
# shellcheck source=openapi/sdks/python/venv.sh
. "$ROOT/openapi/sdks/python/venv.sh"
venv="$(cached_venv schemathesis "$ROOT/tests/schemathesis/requirements.txt")"

RUN="$(mktemp -d)"
pids=()
fds=()
# Closing a server's standard input stops it cleanly (it stops the `confab serve` it started);
# only one that has not gone within 10 s is killed. A killed server exits 143: `|| true` keeps
# that from becoming the script's status (under `set -e` a failed `wait` in the EXIT trap would
# end the script with it).
cleanup() {
  local pid fd
  for fd in "${fds[@]}"; do exec {fd}>&- || true; done
  for _ in $(seq 100); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do { kill "$pid" && wait "$pid"; } 2>/dev/null || true; done
  rm -rf "$RUN"
}
trap cleanup EXIT

PLATFORM='^(tenants_|plugins_|platform_)'
REVOKING='^(auth_logout|my_tokens_revoke|tokens_revoke|users_disable|users_erase|users_set_role|users_revoke_sessions|me_change_password)$'
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
passed=0
failed=0

# `record ID VARIANT PASSED FAULT EXPECTED HOW`: one line of the reliability table's records.
record() {
  python3 - "$RESULTS" "$@" <<'PY'
import json, sys
path, id_, variant, ok, fault, expected, how = sys.argv[1:8]
with open(path, "a") as f:
    f.write(json.dumps({"id": id_, "variant": variant, "passed": ok == "1", "fault": fault,
                        "expected": expected, "how": how}) + "\n")
PY
}

# `start_server NAME [--postgres]`: starts confab-sdk-e2e-server; sets $info to its JSON file.
start_server() {
  local name="$1"
  shift
  mkfifo "$RUN/$name.stdin"
  "$SERVER_BIN" "$@" <"$RUN/$name.stdin" >"$RUN/$name.json" 2>"$RUN/$name.log" &
  pids+=($!)
  exec {fd}>"$RUN/$name.stdin"
  fds+=("$fd")
  for _ in $(seq 600); do
    [ -s "$RUN/$name.json" ] && break
    sleep 0.1
  done
  [ -s "$RUN/$name.json" ] || { tail -n 30 "$RUN/$name.log" >&2; return 1; }
  info="$RUN/$name.json"
}

field() { python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); print(eval("e" + sys.argv[2]))' "$1" "$2"; }

# The other tenant's conversations and messages, as it sees them (a fingerprint to compare).
other_tenant_view() {
  python3 - "$(field "$1" '["base"]')" "$(field "$1" '["other_tenant"]["token"]')" "${2:-}" <<'PY'
import hashlib, json, sys, urllib.request, uuid
base, token, seed = sys.argv[1], sys.argv[2], sys.argv[3]
def call(method, path, body=None, key=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json",
                 **({"Idempotency-Key": key} if key else {})})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
if seed:
    for i in range(3):
        conv = call("POST", "/v1/conversations", {"title": f"globex secret {i}"})
        call("POST", f"/v1/conversations/{conv['id']}/messages",
             {"content": f"globex confidential {i}", "model": "gpt-4o"}, key=str(uuid.uuid4()))
    import time; time.sleep(1)
convs = call("GET", "/v1/conversations?limit=200")["items"]
detail = [call("GET", f"/v1/conversations/{c['id']}") for c in convs]
view = [(c["id"], c["title"], [(m["id"], m["content"], m["status"]) for m in d["messages"]]) for c, d in zip(convs, detail)]
print(hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest(), len(convs))
PY
}

# `stateful NAME TOKEN ARGS...`: one schemathesis run; 0 when it found nothing.
stateful() {
  local name="$1" token="$2" base
  shift 2
  base="$(field "$info" '["base"]')"
  echo "== schemathesis ($name): ${SECONDS_PER_ROLE}s, seed $SEED"
  set +e
  (
    cd "$RUN"
    "$venv/bin/schemathesis" run "$ROOT/openapi/openapi.json" --url "$base" \
      --header "Authorization: Bearer $token" "$@" --max-time "$SECONDS_PER_ROLE" --seed "$SEED" \
      --checks "$checks" --workers 1 --generation-database none --no-color \
      --exclude-operation-id-regex "$PLATFORM"
  ) >"$RUN/$name.txt" 2>&1
  local status=$?
  set -e
  sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p; /^=* SUMMARY =*$/,$p' "$RUN/$name.txt" | awk '!seen[$0]++' | tail -n 80
  grep -E "^(Stateful|Test Phases|  [✅⏭❌🚫])" "$RUN/$name.txt" | head -n 8 || true
  return "$status"
}

# `sweep BACKEND-NAME SERVER-ARGS ROLE...`
sweep() {
  local variant="$1" args="$2" role before after ok
  shift 2
  # shellcheck disable=SC2086 # optional flag
  start_server "$variant" $args || { failed=$((failed + 1)); return; }
  before="$(other_tenant_view "$info" seed)"
  for role in "$@"; do
    ok=1
    stateful "$variant-$role" "$(field "$info" "[\"$role\"][\"token\"]")" \
      --phases stateful --exclude-operation-id-regex "$REVOKING" || ok=0
    record 3.10 "$variant, $role" "$ok" \
      "fuzz: schemathesis stateful phase over the whole tenant API, as tenant admin, auditor and member, another tenant's data present" \
      "no 5xx; every status, header, content type and body as the spec says" \
      "schemathesis 4 \`--phases stateful\` (links inferred), time-boxed per role, the revoking operations held back"
    if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
  after="$(other_tenant_view "$info")"
  ok=1
  [ "$before" = "$after" ] || { echo "schemathesis: the other tenant's data changed: $before -> $after" >&2; ok=0; }
  record 3.12 "$variant" "$ok" \
    "fuzz: another tenant's data while one tenant's roles are fuzzed" \
    "not one of its conversations or messages read or changed" \
    "a fingerprint of everything the other tenant sees, before and after the runs"
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  # Last, the operations that may revoke the caller's own credential (as the tenant admin).
  ok=1
  stateful "$variant-revoking" "$(field "$info" '["admin"]["token"]')" \
    --phases examples,coverage,fuzzing --max-examples 10 --include-operation-id-regex "$REVOKING" || ok=0
  record 3.11 "$variant" "$ok" \
    "fuzz: the operations that revoke the caller's own credential" \
    "no 5xx and conformance, with the credential alive or revoked (then 401 as documented)" \
    "schemathesis stateless phases over just those operations, after the stateful runs"
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

if [ "${CHAOS_LONG:-0}" = 1 ]; then
  sweep SQLite "" admin auditor member
  sweep PostgreSQL --postgres admin auditor member
else
  sweep SQLite "" member auditor
  sweep PostgreSQL --postgres admin
fi
verdict=ok
[ "$failed" = 0 ] || verdict=FAILED
echo "test result: $verdict. $passed passed; $failed failed; 0 ignored; 0 measured; 0 filtered out"
[ "$failed" = 0 ] || { echo "schemathesis: replay with SCHEMATHESIS_SEED=$SEED" >&2; exit 1; }
