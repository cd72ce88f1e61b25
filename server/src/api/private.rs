//! Private mode: conversations kept only in the user's browser, with Confab as a relay that
//! stores no content. `POST /v1/private/turns` takes the whole history and streams the answer;
//! the answer stays resumable in this replica's memory for a short while
//! (`GET /v1/private/turns/{id}/events`); tenant admins turn the mode off
//! (`PUT /v1/tenant/private-mode`), and a tenant-wide legal hold forbids it.

use super::ApiTags;
use super::chat::events::{EventKind, Events, sse_frame};
use super::chat::{bad_event_id, guarded, heartbeat, offset_after};
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::chat::private::{HeldTurn, PrivateEnd, PrivateInput, PrivateMessage, RESUME_SECS};
use confab_core::domain::{MessageStatus, PresetId};
use confab_core::error::AppError;
use confab_core::providers::Role;
use futures::StreamExt;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::registry::Registry;
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Union};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct PrivateApi;

/// Whether the caller may keep private chats.
#[derive(Debug, Object)]
pub struct PrivateModeStatus {
    /// Private chats are available to the caller.
    pub allowed: bool,
    /// Why not, in words for the user (null when allowed).
    #[oai(nullable)]
    pub reason: Option<String>,
    /// How long (seconds) the server holds an answer after it ended, for a browser to resume it.
    pub resume_secs: u64,
}

/// A tenant's private-mode setting.
#[derive(Debug, Object)]
pub struct TenantPrivateMode {
    /// Members may keep private chats (unless a legal hold forbids it).
    pub allowed: bool,
    /// What members are told while private chats are off.
    #[oai(nullable)]
    pub reason: Option<String>,
    /// The case name of an active tenant-wide legal hold: while it lasts, private chats are off
    /// whatever `allowed` says.
    #[oai(nullable)]
    pub legal_hold: Option<String>,
    /// When the setting was last changed (null: never; private chats are allowed by default).
    #[oai(nullable)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Who last changed it.
    #[oai(nullable)]
    pub updated_by: Option<String>,
}

/// A tenant's private-mode switch.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetTenantPrivateMode {
    /// Whether members may keep private chats.
    pub allowed: bool,
    /// Shown to members while private chats are off (a retention duty, a policy); at most 500
    /// characters.
    #[oai(nullable)]
    pub reason: Option<String>,
}

/// Who wrote a message of a private chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "PrivateRole", rename_all = "snake_case")]
pub enum PrivateRole {
    User,
    Assistant,
}

impl From<PrivateRole> for Role {
    fn from(r: PrivateRole) -> Self {
        match r {
            PrivateRole::User => Role::User,
            PrivateRole::Assistant => Role::Assistant,
        }
    }
}

/// One message of a private chat's history.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PrivateMessageBody {
    /// Who wrote it.
    pub role: PrivateRole,
    /// Its text.
    pub content: String,
}

/// A private turn: the chat's whole history, oldest first. When the last message is the
/// assistant's (a partial answer), the new answer continues it: append its text to that message.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PrivateTurnBody {
    /// 1 to 500 messages. The oldest are left out when they do not fit the model's window
    /// (`turn.created` says how many).
    pub messages: Vec<PrivateMessageBody>,
    /// A model of the catalogue; the tenant's default when neither it nor `preset_id` is given.
    #[oai(nullable)]
    pub model: Option<String>,
    /// A preset to answer with (its model, system prompt and settings).
    #[oai(nullable)]
    pub preset_id: Option<Uuid>,
}

/// `turn.created`: the answer is under way; always the first event.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnCreated {
    /// The answer's id: to resume its events and to cancel it.
    pub turn_id: Uuid,
    /// The model as named (a catalogue model, or `preset/<id>`).
    pub model: String,
    /// Older messages of the history left out to fit the model's window.
    pub dropped_messages: u32,
}

