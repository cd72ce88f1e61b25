//! `confab:plugin@0.1.0`, the first version of the plugin interface.
//!
//! Everything that spells this version lives here: the generated bindings, the names of its
//! imports and exports, and the glue from the host's calls to this version's guest functions.
//! While it is the latest version its types are the host's public types; once a newer version
//! exists, the calls below take the newer (`latest`) types and convert them to and from these,
//! as zed's `since_v0_*` extension modules do.

use std::collections::BTreeSet;

use wasmtime::Store;
use wasmtime::component::{HasSelf, Instance, InstancePre, Linker};

use crate::Hook;
use crate::runtime::{CallState, LogLevel as HostLogLevel};

wasmtime::component::bindgen!({
    path: "../wit/confab-plugin@0.1.0",
    world: "plugin",
});

pub use confab::plugin::types::{ChatMessage, ChatRequest, Context, Outcome, Preset, Role};
use exports::confab::plugin::{presets, request_hook, response_hook};

/// The version, as manifests name it and as every name of the package carries it.
pub const VERSION: &str = "0.1.0";

/// The only imports a plugin may have: the host interface, and the types-only instance that
/// `wit-component` imports when exported interfaces `use` the shared types.
pub const ALLOWED_IMPORTS: &[&str] = &["confab:plugin/host@0.1.0", "confab:plugin/types@0.1.0"];

/// The name of the component export that implements `hook`.
pub fn export_name(hook: Hook) -> &'static str {
    match hook {
        Hook::Presets => "confab:plugin/presets@0.1.0",
        Hook::TransformRequest => "confab:plugin/request-hook@0.1.0",
        Hook::TransformResponse => "confab:plugin/response-hook@0.1.0",
    }
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<CallState, HasSelf<CallState>>(linker, |state| state)
}

impl confab::plugin::host::Host for CallState {
    fn log(&mut self, level: confab::plugin::host::LogLevel, message: String, fields: Vec<(String, String)>) {
        use confab::plugin::host::LogLevel;
        let level = match level {
            LogLevel::Trace => HostLogLevel::Trace,
            LogLevel::Debug => HostLogLevel::Debug,
            LogLevel::Info => HostLogLevel::Info,
            LogLevel::Warn => HostLogLevel::Warn,
            LogLevel::Error => HostLogLevel::Error,
        };
        self.log(level, &message, &fields);
    }

    fn get_config(&mut self) -> String {
        self.config_json().to_string()
    }
}

impl confab::plugin::types::Host for CallState {}

/// Where a component of this version exports its hooks, located once per plugin version.
pub(crate) struct Exports {
    presets: Option<presets::GuestIndices>,
    request: Option<request_hook::GuestIndices>,
    response: Option<response_hook::GuestIndices>,
}

/// A hook the manifest does not declare; the host checks the manifest before calling, so this
/// only guards against a host bug.
fn not_exported(hook: Hook) -> wasmtime::Error {
    wasmtime::format_err!("hook {hook} is not exported")
}

impl Exports {
    pub(crate) fn new(pre: &InstancePre<CallState>, hooks: &BTreeSet<Hook>) -> wasmtime::Result<Self> {
        let has = |hook| hooks.contains(&hook);
        Ok(Self {
            presets: has(Hook::Presets).then(|| presets::GuestIndices::new(pre)).transpose()?,
            request: has(Hook::TransformRequest).then(|| request_hook::GuestIndices::new(pre)).transpose()?,
            response: has(Hook::TransformResponse).then(|| response_hook::GuestIndices::new(pre)).transpose()?,
        })
    }

    /// Type-checks every located hook against this version's signatures.
    pub(crate) fn typecheck(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> Result<(), (Hook, wasmtime::Error)> {
        if let Some(i) = &self.presets {
            i.load(&mut *store, instance).map_err(|e| (Hook::Presets, e))?;
        }
        if let Some(i) = &self.request {
            i.load(&mut *store, instance).map_err(|e| (Hook::TransformRequest, e))?;
        }
        if let Some(i) = &self.response {
            i.load(&mut *store, instance).map_err(|e| (Hook::TransformResponse, e))?;
        }
        Ok(())
    }

    pub(crate) fn list_presets(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &Context,
    ) -> wasmtime::Result<Vec<Preset>> {
        let indices = self.presets.as_ref().ok_or_else(|| not_exported(Hook::Presets))?;
        indices.load(&mut *store, instance)?.call_list_presets(store, ctx)
    }

    pub(crate) fn render_system_prompt(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &Context,
        preset_id: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        let indices = self.presets.as_ref().ok_or_else(|| not_exported(Hook::Presets))?;
        indices.load(&mut *store, instance)?.call_render_system_prompt(store, preset_id, ctx)
    }

    pub(crate) fn transform_request(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &Context,
        request: &ChatRequest,
    ) -> wasmtime::Result<Outcome> {
        let indices = self.request.as_ref().ok_or_else(|| not_exported(Hook::TransformRequest))?;
        indices.load(&mut *store, instance)?.call_transform_request(store, ctx, request)
    }

    pub(crate) fn transform_response(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &Context,
        text: &str,
    ) -> wasmtime::Result<Option<String>> {
        let indices = self.response.as_ref().ok_or_else(|| not_exported(Hook::TransformResponse))?;
        indices.load(&mut *store, instance)?.call_transform_response(store, ctx, text)
    }
}
