//! Confab's WebAssembly plugin host.
//!
//! Plugins are components implementing hooks of a version of the `confab:plugin` interface
//! (`plugins/wit/confab-plugin@<version>/plugin.wit`), the one their manifest names; the host
//! implements every version in [`bindings`] and calls each plugin with its own. The server's
//! side of them is small:
//!
//! 1. at start-up, one [`PluginRuntime::new`] with the operator's [`Limits`];
//! 2. at upload, [`Manifest::parse`] then [`PluginRuntime::validate`] (or [`PluginRuntime::load`]),
//!    which refuses anything that is not a component importing only `confab:plugin/host` and
//!    exporting exactly the manifest's hooks, of the [`InterfaceVersion`] the manifest names;
//! 3. when a tenant configures a plugin, [`Manifest::parse_config`] checks the configuration;
//! 4. per plugin version, [`PluginRuntime::load`] once, keeping the [`LoadedPlugin`];
//! 5. per chat turn, [`LoadedPlugin::transform_request`] and friends with a [`Call`], wrapped in
//!    [`LoadedPlugin::call`] from async code. Each call instantiates the plugin in a fresh store
//!    under [`Limits`]; whatever the plugin does, the result is a value or a [`PluginError`], and
//!    the tenant's [`FailurePolicy`] decides what a failure means for the turn.

pub mod bindings;
mod error;
mod limits;
mod manifest;
mod output;
mod runtime;
mod schema;

pub use bindings::InterfaceVersion;
pub use bindings::latest::{ChatMessage, ChatRequest, Context, Outcome, Preset, Role};
pub use error::PluginError;
pub use limits::Limits;
pub use manifest::{FailurePolicy, Hook, Manifest, PluginConfig, PluginName};
pub use runtime::{Attempt, Call, ComponentInfo, LoadedPlugin, PluginRuntime};
pub use schema::ConfigSchema;
