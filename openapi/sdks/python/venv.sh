# shellcheck shell=bash
# Sourced by generate.sh and test.sh: cached virtualenvs for the tools (never for the SDK itself).
#
# `cached_venv NAME REQUIREMENTS...` prints the path of a virtualenv with exactly those pinned
# requirements, under ~/.cache/confab-venvs/NAME-<hash of the interpreter and the files>. A changed
# pin makes a new one; a half-built one (no .ready marker) is rebuilt; a lock keeps parallel runs
# from building the same one twice.

PYTHON="${PYTHON:-python3}"
CONFAB_VENVS="${CONFAB_VENVS:-$HOME/.cache/confab-venvs}"

cached_venv() {
  local name="$1" key dir
  shift
  key="$({ "$PYTHON" -c 'import sys; print(sys.version)'; cat "$@"; } | sha256sum | cut -c1-16)"
  dir="$CONFAB_VENVS/$name-$key"
  mkdir -p "$CONFAB_VENVS"
  (
    flock 9
    if [ ! -e "$dir/.ready" ]; then
      rm -rf "$dir"
      echo "== creating the $name virtualenv in $dir" >&2
      "$PYTHON" -m venv "$dir" >&2 || exit 1
      local req args=()
      for req in "$@"; do args+=(-r "$req"); done
      "$dir/bin/pip" install --quiet --disable-pip-version-check "${args[@]}" >&2 || exit 1
      touch "$dir/.ready"
    fi
  ) 9>"$dir.lock" || return 1
  echo "$dir"
}
