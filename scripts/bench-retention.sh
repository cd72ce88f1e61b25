#!/usr/bin/env bash
# The compliance engine's benchmark on PostgreSQL: the retention purge of a million old messages
# while a streaming chat load runs (purge throughput, TTFT p50/p99 before and during the purge,
# the added TTFT p99 in %; target under +10%), then the audit export of a million entries
# (JSON Lines, CSV, chain=true: entries per second, the server's RSS before and at its peak, for
# the whole tenant and for its oldest tenth).
#
#   scripts/bench-retention.sh                 # 1,000,000 messages, 1,000,000 audit entries
#   scripts/bench-retention.sh --quick         # 100,000 and 100,000: a few minutes
#   scripts/bench-retention.sh -- --concurrency 50 --batch-size 200 --baseline-secs 30
#   scripts/bench-retention.sh -- --env CONFAB_RETENTION__BATCH_PAUSE_MS=20
#
# Starts a throw-away PostgreSQL cluster, builds confab and confab-retention-bench in release
# mode, then runs the benchmark: the first run of a size seeds it (a few minutes for the full
# size) and caches it with pg_dump in ~/.cache/confab-bench/; later runs restore that file.
# Arguments after `--` go to confab-retention-bench (see `confab-retention-bench --help`).
# Exit status: 0 when the added TTFT p99 met the target and no turn failed, 3 when not, 1 when
# the run failed.
# CARGO_TARGET_DIR defaults to a release-only directory of its own, so these builds do not evict
# the debug builds the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target-bench}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

MESSAGES=1000000
AUDIT=1000000
if [ "${1:-}" = "--quick" ]; then
  MESSAGES=100000
  AUDIT=100000
  shift
fi
extra=()
if [ "${1:-}" = "--" ]; then
  shift
  extra=("$@")
fi

want_postgres_packages
ensure_packages

make_run_dir confab-bench-retention
# WAL sized for the seed's and the purge's bulk writes; autovacuum as shipped.
start_postgres "$RUN_DIR" -c shared_buffers=512MB -c max_wal_size=4GB -c max_connections=200
# pg_dump and pg_restore for the seed cache.
export PATH="$PG_BIN:$PATH"

echo "== building confab and the benchmark (release)"
cargo build --release -q -p confab-server -p confab-tests --bin confab --bin confab-retention-bench

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
"$CARGO_TARGET_DIR/release/confab-retention-bench" \
  --confab-bin "$CARGO_TARGET_DIR/release/confab" \
  --pg-url "$TEST_PG_URL" \
  --messages "$MESSAGES" --audit "$AUDIT" "${extra[@]}"
