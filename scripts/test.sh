#!/usr/bin/env bash
# Confab's test command, in stages (`scripts/test.sh --help` lists them):
#   scripts/test.sh [STAGE...] [-- CARGO-TEST-ARGS...]
# Without a stage it runs all of them, which is what CI runs (.ci/run). On a fresh Debian/Ubuntu
# machine with Rust it installs what the chosen stages need (scripts/lib.sh), starts only the
# services they need (a throw-away PostgreSQL cluster; one OpenSearch node, booting while Rust
# builds), runs the stages in the order of STAGES, appends their output to one log and closes with
# one line summed over every `test result:` line. It exits non-zero when any stage failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

STAGES=(lint plugins api scale search chaos sdk web admin deploy)

usage() {
  cat <<'EOF'
usage: scripts/test.sh [STAGE...] [-- CARGO-TEST-ARGS...]

Stages (default: all, in this order; CI runs all):
  lint     cargo fmt --check, clippy -D warnings, and the OpenAPI contract (builds confab and diffs
           its spec with openapi/openapi.json)
  plugins  builds the example plugins from source (plugins/build.sh), runs the guest crates' unit
           tests and the plugin host's tests against the built components
  api      the Rust workspace tests on SQLite and PostgreSQL, except the scale and search stages'
           (it skips test names containing scale:: or opensearch::); starts PostgreSQL, builds
           the example plugins (the API's plugin tests install them) and installs the test
           OpenID provider (npm ci in tests/oidc: panva's oidc-provider, for the oidc:: tests);
           then a CI-sized streaming benchmark (scripts/bench.sh --ci: 50 streams, debug build) whose figures the run prints
           at its end, before the summary line (printed, never asserted)
  scale    the Redis scale-out tests (names containing scale::): two replicas on PostgreSQL and a
           private redis-server per test, and s3s-fs (built once from crates.io) for the replicas'
           shared file storage; starts PostgreSQL
  search   the OpenSearch tests (names containing opensearch::); starts PostgreSQL and OpenSearch
           (the retention canaries there also start a private redis-server)
  chaos    the reliability harness (scripts/chaos.sh, tests/chaos): crash sweeps through a turn's
           life (crash points and kill -9, on SQLite and PostgreSQL), network faults through a
           fault proxy (provider, PostgreSQL, Redis, OpenSearch; slow, vanishing and idle
           clients), proptest fuzz targets, schemathesis's stateful phase as three roles, the
           promised limits; prints the reliability table and fails when README.md's differs
           (about 5 minutes warm); `scripts/chaos.sh --long` is the long sweep; starts PostgreSQL
           and OpenSearch, redis-server per test
  sdk      the developer platform from outside Rust, against a real server (confab-sdk-e2e-server):
           the generated Python and TypeScript SDKs (drift, build, their README examples and
           tests), the OpenAI-compatible endpoint through the official `openai` Python package, and
           schemathesis over the spec (SCHEMATHESIS_EXAMPLES per operation; default 20 for CI),
           and the scim2-tester compliance checker against the SCIM endpoint
  web      the web chat (web/): npm ci, strict typecheck, generated-client drift, Vitest, the
           production build and end-to-end tests in headless Chromium
  admin    the admin console (admin/): npm ci, strict typecheck, Vitest, the production build and
           its budget, and end-to-end tests in headless Chromium against the real server (with
           the web chat, which it builds when the web stage did not), axe-core on every view
  deploy   the Helm chart (helm/test.sh: helm lint --strict and helm template over a matrix of
           values, every manifest decoded strictly into the Kubernetes API types, bad values
           refused) and the container image (tests/image/run.sh: built from the debug binary
           without a daemon, pushed to a loopback registry, unpacked, its entrypoint started as
           uid 10001 on a read-only root);
           helm and the Go tools come from the Go module proxy (cached)

A failing stage does not stop the later ones, except lint, which stops the run.
Arguments after -- go to every `cargo test` of the chosen stages, after its own `--` (libtest
arguments); test names there narrow each stage's tests, e.g.
  scripts/test.sh api -- chat::sqlite::
  scripts/test.sh scale -- redis_over_tls --nocapture
TEST_THREADS sets libtest's --test-threads (default 4).
EOF
}

selected=()
test_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --) shift; test_args=("$@"); break ;;
    all) selected+=("${STAGES[@]}") ;;
    lint | plugins | api | scale | search | chaos | sdk | web | admin | deploy) selected+=("$1") ;;
    *) echo "scripts/test.sh: unknown stage '$1' (test arguments go after --)" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ "${#selected[@]}" -gt 0 ] || selected=("${STAGES[@]}")
