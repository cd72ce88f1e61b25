#!/usr/bin/env bash
# Builds the example plugins from source into components:
#   plugins/dist/<name>-<version>.wasm and plugins/dist/<name>.manifest.json
# Guests are compiled for wasm32-unknown-unknown by Debian's Rust (which ships the standard
# library's source, so -Zbuild-std works without rustup downloading a target), then wrapped as
# components by plugins/tools (`componentize`, built with the main workspace's toolchain).
#
#   plugins/build.sh              build the components
#   plugins/build.sh unit-tests   run the guest crates' own unit tests natively
set -euo pipefail
cd "$(dirname "$0")"
plugins_dir="$PWD"
# shellcheck source=scripts/lib.sh
. ../scripts/lib.sh

# Debian's Rust with its std source, and wasm-ld.
want_package rustc-web test -x /usr/bin/rustc
want_package cargo-web test -x /usr/bin/cargo
want_package rust-web-src test -d /usr/lib/rustlib/src/rust/library
want_package lld-19 test -x /usr/lib/llvm-19/bin/wasm-ld
ensure_packages

# Not a CONFAB_ variable: those are the server's configuration, and it refuses unknown ones.
guest_target="${PLUGINS_GUEST_TARGET_DIR:-$HOME/.cache/confab-guest-target}"
guest_cargo() {
  env CARGO_TARGET_DIR="$guest_target" RUSTC=/usr/bin/rustc /usr/bin/cargo "$@"
}

if [ "${1:-}" = unit-tests ]; then
  guest_cargo test --workspace
  exit 0
fi

echo "== building plugins for wasm32-unknown-unknown"
# A 64 KiB shadow stack (Rust's default is 1 MiB) keeps a plugin's data and heap within the
# memory the host resets cheaply between calls; see the SDK's docs.
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C linker=/usr/lib/llvm-19/bin/wasm-ld -C link-arg=-zstack-size=65536" \
  guest_cargo build --release --quiet -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --workspace

echo "== making components"
main_target="$CARGO_TARGET_DIR"
(cd .. && cargo build --quiet -p confab-plugin-tools --bin componentize)
rm -rf dist
for dir in examples/*/; do
  name="$(basename "$dir")"
  "$main_target/debug/componentize" package \
    "$guest_target/wasm32-unknown-unknown/release/${name//-/_}.wasm" "$dir/manifest.json" "$plugins_dir/dist"
done
