#!/usr/bin/env bash
# History search benchmark: PostgreSQL full-text vs OpenSearch, side by side, on one machine.
#   scripts/bench-search.sh [MESSAGES]   (default 1000000; e.g. 200000 for a quicker run)
# Starts a throw-away PostgreSQL cluster and a single-node OpenSearch (tests/opensearch/run.sh),
# builds confab and the benchmark, then seeds MESSAGES messages straight into PostgreSQL, times
# the outbox drain into OpenSearch and measures search latency (p50/p99) on both backends.
# Extra arguments go to confab-search-bench (see `--help`), e.g. `--queries 500 --users 50`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}"
MESSAGES="${1:-1000000}"
shift || true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bin)" ] || missing+=(postgresql)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_BIN="$(pg_bin)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_user_run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

DIR="$(mktemp -d /tmp/confab-bench-search.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
PG_PORT="$(free_port)"
OS_PORT="$(free_port)"
OS_PID=""
cleanup() {
  [ -n "$OS_PID" ] && { kill "$OS_PID" 2>/dev/null || true; wait "$OS_PID" 2>/dev/null || true; }
  pg_user_run "$PG_BIN/pg_ctl" -D "$DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "== starting OpenSearch on 127.0.0.1:$OS_PORT and PostgreSQL on 127.0.0.1:$PG_PORT"
bash tests/opensearch/run.sh build
# A larger heap than the tests' node: a million documents.
OPENSEARCH_HEAP="${OPENSEARCH_HEAP:-2g}" bash tests/opensearch/run.sh "$OS_PORT" "$DIR/opensearch" >"$DIR/opensearch.log" 2>&1 &
OS_PID=$!
pg_user_run "$PG_BIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 >/dev/null
pg_user_run "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w \
  -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c shared_buffers=512MB -c max_wal_size=4GB" \
  start >/dev/null

echo "== building confab and the benchmark"
cargo build -q -p confab-server -p confab-tests --bin confab --bin confab-search-bench

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$OS_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1 && break
  kill -0 "$OS_PID" 2>/dev/null || { tail -n 30 "$DIR/opensearch.log" >&2; exit 1; }
  sleep 1
done

"$CARGO_TARGET_DIR/debug/confab-search-bench" \
  --pg-url "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
  --opensearch-url "http://127.0.0.1:$OS_PORT" \
  --messages "$MESSAGES" "$@"
