#!/usr/bin/env bash
# Regenerates openapi/openapi.json from the server's own description of its API.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
cargo run -p confab-server --quiet -- openapi --output openapi/openapi.json
echo "wrote openapi/openapi.json"
