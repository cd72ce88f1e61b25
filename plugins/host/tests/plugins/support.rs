//! Shared set-up: one runtime, the built example plugins, contexts and requests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use confab_plugin_host::{
    Call, ChatMessage, ChatRequest, Context, Limits, LoadedPlugin, Manifest, Outcome, PluginConfig, PluginRuntime, Role,
};

/// One runtime with the default limits, shared by the tests (as the server shares one).
pub fn runtime() -> &'static PluginRuntime {
    static RUNTIME: OnceLock<PluginRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| PluginRuntime::new(Limits::default()).unwrap())
}

pub fn dist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

/// The manifest and component of an example plugin as `plugins/build.sh` left them.
pub fn example_files(name: &str) -> (Manifest, Vec<u8>) {
    let manifest_path = dist_dir().join(format!("{name}.manifest.json"));
    let text = std::fs::read_to_string(&manifest_path).unwrap_or_else(|e| {
        panic!("{}: {e}. Build the example plugins first: plugins/build.sh", manifest_path.display())
    });
    let manifest = Manifest::parse(&text).unwrap();
    let wasm_path = dist_dir().join(format!("{name}-{}.wasm", manifest.version()));
    let bytes = std::fs::read(&wasm_path)
        .unwrap_or_else(|e| panic!("{}: {e}. Build the example plugins first: plugins/build.sh", wasm_path.display()));
    (manifest, bytes)
}

/// An example plugin loaded into the shared runtime (compiled once per test binary).
pub fn example(name: &str) -> Arc<LoadedPlugin> {
    static LOADED: OnceLock<Mutex<HashMap<String, Arc<LoadedPlugin>>>> = OnceLock::new();
    let cache = LOADED.get_or_init(Default::default);
    if let Some(plugin) = cache.lock().unwrap().get(name) {
        return Arc::clone(plugin);
    }
    let (manifest, bytes) = example_files(name);
    let plugin = runtime().load(manifest, &bytes).unwrap();
    cache.lock().unwrap().insert(name.to_string(), Arc::clone(&plugin));
    plugin
}

/// The tenant configuration `json`, checked against the plugin's schema.
pub fn config(plugin: &LoadedPlugin, json: serde_json::Value) -> PluginConfig {
    plugin.manifest().parse_config(&json).unwrap()
}

pub fn context(attributes: &[(&str, &str)]) -> Context {
    Context {
        tenant_id: "0190a0c4-0000-7000-8000-000000000001".into(),
        user_id: "0190a0c4-0000-7000-8000-000000000002".into(),
        attributes: attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        date: "2026-03-01".into(),
        model: "gpt-demo".into(),
        locale: "en-GB".into(),
    }
}

pub fn message(role: Role, content: &str) -> ChatMessage {
    ChatMessage { role, content: content.into() }
}

pub fn request(messages: Vec<ChatMessage>) -> ChatRequest {
    ChatRequest { messages, model: "gpt-demo".into(), temperature: Some(0.7), max_tokens: Some(512) }
}

/// A good plugin still works: calls after a hostile one are unaffected by it.
pub fn assert_host_still_works() {
    let plugin = example("keyword-guard");
    let config = config(&plugin, serde_json::json!({ "patterns": ["phoenix"], "reason": "No." }));
    let ctx = context(&[]);
    let outcome = plugin
        .transform_request(Call::new(&ctx, &config), &request(vec![message(Role::User, "about Phoenix")]))
        .unwrap();
    assert!(matches!(outcome, Outcome::Reject(reason) if reason == "No."));
}
