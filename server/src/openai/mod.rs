//! The OpenAI-compatible endpoint under `/openai/v1`: code written for the OpenAI SDKs talks to
//! Confab by changing its base URL and key (a Confab API token). It speaks OpenAI's format, so
//! it is plain poem handlers outside the `/v1` OpenAPI spec, behind the same middleware (request
//! id, body limit, metrics). Every call is governed by `ChatService::complete`.
//!
//! - `POST /openai/v1/chat/completions`: streamed (SSE, `data: [DONE]`) or not; usage in the
//!   last chunk with `stream_options.include_usage`.
//! - `GET /openai/v1/models`, `GET /openai/v1/models/{id}`: the tenant's catalogue and the
//!   caller's presets as `preset/<id>`.

mod error;
mod wire;

use crate::state::AppState;
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::chat::completions::{AnswerChange, Caller, Completion, CompletionEvent};
use confab_core::domain::{KeepMode, Principal, TenantScope};
use confab_core::providers::StreamItem;
use error::OpenAiError;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, Route, get, handler, post};
use std::sync::Arc;
use wire::{Shape, Usage};

pub fn routes() -> Route {
    Route::new()
        .at("/chat/completions", post(chat_completions))
        .at("/models", get(list_models))
        .at("/models/*id", get(get_model))
}

fn json(body: &impl serde::Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => Response::builder().status(StatusCode::OK).content_type("application/json").body(text),
        Err(e) => OpenAiError::from(confab_core::error::AppError::Internal(e.to_string())).into_response(),
    }
}

/// The caller: a Confab API token as OpenAI's API key, with the permission `perm` in its tenant.
async fn authorize(state: &AppState, req: &Request, perm: Permission) -> Result<(Principal, TenantScope), OpenAiError> {
    let unauthenticated = || {
        OpenAiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
            "send a Confab API token (cfb_…) as the API key: `Authorization: Bearer cfb_…`",
        )
    };
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(unauthenticated)?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).ok_or_else(unauthenticated)?;
    let principal = state.auth.authenticate_api_token(token.trim()).await?;
    let scope = state.authz.require_tenant(&principal, perm).await?;
    Ok((principal, scope))
}

#[handler]
async fn list_models(Data(state): Data<&Arc<AppState>>, req: &Request) -> Response {
    match models(state, req).await {
        Ok(list) => json(&list),
        Err(e) => e.into_response(),
    }
}

async fn models(state: &AppState, req: &Request) -> Result<wire::ModelList, OpenAiError> {
    let (_, scope) = authorize(state, req, Permission::MODELS_READ).await?;
    let data = state
        .chat
        .completion_models(&scope)
        .await?
        .into_iter()
        .map(|m| wire::Model { id: m.id, object: "model", created: 0, owned_by: m.owned_by })
        .collect();
    Ok(wire::ModelList { object: "list", data })
}

#[handler]
async fn get_model(Data(state): Data<&Arc<AppState>>, req: &Request, Path(id): Path<String>) -> Response {
    match models(state, req).await {
        Ok(list) => match list.data.into_iter().find(|m| m.id == id) {
            Some(model) => json(&model),
            None => OpenAiError::from(confab_core::error::AppError::NotFound("model")).into_response(),
        },
        Err(e) => e.into_response(),
    }
}