/// `turn.delta`: the next piece of the answer.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnDelta {
    /// The answer.
    pub turn_id: Uuid,
    /// The next piece of text, to append.
    pub content: String,
    /// The answer's length in bytes (UTF-8) after this delta; also the event's `id`.
    pub offset: u64,
}

/// `turn.completed`: the answer is complete.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnCompleted {
    /// The answer.
    pub turn_id: Uuid,
    /// Prompt tokens, as the provider reported them (or estimated).
    pub input_tokens: u64,
    /// Answer tokens.
    pub output_tokens: u64,
    /// The answer's length in bytes.
    pub length: u64,
}

/// Why a private answer failed or stopped early.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnError {
    /// e.g. `upstream_timeout`, `upstream_stream_broken`, `plugin_rejected`, `interrupted`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// Whether a failed private answer kept text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PrivateFailedStatus {
    /// No text: ask again.
    Failed,
    /// Some text: keep it and continue it.
    Partial,
}

/// `turn.failed`: the answer ended with an error.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnFailed {
    /// The answer.
    pub turn_id: Uuid,
    /// `partial` when text was written (keep it; it can be continued), `failed` otherwise.
    pub status: PrivateFailedStatus,
    /// Why it failed.
    pub error: PrivateTurnError,
    /// The answer's length in bytes.
    pub length: u64,
}

/// `turn.cancelled`: stopped by the user; the text so far stands.
#[derive(Debug, Clone, Object)]
pub struct PrivateTurnCancelled {
    /// The answer.
    pub turn_id: Uuid,
    /// The answer's length in bytes.
    pub length: u64,
}

/// One event of a private answer's stream. Its SSE `event:` is the `type`; its `id:` is the
/// answer's length in bytes after the event (0 for `turn.created`, length + 1 for the final
/// event): send the last one back as `Last-Event-ID` to resume.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "type")]
pub enum PrivateStreamEvent {
    #[oai(mapping = "turn.created")]
    Created(PrivateTurnCreated),
    #[oai(mapping = "turn.delta")]
    Delta(PrivateTurnDelta),
    #[oai(mapping = "turn.completed")]
    Completed(PrivateTurnCompleted),
    #[oai(mapping = "turn.failed")]
    Failed(PrivateTurnFailed),
    #[oai(mapping = "turn.cancelled")]
    Cancelled(PrivateTurnCancelled),
}

impl PrivateStreamEvent {
    fn name(&self) -> &'static str {
        match self {
            PrivateStreamEvent::Created(_) => "turn.created",
            PrivateStreamEvent::Delta(_) => "turn.delta",
            PrivateStreamEvent::Completed(_) => "turn.completed",
            PrivateStreamEvent::Failed(_) => "turn.failed",
            PrivateStreamEvent::Cancelled(_) => "turn.cancelled",
        }
    }

    fn frame(&self, id: u64) -> Bytes {
        sse_frame(&id.to_string(), self.name(), &self.to_json_string())
    }
}

/// A private answer's stream: [`PrivateStreamEvent`]s.
pub struct PrivateEvents;

impl EventKind for PrivateEvents {
    const DESCRIPTION: &'static str = "Server-sent events (`text/event-stream`). Each event has `event:` \
        (its type: `turn.created`, `turn.delta`, `turn.completed`, `turn.failed` or `turn.cancelled`), \
        `id:` (send the last one back as `Last-Event-ID` to resume) and one `data:` line holding a \
        JSON `PrivateStreamEvent` (`#/components/schemas/PrivateStreamEvent`, also named by this media \
        type's `x-event-schema`). Lines starting with `:` are keep-alives. The stream ends after the \
        final event (`completed`, `failed` or `cancelled`).";
    const RESPONSE: &'static str = "The private answer's events from `Last-Event-ID` on (from `turn.created` \
        without it), live until its final event.";

    fn register(registry: &mut Registry) {
        PrivateStreamEvent::register(registry);
    }
}

