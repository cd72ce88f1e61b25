//! A turn's transform chain: the tenant's enabled `transform_request` and `transform_response`
//! plugins, run in order on the outgoing request and on the completed answer. Each plugin call
//! is recorded as a [`Run`]; a failure is settled by the plugin's failure policy; and the chain
//! ends in a decision the turn engine acts on.

use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::providers::{ChatMessage, ChatRequest, Role};
use crate::store::plugins::TenantPlugin;
use confab_plugin_host as host;
use host::{Call, FailurePolicy, Hook, LoadedPlugin, PluginConfig, PluginError};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

use super::PluginService;
use super::service::{from_plugin, parse_policy};

impl PluginService {
    /// The transforms a turn runs, in chain order: the tenant's enabled plugins with the
    /// `transform_request` or `transform_response` hook. `None` when there are none.
    pub async fn request_chain(&self, tenant: TenantId, user: UserId, model: &str) -> AppResult<Option<RequestChain>> {
        let entries = self
            .enabled_entries(tenant, |m| m.has_hook(Hook::TransformRequest) || m.has_hook(Hook::TransformResponse))
            .await?;
        if entries.is_empty() {
            return Ok(None);
        }
        Ok(Some(RequestChain { ctx: context(tenant, user, model), entries }))
    }
}

/// What a plugin call knows about whom it runs for. No secrets; user attributes come later
/// (when tenant admins can choose which to share).
pub(super) fn context(tenant: TenantId, user: UserId, model: &str) -> host::Context {
    host::Context {
        tenant_id: tenant.to_string(),
        user_id: user.to_string(),
        attributes: Vec::new(),
        date: chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string(),
        model: model.to_string(),
        locale: "en".to_string(),
    }
}

/// One enabled plugin of a tenant's chain: the compiled version and the tenant's settings.
pub(super) struct ChainEntry {
    pub(super) name: String,
    pub(super) version: String,
    /// The stored plugin version `plugin` was compiled from.
    pub(super) version_id: Uuid,
    plugin: Arc<LoadedPlugin>,
    config: PluginConfig,
    policy: FailurePolicy,
    budget: Duration,
}

impl ChainEntry {
    pub(super) fn new(version_id: Uuid, plugin: Arc<LoadedPlugin>, settings: &TenantPlugin) -> AppResult<Self> {
        let config_value: serde_json::Value = serde_json::from_str(&settings.config).unwrap_or(serde_json::json!({}));
        let config = plugin.manifest().parse_config(&config_value).map_err(from_plugin)?;
        Ok(Self {
            name: plugin.manifest().name().as_str().to_string(),
            version: plugin.manifest().version().to_string(),
            version_id,
            plugin,
            config,
            policy: parse_policy(&settings.failure_policy),
            budget: Duration::from_millis(settings.time_budget_ms.max(1) as u64),
        })
    }

    fn has_hook(&self, hook: Hook) -> bool {
        self.plugin.manifest().has_hook(hook)
    }

    /// Calls the plugin with the tenant's configuration and time budget: inline first, on the
    /// blocking pool if it runs long (see [`LoadedPlugin::call`]).
    pub(super) async fn call<T, F>(&self, ctx: &host::Context, f: F) -> Result<T, PluginError>
    where
        T: Send + 'static,
        F: Fn(&LoadedPlugin, Call<'_>) -> Result<T, PluginError> + Send + 'static,
    {
        let (ctx, config) = (ctx.clone(), self.config.clone());
        self.plugin.call(self.budget, move |p, attempt| f(p, Call::new(&ctx, &config).within(attempt))).await
    }

    /// Runs one plugin of the chain and records it: times `step` (the call and the reading of
    /// its result), appends the [`Run`], and settles a failure by the entry's failure policy.
    /// `Ok(Some)` carries the plugin's replacement, `Ok(None)` means go on as before, `Err`
    /// means the turn stops.
    async fn run_step<T>(
        &self,
        runs: &mut Vec<Run>,
        subject: Subject,
        step: impl Future<Output = Step<T>>,
    ) -> Result<Option<T>, Stop> {
        let started = Instant::now();
        // One trace span per plugin call: which plugin, which hook, how it went (never its input,
        // output or reason).
        let span = tracing::info_span!("turn.plugin", plugin = %self.name, plugin.version = %self.version,
            hook = subject.hook().name(), outcome = tracing::field::Empty);
        let step = tracing::Instrument::instrument(step, span.clone()).await;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (outcome, detail, result) = match step {
            Step::Unchanged => (RunOutcome::Unchanged, None, Ok(None)),
            Step::Changed(new) => (RunOutcome::Changed, None, Ok(Some(new))),
            Step::Rejected(reason) => {
                let stop = Stop { reason: StopReason::PluginRejected, message: reason.clone() };
                (RunOutcome::Rejected, Some(reason), Err(stop))
            }
            Step::Failed(failure) => {
                tracing::warn!(plugin = %self.name, version = %self.version, hook = subject.hook().name(),
                    error = %failure, "plugin call failed");
                match self.policy {
                    FailurePolicy::FailOpen => (RunOutcome::FailedOpen, Some(failure), Ok(None)),
                    FailurePolicy::FailClosed => {
                        let message = format!(
                            "the {} plugin could not check this {} ({failure}); it was {}",
                            self.name,
                            subject.noun(),
                            subject.withheld()
                        );
                        let stop = Stop { reason: StopReason::PluginFailed, message };
                        (RunOutcome::Failed, Some(failure), Err(stop))
                    }
                }
            }
        };
        span.record("outcome", outcome.as_str());
        runs.push(Run { plugin: self.name.clone(), version: self.version.clone(), outcome, detail, elapsed_us });
        result
    }
}

/// What a plugin did with its input, before its failure policy is applied.
enum Step<T> {
    Unchanged,
    Changed(T),
    Rejected(String),
    Failed(String),
}

/// What a chain step works on.
#[derive(Clone, Copy)]
enum Subject {
    Request,
    Answer,
}

impl Subject {
    fn hook(self) -> Hook {
        match self {
            Subject::Request => Hook::TransformRequest,
            Subject::Answer => Hook::TransformResponse,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Subject::Request => "request",
            Subject::Answer => "answer",
        }
    }

