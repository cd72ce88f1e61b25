//! The plugin manifest: what an admin uploads next to the component.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::schema::ConfigSchema;
use crate::{InterfaceVersion, PluginError};

/// A hook: one interface of `confab:plugin` a plugin can export. Its export's name depends on
/// the interface version ([`InterfaceVersion::export_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    /// `confab:plugin/presets`: list presets, render their system prompts.
    Presets,
    /// `confab:plugin/request-hook`: inspect, rewrite or refuse the outgoing request.
    TransformRequest,
    /// `confab:plugin/response-hook`: rewrite the final answer.
    TransformResponse,
}

impl Hook {
    /// Every hook, in a stable order.
    pub const ALL: [Hook; 3] = [Hook::Presets, Hook::TransformRequest, Hook::TransformResponse];

    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Presets => "presets",
            Hook::TransformRequest => "transform_request",
            Hook::TransformResponse => "transform_response",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What happens to a chat turn when this plugin fails (trap, timeout, limit, bad output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Go on without the plugin's contribution.
    FailOpen,
    /// Stop the turn; nothing is sent upstream.
    FailClosed,
}

/// A plugin's name: 1 to 64 characters of `a-z`, `0-9` and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PluginName(String);

impl PluginName {
    /// Parses a plugin name.
    pub fn parse(name: &str) -> Result<Self, PluginError> {
        let ok = (1..=64).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.ends_with('-');
        if ok {
            Ok(Self(name.to_string()))
        } else {
            Err(PluginError::Invalid(format!(
                "plugin name `{name}` must be 1 to 64 characters of a-z, 0-9 and -, starting with a letter"
            )))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PluginName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PluginName::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for PluginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The manifest as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestJson {
    name: PluginName,
    version: semver::Version,
    /// The version of `confab:plugin` the component implements; checked after parsing, so
    /// that an unknown one gets its own error.
    #[serde(default = "undeclared_interface")]
    interface_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    hooks: BTreeSet<Hook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_schema: Option<serde_json::Value>,
    failure_policy: FailurePolicy,
}

fn undeclared_interface() -> String {
    InterfaceVersion::UNDECLARED.as_str().to_string()
}

/// A parsed and checked plugin manifest, e.g.
///
/// ```json
/// { "name": "pii-redactor", "version": "0.1.0", "interface_version": "0.1.0",
///   "hooks": ["transform_request"],
///   "config_schema": { "type": "object", "properties": { "kinds": { "type": "array" } } },
///   "failure_policy": "fail_closed" }
/// ```
///
/// `interface_version` is the version of `confab:plugin` the component implements (0.1.0 when
/// absent; one this host does not implement is refused). `failure_policy` is the default; a
/// tenant may choose differently when enabling the plugin. `config_schema` is a subset of JSON
/// Schema (see [`ConfigSchema`]); without one the plugin takes no configuration and only `{}` is
/// accepted.
#[derive(Debug, Clone)]
pub struct Manifest {
    json: ManifestJson,
    interface: InterfaceVersion,
    schema: Option<Arc<ConfigSchema>>,
}

/// Manifests are small; anything larger is not one.
const MAX_MANIFEST_BYTES: usize = 64 * 1024;

impl Manifest {
    /// Parses a manifest from its JSON text.
    pub fn parse(json: &str) -> Result<Self, PluginError> {
        if json.len() > MAX_MANIFEST_BYTES {
            return Err(PluginError::Invalid(format!("manifest is larger than {MAX_MANIFEST_BYTES} bytes")));
        }
        let json: ManifestJson =
            serde_json::from_str(json).map_err(|e| PluginError::Invalid(format!("manifest: {e}")))?;
        let interface = InterfaceVersion::parse(&json.interface_version)?;
        if json.hooks.is_empty() {
            return Err(PluginError::Invalid("manifest: `hooks` must name at least one hook".into()));
        }
        let schema = match &json.config_schema {
            Some(value) => Some(Arc::new(
                ConfigSchema::compile(value)
                    .map_err(|e| PluginError::Invalid(format!("manifest: config_schema{e}")))?,
            )),
            None => None,
        };
        Ok(Self { json, interface, schema })
    }

    /// The manifest as JSON text, for storing it.
    pub fn to_json(&self) -> String {
        // Serializing plain data (strings, sets, JSON values) into a string cannot fail.
        serde_json::to_string(&self.json).unwrap_or_default()
    }

    /// The plugin's name.
    pub fn name(&self) -> &PluginName {
        &self.json.name
    }

    /// The plugin's version.
    pub fn version(&self) -> &semver::Version {
        &self.json.version
    }

    /// The version of the plugin interface the component implements.
    pub fn interface(&self) -> InterfaceVersion {
        self.interface
    }

    /// A sentence or two for admins.
    pub fn description(&self) -> &str {
        &self.json.description
    }

    /// The hooks the plugin implements; its component exports exactly these.
    pub fn hooks(&self) -> &BTreeSet<Hook> {
        &self.json.hooks
    }

    /// Whether the plugin implements `hook`.
    pub fn has_hook(&self, hook: Hook) -> bool {
        self.json.hooks.contains(&hook)
    }

    /// The default failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.json.failure_policy
    }

    /// The config schema as written, if any.
    pub fn config_schema(&self) -> Option<&serde_json::Value> {
        self.json.config_schema.as_ref()
    }

    /// Checks a tenant's configuration against the config schema. Only a [`PluginConfig`] made
    /// here can be passed to a call.
    pub fn parse_config(&self, config: &serde_json::Value) -> Result<PluginConfig, PluginError> {
        let text = config.to_string();
        if text.len() > MAX_CONFIG_BYTES {
            return Err(PluginError::Config(format!("configuration is larger than {MAX_CONFIG_BYTES} bytes")));
        }
        match &self.schema {
            Some(schema) => schema.validate(config).map_err(PluginError::Config)?,
            None if config.as_object().is_some_and(|o| o.is_empty()) => {}
            None => return Err(PluginError::Config("this plugin takes no configuration; use {}".into())),
        }
        Ok(PluginConfig(text.into()))
    }
}

/// Configurations are passed to every call; keep them small.
const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// A tenant's configuration of a plugin, checked against the plugin's config schema
/// ([`Manifest::parse_config`]). The plugin reads it with `get-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginConfig(Arc<str>);

impl PluginConfig {
    /// No configuration (`{}`), for calls made outside any tenant (validation, benchmarks).
    pub fn empty() -> Self {
        Self(Arc::from("{}"))
    }

    /// The configuration as JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(extra: serde_json::Value) -> Result<Manifest, PluginError> {
        let mut base =
            json!({ "name": "demo", "version": "1.2.3", "hooks": ["presets"], "failure_policy": "fail_open" });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        Manifest::parse(&base.to_string())
    }

    #[test]
    fn a_full_manifest_parses_and_round_trips() {
        let m = manifest(json!({
            "hooks": ["transform_request", "transform_response"],
            "description": "d",
            "config_schema": { "type": "object", "properties": { "text": { "type": "string" } }, "required": ["text"] },
            "failure_policy": "fail_closed"
        }))
        .unwrap();
        assert_eq!(m.name().as_str(), "demo");
        assert_eq!(m.version(), &semver::Version::new(1, 2, 3));
        assert!(
            m.has_hook(Hook::TransformRequest) && m.has_hook(Hook::TransformResponse) && !m.has_hook(Hook::Presets)
        );
        assert_eq!(m.failure_policy(), FailurePolicy::FailClosed);
        let again = Manifest::parse(&m.to_json()).unwrap();
        assert_eq!(again.json, m.json);
    }

    #[test]
    fn the_interface_version_defaults_to_0_1_0_and_unknown_ones_are_refused() {
        let undeclared = manifest(json!({})).unwrap();
        assert_eq!(undeclared.interface(), InterfaceVersion::V0_1);
        assert!(undeclared.to_json().contains(r#""interface_version":"0.1.0""#), "stored explicitly");
        assert_eq!(manifest(json!({ "interface_version": "0.1.0" })).unwrap().interface(), InterfaceVersion::V0_1);
        for unknown in ["0.2.0", "0.1", "confab:plugin@0.1.0", ""] {
            let err = manifest(json!({ "interface_version": unknown })).unwrap_err();
            assert_eq!(
                err,
                PluginError::UnsupportedInterface { requested: unknown.into(), supported: vec!["0.1.0"] },
                "{unknown}"
            );
        }
    }

    #[test]
    fn bad_manifests_are_refused_with_the_reason() {
        let cases = [
            (json!({ "name": "Demo" }), "plugin name `Demo`"),
            (json!({ "name": "-x" }), "plugin name"),
            (json!({ "version": "1.2" }), "manifest:"),
            (json!({ "hooks": [] }), "at least one hook"),
            (json!({ "hooks": ["on_login"] }), "unknown variant `on_login`"),
            (json!({ "failure_policy": "maybe" }), "unknown variant `maybe`"),
            (json!({ "extra": 1 }), "unknown field `extra`"),
            (json!({ "config_schema": { "type": "string" } }), "config_schema: the root must be"),
        ];
        for (extra, expected) in cases {
            let err = manifest(extra.clone()).unwrap_err();
            assert!(matches!(&err, PluginError::Invalid(m) if m.contains(expected)), "{extra}: {err}");
        }
    }

    #[test]
    fn configuration_is_checked_against_the_schema() {
        let m = manifest(json!({
            "config_schema": { "type": "object", "properties": { "text": { "type": "string", "maxLength": 3 } }, "required": ["text"] }
        }))
        .unwrap();
        assert_eq!(m.parse_config(&json!({ "text": "abc" })).unwrap().as_str(), r#"{"text":"abc"}"#);
        assert!(
            matches!(m.parse_config(&json!({ "text": "abcd" })), Err(PluginError::Config(e)) if e.contains("/text"))
        );
        assert!(matches!(m.parse_config(&json!({})), Err(PluginError::Config(e)) if e.contains("text")));
    }

    #[test]
    fn without_a_schema_only_an_empty_object_is_accepted() {
        let m = manifest(json!({})).unwrap();
        assert!(m.parse_config(&json!({})).is_ok());
        assert!(matches!(m.parse_config(&json!({ "a": 1 })), Err(PluginError::Config(_))));
    }
}
