#!/usr/bin/env bash
# Regenerates confab_client/generated from openapi/openapi.json with the pinned
# openapi-python-client (generator/requirements.txt). The hand-written layer (the other modules of
# confab_client) is never touched. Output is deterministic: the same spec and pins give the same bytes.
#
# Usage: openapi/sdks/python/generate.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to openapi/sdks/python/confab_client/generated (test.sh passes a temp dir
#   to check for drift).
set -euo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPEC="${SPEC:-$SDK_DIR/../../openapi.json}"
OUT="${1:-$SDK_DIR/confab_client/generated}"
# shellcheck source-path=SCRIPTDIR source=venv.sh
. "$SDK_DIR/venv.sh"

venv="$(cached_venv openapi-python-client "$SDK_DIR/generator/requirements.txt")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$venv/bin/python" "$SDK_DIR/generator/normalize_spec.py" "$SPEC" "$work/openapi.json"
# Always generate into a fresh directory of the same name, so nothing around the output (an old
# tree, a ruff configuration) can leak into it. ruff (a post hook) is found on PATH.
(
  cd "$work"
  PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate \
    --path "$work/openapi.json" --config "$SDK_DIR/generator/config.yaml" \
    --meta none --fail-on-warning --output-path "$work/generated" >"$work/log" 2>&1
) || {
  cat "$work/log" >&2
  # --fail-on-warning: the generator leaves out what it cannot read (a schema, an operation) with
  # only a warning; here that fails, so nothing silently disappears from the SDK.
  echo "generate.sh: openapi-python-client failed or could not read parts of the spec (above);" \
    "fix the spec, or teach generator/normalize_spec.py the construct" >&2
  exit 1
}
find "$work/generated" -name __pycache__ -prune -exec rm -rf {} +

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -R "$work/generated" "$OUT"
echo "generate.sh: wrote $OUT"

# The distribution's version is the API's (info.version); test.sh checks that they agree.
if [ $# -eq 0 ]; then
  version="$("$venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$SPEC")"
  sed -i -E "s/^version = \".*\"$/version = \"$version\"/" "$SDK_DIR/pyproject.toml"
  echo "generate.sh: confab-client version $version"
fi
