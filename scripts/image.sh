#!/usr/bin/env bash
# Builds Confab's container image as an OCI image layout, without a container daemon:
#   scripts/image.sh [--binary PATH] [--web DIR] [--admin DIR] [--out DIR] [--tag NAME:TAG]
# Without --binary it builds the release binary (cargo build --release) and, when missing, the web
# chat and the admin console (npm ci && npm run build in web/ and admin/). The image holds the
# binary, the shared libraries it links (as `ldd` lists them), CA certificates, the built web
# chat and admin console and a default confab.toml; it runs as uid 10001 with `confab` as
# entrypoint, /data as its one writable volume. Load or push the layout with your tools, e.g.
#   crane push DIR registry.example.com/confab:0.1.0      (go-containerregistry)
#   skopeo copy oci:DIR docker://registry.example.com/confab:0.1.0
# Dockerfile builds the same image with a container daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

binary=""
web=web/dist
admin=admin/dist
out="$CARGO_TARGET_DIR/confab-image"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
tag="confab:$version"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift ;;
    --web) web="$2"; shift ;;
    --admin) admin="$2"; shift ;;
    --out) out="$2"; shift ;;
    --tag) tag="$2"; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "scripts/image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$binary" ]; then
  echo "== building the release binary"
  cargo build --release -p confab-server --quiet
  binary="$CARGO_TARGET_DIR/release/confab"
fi
for app in web admin; do
  dir="$web"
  [ "$app" = web ] || dir="$admin"
  if [ ! -f "$dir/index.html" ] && [ "$dir" = "$app/dist" ]; then
    echo "== building $app/ (npm ci && npm run build)"
    ensure_node
    (cd "$app" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  fi
done

ensure_go
TOOL="$HOME/.cache/confab-go/bin/confab-image"
(cd scripts/image && go build -o "$TOOL" .)

# The shared libraries the binary loads, at the paths the dynamic linker looks for them.
files=()
while read -r lib; do
  files+=(--file "$lib")
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
"$TOOL" build --out "$out" --tag "$tag" --created "$created" \
  --binary "$binary" --web "$web" --admin "$admin" --config scripts/image/confab.toml "${files[@]}" \
  --label "org.opencontainers.image.title=Confab" \
  --label "org.opencontainers.image.description=Self-hosted chat platform for large language models" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$(date -u -d "@$created" +%Y-%m-%dT%H:%M:%SZ)" \
  --label "org.opencontainers.image.source=https://github.com/confab/confab" \
  --label "org.opencontainers.image.licenses=Apache-2.0" >/dev/null
echo "== image $tag written to $out (OCI image layout)"
