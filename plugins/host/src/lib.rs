//! Confab's WebAssembly plugin host.
//!
//! Plugins are components implementing hooks of `confab:plugin@0.1.0`
//! (`plugins/wit/confab-plugin@0.1.0/plugin.wit`). The server's side of them is small:
//!
//! 1. at start-up, one [`PluginRuntime::new`] with the operator's [`Limits`];
//! 2. at upload, [`Manifest::parse`] then [`PluginRuntime::validate`] (or [`PluginRuntime::load`]),
//!    which refuses anything that is not a component importing only `confab:plugin/host` and
//!    exporting exactly the manifest's hooks;
//! 3. when a tenant configures a plugin, [`Manifest::parse_config`] checks the configuration;
//! 4. per plugin version, [`PluginRuntime::load`] once, keeping the [`LoadedPlugin`];
//! 5. per chat turn, [`LoadedPlugin::transform_request`] and friends with a [`Call`], wrapped in
//!    [`LoadedPlugin::spawn`] from async code. Each call instantiates the plugin in a fresh store
//!    under [`Limits`]; whatever the plugin does, the result is a value or a [`PluginError`], and
//!    the tenant's [`FailurePolicy`] decides what a failure means for the turn.

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/confab-plugin@0.1.0",
        world: "plugin",
    });

    pub use confab::plugin::types::{ChatMessage, ChatRequest, Context, Outcome, Preset, Role};
}

mod error;
mod limits;
mod manifest;
mod output;
mod runtime;
mod schema;

pub use bindings::{ChatMessage, ChatRequest, Context, Outcome, Preset, Role};
pub use error::PluginError;
pub use limits::Limits;
pub use manifest::{FailurePolicy, Hook, Manifest, PluginConfig, PluginName};
pub use runtime::{ALLOWED_IMPORTS, Call, ComponentInfo, LoadedPlugin, PluginRuntime};
pub use schema::ConfigSchema;
