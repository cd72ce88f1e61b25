//! The versions of the plugin interface this host implements, one module each.
//!
//! `confab:plugin` is a versioned WIT package (`plugins/wit/confab-plugin@<version>/`). A
//! plugin's manifest names the version it was built against (`interface_version`), and the
//! host links and calls the component with that version's bindings. Adding a version means
//! adding its WIT folder, a module here generated from it (see [`v0_1`]), a variant of
//! [`InterfaceVersion`] and of `Exports`, and pointing [`latest`] at it; older modules then
//! convert between `latest`'s types and their own. Versions are never edited once released:
//! plugins built against them keep loading.

use std::collections::BTreeSet;
use std::fmt;

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre, Linker};

use crate::runtime::CallState;
use crate::{Hook, PluginError};

pub mod v0_1;

/// The newest interface version. Its types are the host's public types ([`crate::Context`],
/// [`crate::ChatRequest`], …), whatever version a plugin implements.
pub use v0_1 as latest;

/// A version of the `confab:plugin` interface, as a plugin's manifest names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InterfaceVersion {
    /// `confab:plugin@0.1.0`.
    V0_1,
}

impl InterfaceVersion {
    /// Every version this host implements, oldest first.
    pub const ALL: [InterfaceVersion; 1] = [InterfaceVersion::V0_1];

    /// The version of a manifest that names none: manifests predate the field, so this stays
    /// 0.1.0 when newer versions are added.
    pub const UNDECLARED: InterfaceVersion = InterfaceVersion::V0_1;

    /// The version a manifest names (`"0.1.0"`), or [`PluginError::UnsupportedInterface`].
    pub fn parse(version: &str) -> Result<Self, PluginError> {
        Self::ALL.into_iter().find(|v| v.as_str() == version).ok_or_else(|| PluginError::UnsupportedInterface {
            requested: version.to_string(),
            supported: Self::ALL.map(Self::as_str).to_vec(),
        })
    }

    /// The version number, e.g. `0.1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            InterfaceVersion::V0_1 => v0_1::VERSION,
        }
    }

    /// The only imports a component of this version may have.
    pub fn allowed_imports(self) -> &'static [&'static str] {
        match self {
            InterfaceVersion::V0_1 => v0_1::ALLOWED_IMPORTS,
        }
    }

    /// The name of the component export that implements `hook` in this version.
    pub fn export_name(self, hook: Hook) -> &'static str {
        match self {
            InterfaceVersion::V0_1 => v0_1::export_name(hook),
        }
    }

    /// The hook a component export of this version implements, if any.
    pub fn hook_of_export(self, name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|&hook| self.export_name(hook) == name)
    }

    /// A linker offering this version's host interface to plugins, and nothing else.
    pub(crate) fn add_to_linker(self, linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
        match self {
            InterfaceVersion::V0_1 => v0_1::add_to_linker(linker),
        }
    }
}

impl fmt::Display for InterfaceVersion {
    /// `confab:plugin@0.1.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "confab:plugin@{}", self.as_str())
    }
}

/// Where a loaded component exports its hooks, in the version its manifest names. Calls take
/// and return [`latest`]'s types; each version's module converts to its own.
pub(crate) enum Exports {
    V0_1(v0_1::Exports),
}

impl Exports {
    pub(crate) fn new(
        version: InterfaceVersion,
        pre: &InstancePre<CallState>,
        hooks: &BTreeSet<Hook>,
    ) -> wasmtime::Result<Self> {
        Ok(match version {
            InterfaceVersion::V0_1 => Exports::V0_1(v0_1::Exports::new(pre, hooks)?),
        })
    }

    pub(crate) fn typecheck(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> Result<(), (Hook, wasmtime::Error)> {
        match self {
            Exports::V0_1(exports) => exports.typecheck(store, instance),
        }
    }

    pub(crate) fn list_presets(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &latest::Context,
    ) -> wasmtime::Result<Vec<latest::Preset>> {
        match self {
            Exports::V0_1(exports) => exports.list_presets(store, instance, ctx),
        }
    }

    pub(crate) fn render_system_prompt(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &latest::Context,
        preset_id: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        match self {
            Exports::V0_1(exports) => exports.render_system_prompt(store, instance, ctx, preset_id),
        }
    }

    pub(crate) fn transform_request(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &latest::Context,
        request: &latest::ChatRequest,
    ) -> wasmtime::Result<latest::Outcome> {
        match self {
            Exports::V0_1(exports) => exports.transform_request(store, instance, ctx, request),
        }
    }

    pub(crate) fn transform_response(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &latest::Context,
        text: &str,
    ) -> wasmtime::Result<Option<String>> {
        match self {
            Exports::V0_1(exports) => exports.transform_response(store, instance, ctx, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_their_own_number_only() {
        for version in InterfaceVersion::ALL {
            assert_eq!(InterfaceVersion::parse(version.as_str()), Ok(version));
            for hook in Hook::ALL {
                let name = version.export_name(hook);
                assert!(name.ends_with(&format!("@{}", version.as_str())), "{name}");
                assert_eq!(version.hook_of_export(name), Some(hook));
            }
        }
        assert_eq!(
            InterfaceVersion::parse("0.9.0"),
            Err(PluginError::UnsupportedInterface { requested: "0.9.0".into(), supported: vec!["0.1.0"] })
        );
        assert_eq!(InterfaceVersion::V0_1.to_string(), "confab:plugin@0.1.0");
    }
}