wants() { case " ${selected[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
THREADS="${TEST_THREADS:-4}"

# The test names among the arguments after `--` (libtest ORs them), apart from the options.
name_filters=()
test_opts=()
i=0
while [ "$i" -lt "${#test_args[@]}" ]; do
  arg="${test_args[$i]}"
  case "$arg" in
    --test-threads | --skip | --logfile | --format | --color | --shuffle-seed | -Z)
      test_opts+=("$arg" "${test_args[$((i + 1))]:-}"); i=$((i + 1)) ;;
    -*) test_opts+=("$arg") ;;
    *) name_filters+=("$arg") ;;
  esac
  i=$((i + 1))
done

# ---- What the chosen stages need ---------------------------------------------------------------
want_package build-essential command -v cc
if wants api || wants scale || wants search || wants chaos; then want_postgres_packages; fi
# The scale-out tests start a private redis-server per test (and stop it to play outages); so do
# the search stage's retention canaries, which look for purged text in Redis and OpenSearch, and
# the api stage's two-replica tests (SCIM deprovisioning, telemetry, the rolling upgrade).
if wants api || wants scale || wants search || wants chaos; then want_package redis-server command -v redis-server; fi
# A real OpenSearch node, built and run from Maven Central with Java 17 (the chaos stage puts a
# fault proxy in front of it).
if wants search || wants chaos; then want_opensearch_packages; fi
# Node.js and npm come in the web stage (ensure_node); Debian's chromium runs the e2e tests.
if wants web || wants admin; then want_package chromium test -x /usr/bin/chromium; fi
# The sdk stage's Python suites each run in a fresh virtualenv (packages from PyPI).
if wants sdk || wants chaos; then want_package python3-venv python3 -c 'import ensurepip'; fi
ensure_packages

make_run_dir confab-test
LOG="$RUN_DIR/test-output.log"
: >"$LOG"
if wants api || wants scale || wants search || wants chaos; then
  start_postgres "$RUN_DIR" -c full_page_writes=off -c max_connections=300
fi
# Started now so that it boots while Rust builds; the search and chaos stages wait for it.
if wants search || wants chaos; then start_opensearch "$RUN_DIR"; fi

# ---- Builds several stages share (stages run in subshells, so a file marks what is done) --------
build_confab() {
  [ ! -e "$RUN_DIR/built-confab" ] || return 0
  echo "== building the confab binary"
  cargo build -p confab-server --quiet || return 1
  touch "$RUN_DIR/built-confab"
}

build_plugins() {
  [ ! -e "$RUN_DIR/built-plugins" ] || return 0
  echo "== plugins: the example components, built from source"
  bash plugins/build.sh || return 1
  touch "$RUN_DIR/built-plugins"
}

# The Rust tests of api, scale and search: one cargo command, split between the stages by test name.
# The plugin host's tests are the plugins stage's. (Narrowing cargo's package set instead would
# resolve dependency features differently and rebuild wasmtime.)
rust_tests() {
  cargo test --workspace --exclude confab-plugin-host --all-targets -- --test-threads "$THREADS" "$@"
}

# `stage_tests INCLUDE [SKIP...]`: the tests whose name contains INCLUDE and no SKIP, narrowed by the
# test names given after `--`. libtest ORs name filters, so with given names it lists the matching
# tests and keeps this stage's.
stage_tests() {
  local include="$1" skips=() skip listing names
  shift
  for skip in "$@"; do skips+=(--skip "$skip"); done
  if [ "${#name_filters[@]}" = 0 ]; then
    rust_tests "$include" "${skips[@]}" "${test_opts[@]}"
    return
  fi
  listing="$(rust_tests --list --format terse "${name_filters[@]}" "${skips[@]}")" || return 1
  names="$(printf '%s\n' "$listing" | sed -n 's/: test$//p' | grep -F -- "$include" | sort -u)" || true
  if [ -z "$names" ]; then
    echo "== no $include tests match: ${name_filters[*]}"
    return 0
  fi
  # shellcheck disable=SC2086 # one test name per word
  rust_tests --exact $names "${test_opts[@]}"
}

# ---- Stages ------------------------------------------------------------------------------------
stage_lint() {
  echo "== format and lints"
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  build_confab
  echo "== OpenAPI contract"
  "$CARGO_TARGET_DIR/debug/confab" openapi | diff -q - openapi/openapi.json >/dev/null || {
    echo "openapi/openapi.json is stale: run scripts/openapi.sh and commit the result" >&2
    return 1
  }
}

