//! Plugins made in a test: WebAssembly components written in WAT against Confab's plugin WIT,
//! encoded the way plugin toolchains encode them (no wasm toolchain needed).
use base64::Engine;
use std::path::PathBuf;

fn plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// A request transform written in WAT, made a component the way plugin toolchains do.
/// `transform-request` takes its arguments through one pointer (more than 16 flat values)
/// and returns a pointer to its outcome.
pub fn request_fixture(body: &str) -> String {
    fixture(
        "request-transform",
        &format!(
            r#"(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "confab:plugin/request-hook@0.1.0#transform-request") (param i32) (result i32) {body}))"#
        ),
    )
}

/// A component of `world` (of `tests/fixtures/request-hook.wit`) from a core module in WAT, in base64.
pub fn fixture(world: &str, wat: &str) -> String {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_dir(plugins_dir().join("wit/confab-plugin@0.1.0")).unwrap();
    // Stand-ins for WASI packages, for would-be plugins that import them.
    resolve.push_file(plugins_dir().join("fixtures/deps/wasi-filesystem.wit")).unwrap();
    resolve.push_file(plugins_dir().join("fixtures/deps/wasi-sockets.wit")).unwrap();
    let package =
        resolve.push_file(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/request-hook.wit")).unwrap();
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = wat::parse_str(wat).unwrap();
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8).unwrap();
    let component =
        wit_component::ComponentEncoder::default().module(&module).unwrap().validate(true).encode().unwrap();
    base64::engine::general_purpose::STANDARD.encode(component)
}
