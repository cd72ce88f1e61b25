//! Stateless completions: the OpenAI-compatible endpoint's half of `ChatService`. A completion
//! has no conversation to build context from (the caller sends it all) but passes the same
//! governance as a chat turn: the per-turn rate limits, the tenant's catalogue and presets, a
//! quota reservation settled to the real usage, the tenant's request and answer transforms,
//! a usage event with its cost, and, as the API token says, an audit entry and the exchange
//! kept as a conversation.
//!
//! The provider's stream is relayed by a task that owns the call: a client that goes away
//! stops the upstream call, and the usage is recorded whatever happens to the connection.

use super::ChatService;
use super::conversations::title_from;
use crate::audit::{self, Actor, NewEntry};
use crate::config::{ExposeSecret, ProviderKind};
use crate::domain::{ApiTokenId, ConversationId, KeepMode, MessageId, MessageRole, MessageStatus, PresetId};
use crate::domain::{TenantScope, UserId};
use crate::error::AppError;
use crate::plugins::{AnswerDecision, RequestChain, RequestDecision, Run, Stop};
use crate::providers::{
    ChatMessage, ChatRequest, ModelSpec, ProviderError, ProviderStream, RequestOptions, Role, StreamItem, ToolTurn,
};
use crate::store::messages::{Finish, MessageError, NewMessage};
use crate::store::usage::NewUsage;
use crate::store::{self, presets::PresetSettings};
use crate::usage::Ticket;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Models named `preset/<id>` apply one of the caller's presets.
pub const PRESET_PREFIX: &str = "preset/";

/// Events relayed to the caller; the channel holds this many before the upstream read waits.
const RELAY_BUFFER: usize = 64;

/// A completion as the caller asked for it, already in the providers' terms.
#[derive(Debug, Clone)]
pub struct CompletionInput {
    /// A catalogue model's id, or `preset/<preset id>`.
    pub model: String,
    /// The caller's system messages, joined.
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub options: RequestOptions,
    /// Whether the caller reads the answer as it streams (answer transforms then cannot change
    /// what was sent; they still decide what is kept).
    pub stream: bool,
}

/// Who calls and what their token keeps.
pub struct Caller<'a> {
    pub scope: &'a TenantScope,
    pub actor: &'a Actor,
    pub ip: Option<&'a str>,
    pub keep: KeepMode,
    pub token: Option<ApiTokenId>,
    /// A private-mode turn of the web chat (audited as such), not an API call.
    pub private: bool,
}

/// Why a completion did not start.
#[derive(Debug, thiserror::Error)]
pub enum CompletionError {
    #[error(transparent)]
    App(#[from] AppError),
    /// The tenant's plugin chain refused the request (or failed under `fail_closed`).
    #[error("{}", .0.message)]
    Plugin(Stop),
    /// The provider refused or could not be reached before answering.
    #[error(transparent)]
    Provider(ProviderError),
}

/// What happened to an answer after it was generated, by the tenant's answer transforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerChange {
    Replace(String),
    /// The answer must not be shown; the message says why.
    Withhold(String),
}

#[derive(Debug)]
pub enum CompletionEvent {
    Item(StreamItem),
    /// The provider's stream broke; nothing more comes.
    Failed(ProviderError),
    /// The end: the token counts (the provider's, or estimated here) and, for a call that is not
    /// streamed, what the answer transforms made of the first choice's text.
    Done {
        input_tokens: u64,
        output_tokens: u64,
        answer: Option<AnswerChange>,
    },
}

/// A started completion.
pub struct Completion {
    /// Also the answer's message id when the exchange is kept.
    pub id: MessageId,
    /// The model as the caller named it.
    pub model: String,
    pub created: i64,
    pub events: mpsc::Receiver<CompletionEvent>,
}

/// A model the caller may name.
#[derive(Debug, Clone)]
pub struct CompletionModel {
    pub id: String,
    pub display_name: String,
    /// The provider, or `preset` for a preset.
    pub owned_by: String,
}