stage_plugins() {
  local status=0
  build_plugins
  echo "== plugins: the guest crates' unit tests (natively)"
  bash plugins/build.sh unit-tests || status=1
  echo "== plugins: the plugin host's tests against the built components"
  # confab-tests (whose library has no tests) only makes cargo resolve features as for the whole
  # workspace, so the host's wasmtime is the build the other stages use.
  cargo test -p confab-plugin-host -p confab-tests --lib --test plugins -- \
    --test-threads "$THREADS" "${test_args[@]}" || status=1
  return "$status"
}

# panva's oidc-provider (tests/oidc): the API's single sign-on tests and the e2e server's SSO
# tenant sign in through it.
install_oidc_provider() {
  ensure_node
  echo "== installing the test OpenID provider (tests/oidc, npm ci)"
  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
}

stage_api() {
  build_confab
  build_plugins # the API's plugin tests install the example components from plugins/dist
  # The single sign-on tests (oidc::) run panva's oidc-provider: Node.js and its locked packages.
  install_oidc_provider
  echo "== Rust workspace tests on SQLite and PostgreSQL (without scale:: and opensearch::)"
  rust_tests --skip scale:: --skip opensearch:: "${test_args[@]}"
  ci_bench
}

# A CI-sized run of the streaming benchmark (50 streams, a few seconds, the debug binaries the
# tests just built) so that every change shows its cost; its figures are printed at the end of the
# run. Figures, not assertions: a timing on a shared machine is no test, so it never fails a stage.
ci_bench() {
  [ "${#name_filters[@]}" = 0 ] || return 0 # a narrowed run is about those tests
  echo "== CI-sized benchmark (scripts/bench.sh --ci; printed at the end)"
  if ! BENCH_NO_BUILD=1 timeout 120 bash scripts/bench.sh --ci >"$RUN_DIR/bench-ci.txt" 2>&1; then
    echo "(the CI-sized benchmark did not finish cleanly; its output is printed at the end)" >>"$RUN_DIR/bench-ci.txt"
  fi
}

# The S3-compatible store the file tests share between replicas: s3s-fs from crates.io, built once
# into a cache beside the target directory (about two minutes on two cores), pinned to a version.
S3S_FS_VERSION=0.14.1
install_s3s_fs() {
  local root="$HOME/.cache/confab-tools/s3s-fs-$S3S_FS_VERSION"
  if [ ! -x "$root/bin/s3s-fs" ]; then
    echo "== installing s3s-fs $S3S_FS_VERSION (an S3-compatible server for the file storage tests)"
    cargo install --quiet "s3s-fs@$S3S_FS_VERSION" --features binary --root "$root" \
      --target-dir "$HOME/.cache/confab-tools/s3s-target" || return 1
  fi
  export S3S_FS_BIN="$root/bin/s3s-fs"
}

stage_scale() {
  build_confab
  install_s3s_fs
  echo "== scale-out tests (scale::): two replicas on PostgreSQL, a redis-server per test, s3s-fs for files"
  stage_tests scale:: opensearch::
}

stage_search() {
  build_confab
  wait_for_opensearch
  echo "== OpenSearch tests (opensearch::)"
  stage_tests opensearch::
}

# The chaos suite's own script runs its Rust tests, the API suite's crash and outage tests and the
# stateful schemathesis run, and checks the README's reliability table against this run's.
stage_chaos() {
  build_confab
  # shellcheck disable=SC2086 # test names, one per word
  bash scripts/chaos.sh -- ${name_filters[*]:-}
}

# `stage_sdk`: each suite is a script that starts its own confab-sdk-e2e-server (SDK_E2E_SERVER_BIN)
# and prints a cargo-style `test result:` line. A failing suite does not stop the others.
SDK_SUITES=(
  openapi/sdks/python/test.sh
  openapi/sdks/typescript/test.sh
  tests/openai/run.sh
  tests/schemathesis/run.sh
  tests/scim/run.sh
)

stage_sdk() {
  local status=0 suite started=$SECONDS
  ensure_node || status=1
  build_confab || return 1
  cargo build -p confab-tests --bin confab-sdk-e2e-server --quiet || return 1
  export CONFAB_BIN="$CARGO_TARGET_DIR/debug/confab"
  export SDK_E2E_SERVER_BIN="$CARGO_TARGET_DIR/debug/confab-sdk-e2e-server"
  for suite in "${SDK_SUITES[@]}"; do
    echo "== sdk: $suite"
    bash "$suite" || {
      echo "sdk: $suite failed" >&2
      status=1
    }
  done
  echo "== sdk: done in $((SECONDS - started)) s"
  return "$status"
}

