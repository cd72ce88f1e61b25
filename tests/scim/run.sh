#!/usr/bin/env bash
# scim2-tester (PyPI), a SCIM 2.0 compliance checker, against a real Confab server: discovery
# documents, then create / read / replace / PATCH (add, replace, remove) / delete of Users and
# Groups through one tenant's SCIM endpoint with that tenant's SCIM token.
#
#   bash tests/scim/run.sh
#
# Env: CONFAB_BIN (default $CARGO_TARGET_DIR/debug/confab). Prints one cargo-style
# `test result:` line and exits non-zero on any failed check.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${CONFAB_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}/debug/confab}"
# shellcheck source=openapi/sdks/python/venv.sh
. "$ROOT/openapi/sdks/python/venv.sh"

RUN="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then { kill "$server_pid" && wait "$server_pid"; } 2>/dev/null || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT

fail() {
  echo "scim: $*" >&2
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
  exit 1
}

venv="$(cached_venv scim2-tester "$HERE/requirements.txt")" || fail "could not install scim2-tester"
[ -x "$BIN" ] || fail "no confab binary at $BIN (set CONFAB_BIN)"

cd "$RUN"
env -i PATH="$PATH" HOME="$HOME" \
  CONFAB_DATABASE__URL="sqlite://$RUN/confab.db?mode=rwc" CONFAB_LOG__LEVEL=warn \
  CONFAB_BOOTSTRAP_EMAIL=admin@acme.example CONFAB_BOOTSTRAP_PASSWORD="correct horse battery staple" \
  CONFAB_BOOTSTRAP_TENANT=Acme \
  "$BIN" serve --listen 127.0.0.1:0 >"$RUN/server.out" 2>"$RUN/server.log" &
server_pid=$!
base=""
for _ in $(seq 600); do
  base="$(sed -n 's/^confab: listening on \([^ ]*\).*/\1/p' "$RUN/server.out" | head -n1)"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$base" ] || { tail -n 30 "$RUN/server.log" >&2; fail "the server did not start"; }

# The tenant admin signs in and creates the tenant's SCIM token (POST /v1/tenant/scim/tokens).
read -r token endpoint < <("$venv/bin/python" - "$base" <<'PY'
import sys
from httpx2 import Client
c = Client(base_url=sys.argv[1], timeout=30)
r = c.post("/v1/auth/login", json={"email": "admin@acme.example", "password": "correct horse battery staple"})
r.raise_for_status()
csrf = r.json()["csrf_token"]
r = c.post("/v1/tenant/scim/tokens", json={"name": "scim2-tester"}, headers={"X-CSRF-Token": csrf})
r.raise_for_status()
print(r.json()["secret"], r.json()["endpoint"])
PY
) || { tail -n 30 "$RUN/server.log" >&2; fail "could not create a SCIM token"; }

"$venv/bin/python" "$HERE/check.py" "$base$endpoint" "$token"
