//! # Writing a Confab plugin
//!
//! A Confab plugin is a WebAssembly component that implements one or more *hooks* of the
//! `confab:plugin@0.1.0` interface (`plugins/wit/confab-plugin@0.1.0/plugin.wit`):
//!
//! | hook (manifest name)  | trait to implement    | export macro                   |
//! |-----------------------|-----------------------|--------------------------------|
//! | `presets`             | [`Presets`]           | [`export_presets!`]            |
//! | `transform_request`   | [`RequestTransform`]  | [`export_request_transform!`]  |
//! | `transform_response`  | [`ResponseTransform`] | [`export_response_transform!`] |
//!
//! Each export macro adds exactly its hook to the component, so a plugin exports exactly the
//! hooks its manifest declares (Confab refuses a component whose exports differ from the
//! manifest). A plugin has no ambient capabilities: no files, network, clock or environment.
//! It can read its tenant's configuration ([`config`]) and write log lines ([`log`]); everything
//! else arrives as arguments. Every call runs in a fresh instance under a time budget and a
//! memory limit, so do not keep state in statics between calls.
//!
//! ```ignore
//! use confab_plugin_sdk::{ChatRequest, Context, Outcome, RequestTransform};
//!
//! struct Shouty;
//!
//! impl RequestTransform for Shouty {
//!     fn transform_request(_ctx: Context, mut request: ChatRequest) -> Outcome {
//!         for message in request.user_messages_mut() {
//!             message.content = message.content.to_uppercase();
//!         }
//!         Outcome::Replace(request)
//!     }
//! }
//!
//! confab_plugin_sdk::export_request_transform!(Shouty);
//! ```
//!
//! ## The crate
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! confab-plugin-sdk = { path = "…/plugins/sdk" }
//!
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! panic = "abort"
//! ```
//!
//! ## Building
//!
//! A component is a core wasm module (built for `wasm32-unknown-unknown`) wrapped by
//! `wit-component`, which reads the interface description this SDK embeds in the module.
//!
//! Link with a small stack: Rust's default of 1 MiB puts the plugin's data and heap beyond the
//! part of memory Confab resets cheaply between calls, and makes every call slower. 64 KiB is
//! plenty for hook code (an overflow traps; it cannot corrupt anything). On a normal machine
//! with rustup, put this in the plugin's `.cargo/config.toml`:
//!
//! ```toml
//! [target.wasm32-unknown-unknown]
//! rustflags = ["-C", "link-arg=-zstack-size=65536"]
//! ```
//!
//! and build:
//!
//! ```sh
//! rustup target add wasm32-unknown-unknown
//! cargo build --release --target wasm32-unknown-unknown
//! wasm-tools component new target/wasm32-unknown-unknown/release/my_plugin.wasm -o my-plugin.wasm
//! ```
//!
//! (`cargo install wasm-tools` gives the last command; Confab's own `componentize` tool in
//! `plugins/tools` does the same.) Where rustup cannot download the target, as on Confab's build
//! machines, Debian's compiler builds the standard library from source instead
//! (`apt-get install rustc-web cargo-web rust-web-src lld-19`):
//!
//! ```sh
//! RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
//! RUSTFLAGS="-C linker=/usr/lib/llvm-19/bin/wasm-ld -C link-arg=-zstack-size=65536" \
//! /usr/bin/cargo build --release -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
//! ```
//!
//! `plugins/build.sh` does all of this for the example plugins.
//!
//! ## Testing
//!
//! Hook implementations are plain Rust functions: call them from `#[test]`s with
//! `cargo test` on your own machine (not for wasm). Off wasm, [`config`] reads what
//! [`testing::set_config`] stored for the current thread and [`log`] writes to stderr.
//! Then run the built component through Confab's host (`confab-plugin-host`), whose tests
//! load every example plugin and check its behaviour and its limits.
//!
//! ## Packaging
//!
//! Upload the component together with a manifest, a JSON file such as:
//!
//! ```json
//! {
//!   "name": "shouty",
//!   "version": "0.1.0",
//!   "interface_version": "0.1.0",
//!   "description": "Upper-cases what users type",
//!   "hooks": ["transform_request"],
//!   "config_schema": { "type": "object", "properties": {}, "additionalProperties": false },
//!   "failure_policy": "fail_open"
//! }
//! ```
//!
//! `interface_version` is the version of `confab:plugin` this SDK builds against (0.1.0; a
//! manifest without it means 0.1.0 too). Confab refuses a version it does not implement.
//! `failure_policy` says what Confab does when the plugin fails (trap, timeout, limit):
//! `fail_open` sends the turn on without the plugin, `fail_closed` stops the turn.
//! `config_schema` is a small subset of JSON Schema: objects with typed properties
//! (`string`, `integer`, `number`, `boolean`, `array`, `object`), `required`,
//! `additionalProperties`, and for strings `minLength`, `maxLength`, `pattern` and `enum`.

#![warn(missing_docs)]

/// Generated bindings of world `preset-provider`; also the home of the shared types.
#[allow(missing_docs, unsafe_op_in_unsafe_fn)]
#[doc(hidden)]
pub mod preset_provider {
    wit_bindgen::generate!({
        path: "../wit/confab-plugin@0.1.0",
        world: "confab:plugin/preset-provider@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_presets",
        default_bindings_module: "confab_plugin_sdk::preset_provider",
    });
}

