#!/usr/bin/env bash
# Runs Confab's whole test suite on a fresh Debian/Ubuntu machine with Rust installed:
# installs what the tests need (PostgreSQL, Redis, Node.js/npm, Chromium), starts a throw-away
# PostgreSQL cluster, checks formatting, lints and the OpenAPI contract, builds the example wasm
# plugins from source (plugins/build.sh), runs every test on SQLite and PostgreSQL, then the web
# chat's checks and tests (web/: typecheck, generated-client drift, Vitest, build, browser e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -n "$(pg_bin)" ] || missing+=(postgresql)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# Redis: the scale-out tests start a private redis-server per test (and stop it to play outages).
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The web chat: Node.js 20.19+ and npm build and test it; Debian's chromium runs its e2e tests.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# >>> OpenSearch (search tests): Java 17 and Maven build and run a real node from Maven Central.
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v curl >/dev/null 2>&1 || missing+=(curl)
{ command -v javac >/dev/null 2>&1 && javac -version 2>&1 | grep -qE 'javac (1[7-9]|2[0-9])'; } || missing+=(openjdk-17-jdk-headless)
# <<< OpenSearch
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_BIN="$(pg_bin)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A private cluster for this run: its own directory and port, stopped by its pid file.
PG_DIR="$(mktemp -d /tmp/confab-pg.XXXXXX)"
PG_PORT="$(free_port)"
pg_user_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
cleanup() {
  # >>> OpenSearch
  if [ -n "${OS_PID:-}" ]; then kill "$OS_PID" 2>/dev/null || true; wait "$OS_PID" 2>/dev/null || true; fi
  # <<< OpenSearch
  pg_user_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
echo "== starting PostgreSQL on 127.0.0.1:$PG_PORT"
pg_user_run "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
pg_user_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
export TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

# >>> OpenSearch: one shared node for the run, started now so it boots while Rust builds.
# Tests that stop and restart a node start their own through the launcher.
export TEST_OPENSEARCH_LAUNCHER="$PWD/tests/opensearch/run.sh"
# OpenSearch 2.19 runs on Java 17: prefer it when the default java is another version.
if [ -d /usr/lib/jvm/java-17-openjdk-amd64 ] && ! java -version 2>&1 | grep -q 'version "17'; then
  export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 PATH="/usr/lib/jvm/java-17-openjdk-amd64/bin:$PATH"
fi
echo "== building the test OpenSearch node (Maven; offline once cached)"
bash "$TEST_OPENSEARCH_LAUNCHER" build
OS_PORT="$(free_port)"
OS_START=$(date +%s)
bash "$TEST_OPENSEARCH_LAUNCHER" "$OS_PORT" "$PG_DIR/opensearch" >"$PG_DIR/opensearch.log" 2>&1 &
OS_PID=$!
export TEST_OPENSEARCH_URL="http://127.0.0.1:$OS_PORT"
wait_for_opensearch() {
  for _ in $(seq 1 180); do
    if curl -fsS "$TEST_OPENSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
      echo "== OpenSearch ready at $TEST_OPENSEARCH_URL ($(( $(date +%s) - OS_START )) s after start)"
      return 0
    fi
    kill -0 "$OS_PID" 2>/dev/null || break
    sleep 1
  done
  echo "OpenSearch did not start; its log:" >&2
  tail -n 50 "$PG_DIR/opensearch.log" >&2
  return 1
}
# <<< OpenSearch

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== building the confab binary"
cargo build -p confab-server --quiet

echo "== OpenAPI contract"
"$CARGO_TARGET_DIR/debug/confab" openapi | diff -q - openapi/openapi.json >/dev/null || {
  echo "openapi/openapi.json is stale: run scripts/openapi.sh and commit the result" >&2
  exit 1
}

echo "== plugins: the example components, built from source for the plugin host's tests"
bash plugins/build.sh

# >>> OpenSearch
wait_for_opensearch
# <<< OpenSearch

echo "== tests (plugin guest crates natively; then SQLite and PostgreSQL)"
LOG="$PG_DIR/test-output.log"
set +e
bash plugins/build.sh unit-tests 2>&1 | tee "$LOG"
guest_status=${PIPESTATUS[0]}
cargo test --workspace --all-targets -- --test-threads "${TEST_THREADS:-4}" "$@" 2>&1 | tee -a "$LOG"
status=${PIPESTATUS[0]}
[ "$guest_status" = 0 ] || status=$guest_status
set -e
# ==== web chat (web/) =========================================================================
# Each stage that runs tests prints a cargo-style `test result:` line into the log, so the
# closing sum counts them; any failing stage fails the run.
web_stage() {
  local name="$1"
  shift
  echo "== web chat: $name"
  "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ]; then
    echo "web chat: $name failed" | tee -a "$LOG" >&2
    status=1
    return 1
  fi
}
web_started=$SECONDS
# shellcheck source=scripts/node.sh
. scripts/node.sh
ensure_node || status=1
set +e
cargo build -p confab-tests --bin confab-web-e2e-server --quiet
[ $? = 0 ] || status=1
(
  status=0
  cd web &&
    web_stage "npm ci" npm ci --no-audit --no-fund --loglevel=error &&
    web_stage "typecheck (tsc, strict)" npm run --silent typecheck
  web_stage "generated client matches openapi/openapi.json" npm run --silent check-gen
  web_stage "Vitest (components, stream reader)" npm test --silent
  web_stage "build" npm run --silent build &&
    web_stage "end-to-end in headless Chromium" env E2E_SERVER_BIN="$CARGO_TARGET_DIR/debug/confab-web-e2e-server" npm run --silent e2e
  exit "$status"
)
[ $? = 0 ] || status=1
set -e
echo "== web chat: done in $((SECONDS - web_started)) s"
# ==== end of web chat =========================================================================

# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "confab: %d passed, %d failed\n", p, f }' "$LOG"
exit "$status"