    fn withheld(self) -> &'static str {
        match self {
            Subject::Request => "not sent",
            Subject::Answer => "not kept",
        }
    }
}

/// A turn's transforms, ready to run.
pub struct RequestChain {
    ctx: host::Context,
    entries: Vec<ChainEntry>,
}

/// What one plugin did to a turn, recorded with the answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub plugin: String,
    pub version: String,
    pub outcome: RunOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub elapsed_us: u64,
}

/// How one plugin call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The plugin left its input as it was.
    Unchanged,
    /// The plugin replaced its input.
    Changed,
    /// The plugin refused the request (the detail is its reason); the turn stopped.
    Rejected,
    /// The plugin failed under `fail_open`; the turn went on without it.
    FailedOpen,
    /// The plugin failed under `fail_closed`; the turn stopped.
    Failed,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Unchanged => "unchanged",
            RunOutcome::Changed => "changed",
            RunOutcome::Rejected => "rejected",
            RunOutcome::FailedOpen => "failed_open",
            RunOutcome::Failed => "failed",
        }
    }
}

/// Why the chain stopped a turn, and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub reason: StopReason,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A plugin refused the request.
    PluginRejected,
    /// A plugin failed under `fail_closed`.
    PluginFailed,
}

impl StopReason {
    /// The turn's error code.
    pub fn code(self) -> &'static str {
        match self {
            StopReason::PluginRejected => "plugin_rejected",
            StopReason::PluginFailed => "plugin_failed",
        }
    }
}

/// What the chain decided, with the record of every plugin it ran.
#[derive(Debug)]
pub struct ChainVerdict<D> {
    pub decision: D,
    pub runs: Vec<Run>,
}

/// The chain's decision on an outgoing request.
#[derive(Debug)]
pub enum RequestDecision {
    /// Send this request (the original, or as the plugins rewrote it).
    Send(ChatRequest),
    /// Send nothing.
    Stop(Stop),
}

/// The chain's decision on a completed answer.
#[derive(Debug, PartialEq, Eq)]
pub enum AnswerDecision {
    /// Keep the answer as the model gave it.
    Keep,
    /// Keep this text instead.
    Replace(String),
    /// Keep no answer.
    Withhold(Stop),
}

impl RequestChain {
    fn with_hook(&self, hook: Hook) -> impl Iterator<Item = &ChainEntry> {
        self.entries.iter().filter(move |e| e.has_hook(hook))
    }

    /// Runs every request transform in order, each on the previous one's result. A rejection
    /// stops the turn (`plugin_rejected`); a failure stops it under `fail_closed`
    /// (`plugin_failed`) and is skipped under `fail_open`.
    pub async fn run(&self, request: ChatRequest) -> ChainVerdict<RequestDecision> {
        let mut request = request;
        let mut runs = Vec::with_capacity(self.entries.len());
        for entry in self.with_hook(Hook::TransformRequest) {
            let input = to_plugin(&request);
            let current = &request;
            let step = async {
                match entry.call(&self.ctx, move |p, call| p.transform_request(call, &input)).await {
                    Ok(host::Outcome::Unchanged) => Step::Unchanged,
                    Ok(host::Outcome::Replace(new)) => {
                        from_plugin_request(current, new).map_or_else(Step::Failed, Step::Changed)
                    }
                    Ok(host::Outcome::Reject(reason)) => Step::Rejected(reason),
                    Err(e) => Step::Failed(e.to_string()),
                }
            };
            let settled = entry.run_step(&mut runs, Subject::Request, step).await;
            match settled {
                Ok(Some(new)) => request = new,
                Ok(None) => {}
                Err(stop) => return ChainVerdict { decision: RequestDecision::Stop(stop), runs },
            }
        }
        ChainVerdict { decision: RequestDecision::Send(request), runs }
    }