/// Generated bindings of world `prompt-transform`.
#[allow(missing_docs, unsafe_op_in_unsafe_fn)]
#[doc(hidden)]
pub mod prompt_transform {
    wit_bindgen::generate!({
        path: "../wit/confab-plugin@0.1.0",
        world: "confab:plugin/prompt-transform@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_request_transform",
        default_bindings_module: "confab_plugin_sdk::prompt_transform",
        with: {
            "confab:plugin/types@0.1.0": crate::preset_provider::confab::plugin::types,
            "confab:plugin/host@0.1.0": crate::preset_provider::confab::plugin::host,
        },
    });
}

/// Generated bindings of world `response-transform`.
#[allow(missing_docs, unsafe_op_in_unsafe_fn)]
#[doc(hidden)]
pub mod response_transform {
    wit_bindgen::generate!({
        path: "../wit/confab-plugin@0.1.0",
        world: "confab:plugin/response-transform@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_response_transform",
        default_bindings_module: "confab_plugin_sdk::response_transform",
        with: {
            "confab:plugin/types@0.1.0": crate::preset_provider::confab::plugin::types,
            "confab:plugin/host@0.1.0": crate::preset_provider::confab::plugin::host,
        },
    });
}

pub use preset_provider::confab::plugin::types::{ChatMessage, ChatRequest, Context, Outcome, Preset, Role};
/// Hook `presets`: list presets and render their system prompts. Export with [`export_presets!`].
pub use preset_provider::exports::confab::plugin::presets::Guest as Presets;
/// Hook `transform_request`. Export with [`export_request_transform!`].
pub use prompt_transform::exports::confab::plugin::request_hook::Guest as RequestTransform;
/// Hook `transform_response`. Export with [`export_response_transform!`].
pub use response_transform::exports::confab::plugin::response_hook::Guest as ResponseTransform;

/// `export_presets!(MyPlugin)`: exports hook `presets`, implemented by `MyPlugin`'s [`Presets`].
pub use preset_provider::export_presets;
/// `export_request_transform!(MyPlugin)`: exports hook `transform_request`, implemented by
/// `MyPlugin`'s [`RequestTransform`].
pub use prompt_transform::export_request_transform;
/// `export_response_transform!(MyPlugin)`: exports hook `transform_response`, implemented by
/// `MyPlugin`'s [`ResponseTransform`].
pub use response_transform::export_response_transform;

use preset_provider::confab::plugin::host as imports;

impl Context {
    /// The value of a user attribute the tenant shares with plugins, e.g. `"department"`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl ChatMessage {
    /// A message with role `system`.
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }

    /// A message with role `user`.
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }

    /// A message with role `assistant`.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

impl ChatRequest {
    /// The messages users wrote, oldest first.
    pub fn user_messages_mut(&mut self) -> impl Iterator<Item = &mut ChatMessage> {
        self.messages.iter_mut().filter(|m| m.role == Role::User)
    }

    /// The leading system message, inserted (empty) if the request has none.
    pub fn system_message_mut(&mut self) -> &mut ChatMessage {
        if self.messages.first().is_none_or(|m| m.role != Role::System) {
            self.messages.insert(0, ChatMessage::system(""));
        }
        &mut self.messages[0]
    }
}

/// The tenant's configuration of this plugin as raw JSON (`{}` when it set none).
pub fn config_json() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        imports::get_config()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        testing::CONFIG.with(|c| c.borrow().clone())
    }
}

/// The tenant's configuration of this plugin, deserialized. Confab has already checked it
/// against the manifest's `config_schema`, so an error here means the schema and `T` disagree.
pub fn config<T: serde::de::DeserializeOwned>() -> Result<T, String> {
    serde_json::from_str(&config_json()).map_err(|e| format!("plugin configuration: {e}"))
}

/// Structured logging through Confab's log. Lines are attributed to the plugin and capped in
/// number and size per call. Never log message content or personal data.
pub mod log {
    use super::imports::{self, LogLevel};

    fn write(level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        #[cfg(target_arch = "wasm32")]
        {
            let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            imports::log(level, message, &fields);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = imports::log;
            eprintln!("[plugin {level:?}] {message} {fields:?}");
        }
    }

    /// A `debug` line.
    pub fn debug(message: &str, fields: &[(&str, &str)]) {
        write(LogLevel::Debug, message, fields);
    }

    /// An `info` line.
    pub fn info(message: &str, fields: &[(&str, &str)]) {
        write(LogLevel::Info, message, fields);
    }

    /// A `warn` line.
    pub fn warn(message: &str, fields: &[(&str, &str)]) {
        write(LogLevel::Warn, message, fields);
    }

    /// An `error` line.
    pub fn error(message: &str, fields: &[(&str, &str)]) {
        write(LogLevel::Error, message, fields);
    }
}

/// Helpers for native unit tests of hook implementations (not available in wasm builds).
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::{ChatMessage, ChatRequest, Context};
    use std::cell::RefCell;

    thread_local! {
        pub(crate) static CONFIG: RefCell<String> = RefCell::new("{}".to_string());
    }

    /// Sets what [`config_json`](super::config_json) returns on this thread.
    pub fn set_config(json: &str) {
        CONFIG.with(|c| *c.borrow_mut() = json.to_string());
    }

    /// A context for tenant `t1`, user `u1`, dated 2026-03-01, with the given attributes.
    pub fn context(attributes: &[(&str, &str)]) -> Context {
        Context {
            tenant_id: "t1".into(),
            user_id: "u1".into(),
            attributes: attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            date: "2026-03-01".into(),
            model: "demo".into(),
            locale: "en-GB".into(),
        }
    }

    /// A request of the given messages for model `demo`.
    pub fn request(messages: Vec<ChatMessage>) -> ChatRequest {
        ChatRequest { messages, model: "demo".into(), temperature: None, max_tokens: None }
    }
}