#[handler]
async fn chat_completions(Data(state): Data<&Arc<AppState>>, req: &Request, body: Body) -> Response {
    match complete(state, req, body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn complete(state: &AppState, req: &Request, body: Body) -> Result<Response, OpenAiError> {
    let (principal, scope) = authorize(state, req, Permission::CONVERSATIONS_WRITE).await?;
    let bytes =
        body.into_vec().await.map_err(|e| OpenAiError::invalid("body", format!("cannot read the body: {e}")))?;
    let request: wire::ChatCompletionRequest = serde_json::from_slice(&bytes).map_err(|e| OpenAiError {
        code: "invalid_json".into(),
        ..OpenAiError::invalid("body", format!("the body is not a valid chat completion request: {e}"))
    })?;
    let (input, shape) = request.into_input().map_err(|b| OpenAiError::invalid(b.param, b.message))?;
    let ctx = confab_core::context::current();
    let (token, keep) = principal.api_token().map_or((None, KeepMode::default()), |(id, keep)| (Some(id), keep));
    let actor = actor_of(&principal);
    let caller = Caller { scope: &scope, actor: &actor, ip: ctx.ip.as_deref(), keep, token, private: false };
    let completion = state.chat.complete(&caller, input).await?;
    if shape.stream {
        // A streamed answer ends for this caller as soon as their credential no longer stands.
        Ok(stream(completion, shape, Box::pin(crate::api::chat::revoked(state, &principal))))
    } else {
        collect(completion, shape).await
    }
}

/// A tool call of one choice, assembled from its pieces.
#[derive(Default)]
struct Call {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct ChoiceState {
    text: String,
    calls: Vec<Call>,
    finish: Option<String>,
}

impl ChoiceState {
    fn apply(&mut self, item: StreamItem) {
        match item {
            StreamItem::Delta(text) | StreamItem::ChoiceDelta { text, .. } => self.text.push_str(&text),
            StreamItem::ToolCall { index, id, name, arguments, .. } => {
                let i = index as usize;
                if self.calls.len() <= i && i < 128 {
                    self.calls.resize_with(i + 1, Call::default);
                }
                if let Some(call) = self.calls.get_mut(i) {
                    if let Some(id) = id {
                        call.id = id;
                    }
                    if let Some(name) = name {
                        call.name.push_str(&name);
                    }
                    call.arguments.push_str(&arguments);
                }
            }
            StreamItem::Finish { reason, .. } => self.finish = Some(reason),
            StreamItem::Usage { .. } => {}
        }
    }
}

/// A call that is not streamed: the whole answer once it is complete.
async fn collect(mut completion: Completion, shape: Shape) -> Result<Response, OpenAiError> {
    let mut choices: Vec<ChoiceState> = (0..shape.choices).map(|_| ChoiceState::default()).collect();
    let (mut usage, mut change) = (Usage::new(0, 0), None);
    loop {
        match completion.events.recv().await {
            Some(CompletionEvent::Item(item)) => {
                let index = match &item {
                    StreamItem::ChoiceDelta { choice, .. }
                    | StreamItem::ToolCall { choice, .. }
                    | StreamItem::Finish { choice, .. } => *choice,
                    StreamItem::Delta(_) | StreamItem::Usage { .. } => 0,
                };
                if let Some(choice) = choices.get_mut(index as usize) {
                    choice.apply(item);
                }
            }
            Some(CompletionEvent::Failed(e)) => return Err(e.into()),
            Some(CompletionEvent::Done { input_tokens, output_tokens, answer }) => {
                usage = Usage::new(input_tokens, output_tokens);
                change = answer;
                break;
            }
            None => break,
        }
    }
    let id = format!("chatcmpl-{}", completion.id.0.simple());
    let mut withheld = false;
    if let Some(first) = choices.first_mut() {
        match change {
            Some(AnswerChange::Replace(text)) => first.text = text,
            Some(AnswerChange::Withhold(_)) => {
                first.text.clear();
                first.calls.clear();
                withheld = true;
            }
            None => {}
        }
    }
    let body = wire::ChatCompletion {
        id: &id,
        object: "chat.completion",
        created: completion.created,
        model: &completion.model,
        choices: choices
            .iter()
            .enumerate()
            .map(|(i, c)| wire::Choice {
                index: i as u32,
                message: wire::OutMessage {
                    role: "assistant",
                    content: (!(c.text.is_empty() && (!c.calls.is_empty() || withheld && i == 0)))
                        .then_some(c.text.as_str()),
                    tool_calls: c
                        .calls
                        .iter()
                        .map(|call| wire::OutToolCall {
                            id: &call.id,
                            kind: "function",
                            function: wire::OutFunction { name: &call.name, arguments: &call.arguments },
                        })
                        .collect(),
                    refusal: None,
                },
                finish_reason: if withheld && i == 0 {
                    "content_filter"
                } else {
                    c.finish.as_deref().unwrap_or("stop")
                },
                logprobs: None,
            })
            .collect(),
        usage,
    };
    Ok(json(&body))
}

/// The relay's state while it writes a stream.
struct Relay {
    completion: Completion,
    /// Resolves when the caller's credential is revoked (signed out, token revoked, user
    /// disabled or deprovisioned).
    revoked: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    id: String,
    shape: Shape,
    started: bool,
    done: bool,
    buf: String,
}

impl Relay {
    fn chunk(&mut self, choices: Vec<wire::ChunkChoice<'_>>, usage: Option<Usage>) {
        let chunk = wire::Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.completion.created,
            model: &self.completion.model,
            choices,
            usage,
        };
        if let Ok(text) = serde_json::to_string(&chunk) {
            self.buf.push_str("data: ");
            self.buf.push_str(&text);
            self.buf.push_str("\n\n");
        }
    }

    fn one<'a>(index: u32, delta: wire::Delta<'a>, finish_reason: Option<&'a str>) -> Vec<wire::ChunkChoice<'a>> {
        vec![wire::ChunkChoice { index, delta, finish_reason, logprobs: None }]
    }

    /// Writes one event into the buffer; `done` once the stream is over.
    fn write(&mut self, event: CompletionEvent) {
        match event {
            CompletionEvent::Item(item) => match &item {
                StreamItem::Delta(text) => {
                    self.chunk(Self::one(0, wire::Delta { content: Some(text), ..Default::default() }, None), None)
                }
                StreamItem::ChoiceDelta { choice, text } => self
                    .chunk(Self::one(*choice, wire::Delta { content: Some(text), ..Default::default() }, None), None),
                StreamItem::ToolCall { choice, index, id, name, arguments } => {
                    let call = wire::DeltaToolCall {
                        index: *index,
                        id: id.as_deref(),
                        kind: id.as_ref().map(|_| "function"),
                        function: wire::DeltaFunction { name: name.as_deref(), arguments },
                    };
                    self.chunk(
                        Self::one(*choice, wire::Delta { tool_calls: vec![call], ..Default::default() }, None),
                        None,
                    )
                }
                StreamItem::Finish { choice, reason } => {
                    self.chunk(Self::one(*choice, wire::Delta::default(), Some(reason)), None)
                }
                StreamItem::Usage { .. } => {}
            },
            CompletionEvent::Failed(e) => {
                let err = OpenAiError::from(e);
                self.buf.push_str("data: ");
                self.buf.push_str(&err.body());
                self.buf.push_str("\n\n");
                self.done = true;
            }
            CompletionEvent::Done { input_tokens, output_tokens, .. } => {
                if self.shape.include_usage {
                    self.chunk(Vec::new(), Some(Usage::new(input_tokens, output_tokens)));
                }
                self.buf.push_str("data: [DONE]\n\n");
                self.done = true;
            }
        }
    }
}

/// A streamed call: OpenAI's chunks as server-sent events. Whatever is ready is written in one
/// go; nothing waits for more. When `revoked` resolves, the stream ends with an
/// `authentication_error` event (the caller's credential no longer stands).
fn stream(
    completion: Completion,
    shape: Shape,
    revoked: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) -> Response {
    let id = format!("chatcmpl-{}", completion.id.0.simple());
    let relay = Relay { completion, revoked, id, shape, started: false, done: false, buf: String::new() };
    let body = futures::stream::unfold(relay, |mut r| async move {
        if r.done {
            return None;
        }
        if !r.started {
            r.started = true;
            let choices = (0..r.shape.choices)
                .map(|i| wire::ChunkChoice {
                    index: i,
                    delta: wire::Delta { role: Some("assistant"), content: Some(""), ..Default::default() },
                    finish_reason: None,
                    logprobs: None,
                })
                .collect();
            r.chunk(choices, None);
        }
        tokio::select! {
            event = r.completion.events.recv() => match event {
                Some(event) => r.write(event),
                // The relay ended without an end (the server is shutting down): stop here.
                None => r.done = true,
            },
            () = &mut r.revoked => {
                let err = OpenAiError::new(
                    StatusCode::UNAUTHORIZED,
                    "authentication_error",
                    "credential_revoked",
                    "the API key was revoked or its user disabled while the answer streamed",
                );
                r.buf.push_str("data: ");
                r.buf.push_str(&err.body());
                r.buf.push_str("\n\n");
                r.done = true;
                return Some((Ok(bytes::Bytes::from(std::mem::take(&mut r.buf))), r));
            }
        }
        while !r.done {
            match r.completion.events.try_recv() {
                Ok(event) => r.write(event),
                Err(_) => break,
            }
        }
        let bytes = bytes::Bytes::from(std::mem::take(&mut r.buf));
        Some((Ok::<_, std::io::Error>(bytes), r))
    });
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("X-Accel-Buffering", "no")
        .body(Body::from_bytes_stream(body))
}
