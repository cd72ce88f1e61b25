#!/usr/bin/env bash
# Streaming load benchmark of Confab's chat engine: builds in release mode, then runs confab-load
# for N = 50, 200 and 1000 concurrent streamed turns (through Confab and directly against the
# scripted upstream, side by side) and prints one table per N.
#
#   scripts/bench.sh                  # N = 50 200 1000
#   BENCH_TURNS="100 500" scripts/bench.sh -- --tokens 128 --delay-ms 2
#   scripts/bench.sh -- --server-env CONFAB_DATABASE__MAX_CONNECTIONS=1100
#
# Arguments after `--` go to every confab-load run (see `confab-load --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

extra=()
if [ "${1:-}" = "--" ]; then
  shift
  extra=("$@")
fi

# 1000 streams need ~4000 sockets between the tool, Confab and the upstream: raise the soft
# open-file limit as far as the hard limit allows (up to 65536).
hard="$(ulimit -Hn)"
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want" 2>/dev/null || echo "bench: could not raise the open-file limit (now $(ulimit -n))" >&2

echo "== building (release)"
cargo build --release --quiet -p confab-server --bin confab
cargo build --release --quiet -p confab-tests --bin confab-load

status=0
for n in ${BENCH_TURNS:-50 200 1000}; do
  echo
  "$CARGO_TARGET_DIR/release/confab-load" --turns "$n" --confab-bin "$CARGO_TARGET_DIR/release/confab" "${extra[@]}" \
    || { rc=$?; echo "bench: confab-load --turns $n exited with status $rc" >&2; status=1; }
done
exit "$status"