/// What the relay task needs to settle the call.
struct Settlement {
    scope: TenantScope,
    actor: Actor,
    keep: KeepMode,
    token: Option<ApiTokenId>,
    private: bool,
    model: String,
    preset: Option<PresetId>,
    spec: ModelSpec,
    stream: bool,
    tools: usize,
    prompt_tokens: u64,
    /// The request as sent, when the exchange is kept.
    request: Option<ChatRequest>,
    ticket: Ticket,
    message: MessageId,
}

/// How a call ended, and what it produced.
struct Ended {
    status: MessageStatus,
    error: Option<MessageError>,
    input_tokens: u64,
    output_tokens: u64,
    answer: String,
    calls: Vec<PendingCall>,
    runs: Vec<Run>,
}

/// A tool call of the first choice as its pieces arrive.
#[derive(Default, Clone)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

impl ChatService {
    /// The models a caller may name: the tenant's catalogue, then the presets it may see as
    /// `preset/<id>`.
    pub async fn completion_models(&self, scope: &TenantScope) -> crate::error::AppResult<Vec<CompletionModel>> {
        let mut out: Vec<CompletionModel> = self
            .catalogue
            .models(self.store.conn(), scope.tenant)
            .await?
            .into_iter()
            .map(|m| CompletionModel { id: m.id, display_name: m.display_name, owned_by: m.provider })
            .collect();
        for preset in self.presets.list(scope).await? {
            if preset.archived {
                continue;
            }
            out.push(CompletionModel {
                id: format!("{PRESET_PREFIX}{}", preset.id.0),
                display_name: preset.current.settings.name,
                owned_by: "preset".into(),
            });
        }
        Ok(out)
    }

    /// The model to call and the preset that applies, if the caller named one.
    pub(super) async fn completion_model(
        &self,
        scope: &TenantScope,
        model: &str,
    ) -> Result<(ModelSpec, Option<(PresetId, PresetSettings)>), AppError> {
        let not_found = || AppError::NotFound("model");
        let conn = self.store.conn();
        let (model_id, preset) = match model.strip_prefix(PRESET_PREFIX) {
            Some(raw) => {
                let id = uuid::Uuid::parse_str(raw).map(PresetId).map_err(|_| not_found())?;
                let preset = match self.presets.get(scope, id).await {
                    Ok(p) if !p.archived => p,
                    Ok(_) | Err(AppError::NotFound(_)) => return Err(not_found()),
                    Err(e) => return Err(e),
                };
                let settings = preset.current.settings;
                (settings.model.clone(), Some((id, settings)))
            }
            None => (Some(model.to_string()), None),
        };
        let models = self.catalogue.models(conn, scope.tenant).await?;
        let spec = match model_id {
            Some(id) => models.into_iter().find(|m| m.id == id).ok_or_else(not_found)?,
            // A preset without a model uses the tenant's default, as in the chat.
            None => models.into_iter().next().ok_or_else(not_found)?,
        };
        Ok((spec, preset))
    }

    /// Starts a completion: checks, reserves and sends it, and hands back its events. Errors
    /// before the provider answered are returned (and recorded); later ones are events.
    pub async fn complete(&self, caller: &Caller<'_>, input: CompletionInput) -> Result<Completion, CompletionError> {
        // A trace span like a chat turn's (ids, model and outcome only); the relay hangs off it.
        let span = tracing::info_span!("completion", tenant.id = %caller.scope.tenant, model = %input.model,
            stream = input.stream, outcome = tracing::field::Empty, tokens.input = tracing::field::Empty,
            tokens.output = tracing::field::Empty);
        let started = self.start_completion(caller, input).instrument(span.clone()).await;
        if started.is_err() {
            span.record("outcome", "failed");
        }
        started
    }

