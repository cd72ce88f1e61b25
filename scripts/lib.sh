# shellcheck shell=bash
# Confab's shell helpers, sourced (not run) by scripts/*.sh and plugins/build.sh:
#   . scripts/lib.sh        (from the repository root)
# Sourcing sets the cargo environment below and defines functions; nothing else runs.
# Helpers install what they need with apt-get (through sudo unless run as root) when it is missing,
# and stop what they start by its own pid, never by name.

# The repository root, whichever directory the sourcing script works in.
# Not a CONFAB_ variable: those are the server's configuration, and it refuses unknown ones.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One target directory outside the clone, so CI, the scripts and a developer's session share builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- Debian packages ------------------------------------------------------------------------------
# Queue with `want_package PACKAGE CHECK...` (queued unless CHECK succeeds), then install everything
# queued in one apt-get run with `ensure_packages`.
WANTED_PACKAGES=()
want_package() {
  local package="$1"
  shift
  "$@" >/dev/null 2>&1 || WANTED_PACKAGES+=("$package")
}

ensure_packages() {
  local missing=() package
  for package in "${WANTED_PACKAGES[@]}"; do
    case " ${missing[*]} " in *" $package "*) ;; *) missing+=("$package") ;; esac
  done
  WANTED_PACKAGES=()
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "== installing ${missing[*]} (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<version>/bin).
pg_bin() { compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1; }
have_pg() { [ -n "$(pg_bin)" ]; }
# OpenSearch 2.19 runs on Java 17; its launcher is compiled, so a JDK.
have_jdk17() { command -v javac >/dev/null 2>&1 && javac -version 2>&1 | grep -qE 'javac (1[7-9]|2[0-9])'; }

want_postgres_packages() {
  want_package postgresql have_pg
  want_package python3 command -v python3 # free_port
}

