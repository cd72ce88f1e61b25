#!/usr/bin/env bash
# The admin console's page budget on the embedded tier: with N_USERS users and an N_AUDIT-entry
# audit log in SQLite, every page of the user and audit lists within 300 ms. Builds confab and
# confab-admin-bench in release mode, then the benchmark seeds a database (once per size: cached in
# ~/.cache/confab-bench/, a few minutes for the full size), serves a copy of it and times each kind of
# user and audit query (first and deep pages, searches and filters, a filter that matches nothing),
# a download of ~100,000 entries and one cold verification of the whole hash chain. It prints a
# table (client and server p50/p95/p99/max in ms) and ends with the line "budget: …" saying
# whether every page query met the budget (client-side p95).
#
#   scripts/bench-admin.sh                      # 100000 users, 1000000 audit entries
#   scripts/bench-admin.sh 10000 100000         # a quicker run
#   scripts/bench-admin.sh 100000 1000000 -- --repeat 50 --reseed
#
# Arguments after `--` go to confab-admin-bench (see `confab-admin-bench --help`). Exit status: 0
# when every page query met the budget, 3 when one did not, 1 when the run failed.
# CARGO_TARGET_DIR defaults to a release-only directory of its own, so these builds do not evict
# the debug builds the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target-bench}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

N_USERS=100000
N_AUDIT=1000000
if [ "$#" -gt 0 ] && [ "$1" != "--" ]; then N_USERS="$1" && shift; fi
if [ "$#" -gt 0 ] && [ "$1" != "--" ]; then N_AUDIT="$1" && shift; fi
extra=()
if [ "${1:-}" = "--" ]; then
  shift
  extra=("$@")
fi

echo "== building confab and the benchmark (release)"
cargo build --release -q -p confab-server -p confab-tests --bin confab --bin confab-admin-bench

"$CARGO_TARGET_DIR/release/confab-admin-bench" \
  --confab-bin "$CARGO_TARGET_DIR/release/confab" \
  --users "$N_USERS" --audit "$N_AUDIT" "${extra[@]}"