    async fn start_completion(
        &self,
        caller: &Caller<'_>,
        input: CompletionInput,
    ) -> Result<Completion, CompletionError> {
        let scope = caller.scope;
        // Counted until settled: a draining replica stops after its completions are recorded.
        let work = self.engine.drain().admit()?;
        self.check_completion(&input)?;
        self.check_limits(scope, caller.ip).instrument(tracing::info_span!("turn.admission.limits")).await?;
        let (spec, preset) = self.completion_model(scope, &input.model).await?;
        let choices = input.options.n.unwrap_or(1);
        if choices > 1 && spec.kind != Some(ProviderKind::Openai) {
            return Err(AppError::Validation {
                field: "n",
                reason: format!("`{}` gives one choice per call; only OpenAI-compatible models give more", input.model),
            }
            .into());
        }
        if !spec.vision && input.messages.iter().any(|m| !m.images.is_empty()) {
            return Err(AppError::Validation {
                field: "messages",
                reason: format!("`{}` cannot see images: send text only, or pick a vision model", input.model),
            }
            .into());
        }
        let settings = preset.as_ref().map(|(_, s)| s);
        let system = [settings.map(|s| s.system_prompt.as_str()), input.system.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let temperature = input.temperature.or(settings.and_then(|s| s.temperature).map(|t| t as f32));
        let preset_cap = settings.and_then(|s| s.max_tokens).map(|m| u32::try_from(m.max(1)).unwrap_or(u32::MAX));
        let max_tokens = [Some(spec.max_output_tokens), input.max_tokens, preset_cap].into_iter().flatten().min();
        let max_tokens = max_tokens.unwrap_or(spec.max_output_tokens).max(1);
        let prompt_tokens = prompt_estimate(&system, &input.messages, &input.options) as u64;
        if prompt_tokens + u64::from(max_tokens) > u64::from(spec.context_window) {
            return Err(AppError::Validation {
                field: "messages",
                reason: format!(
                    "about {prompt_tokens} tokens plus {max_tokens} for the answer exceed the {} tokens of `{}`",
                    spec.context_window, input.model
                ),
            }
            .into());
        }
        let message = MessageId::new();
        // Usage events name a conversation: the kept one, else one that exists only there.
        let amount = prompt_tokens + u64::from(max_tokens) * u64::from(choices);
        let ticket = self
            .usage
            .reserve(scope, ConversationId(message.0), &spec, amount)
            .instrument(tracing::info_span!("turn.admission.quota"))
            .await?;
        let request = ChatRequest {
            model: spec.upstream_model.clone(),
            system: (!system.is_empty()).then_some(system),
            messages: input.messages,
            max_tokens,
            temperature,
            options: input.options,
        };
        let settlement = Settlement {
            scope: *scope,
            actor: caller.actor.clone(),
            keep: caller.keep,
            token: caller.token,
            private: caller.private,
            model: input.model.clone(),
            preset: preset.as_ref().map(|(id, _)| *id),
            stream: input.stream,
            tools: request.options.tools.len(),
            prompt_tokens,
            request: None,
            spec,
            ticket,
            message,
        };
        let mut runs = Vec::new();
        match self.send_completion(&settlement, request, &mut runs).await {
            Ok((stream, chain, request)) => {
                let (tx, rx) = mpsc::channel(RELAY_BUFFER);
                let settlement = Settlement { request, ..settlement };
                let store = self.store.clone();
                let ledger = self.usage.ledger().clone();
                let span = tracing::Span::current();
                tokio::spawn(
                    async move {
                        let ended = relay(stream, &tx, chain.as_ref(), &settlement, runs).await;
                        let span = tracing::Span::current();
                        span.record("outcome", ended.status.as_str());
                        span.record("tokens.input", ended.input_tokens);
                        span.record("tokens.output", ended.output_tokens);
                        settle(&store, &ledger, settlement, ended)
                            .instrument(tracing::info_span!("turn.persist.final"))
                            .await;
                        drop(work);
                    }
                    .instrument(span),
                );
                Ok(Completion { id: message, model: input.model, created: store::now().timestamp(), events: rx })
            }
            Err(e) => {
                let error = match &e {
                    CompletionError::Plugin(stop) => Some(MessageError {
                        code: stop.reason.code().into(),
                        message: stop.message.clone(),
                        retry_after_secs: None,
                    }),
                    CompletionError::Provider(p) => Some(MessageError {
                        code: p.code().into(),
                        message: p.to_string(),
                        retry_after_secs: p.retry_after().map(|s| s as i64),
                    }),
                    CompletionError::App(_) => None,
                };
                // Nothing was generated: nothing is charged, but the attempt is on record.
                let ended = Ended {
                    status: MessageStatus::Failed,
                    error,
                    input_tokens: 0,
                    output_tokens: 0,
                    answer: String::new(),
                    calls: Vec::new(),
                    runs,
                };
                settle(&self.store, self.usage.ledger(), settlement, ended).await;
                Err(e)
            }
        }
    }

    /// The request transforms, then the provider call up to its first byte.
    async fn send_completion(
        &self,
        s: &Settlement,
        request: ChatRequest,
        runs: &mut Vec<Run>,
    ) -> Result<(ProviderStream, Option<RequestChain>, Option<ChatRequest>), CompletionError> {
        let (provider, api_key) = self.catalogue.provider_for(self.store.conn(), s.scope.tenant, &s.spec).await?;
        let chain = self.plugins.request_chain(s.scope.tenant, s.scope.user, &s.spec.id).await?;
        let request = match &chain {
            None => request,
            Some(chain) => {
                let verdict = chain.run(request).await;
                runs.extend(verdict.runs);
                match verdict.decision {
                    RequestDecision::Send(request) => request,
                    RequestDecision::Stop(stop) => return Err(CompletionError::Plugin(stop)),
                }
            }
        };
        let api_key = api_key.as_ref().map(|k| k.expose_secret().to_string());
        // A copy only when the exchange is kept.
        let kept = (s.keep == KeepMode::Conversation).then(|| request.clone());
        let connect = tracing::info_span!("turn.provider.connect", otel.kind = "client");
        let stream = provider.stream(request, api_key).instrument(connect).await.map_err(CompletionError::Provider)?;
        Ok((stream, chain, kept))
    }

    fn check_completion(&self, input: &CompletionInput) -> Result<(), AppError> {
        let invalid = |field: &'static str, reason: &str| AppError::Validation { field, reason: reason.into() };
        if input.model.trim().is_empty() {
            return Err(invalid("model", "is required"));
        }
        if !input.messages.iter().any(|m| m.role == Role::User) {
            return Err(invalid("messages", "must contain at least one user message"));
        }
        let chars: usize = input.messages.iter().map(|m| m.content.chars().count()).sum::<usize>()
            + input.system.as_deref().map_or(0, |s| s.chars().count());
        // The chat's limit is per message; a stateless call carries its whole history.
        if chars > self.config.max_message_chars.saturating_mul(4) {
            return Err(AppError::Validation {
                field: "messages",
                reason: format!("must be at most {} characters in all", self.config.max_message_chars * 4),
            });
        }
        if let Some(t) = input.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(invalid("temperature", "must be between 0 and 2"));
        }
        if let Some(p) = input.options.top_p
            && !(0.0..=1.0).contains(&p)
        {
            return Err(invalid("top_p", "must be between 0 and 1"));
        }
        if input.options.n.is_some_and(|n| !(1..=8).contains(&n)) {
            return Err(invalid("n", "must be between 1 and 8"));
        }
        if input.max_tokens == Some(0) {
            return Err(invalid("max_tokens", "must be at least 1"));
        }
        if input.options.stop.len() > 4 {
            return Err(invalid("stop", "takes at most 4 sequences"));
        }
        Ok(())
    }
}

