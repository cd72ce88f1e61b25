#!/usr/bin/env bash
# Regenerates openapi/openapi.json from the server's own description of its API.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}"
cargo run -p confab-server --quiet -- openapi --output openapi/openapi.json
echo "wrote openapi/openapi.json"
