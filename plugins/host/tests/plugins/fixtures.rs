//! Hostile fixtures: core modules written in WAT, encoded as components with the worlds in
//! `plugins/fixtures/` and `wit-component`, exactly as a plugin toolchain would.
//!
//! Every fixture implements `transform-response(ctx: context, text: string) -> option<string>`.
//! In the canonical ABI its 14 flat parameters are the (pointer, length) pairs of the context's
//! six fields and the text, and its result is a pointer to an `option<string>` in memory: a
//! discriminant byte at 0, the string's pointer at 4 and length at 8.

use std::path::PathBuf;

use confab_plugin_host::Manifest;
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

fn plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A core module with memory, a bump allocator for the host's arguments, and `body` as
/// `transform-response`; `extra` adds imports and helper functions.
fn module(body: &str, extra: &str) -> String {
    format!(
        r#"(module
  {extra}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (block $fits
      (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (br_if $fits (i32.ne (memory.grow (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))) (i32.const -1)))
      unreachable)
    (local.get $ptr))
  (func (export "confab:plugin/response-hook@0.1.0#transform-response")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    {body})
)"#
    )
}

/// Returns `none` (address 16 holds zeros: discriminant 0).
const RETURN_NONE: &str = "(i32.const 16)";

/// Behaves: returns `none` at once.
pub fn quiet() -> String {
    module(RETURN_NONE, "")
}

/// Spins forever.
pub fn endless_loop() -> String {
    module(&format!("(loop $spin (br $spin)) {RETURN_NONE}"), "")
}

/// Counts down from `iterations`, then returns `none`: a plugin that is slow but finishes.
pub fn countdown(iterations: u32) -> String {
    module(
        &format!(
            "(local $n i32)
             (local.set $n (i32.const {iterations}))
             (loop $spin (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $spin (local.get $n)))
             {RETURN_NONE}"
        ),
        "",
    )
}

/// Grows memory by 1 MiB at a time, forever.
pub fn memory_bomb() -> String {
    module(&format!("(loop $grow (drop (memory.grow (i32.const 16))) (br $grow)) {RETURN_NONE}"), "")
}

/// Recurses without end (not a tail call: the result is used).
pub fn deep_recursion() -> String {
    module(
        &format!("(drop (call $down (i32.const 0))) {RETURN_NONE}"),
        "(func $down (param i32) (result i32)
           (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))",
    )
}

/// Returns `some` of a 10 MiB string (zero bytes, which is valid UTF-8).
pub fn huge_output() -> String {
    module(
        "(drop (memory.grow (i32.const 160)))
         (i32.store8 (i32.const 32) (i32.const 1))
         (i32.store (i32.const 36) (i32.const 131072))
         (i32.store (i32.const 40) (i32.const 10485760))
         (i32.const 32)",
        "",
    )
}

/// Executes `unreachable`.
pub fn trap() -> String {
    module("unreachable", "")
}

/// Behaves, but imports WASI's preopened directories.
pub fn filesystem_user() -> String {
    module(
        RETURN_NONE,
        r#"(import "wasi:filesystem/preopens@0.2.0" "get-directories" (func $get_directories (param i32)))"#,
    )
}

/// Behaves, but imports WASI's TCP sockets.
pub fn sockets_user() -> String {
    module(
        RETURN_NONE,
        r#"(import "wasi:sockets/tcp-create-socket@0.2.0" "create-tcp-socket" (func $create (param i32 i32)))"#,
    )
}

/// Encodes a fixture of `world` (in `plugins/fixtures/fixtures.wit`) as a component.
pub fn component(world: &str, wat: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    resolve.push_dir(plugins_dir().join("wit/confab-plugin@0.1.0")).unwrap();
    resolve.push_file(plugins_dir().join("fixtures/deps/wasi-filesystem.wit")).unwrap();
    resolve.push_file(plugins_dir().join("fixtures/deps/wasi-sockets.wit")).unwrap();
    let package = resolve.push_file(plugins_dir().join("fixtures/fixtures.wit")).unwrap();
    encode(&resolve, package, world, wat)
}

/// A component exporting `confab:plugin/response-hook@0.1.0` with the wrong function type.
pub fn wrong_signature() -> Vec<u8> {
    let mut resolve = Resolve::default();
    let package = resolve.push_file(plugins_dir().join("fixtures/wrong-signature.wit")).unwrap();
    let wat = r#"(module
      (memory (export "memory") 1)
      (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
      (func (export "confab:plugin/response-hook@0.1.0#transform-response") (param i32 i32) (result i32) (i32.const 16)))"#;
    encode(&resolve, package, "forged", wat)
}

fn encode(resolve: &Resolve, package: wit_parser::PackageId, world: &str, wat: &str) -> Vec<u8> {
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = wat::parse_str(wat).unwrap();
    wit_component::embed_component_metadata(&mut module, resolve, world, StringEncoding::UTF8).unwrap();
    ComponentEncoder::default().module(&module).unwrap().validate(true).encode().unwrap()
}

/// The manifest every fixture ships with (they all implement `transform_response` only).
pub fn manifest(name: &str) -> Manifest {
    Manifest::parse(&format!(
        r#"{{ "name": "{name}", "version": "0.0.1", "hooks": ["transform_response"], "failure_policy": "fail_open" }}"#
    ))
    .unwrap()
}
