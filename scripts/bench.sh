#!/usr/bin/env bash
# Streaming load benchmark of Confab's chat engine: builds confab and confab-load in release mode,
# then runs confab-load for N = 50, 200 and 1000 concurrent streamed turns, on SQLite and on
# PostgreSQL, each through Confab and directly against the scripted upstream, side by side. Per N
# it prints TTFT p50/p99 direct and via Confab and what Confab adds, the server's CPU time per turn
# (from /proc), the memory per open stream, turns/s and errors.
#
#   scripts/bench.sh                  # N = 50 200 1000, SQLite and PostgreSQL
#   scripts/bench.sh --hold           # 2,000 streams open at once (slow upstream), each to its end
#   scripts/bench.sh --ci             # 50 streams, a few seconds, debug build (PostgreSQL too when
#                                     # BENCH_PG_URL or TEST_PG_URL names one)
#   BENCH_TURNS="100 500" BENCH_DATABASES=sqlite scripts/bench.sh -- --tokens 128 --delay-ms 2
#   scripts/bench.sh -- --server-env CONFAB_DATABASE__MAX_CONNECTIONS=64
#   scripts/bench.sh -- --upstream-tls   # the upstream over HTTPS, as real providers are
#
# PostgreSQL: BENCH_PG_URL (an admin URL; each run creates and drops its own database), else
# TEST_PG_URL, else a throw-away cluster started here. BENCH_HOLD_STREAMS sets --hold's N (2000).
# Arguments after `--` go to every confab-load run (see `confab-load --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

mode=latency
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hold) mode=hold ;;
    --ci) mode=ci ;;
    --) shift; extra=("$@"); break ;;
    *) echo "scripts/bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

# 2,000 streams need ~8,000 sockets between the tool, Confab and the upstream: raise the soft
# open-file limit as far as the hard limit allows (up to 65536).
hard="$(ulimit -Hn)"
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want" 2>/dev/null || echo "bench: could not raise the open-file limit (now $(ulimit -n))" >&2

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}"
if [ "$mode" = ci ]; then
  # The test command's debug build: figures that show each change's cost, not release figures.
  # BENCH_NO_BUILD=1 (set by scripts/test.sh, whose tests just built both) skips the build.
  profile=debug
  if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
    echo "== building (debug)"
    cargo build --quiet -p confab-server -p confab-tests --bin confab --bin confab-load
  fi
else
  profile=release
  echo "== building (release)"
  # One cargo command for both: built apart, each resolves the dependencies' features on its own
  # and the second rebuilds most of them (wasmtime, sea-orm) for itself.
  cargo build --release --quiet -p confab-server -p confab-tests --bin confab --bin confab-load
fi
load="$CARGO_TARGET_DIR/$profile/confab-load"
confab="$CARGO_TARGET_DIR/$profile/confab"

databases="${BENCH_DATABASES:-sqlite postgres}"
# The CI-sized run adds PostgreSQL only when one is running already (the test command's).
if [ "$mode" = ci ] && [ -z "${BENCH_DATABASES:-}" ] && [ -z "${BENCH_PG_URL:-${TEST_PG_URL:-}}" ]; then
  databases=sqlite
fi
pg_url=""
if [[ " $databases " == *" postgres "* ]]; then
  pg_url="${BENCH_PG_URL:-${TEST_PG_URL:-}}"
  if [ -z "$pg_url" ]; then
    if have_pg; then
      make_run_dir confab-bench
      on_exit remove_run_dir
      start_postgres "$RUN_DIR" -c max_connections=300 -c full_page_writes=off
      pg_url="$TEST_PG_URL"
    else
      echo "bench: PostgreSQL is not installed (apt-get install postgresql): SQLite only" >&2
      databases="sqlite"
    fi
  fi
fi

status=0
run() {
  local db="$1"
  shift
  local args=(--confab-bin "$confab" "$@")
  if [ "$db" = postgres ]; then args+=(--postgres "$pg_url"); fi
  echo
  # confab-load reads BENCH_PG_URL itself (as --postgres): a SQLite run must not see it.
  env -u BENCH_PG_URL "$load" "${args[@]}" "${extra[@]}" || {
    rc=$?
    echo "bench: confab-load $* ($db) exited with status $rc" >&2
    status=1
  }
}

for db in $databases; do
  case "$mode" in
    latency)
      for n in ${BENCH_TURNS:-50 200 1000}; do run "$db" --turns "$n"; done ;;
    hold)
      run "$db" --hold --turns "${BENCH_HOLD_STREAMS:-2000}" --tokens 20 --delay-ms 1000 --timeout-secs 600 ;;
    ci)
      run "$db" --turns 50 --tokens 64 --delay-ms 5 --mem-tokens 20 --mem-delay-ms 1000 ;;
  esac
done
exit "$status"