fn prompt_estimate(system: &str, messages: &[ChatMessage], options: &RequestOptions) -> usize {
    let tokens = crate::chat::tokens::estimate;
    let calls = |m: &ChatMessage| match &m.tool {
        Some(ToolTurn::Calls(calls)) => calls.iter().map(|c| tokens(&c.name) + tokens(&c.arguments)).sum(),
        _ => 0,
    };
    let tool_specs: usize = options
        .tools
        .iter()
        .map(|t| {
            tokens(&t.name)
                + t.description.as_deref().map_or(0, tokens)
                + t.parameters.as_ref().map_or(0, |p| tokens(&p.to_string()))
        })
        .sum();
    let images = |m: &ChatMessage| -> usize {
        m.images
            .iter()
            .map(|i| {
                let size = crate::files::sniff::sniff(&i.data, "image").ok().and_then(|s| s.image);
                size.map_or(1600, |s| crate::files::image_tokens(s.width, s.height))
            })
            .sum()
    };
    tokens(system) + messages.iter().map(|m| tokens(&m.content) + calls(m) + images(m) + 4).sum::<usize>() + tool_specs
}

/// Relays the provider's stream to the caller until it ends, breaks or the caller leaves, and
/// keeps what settling needs: the first choice's text only when something will read it.
async fn relay(
    mut stream: ProviderStream,
    tx: &mpsc::Sender<CompletionEvent>,
    chain: Option<&RequestChain>,
    s: &Settlement,
    mut runs: Vec<Run>,
) -> Ended {
    let transforms = chain.filter(|c| c.has_response_hooks());
    let keep_text = transforms.is_some() || s.request.is_some();
    let mut answer = String::new();
    let mut answer_bytes = 0usize;
    let mut extra_bytes = 0usize;
    let mut calls: Vec<PendingCall> = Vec::new();
    let mut usage: Option<(u64, u64)> = None;
    let mut failure: Option<ProviderError> = None;
    let mut cancelled = false;
    loop {
        let item = tokio::select! {
            biased;
            item = stream.next() => item,
            _ = tx.closed() => { cancelled = true; break }
        };
        let item = match item {
            Some(Ok(item)) => item,
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            None => break,
        };
        match &item {
            StreamItem::Delta(text) => {
                answer_bytes += text.len();
                if keep_text {
                    answer.push_str(text);
                }
            }
            StreamItem::ChoiceDelta { text, .. } => extra_bytes += text.len(),
            StreamItem::ToolCall { choice, index, id, name, arguments } => {
                extra_bytes += arguments.len();
                if *choice == 0 && keep_text {
                    let i = *index as usize;
                    if calls.len() <= i && i < 128 {
                        calls.resize(i + 1, PendingCall::default());
                    }
                    if let Some(call) = calls.get_mut(i) {
                        if let Some(id) = id {
                            call.id.clone_from(id);
                        }
                        if let Some(name) = name {
                            call.name.push_str(name);
                        }
                        call.arguments.push_str(arguments);
                    }
                }
            }
            StreamItem::Usage { input_tokens, output_tokens } => {
                usage = Some((*input_tokens, *output_tokens));
                continue;
            }
            StreamItem::Finish { .. } => {}
        }
        if tx.send(CompletionEvent::Item(item)).await.is_err() {
            cancelled = true;
            break;
        }
    }
    // Dropping the stream closes the upstream connection: a caller that left stops the answer.
    drop(stream);
    let (input_tokens, output_tokens) =
        usage.unwrap_or((s.prompt_tokens, ((answer_bytes + extra_bytes).div_ceil(4)) as u64));
    let (mut status, mut error) = match (&failure, cancelled) {
        (Some(e), _) => {
            let status = if answer_bytes + extra_bytes > 0 { MessageStatus::Partial } else { MessageStatus::Failed };
            let error = MessageError {
                code: e.code().into(),
                message: e.to_string(),
                retry_after_secs: e.retry_after().map(|s| s as i64),
            };
            (status, Some(error))
        }
        (None, true) => (MessageStatus::Cancelled, None),
        (None, false) => (MessageStatus::Completed, None),
    };
    let failed = failure.is_some();
    if let Some(e) = failure {
        let _ = tx.send(CompletionEvent::Failed(e)).await;
    } else if s.stream && !cancelled {
        // What was streamed cannot be taken back: end the stream now, transform the kept copy.
        let _ = tx.send(CompletionEvent::Done { input_tokens, output_tokens, answer: None }).await;
    }
    let mut change = None;
    if status == MessageStatus::Completed
        && let Some(chain) = transforms
    {
        let verdict = chain.run_response(&answer).await;
        runs.extend(verdict.runs);
        match verdict.decision {
            AnswerDecision::Keep => {}
            AnswerDecision::Replace(text) => {
                answer.clone_from(&text);
                change = Some(AnswerChange::Replace(text));
            }
            AnswerDecision::Withhold(stop) => {
                answer.clear();
                status = MessageStatus::Failed;
                change = Some(AnswerChange::Withhold(stop.message.clone()));
                error = Some(MessageError {
                    code: stop.reason.code().into(),
                    message: stop.message,
                    retry_after_secs: None,
                });
            }
        }
    }
    if !s.stream && !failed && !cancelled {
        let _ = tx.send(CompletionEvent::Done { input_tokens, output_tokens, answer: change }).await;
    }
    Ended { status, error, input_tokens, output_tokens, answer, calls, runs }
}

