#!/usr/bin/env bash
# Runs Confab with its web chat and admin console on a fresh Debian/Ubuntu machine with Rust
# installed: installs Node.js 20.19+ and npm when missing (ensure_node in scripts/lib.sh), builds the
# web chat into web/dist (served at /, see `server.web_dir`) and the admin console into admin/dist
# (served on its own listener, 127.0.0.1:8081 by default, see `admin.listen`), then builds and
# starts the server. Arguments go to `confab` (default: `serve`), e.g.
# `scripts/run.sh serve --listen 0.0.0.0:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

ensure_node
echo "== building the web chat (web/ → web/dist)"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
echo "== building the admin console (admin/ → admin/dist)"
(cd admin && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

[ "$#" -gt 0 ] || set -- serve
exec cargo run --release --bin confab -- "$@"
