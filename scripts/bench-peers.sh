#!/usr/bin/env bash
# Added latency of Confab's OpenAI-compatible endpoint (`POST /openai/v1/chat/completions`) over
# calling the scripted upstream directly, side by side with a LiteLLM proxy in front of the same
# upstream: builds confab and confab-load in release mode, installs LiteLLM (pinned, from PyPI) in a
# cached virtualenv, then runs `confab-load --openai-compat` for N = 50 and 200 concurrent streams and
# prints one table per N, ending with the line "added TTFT p99: confab X ms vs litellm Y ms (ratio)".
#
#   scripts/bench-peers.sh                          # N = 50 200
#   BENCH_TURNS="100" scripts/bench-peers.sh -- --tokens 128 --delay-ms 2
#
# Arguments after `--` go to every confab-load run (see `confab-load --help`). confab-load starts the
# upstream, `confab serve` and LiteLLM itself (LiteLLM needs the upstream's port, known only once the
# upstream listens) and stops them when it ends; should it be killed instead, the exit hook below
# stops what it recorded in its pid file.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# `litellm[proxy]` at this version resolves from PyPI alone (later ones pin a `litellm-proxy`
# package that PyPI does not have). Change both together: the virtualenv is per version.
LITELLM_VERSION=1.100.5
VENV="$HOME/.cache/confab-venvs/litellm-$LITELLM_VERSION"

extra=()
if [ "${1:-}" = "--" ]; then
  shift
  extra=("$@")
fi

# Each stream holds a socket at the client, at the proxy (two) and at the upstream.
hard="$(ulimit -Hn)"
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want" 2>/dev/null || echo "bench-peers: could not raise the open-file limit (now $(ulimit -n))" >&2

make_run_dir confab-bench-peers
PID_FILE="$RUN_DIR/pids"
LOAD_PID=""
stop_started() {
  if [ -n "$LOAD_PID" ] && kill -0 "$LOAD_PID" 2>/dev/null; then
    kill "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
  fi
  [ -f "$PID_FILE" ] || return 0
  local pid
  while read -r pid; do
    # Only a process of ours: confab-load reaps its children, and a pid can be reused.
    if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qE 'confab|litellm'; then
      kill "$pid" 2>/dev/null || true
      sleep 0.5
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
  done <"$PID_FILE"
  : >"$PID_FILE"
}
on_exit stop_started

if [ ! -f "$VENV/.complete" ]; then
  echo "== installing litellm[proxy]==$LITELLM_VERSION into $VENV (once; about 700 MB)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "litellm[proxy]==$LITELLM_VERSION"
  touch "$VENV/.complete"
fi

echo "== building (release)"
cargo build --release --quiet -p confab-server -p confab-tests --bin confab --bin confab-load

status=0
for n in ${BENCH_TURNS:-50 200}; do
  echo
  : >"$PID_FILE"
  # In the background, so that a signal to this script reaches the exit hook at once.
  "$CARGO_TARGET_DIR/release/confab-load" --openai-compat --turns "$n" \
    --confab-bin "$CARGO_TARGET_DIR/release/confab" \
    --litellm-cmd "$VENV/bin/litellm" \
    --pid-file "$PID_FILE" "${extra[@]}" &
  LOAD_PID=$!
  rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  if [ "$rc" != 0 ]; then
    echo "bench-peers: confab-load --turns $n exited with status $rc" >&2
    status=1
  fi
  stop_started # anything a failed run left behind
done
exit "$status"
