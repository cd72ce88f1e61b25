use std::time::Duration;

/// Everything that can go wrong with a plugin, at upload or during a call.
///
/// A plugin's behaviour never panics the host: traps, timeouts, limit breaches and bad return
/// values all end up here. What a failed call means for the chat turn is the tenant's failure
/// policy ([`FailurePolicy`](crate::FailurePolicy)); [`PluginError::is_plugin_fault`] tells
/// plugin failures from host trouble.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// The upload is not an acceptable plugin: not a component, a forbidden import, exports
    /// that differ from the manifest, a bad manifest. The message says which.
    #[error("invalid plugin: {0}")]
    Invalid(String),
    /// The manifest names a version of the plugin interface (`interface_version`) this host
    /// does not implement.
    #[error(
        "interface_version `{requested}` is not supported; this Confab implements {}",
        supported.join(", ")
    )]
    UnsupportedInterface { requested: String, supported: Vec<&'static str> },
    /// The tenant's configuration does not match the manifest's config schema.
    #[error("invalid plugin configuration: {0}")]
    Config(String),
    /// The call ran past its time budget and was interrupted.
    #[error("plugin ran past its time budget of {} ms", budget.as_millis())]
    Timeout { budget: Duration },
    /// The call used up its fuel (a count of executed instructions).
    #[error("plugin used up its fuel")]
    OutOfFuel,
    /// The plugin tried to grow its memory beyond the limit.
    #[error("plugin exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit { limit_bytes: usize },
    /// Another limit was hit: table elements, instances, tables or memories.
    #[error("plugin exceeded a resource limit: {0}")]
    ResourceLimit(String),
    /// The plugin recursed deeper than the wasm stack allows.
    #[error("plugin overflowed its stack")]
    StackOverflow,
    /// The plugin returned more bytes of text than allowed.
    #[error("plugin returned {actual_bytes} bytes, more than the {limit_bytes} allowed")]
    OutputTooLarge { limit_bytes: usize, actual_bytes: usize },
    /// The plugin returned a value that breaks the interface's rules (an empty request, a
    /// malformed preset id, a temperature out of range…).
    #[error("plugin returned a bad value: {0}")]
    BadOutput(String),
    /// The plugin trapped (`unreachable`, out-of-bounds access, a Rust panic…).
    #[error("plugin trapped: {0}")]
    Trap(String),
    /// The plugin declined the call with its own message (`render-system-prompt` returned an
    /// error, e.g. for an unknown preset id). A request transform's `reject` is not an error but
    /// an [`Outcome::Reject`](crate::Outcome::Reject).
    #[error("plugin declined: {0}")]
    Rejected(String),
    /// Every instance slot is in use; try again shortly.
    #[error("too many plugin calls at once")]
    Busy,
    /// The host itself failed (engine set-up, a lost worker thread). Not the plugin's fault.
    #[error("plugin host error: {0}")]
    Internal(String),
}

impl PluginError {
    /// Whether the plugin (not the host, not an admin's upload or configuration) caused this.
    /// These are the failures a tenant's failure policy decides about.
    pub fn is_plugin_fault(&self) -> bool {
        !matches!(
            self,
            PluginError::Invalid(_)
                | PluginError::UnsupportedInterface { .. }
                | PluginError::Config(_)
                | PluginError::Busy
                | PluginError::Internal(_)
        )
    }
}