/// Records how a call ended, in one transaction (retried through a short database outage):
/// the usage event always; the audit entry unless the token keeps nothing; the exchange as a
/// conversation when it keeps conversations. Then settles the quota reservation.
async fn settle(
    store: &store::Store,
    ledger: &std::sync::Arc<dyn crate::limits::quota::QuotaLedger>,
    s: Settlement,
    ended: Ended,
) {
    let mut delay = Duration::from_millis(100);
    let settled = std::sync::Arc::new((s, ended));
    for attempt in 0..6 {
        let settled = settled.clone();
        // The record is audited: the audit chain's head is read inside the transaction.
        let written = store
            .write_reading(Box::new(move |txn| {
                Box::pin(async move {
                    let (s, ended) = &*settled;
                    write_settlement(txn, s, ended).await
                })
            }))
            .await;
        match written {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, attempt, "could not record a completion; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    let (s, ended) = &*settled;
    ledger
        .settle(s.ticket.reservation, &s.ticket.windows, s.ticket.reserved, ended.input_tokens + ended.output_tokens)
        .await;
}

/// The writes of [`settle`], in the writer's transaction.
async fn write_settlement(
    txn: &store::DatabaseTransaction,
    s: &Settlement,
    ended: &Ended,
) -> crate::error::AppResult<()> {
    let tenant = s.scope.tenant;
    let kept = match (&s.request, s.keep, ended.status) {
        (Some(request), KeepMode::Conversation, status)
            if status != MessageStatus::Failed || !ended.answer.is_empty() =>
        {
            Some(keep_conversation(txn, s, request, ended).await?)
        }
        _ => None,
    };
    let cost = s.ticket.cost(ended.input_tokens, ended.output_tokens);
    store::usage::record(
        txn,
        NewUsage {
            tenant,
            user: s.scope.user,
            conversation: kept.unwrap_or(ConversationId(s.message.0)),
            message: s.message,
            model: &s.spec.id,
            input_tokens: ended.input_tokens as i64,
            output_tokens: ended.output_tokens as i64,
            cost,
            outcome: ended.status.as_str(),
            day: &s.ticket.day,
            month: &s.ticket.month,
            ttft_ms: None,
        },
    )
    .await?;
    if s.keep != KeepMode::Nothing {
        // Metadata only: which model, how it went, what it cost. Never content, and not the
        // plugins' details (a rejection reason may quote the prompt).
        let plugins: Vec<serde_json::Value> =
            ended.runs.iter().map(|r| serde_json::json!({ "plugin": r.plugin, "outcome": r.outcome })).collect();
        let action = if s.private { audit::action::PRIVATE_TURN } else { audit::action::COMPLETION };
        let mut entry = NewEntry::new(Some(tenant), &s.actor, action).details(serde_json::json!({
            "model": s.model,
            "served_by": s.spec.id,
            "preset_id": s.preset.map(|p| p.0),
            "api_token_id": s.token.map(|t| t.0),
            "stream": s.stream,
            "tools": s.tools,
            "status": ended.status.as_str(),
            "error_code": ended.error.as_ref().map(|e| e.code.clone()),
            "input_tokens": ended.input_tokens,
            "output_tokens": ended.output_tokens,
            "cost": cost,
            "plugins": plugins,
            "conversation_id": kept.map(|c| c.0),
        }));
        entry = entry.target("completion", s.message.0);
        if ended.status != MessageStatus::Completed {
            entry = entry.failed();
        }
        audit::record(txn, entry).await?;
    }
    Ok(())
}

/// The exchange as a conversation of the token's owner: the messages sent (system text aside),
/// then the answer (with any tool calls written out), on one branch.
async fn keep_conversation(
    txn: &impl store::Conn,
    s: &Settlement,
    request: &ChatRequest,
    ended: &Ended,
) -> crate::error::AppResult<ConversationId> {
    let (tenant, owner): (_, UserId) = (s.scope.tenant, s.scope.user);
    let first_user = request.messages.iter().find(|m| m.role == Role::User).map_or("", |m| m.content.as_str());
    let title = match title_from(first_user) {
        t if t.is_empty() => "API completion".to_string(),
        t => t,
    };
    let conversation = store::conversations::insert(txn, tenant, owner, &title, None, None).await?;
    let contents: Vec<(MessageRole, String)> = request
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::User => MessageRole::User,
                Role::Assistant => MessageRole::Assistant,
            };
            let content = match &m.tool {
                Some(ToolTurn::Calls(calls)) => with_calls(&m.content, calls.iter().map(|c| (&c.name, &c.arguments))),
                Some(ToolTurn::Result { call_id }) => format!("Tool result ({call_id}):\n{}", m.content),
                None => m.content.clone(),
            };
            (role, content)
        })
        .collect();
    // The request's messages, each the child of the one before, and the answer last: one chain.
    let mut parent = None;
    let mut rows: Vec<NewMessage> = contents
        .iter()
        .map(|(role, content)| {
            let id = MessageId::new();
            NewMessage {
                id,
                tenant_id: tenant,
                conversation_id: conversation.id,
                parent_id: parent.replace(id),
                role: *role,
                status: MessageStatus::Completed,
                content,
                model: Some(&s.spec.id),
                model_config: None,
            }
        })
        .collect();
    let config = serde_json::json!({ "source": "openai", "model": s.model });
    rows.push(NewMessage {
        id: s.message,
        tenant_id: tenant,
        conversation_id: conversation.id,
        parent_id: parent,
        role: MessageRole::Assistant,
        status: MessageStatus::Queued,
        content: "",
        model: Some(&s.spec.id),
        model_config: Some(&config),
    });
    store::messages::insert_all(txn, rows).await?;
    let answer = with_calls(&ended.answer, ended.calls.iter().map(|c| (&c.name, &c.arguments)));
    let runs = (!ended.runs.is_empty()).then(|| serde_json::to_value(&ended.runs).unwrap_or_default());
    store::messages::finish(
        txn,
        tenant,
        s.message,
        Finish {
            status: ended.status,
            content: &answer,
            error: ended.error.as_ref(),
            input_tokens: Some(ended.input_tokens as i64),
            output_tokens: Some(ended.output_tokens as i64),
            plugin_runs: runs.as_ref(),
        },
    )
    .await?;
    store::conversations::set_active_leaf(txn, tenant, conversation.id, s.message).await?;
    Ok(conversation.id)
}

/// A message's text followed by its tool calls, one line each.
fn with_calls<'a>(text: &str, calls: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut out = text.to_string();
    for (name, arguments) in calls {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("Tool call: {name}({arguments})"));
    }
    out
}
