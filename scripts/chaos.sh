#!/usr/bin/env bash
# Confab's chaos suite (tests/chaos), the reliability harness: crash sweeps through a turn's life,
# network faults between Confab and the provider, PostgreSQL, Redis and OpenSearch (and between clients and
# Confab), fuzzing (proptest targets, and schemathesis's stateful phase as three roles of a tenant
# while another tenant's data exists), and the promised limits. It prints the reliability table
# made from what ran and checks that the README's table is the same.
#
#   scripts/chaos.sh                   the CI-sized run (scripts/test.sh chaos runs this)
#   scripts/chaos.sh --long            the long sweep: 20 crash offsets, 10,000 idle connections,
#                                      PROPTEST_CASES=5000, schemathesis for 10 minutes a role
#   scripts/chaos.sh --write-readme    runs, then writes the table into README.md
#   scripts/chaos.sh -- NAME...        only the Rust tests matching NAME (no README check)
#
# Env: TEST_PG_URL (else a private PostgreSQL is started), TEST_OPENSEARCH_URL and
# TEST_OPENSEARCH_LAUNCHER (else a private OpenSearch node is started), TEST_THREADS (default 4), CHAOS_SEED
# (replays the random kill), PROPTEST_CASES, SCHEMATHESIS_SECONDS (per role; default 40),
# CHAOS_SKIP_SCHEMATHESIS=1.
# Prints cargo-style `test result:` lines; exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

long=0
write_readme=0
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=1 ;;
    --write-readme) write_readme=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; names=("$@"); break ;;
    *) echo "scripts/chaos.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
THREADS="${TEST_THREADS:-4}"

want_package redis-server command -v redis-server
want_package python3-venv python3 -c 'import ensurepip'
[ -n "${TEST_PG_URL:-}" ] || want_postgres_packages
[ -n "${TEST_OPENSEARCH_URL:-}" ] || want_opensearch_packages
ensure_packages
make_run_dir confab-chaos
[ -n "${TEST_PG_URL:-}" ] || start_postgres "$RUN_DIR" -c max_connections=300
# OpenSearch boots while Rust builds; the OpenSearch fault tests wait for it.
own_opensearch=0
if [ -z "${TEST_OPENSEARCH_URL:-}" ]; then
  start_opensearch "$RUN_DIR"
  own_opensearch=1
fi

export CHAOS_RESULTS="$RUN_DIR/results.jsonl"
: >"$CHAOS_RESULTS"
if [ "$long" = 1 ]; then
  export CHAOS_LONG=1
  export PROPTEST_CASES="${PROPTEST_CASES:-5000}"
  export SCHEMATHESIS_SECONDS="${SCHEMATHESIS_SECONDS:-600}"
fi

# The fault tests of the API suite that belong to the sweep (they record their rows too).
API_FAULT_TESTS=(
  retention::sqlite::a_purge_killed_mid_run_completes_on_restart_with_nothing_half_deleted
  retention::postgres::a_purge_killed_mid_run_completes_on_restart_with_nothing_half_deleted
  scale::an_answer_whose_replica_died_is_settled_by_the_other_and_readers_there_see_the_end
  scale::a_redis_outage_keeps_reads_refuses_new_turns_loses_nothing_and_recovers
  opensearch::outbox_crash::a_crash_between_indexing_and_the_outbox_delete_converges_after_restart_on_postgres
  opensearch::outbox_crash::a_crash_between_indexing_and_the_outbox_delete_converges_after_restart_on_sqlite
  opensearch::opensearch_faults_have_their_documented_outcomes
)

status=0
started=$SECONDS
echo "== chaos: building confab and the suite"
cargo build -p confab-server --quiet
cargo build -p confab-tests --bin confab-sdk-e2e-server --quiet
echo "== chaos: the Rust suite (tests/chaos)"
cargo test -p confab-tests --features chaos --test chaos -- --test-threads "$THREADS" "${names[@]}" || status=1
if [ "${#names[@]}" = 0 ]; then
  echo "== chaos: the API suite's crash and outage tests"
  if [ "$own_opensearch" = 1 ]; then
    wait_for_opensearch
  else
    for _ in $(seq 1 180); do
      curl -fsS "$TEST_OPENSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  cargo test -p confab-tests --test api -- --exact --test-threads "$THREADS" "${API_FAULT_TESTS[@]}" || status=1
  if [ "${CHAOS_SKIP_SCHEMATHESIS:-0}" != 1 ]; then
    echo "== chaos: schemathesis, stateful, as three roles"
    bash tests/chaos/schemathesis.sh || status=1
  fi
fi
echo "== chaos: done in $((SECONDS - started)) s"

echo "== chaos: the reliability table of this run"
python3 tests/chaos/table.py "$CHAOS_RESULTS" || status=1
if [ "${#names[@]}" = 0 ] && [ "$long" = 0 ]; then
  if [ "$write_readme" = 1 ]; then
    python3 tests/chaos/table.py "$CHAOS_RESULTS" --write README.md
    echo "== chaos: README.md's reliability table written"
  elif ! python3 tests/chaos/table.py "$CHAOS_RESULTS" --check README.md; then
    echo "chaos: README.md's reliability table is not this run's: scripts/chaos.sh --write-readme" >&2
    status=1
  fi
fi
exit "$status"