/// Registers the private stream's event union, which the spec names only in descriptions.
pub(super) fn register_stream_events(registry: &mut Registry) {
    PrivateStreamEvent::register(registry);
}

#[derive(ApiResponse)]
pub enum Cancelled {
    /// The answer stops; its stream ends with `turn.cancelled`.
    #[oai(status = 204)]
    NoContent,
}

/// The events of a held answer after `after` (an id the stream handed out), live to its end.
fn stream(turn: Arc<HeldTurn>, after: Option<u64>) -> futures::stream::BoxStream<'static, Bytes> {
    let id = turn.id;
    let created = PrivateStreamEvent::Created(PrivateTurnCreated {
        turn_id: id,
        model: turn.model.clone(),
        dropped_messages: turn.dropped_messages,
    });
    let first = after.is_none().then(|| created.frame(0));
    let changes = turn.watch();
    let reader = Reader { turn, changes, offset: after.unwrap_or(0) as usize, done: false };
    let rest = futures::stream::unfold(reader, |mut r| async move {
        let frame = r.next().await?;
        Some((frame, r))
    });
    futures::stream::iter(first).chain(rest).boxed()
}

/// Reads a held answer from an offset: the text that arrived since as one delta, then the end.
struct Reader {
    turn: Arc<HeldTurn>,
    /// Wakes the reader when the answer grows or ends.
    changes: tokio::sync::watch::Receiver<u64>,
    offset: usize,
    done: bool,
}

impl Reader {
    async fn next(&mut self) -> Option<Bytes> {
        let id = self.turn.id;
        loop {
            if self.done {
                return None;
            }
            // Mark the current version seen before reading, so no change is missed in between.
            self.changes.borrow_and_update();
            let snap = self.turn.read_from(self.offset);
            if !snap.text.is_empty() {
                self.offset = snap.length;
                let offset = self.offset as u64;
                let delta = PrivateStreamEvent::Delta(PrivateTurnDelta { turn_id: id, content: snap.text, offset });
                return Some(delta.frame(offset));
            }
            if let Some(end) = snap.end {
                self.done = true;
                // A reader that already had the final event gets nothing more.
                if self.offset > snap.length {
                    return None;
                }
                let length = snap.length as u64;
                let event = match end {
                    PrivateEnd::Completed { input_tokens, output_tokens } => {
                        PrivateStreamEvent::Completed(PrivateTurnCompleted {
                            turn_id: id,
                            input_tokens,
                            output_tokens,
                            length,
                        })
                    }
                    PrivateEnd::Failed { status, code, message } => PrivateStreamEvent::Failed(PrivateTurnFailed {
                        turn_id: id,
                        status: if status == MessageStatus::Partial {
                            PrivateFailedStatus::Partial
                        } else {
                            PrivateFailedStatus::Failed
                        },
                        error: PrivateTurnError { code, message },
                        length,
                    }),
                    PrivateEnd::Cancelled => {
                        PrivateStreamEvent::Cancelled(PrivateTurnCancelled { turn_id: id, length })
                    }
                };
                return Some(event.frame(length + 1));
            }
            // The sender lives in the turn, which this reader holds: it cannot go away.
            self.changes.changed().await.ok()?;
        }
    }
}

#[OpenApi(tag = "ApiTags::Chat")]
impl PrivateApi {
    /// Whether I may keep private chats (and why not).
    #[oai(path = "/private-mode", method = "get", operation_id = "private_mode_get")]
    async fn status(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PrivateModeStatus>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let status = state.chat.private_status(&scope).await?;
        Ok(Json(PrivateModeStatus { allowed: status.allowed, reason: status.reason, resume_secs: RESUME_SECS }))
    }

