#!/usr/bin/env bash
# The scale-out tier's benchmark in one command: history search on PostgreSQL full text vs
# OpenSearch over MESSAGES seeded messages with the outbox drain's throughput
# (scripts/bench-search.sh), then the shared Redis rate limiter's checks per second and latency
# next to the in-process one (bench-limits, release build, a private redis-server).
#   scripts/bench-scale.sh [MESSAGES]          (default 1000000)
#   BENCH_LIMITS_ONLY=1 scripts/bench-scale.sh  (only the rate limiter)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

want_package redis-server command -v redis-server
ensure_packages

if [ -z "${BENCH_LIMITS_ONLY:-}" ]; then
  bash scripts/bench-search.sh "$@"
fi

echo "== rate limits: shared (Redis) vs in-process"
cargo build --release -q -p confab-core --example bench-limits
"$CARGO_TARGET_DIR/release/examples/bench-limits" --concurrency "${BENCH_CONCURRENCY:-64}" --seconds "${BENCH_SECONDS:-10}"
