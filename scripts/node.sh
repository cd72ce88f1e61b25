# Sourced by scripts/run.sh and scripts/test.sh: makes Node.js 20.19+ and npm available for the
# web chat. Installs Debian's nodejs and npm when missing; when that Node.js is too old (Debian 12
# ships 18), fetches Node.js 22 from the npm registry into ~/.cache/confab-node and puts it first
# on PATH.

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
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "== installing nodejs and npm (Debian packages)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
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