# Each step that runs tests prints a cargo-style `test result:` line, so the closing sum counts them.
web_step() {
  local name="$1"
  shift
  echo "== web chat: $name"
  "$@" || {
    echo "web chat: $name failed" >&2
    return 1
  }
}

stage_web() {
  local status=0 started=$SECONDS
  ensure_node || status=1
  build_confab || status=1
  cargo build -p confab-tests --bin confab-web-e2e-server --quiet || status=1
  install_oidc_provider || status=1 # the e2e server's SSO tenant
  cd web
  if web_step "npm ci" npm ci --no-audit --no-fund --loglevel=error; then
    web_step "typecheck (tsc, strict)" npm run --silent typecheck || status=1
  else
    status=1
  fi
  # The generated client is @confab/client's (openapi/sdks/typescript); web's npm ci built it.
  web_step "generated client matches openapi/openapi.json" npm --prefix ../openapi/sdks/typescript run --silent check-gen || status=1
  web_step "Vitest (components, stream reader)" npm test --silent || status=1
  if web_step "build" npm run --silent build; then
    web_step "end-to-end in headless Chromium" \
      env E2E_SERVER_BIN="$CARGO_TARGET_DIR/debug/confab-web-e2e-server" npm run --silent e2e || status=1
  else
    status=1
  fi
  echo "== web chat: done in $((SECONDS - started)) s"
  return "$status"
}

stage_admin() {
  local status=0 started=$SECONDS
  ensure_node || status=1
  build_confab || status=1
  build_plugins || status=1 # the console's tests upload an example plugin and configure it
  cargo build -p confab-tests --bin confab-web-e2e-server --quiet || status=1
  install_oidc_provider || status=1 # the e2e server's SSO tenant
  # The console's tests also sign in to the web chat (a user meets the quota set in the console).
  if [ ! -f web/dist/index.html ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) || status=1
  fi
  cd admin
  if web_step "admin: npm ci" npm ci --no-audit --no-fund --loglevel=error; then
    web_step "admin: typecheck (tsc, strict)" npm run --silent typecheck || status=1
  else
    status=1
  fi
  web_step "admin: Vitest" npm test --silent || status=1
  if web_step "admin: build" npm run --silent build; then
    web_step "admin: end-to-end in headless Chromium" \
      env E2E_SERVER_BIN="$CARGO_TARGET_DIR/debug/confab-web-e2e-server" npm run --silent e2e || status=1
  else
    status=1
  fi
  echo "== admin console: done in $((SECONDS - started)) s"
  return "$status"
}

# The chart and the image: a `test result:` line from each script.
stage_deploy() {
  local status=0 started=$SECONDS
  build_confab || return 1
  echo "== deploy: the Helm chart"
  bash helm/test.sh || status=1
  echo "== deploy: the container image"
  bash tests/image/run.sh "$CARGO_TARGET_DIR/debug/confab" || status=1
  echo "== deploy: done in $((SECONDS - started)) s"
  return "$status"
}

# ---- Run ---------------------------------------------------------------------------------------
failed=()
run_stage() {
  local stage="$1" started=$SECONDS rc
  echo "==== $stage" | tee -a "$LOG"
  # Not in an `if`: there bash would ignore the stage's `set -e`.
  set +e
  (
    set -e
    "stage_$stage"
  ) 2>&1 | tee -a "$LOG"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 0 ]; then
    echo "==== $stage: ok ($((SECONDS - started)) s)"
  else
    echo "==== $stage: FAILED ($((SECONDS - started)) s)"
    # A full disk or exhausted memory fails many tests at once; say how much of each was left.
    echo "==== $stage: disk $(df -Ph "$RUN_DIR" | awk 'NR == 2 { print $4 " free of " $2 }'), memory $(awk '/^MemAvailable:/ { print int($2 / 1024) " MiB available" }' /proc/meminfo)"
    failed+=("$stage")
  fi
}

for stage in "${STAGES[@]}"; do
  wants "$stage" || continue
  run_stage "$stage"
  if [ "$stage" = lint ] && [ "${#failed[@]}" -gt 0 ]; then
    echo "==== lint failed: not running the later stages"
    break
  fi
done

if [ -s "$RUN_DIR/bench-ci.txt" ]; then
  echo "==== CI-sized streaming benchmark (debug build, shared machine: figures to compare, not assertions)"
  grep -v '^== building' "$RUN_DIR/bench-ci.txt" || true
fi
[ "${#failed[@]}" = 0 ] || echo "==== failed: ${failed[*]}"
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "confab: %d passed, %d failed\n", p, f }' "$LOG"
[ "${#failed[@]}" = 0 ]