want_opensearch_packages() {
  want_package maven command -v mvn
  want_package curl command -v curl
  want_package openjdk-17-jdk-headless have_jdk17
  want_package python3 command -v python3 # free_port
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- Clean-up ---------------------------------------------------------------------------------------
# `on_exit FUNCTION` runs FUNCTION when the script exits (also on Ctrl-C or SIGTERM), the last
# registered first. Subshells do not inherit it.
EXIT_HOOKS=()
on_exit() {
  EXIT_HOOKS=("$1" "${EXIT_HOOKS[@]}")
  trap run_exit_hooks EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
run_exit_hooks() {
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do "$hook" || true; done
}

# `make_run_dir NAME`: a private directory for this run in RUN_DIR, removed at exit.
make_run_dir() {
  RUN_DIR="$(mktemp -d "/tmp/$1.XXXXXX")"
  on_exit remove_run_dir
}
remove_run_dir() { [ -z "${RUN_DIR:-}" ] || rm -rf "$RUN_DIR"; }

# ---- A throw-away PostgreSQL cluster ----------------------------------------------------------------
# `start_postgres DIR [-c NAME=VALUE...]`: a private cluster in DIR/pg on a free port (socket in DIR,
# log DIR/pg.log), trust authentication, no fsync; exports TEST_PG_URL (the admin URL) and stops it
# with pg_ctl (its postmaster.pid) at exit. As root it runs as the `postgres` user, who gets DIR.
pg_user_run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local dir="$1"
  shift
  PG_BIN="$(pg_bin)"
  PG_PORT="$(free_port)"
  PG_DATA="$dir/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  on_exit stop_postgres
  echo "== starting PostgreSQL on 127.0.0.1:$PG_PORT"
  pg_user_run "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  pg_user_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/pg.log" -w \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off $*" \
    start >/dev/null
  export TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}

stop_postgres() {
  [ -n "${PG_DATA:-}" ] || return 0
  pg_user_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
}

# ---- The test OpenSearch node (tests/opensearch/run.sh) ---------------------------------------------
# `start_opensearch DIR`: builds the launcher (Maven, offline once cached), starts one node in the
# background on a free port (data DIR/opensearch, log DIR/opensearch.log; OPENSEARCH_HEAP sets its
# heap), exports TEST_OPENSEARCH_URL and TEST_OPENSEARCH_LAUNCHER (tests that stop and restart a node
# start their own through it), and stops it at exit. `wait_for_opensearch` waits for yellow health.
start_opensearch() {
  local dir="$1"
  # Prefer Java 17 when the default java is another version.
  if [ -d /usr/lib/jvm/java-17-openjdk-amd64 ] && ! java -version 2>&1 | grep -q 'version "17'; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 PATH="/usr/lib/jvm/java-17-openjdk-amd64/bin:$PATH"
  fi
  export TEST_OPENSEARCH_LAUNCHER="$REPO_ROOT/tests/opensearch/run.sh"
  echo "== building the test OpenSearch node (Maven; offline once cached)"
  bash "$TEST_OPENSEARCH_LAUNCHER" build
  OS_PORT="$(free_port)"
  OS_LOG="$dir/opensearch.log"
  OS_START=$(date +%s)
  echo "== starting OpenSearch on 127.0.0.1:$OS_PORT"
  bash "$TEST_OPENSEARCH_LAUNCHER" "$OS_PORT" "$dir/opensearch" >"$OS_LOG" 2>&1 &
  OS_PID=$!
  on_exit stop_opensearch
  export TEST_OPENSEARCH_URL="http://127.0.0.1:$OS_PORT"
}

wait_for_opensearch() {
  local _
  for _ in $(seq 1 180); do
    if curl -fsS "$TEST_OPENSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
      echo "== OpenSearch ready at $TEST_OPENSEARCH_URL ($(($(date +%s) - OS_START)) s after start)"
      return 0
    fi
    kill -0 "$OS_PID" 2>/dev/null || break
    sleep 1
  done
  echo "OpenSearch did not start; its log:" >&2
  tail -n 50 "$OS_LOG" >&2
  return 1
}

stop_opensearch() {
  [ -n "${OS_PID:-}" ] || return 0
  kill "$OS_PID" 2>/dev/null || true
  wait "$OS_PID" 2>/dev/null || true
}

# ---- Node.js for the web chat -----------------------------------------------------------------------
# `ensure_node`: makes Node.js 20.19+ and npm available. Installs Debian's nodejs and npm when
# missing; when that Node.js is too old (Debian 12 ships 18), fetches Node.js 22 from the npm
# registry into ~/.cache/confab-node and puts it first on PATH.
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}

ensure_node() {
  local private="$HOME/.cache/confab-node"
  if [ -x "$private/node_modules/.bin/node" ]; then
    export PATH="$private/node_modules/.bin:$PATH"
  fi
  node_ok && command -v npm >/dev/null 2>&1 && return 0
  want_package nodejs command -v node
  want_package npm command -v npm
  ensure_packages || return 1
  if ! node_ok; then
    echo "== Node.js $(node --version) is older than 20.19: fetching Node.js 22 from the npm registry into $private"
    npm install --prefix "$private" --no-audit --no-fund --loglevel=error node@22 >/dev/null
    export PATH="$private/node_modules/.bin:$PATH"
  fi
  node_ok || {
    echo "the web chat needs Node.js 20.19 or newer (found $(node --version))" >&2
    return 1
  }
}

# ---- Go (the deploy stage's tools: helm, the manifest validator, the image builder) ------------------
# `ensure_go`: puts a Go toolchain on PATH: /usr/local/go when present, else Debian's golang-go.
# Modules come from the Go module proxy and builds are cached (GOPATH, GOCACHE), so a warm run
# rebuilds nothing.
ensure_go() {
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
  if ! command -v go >/dev/null 2>&1; then
    want_package golang-go command -v go
    ensure_packages
  fi
  local gopath
  gopath="$(go env GOPATH)"
  export PATH="$gopath/bin:$PATH"
}
