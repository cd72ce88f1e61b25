#!/usr/bin/env bash
# Runs Confab with its web chat on a fresh Debian/Ubuntu machine with Rust installed: installs
# Node.js and npm (Debian packages) when missing, builds the web chat into web/dist (served at /,
# see `server.web_dir`), then builds and starts the server. Arguments go to `confab`
# (default: `serve`), e.g. `scripts/run.sh serve --listen 0.0.0.0:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "== installing nodejs and npm (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "the web chat needs Node.js 20.19 or newer (found $(node --version)); Debian 13 (trixie) ships it" >&2
  exit 1
fi
echo "== building the web chat (web/ → web/dist)"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

[ "$#" -gt 0 ] || set -- serve
exec cargo run --release --bin confab -- "$@"