    /// Whether any plugin of the chain transforms answers.
    pub fn has_response_hooks(&self) -> bool {
        self.with_hook(Hook::TransformResponse).next().is_some()
    }

    /// Runs every answer transform in order on a completed answer. A failure under
    /// `fail_closed` means the answer is not kept (`plugin_failed`); under `fail_open` it is
    /// kept as the previous plugin left it.
    pub async fn run_response(&self, text: &str) -> ChainVerdict<AnswerDecision> {
        let mut current: Option<String> = None;
        let mut runs = Vec::new();
        for entry in self.with_hook(Hook::TransformResponse) {
            let input = current.clone().unwrap_or_else(|| text.to_string());
            let step = async {
                match entry.call(&self.ctx, move |p, call| p.transform_response(call, &input)).await {
                    Ok(None) => Step::Unchanged,
                    Ok(Some(new)) => Step::Changed(new),
                    Err(e) => Step::Failed(e.to_string()),
                }
            };
            match entry.run_step(&mut runs, Subject::Answer, step).await {
                Ok(Some(new)) => current = Some(new),
                Ok(None) => {}
                Err(stop) => return ChainVerdict { decision: AnswerDecision::Withhold(stop), runs },
            }
        }
        ChainVerdict { decision: current.map_or(AnswerDecision::Keep, AnswerDecision::Replace), runs }
    }
}

fn to_plugin(r: &ChatRequest) -> host::ChatRequest {
    let mut messages = Vec::with_capacity(r.messages.len() + 1);
    if let Some(system) = &r.system {
        messages.push(host::ChatMessage { role: host::Role::System, content: system.clone() });
    }
    messages.extend(r.messages.iter().map(|m| host::ChatMessage {
        role: match m.role {
            Role::User => host::Role::User,
            Role::Assistant => host::Role::Assistant,
        },
        content: m.content.clone(),
    }));
    host::ChatRequest { messages, model: r.model.clone(), temperature: r.temperature, max_tokens: Some(r.max_tokens) }
}

/// A plugin's replacement, within what plugins may change: the messages (system text is
/// gathered into the system prompt), a lower output cap, the temperature. Not the model.
fn from_plugin_request(original: &ChatRequest, new: host::ChatRequest) -> Result<ChatRequest, String> {
    if new.model != original.model {
        return Err(format!("plugins may not change the model (asked for `{}`)", new.model));
    }
    let mut system: Vec<String> = Vec::new();
    let mut messages = Vec::with_capacity(new.messages.len());
    for m in new.messages {
        match m.role {
            host::Role::System => system.push(m.content),
            host::Role::User => messages.push(ChatMessage::text(Role::User, m.content)),
            host::Role::Assistant => messages.push(ChatMessage::text(Role::Assistant, m.content)),
        }
    }
    if !messages.iter().any(|m| m.role == Role::User) {
        return Err("the replaced request has no user message".into());
    }
    // Plugins see text only: tool calls and results keep their place, by position.
    if original.messages.iter().any(|m| m.tool.is_some()) {
        let same_shape = messages.len() == original.messages.len()
            && messages.iter().zip(&original.messages).all(|(new, old)| new.role == old.role);
        if !same_shape {
            return Err("plugins may not add, remove or reorder the messages of a request that uses tools".into());
        }
        for (new, old) in messages.iter_mut().zip(&original.messages) {
            new.tool = old.tool.clone();
        }
    }
    Ok(ChatRequest {
        model: original.model.clone(),
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        messages,
        max_tokens: new.max_tokens.map_or(original.max_tokens, |m| m.min(original.max_tokens)),
        temperature: new.temperature,
        options: original.options.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_recorded_with_the_outcome_names_stored_messages_carry() {
        let run = |outcome| Run { plugin: "p".into(), version: "1.0.0".into(), outcome, detail: None, elapsed_us: 7 };
        let names: Vec<serde_json::Value> = [
            RunOutcome::Unchanged,
            RunOutcome::Changed,
            RunOutcome::Rejected,
            RunOutcome::FailedOpen,
            RunOutcome::Failed,
        ]
        .into_iter()
        .map(|o| serde_json::to_value(run(o)).unwrap_or_default()["outcome"].clone())
        .collect();
        assert_eq!(names, ["unchanged", "changed", "rejected", "failed_open", "failed"]);
        assert_eq!(
            serde_json::to_value(run(RunOutcome::Changed)).unwrap_or_default(),
            serde_json::json!({ "plugin": "p", "version": "1.0.0", "outcome": "changed", "elapsed_us": 7 })
        );
        assert_eq!(StopReason::PluginRejected.code(), "plugin_rejected");
        assert_eq!(StopReason::PluginFailed.code(), "plugin_failed");
    }
}
