#!/usr/bin/env bash
# History search benchmark: PostgreSQL full-text vs OpenSearch, side by side, on one machine.
#   scripts/bench-search.sh [MESSAGES]   (default 1000000; e.g. 200000 for a quicker run)
# Starts a throw-away PostgreSQL cluster and a single-node OpenSearch (tests/opensearch/run.sh),
# builds confab and the benchmark, then seeds MESSAGES messages straight into PostgreSQL, times
# the outbox drain into OpenSearch and measures search latency (p50/p99) on both backends.
# Extra arguments go to confab-search-bench (see `--help`), e.g. `--queries 500 --users 50`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
MESSAGES="${1:-1000000}"
shift || true

want_postgres_packages
want_opensearch_packages
ensure_packages

make_run_dir confab-bench-search
# A larger heap than the tests' node: a million documents.
export OPENSEARCH_HEAP="${OPENSEARCH_HEAP:-2g}"
start_opensearch "$RUN_DIR"
start_postgres "$RUN_DIR" -c shared_buffers=512MB -c max_wal_size=4GB

echo "== building confab and the benchmark"
cargo build -q -p confab-server -p confab-tests --bin confab --bin confab-search-bench

wait_for_opensearch

"$CARGO_TARGET_DIR/debug/confab-search-bench" \
  --pg-url "$TEST_PG_URL" \
  --opensearch-url "$TEST_OPENSEARCH_URL" \
  --messages "$MESSAGES" "$@"
