//! What uploads are refused, and why: the message names the problem.

use confab_plugin_host::{Hook, InterfaceVersion, Limits, Manifest, PluginError, PluginRuntime};

use crate::fixtures;
use crate::support::{dist_dir, example_files, runtime};

fn refused(manifest: &Manifest, bytes: &[u8]) -> String {
    match runtime().validate(manifest, bytes) {
        Err(PluginError::Invalid(message)) => message,
        other => panic!("expected the upload to be refused, got {other:?}"),
    }
}

#[test]
fn every_example_plugin_validates_with_only_allowed_imports() {
    for (name, hook) in [
        ("pii-redactor", Hook::TransformRequest),
        ("policy-preamble", Hook::TransformRequest),
        ("keyword-guard", Hook::TransformRequest),
        ("preset-pack", Hook::Presets),
    ] {
        let (manifest, bytes) = example_files(name);
        let info = runtime().validate(&manifest, &bytes).unwrap();
        assert_eq!(info.hooks.into_iter().collect::<Vec<_>>(), [hook], "{name}");
        let version = manifest.interface();
        assert_eq!(info.exports, [version.export_name(hook)], "{name}");
        assert!(
            info.imports.iter().all(|i| version.allowed_imports().contains(&i.as_str())),
            "{name}: {:?}",
            info.imports
        );
        assert_eq!(info.size_bytes, bytes.len());
        assert_eq!(info.sha256.len(), 64);
    }
}

#[test]
fn a_component_importing_the_filesystem_is_refused_naming_the_import() {
    let bytes = fixtures::component("filesystem-user", &fixtures::filesystem_user());
    let message = refused(&fixtures::manifest("files"), &bytes);
    assert!(message.contains("imports `wasi:filesystem/preopens@0.2.0`"), "{message}");
}

#[test]
fn a_component_importing_sockets_is_refused_naming_the_import() {
    let bytes = fixtures::component("sockets-user", &fixtures::sockets_user());
    let message = refused(&fixtures::manifest("sockets"), &bytes);
    assert!(message.contains("imports `wasi:sockets/tcp-create-socket@0.2.0`"), "{message}");
}

#[test]
fn a_core_module_is_refused_as_not_a_component() {
    let module = wat::parse_str(r#"(module (func (export "transform-response")))"#).unwrap();
    let message = refused(&fixtures::manifest("core"), &module);
    assert!(message.contains("core WebAssembly module, not a component"), "{message}");
}

#[test]
fn garbage_is_refused() {
    let manifest = fixtures::manifest("garbage");
    assert!(refused(&manifest, b"").contains("not a WebAssembly binary"));
    assert!(refused(&manifest, b"#!/bin/sh\nrm -rf /\n").contains("not a WebAssembly binary"));
    assert!(refused(&manifest, b"\0asm\x02\0\0\0").contains("unsupported WebAssembly binary version"));
    // A real component cut short: right header, broken body.
    let (_, bytes) = example_files("keyword-guard");
    assert!(refused(&manifest, &bytes[..bytes.len() / 2]).contains("not a valid component"));
}

#[test]
fn exports_that_differ_from_the_manifest_are_refused() {
    let (_, bytes) = example_files("keyword-guard");
    let claims_presets = Manifest::parse(
        r#"{ "name": "keyword-guard", "version": "0.1.0", "hooks": ["presets", "transform_request"], "failure_policy": "fail_open" }"#,
    )
    .unwrap();
    let message = refused(&claims_presets, &bytes);
    assert!(message.contains("declared but not exported: [presets]"), "{message}");

    let hides_its_hook = Manifest::parse(
        r#"{ "name": "keyword-guard", "version": "0.1.0", "hooks": ["transform_response"], "failure_policy": "fail_open" }"#,
    )
    .unwrap();
    let message = refused(&hides_its_hook, &bytes);
    assert!(
        message.contains(
            "declared but not exported: [transform_response]; exported but not declared: [transform_request]"
        ),
        "{message}"
    );
}

#[test]
fn a_hook_with_the_wrong_signature_is_refused() {
    let message = refused(&fixtures::manifest("forged"), &fixtures::wrong_signature());
    assert!(
        message.contains("hook transform_response (`confab:plugin/response-hook@0.1.0`) has the wrong type"),
        "{message}"
    );
}

#[test]
fn an_oversized_component_is_refused() {
    let runtime = PluginRuntime::new(Limits { max_component_bytes: 1000, ..Limits::default() }).unwrap();
    let (manifest, bytes) = example_files("keyword-guard");
    match runtime.validate(&manifest, &bytes) {
        Err(PluginError::Invalid(message)) => assert!(message.contains("more than the 1000 allowed"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// An example's manifest as JSON, to edit.
fn example_manifest_json(name: &str) -> serde_json::Value {
    let path = dist_dir().join(format!("{name}.manifest.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn a_manifest_without_an_interface_version_loads_as_0_1_0() {
    let (_, bytes) = example_files("keyword-guard");
    let mut json = example_manifest_json("keyword-guard");
    json.as_object_mut().unwrap().remove("interface_version");
    let manifest = Manifest::parse(&json.to_string()).unwrap();
    assert_eq!(manifest.interface(), InterfaceVersion::V0_1);
    assert_eq!(manifest.interface().to_string(), "confab:plugin@0.1.0");
    let plugin = runtime().load(manifest, &bytes).unwrap();
    assert_eq!(plugin.info().exports, ["confab:plugin/request-hook@0.1.0"]);
    crate::support::assert_host_still_works();
}

#[test]
fn a_manifest_naming_an_unknown_interface_version_is_refused() {
    let mut json = example_manifest_json("keyword-guard");
    json["interface_version"] = "0.9.0".into();
    let err = Manifest::parse(&json.to_string()).unwrap_err();
    assert_eq!(err, PluginError::UnsupportedInterface { requested: "0.9.0".into(), supported: vec!["0.1.0"] });
    let message = err.to_string();
    assert!(message.contains("`0.9.0` is not supported") && message.contains("0.1.0"), "{message}");
    assert!(!err.is_plugin_fault(), "an upload's fault, not a running plugin's");
}
