//! Plugins in the server. The sandbox itself is `confab-plugin-host`; this module decides who
//! may do what, keeps components in the store, compiles each version once per process, and
//! turns plugin outcomes into turn outcomes.
//!
//! - `service`: the admin side — platform admins upload versions; tenant admins add, configure,
//!   order and remove plugins in their tenant's chain. Every change is audited.
//! - `presets`: the `presets` hook — plugin presets in the picker, pinned and rendered per turn.
//! - `chain`: a turn's transform chain — what it decided about the request and the answer,
//!   and a [`Run`] record of every plugin call, under each plugin's failure policy.

mod chain;
mod presets;
mod service;

pub use chain::{AnswerDecision, ChainVerdict, RequestChain, RequestDecision, Run, RunOutcome, Stop, StopReason};
pub use confab_plugin_host::{FailurePolicy, Hook};
pub use presets::{PluginPreset, RenderedPreset};
pub use service::{
    ChainEntryInfo, DEFAULT_TIME_BUDGET_MS, MAX_TIME_BUDGET_MS, MIN_TIME_BUDGET_MS, PluginService, PluginSummary,
    Settings, VersionSummary,
};