    /// Answer a private chat: the browser sends the whole history and keeps the answer; the
    /// server stores none of it (the audit log records who, when, which model and the token
    /// counts). Rate limits, quotas, the tenant's plugin chain and usage apply as to any turn.
    ///
    /// The answer streams as server-sent events. If the connection drops, resume it with
    /// `GET /v1/private/turns/{id}/events` and `Last-Event-ID` while the server still holds it
    /// (`resume_secs` after it ended, on the same server); after that, keep what arrived as a
    /// partial answer and continue it with a new turn whose last message is that answer.
    /// `403 private_mode_disabled` when the organisation has turned private chats off.
    #[oai(path = "/private/turns", method = "post", operation_id = "private_turns_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<PrivateTurnBody>,
    ) -> ApiResult<Events<PrivateEvents>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let Json(body) = body;
        let input = PrivateInput {
            messages: body
                .messages
                .into_iter()
                .map(|m| PrivateMessage { role: m.role.into(), content: m.content })
                .collect(),
            model: body.model,
            preset: body.preset_id.map(PresetId),
        };
        let actor = actor_of(&auth.0);
        let ip = confab_core::context::current().ip;
        let turn = state.chat.private_turn(&scope, &actor, ip.as_deref(), input).await?;
        Ok(Events::new(guarded(&state, &auth.0, stream(turn, None)), heartbeat(&state)))
    }

    /// Resume a private answer's events. With `Last-Event-ID` the stream continues right after
    /// it; without, it starts at `turn.created`. `404` once the server no longer holds the answer
    /// (more than `resume_secs` after it ended, a restart, another server): keep what arrived.
    #[oai(path = "/private/turns/:id/events", method = "get", operation_id = "private_turns_events")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The answer's id (`turn_id` of `turn.created`).
        id: Path<Uuid>,
        /// The `id:` of the last event received: the stream resumes after it.
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<String>>,
    ) -> ApiResult<Events<PrivateEvents>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let turn = state.chat.private_relay().get(&scope, id.0).ok_or(AppError::NotFound("private answer"))?;
        let after = offset_after(last_event_id.0.as_deref(), "answer")?;
        if after.is_some_and(|offset| !turn.valid_offset(offset)) {
            // A number, but not a position this answer's stream handed out.
            return Err(bad_event_id("answer").into());
        }
        Ok(Events::new(guarded(&state, &auth.0, stream(turn, after.map(|o| o as u64))), heartbeat(&state)))
    }

    /// Stop a private answer; the text so far stands.
    #[oai(path = "/private/turns/:id/cancel", method = "post", operation_id = "private_turns_cancel")]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The answer's id (`turn_id` of `turn.created`).
        id: Path<Uuid>,
    ) -> ApiResult<Cancelled> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        state.chat.cancel_private(&scope, id.0)?;
        Ok(Cancelled::NoContent)
    }

    /// The tenant's private-mode setting (tenant admins and auditors).
    #[oai(path = "/tenant/private-mode", method = "get", operation_id = "tenant_private_mode_get")]
    async fn tenant_get(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<TenantPrivateMode>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_READ).await?;
        Ok(Json(state.chat.tenant_private_mode(scope.tenant).await?.into()))
    }

    /// Turn private chats on or off for the tenant (tenant admins). Tenants with a duty to keep
    /// conversations turn them off; a tenant-wide legal hold turns them off while it lasts.
    /// Audited.
    #[oai(path = "/tenant/private-mode", method = "put", operation_id = "tenant_private_mode_set")]
    async fn tenant_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<SetTenantPrivateMode>,
    ) -> ApiResult<Json<TenantPrivateMode>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_MANAGE).await?;
        let actor = actor_of(&auth.0);
        let set = state.chat.set_tenant_private_mode(&scope, &actor, body.allowed, body.reason.as_deref()).await?;
        Ok(Json(set.into()))
    }
}

impl From<confab_core::chat::private::TenantPrivateMode> for TenantPrivateMode {
    fn from(t: confab_core::chat::private::TenantPrivateMode) -> Self {
        Self {
            allowed: t.setting.allowed,
            reason: t.setting.reason,
            legal_hold: t.legal_hold,
            updated_at: t.setting.updated_at,
            updated_by: t.setting.updated_by,
        }
    }
}
