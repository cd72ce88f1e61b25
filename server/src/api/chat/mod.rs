//! Conversations and messages: sending (streamed over SSE or answered at once), reattaching,
//! cancelling, regenerating, continuing, editing and choosing branches. The types are in
//! `views`, the event stream in `events`; this file holds the handlers.

pub(super) mod events;
mod views;

pub use views::*;

use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use confab_core::authz::Permission;
use confab_core::chat::{ChoiceOption, Draft, Idempotency, MAX_CHOICES, Positions, Turn};
use confab_core::domain::{ChoiceSetId, ConversationId, MessageId, PresetVersionId};
use confab_core::error::AppError;
use confab_core::store::conversations::Conversation;
use events::{Events, sse, sse_choices};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Default)]
pub struct ChatApi;

#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
pub enum TurnResponse {
    /// `Accept: text/event-stream`: the turn's events, from `message.created` to its final event.
    #[oai(status = 200)]
    Stream(Events),
    /// Otherwise: the created messages; attach with `GET /v1/messages/{id}/events`.
    #[oai(status = 202)]
    Accepted(Json<TurnView>),
}

#[derive(ApiResponse)]
pub enum ConversationCreated {
    #[oai(status = 201)]
    Created(Json<ConversationView>),
}

#[derive(ApiResponse)]
pub enum ConversationImported {
    /// The saved conversation, with its messages.
    #[oai(status = 201)]
    Created(Json<ConversationDetail>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

/// Registers the answer stream's event union (`StreamEvent` and its variants) for the spec.
pub(super) fn register_stream_events(registry: &mut poem_openapi::registry::Registry) {
    <events::StreamEvent as poem_openapi::types::Type>::register(registry);
}

/// Ends an open answer stream as soon as the caller's credential no longer stands (signed out,
/// token revoked, user disabled or deprovisioned), re-checked whenever credentials change on any
/// replica. The answer itself runs on; only this caller stops receiving it.
pub(super) fn guarded<T: Send + 'static>(
    state: &AppState,
    principal: &confab_core::domain::Principal,
    events: futures::stream::BoxStream<'static, T>,
) -> futures::stream::BoxStream<'static, T> {
    use futures::StreamExt;
    events.take_until(revoked(state, principal)).boxed()
}

/// Resolves once the caller's credential no longer stands (signed out, token revoked, user
/// disabled or deprovisioned), checked whenever credentials change on any replica; never while it
/// stands.
pub(crate) fn revoked(
    state: &AppState,
    principal: &confab_core::domain::Principal,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let auth = state.auth.clone();
    let principal = principal.clone();
    let mut changes = auth.changes();
    async move {
        loop {
            if changes.changed().await.is_err() {
                return futures::future::pending::<()>().await;
            }
            if !auth.still_valid(&principal).await {
                tracing::info!(user = %principal.user_id.0, "answer stream ended: the credential no longer stands");
                return;
            }
        }
    }
}

fn wants_sse(req: &poem::Request) -> bool {
    req.headers()
        .get(poem::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

async fn respond(
    state: &AppState,
    auth: &Auth,
    scope: &confab_core::domain::TenantScope,
    req: &poem::Request,
    turn: Turn,
    with_files: bool,
) -> ApiResult<TurnResponse> {
    if wants_sse(req)
        && let Some(choices) = &turn.choices
    {
        let events = guarded(state, &auth.0, state.chat.choice_turn_events(scope, &turn));
        let start = Positions::start(choices.answers.len());
        Ok(TurnResponse::Stream(sse_choices(events, choices.set.0, start, heartbeat(state))))
    } else if wants_sse(req) {
        let events = guarded(state, &auth.0, state.chat.turn_events(scope, &turn));
        let arrived = req.data::<super::middleware::Arrived>().map_or_else(std::time::Instant::now, |a| a.0);
        let events = events::first_delta_timed(events, state.metrics.clone(), arrived);
        Ok(TurnResponse::Stream(sse(events, heartbeat(state))))
    } else {
        let user = turn.user_message.as_ref().map(|m| m.id).filter(|_| with_files);
        let mut view: TurnView = turn.into();
        if let Some(user) = user {
            let parts = state.chat.files().parts_of_messages(scope.tenant, &[user]).await?;
            attach_files(view.user_message.as_mut(), parts);
        }
        Ok(TurnResponse::Accepted(Json(view)))
    }
}

/// A `Last-Event-ID` that is one offset (a single answer's stream): `None` without it, 422 when it
/// is not a number.
pub(super) fn offset_after(raw: Option<&str>, what: &str) -> Result<Option<usize>, AppError> {
    raw.map(|raw| raw.trim().parse::<usize>().map_err(|_| bad_event_id(what))).transpose()
}

/// The 422 for a `Last-Event-ID` that is not the id of an event of this `what`'s stream.
pub(super) fn bad_event_id(what: &str) -> AppError {
    AppError::Validation { field: "Last-Event-ID", reason: format!("must be the id of an event of this {what}") }
}

pub(super) fn heartbeat(state: &AppState) -> Duration {
    Duration::from_secs(state.config.chat.heartbeat_secs)
}

async fn pinned(
    state: &AppState,
    scope: &confab_core::domain::TenantScope,
    conversation: &Conversation,
) -> ApiResult<Option<PinnedPreset>> {
    Ok(state.chat.pinned_preset(scope, conversation).await?.map(|v| PinnedPreset {
        preset_id: v.preset_id.0,
        version_id: v.id.0,
        version: v.version,
        name: v.settings.name,
        model: v.settings.model,
    }))
}

/// The answers a send or regenerate asks for: `None` for one (an ordinary turn), else one option
/// per choice.
fn choice_options(
    choices: Option<u32>,
    options: Option<&[ChoiceOptionInput]>,
) -> Result<Option<Vec<ChoiceOption<'_>>>, AppError> {
    let n = choices.map_or_else(|| options.map_or(1, <[_]>::len), |n| n as usize);
    if n == 0 || n > MAX_CHOICES {
        return Err(AppError::Validation { field: "choices", reason: format!("must be between 1 and {MAX_CHOICES}") });
    }
    if options.is_some_and(|o| o.len() != n) {
        return Err(AppError::Validation { field: "choice_options", reason: "must have one entry per choice".into() });
    }
    if n == 1 {
        if options.is_some() {
            return Err(AppError::Validation {
                field: "choice_options",
                reason: "is for 2 or more choices; use `model` for one answer".into(),
            });
        }
        return Ok(None);
    }
    Ok(Some(match options {
        Some(options) => options
            .iter()
            .map(|o| ChoiceOption {
                model: o.model.as_deref(),
                preset_version: o.preset_version_id.map(PresetVersionId),
            })
            .collect(),
        None => vec![ChoiceOption::default(); n],
    }))
}

async fn choice_set_view(
    state: &AppState,
    scope: &confab_core::domain::TenantScope,
    conversation: ConversationId,
) -> ApiResult<Vec<ChoiceSetView>> {
    Ok(state.chat.choice_sets(scope, conversation).await?.into_iter().map(Into::into).collect())
}

fn client_ip() -> Option<String> {
    confab_core::context::current().ip
}

#[OpenApi(tag = "ApiTags::Chat")]
impl ChatApi {
    /// Start a conversation.
    #[oai(path = "/conversations", method = "post", operation_id = "conversations_create")]
    async fn create_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateConversation>,
    ) -> ApiResult<ConversationCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let Json(body) = body;
        let choice = preset_choice(body.preset_id, body.plugin_preset)?;
        let c = state.chat.create_conversation(&scope, body.title.as_deref(), choice).await?;
        Ok(ConversationCreated::Created(Json(c.into())))
    }

    /// Save a conversation kept in the browser (a private chat) into my history: its messages,
    /// in order, on one branch; searchable like any other. Nothing else about the private chat
    /// reaches the server. Audited with the message count only.
    #[oai(path = "/conversations/import", method = "post", operation_id = "conversations_import")]
    async fn import_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Recommended: a key per save (e.g. a UUID, or a digest of the body; 1–255 printable
        /// characters), reused on retries. A retry with the same key and body answers the
        /// conversation the first call saved instead of saving a copy; the same key with another
        /// body is `idempotency_key_reused` (422). Keys are kept `chat.idempotency_hours`.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<ImportConversation>,
    ) -> ApiResult<ConversationImported> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = match idempotency_key.0.as_deref() {
            Some(key) => Some(Idempotency::parse(Some(key))?),
            None => None,
        };
        let Json(body) = body;
        let messages = body.messages.into_iter().map(Into::into).collect();
        let actor = confab_core::auth::actor_of(&auth.0);
        let id = state.chat.import_conversation(&scope, &actor, idem, body.title.as_deref(), messages).await?;
        let (conversation, messages) = state.chat.conversation(&scope, id).await?;
        let messages = branch(messages, conversation.active_leaf_id);
        Ok(ConversationImported::Created(Json(ConversationDetail {
            conversation: conversation.into(),
            preset: None,
            view: TreeView::Branch,
            messages,
            choice_sets: Vec::new(),
        })))
    }

    /// My conversations, newest first.
    #[oai(path = "/conversations", method = "get", operation_id = "conversations_list")]
    async fn list_conversations(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Archived conversations instead of current ones.
        archived: Query<Option<bool>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<ConversationPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ConversationId);
        let items = state.chat.conversations(&scope, archived.0.unwrap_or(false), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |c| c.id.0);
        Ok(Json(ConversationPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// One conversation with its active branch (default) or its whole message tree.
    #[oai(path = "/conversations/:id", method = "get", operation_id = "conversations_get")]
    async fn get_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
        /// `branch` (default): the active branch; `tree`: every message.
        view: Query<Option<TreeView>>,
    ) -> ApiResult<Json<ConversationDetail>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let (conversation, messages) = state.chat.conversation(&scope, ConversationId(id.0)).await?;
        let view = view.0.unwrap_or(TreeView::Branch);
        let mut messages = match view {
            TreeView::Branch => branch(messages, conversation.active_leaf_id),
            TreeView::Tree => messages.into_iter().map(Into::into).collect(),
        };
        if conversation.has_files {
            let parts = state.chat.files().parts_of_conversation(scope.tenant, conversation.id).await?;
            attach_files(messages.iter_mut(), parts);
        }
        let preset = pinned(&state, &scope, &conversation).await?;
        let choice_sets = choice_set_view(&state, &scope, conversation.id).await?;
        Ok(Json(ConversationDetail { conversation: conversation.into(), preset, view, messages, choice_sets }))
    }

    /// Switch the conversation to another preset (its current version) or to none. Editing a
    /// preset never changes a conversation; this does.
    #[oai(path = "/conversations/:id/preset", method = "put", operation_id = "conversations_set_preset")]
    async fn switch_preset(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
        body: Json<SwitchPreset>,
    ) -> ApiResult<Json<ConversationView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let Json(body) = body;
        let choice = preset_choice(body.preset_id, body.plugin_preset)?;
        let c = state.chat.switch_preset(&scope, ConversationId(id.0), choice).await?;
        Ok(Json(c.into()))
    }

    /// Rename or (un)archive a conversation.
    #[oai(path = "/conversations/:id", method = "patch", operation_id = "conversations_update")]
    async fn update_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
        body: Json<UpdateConversation>,
    ) -> ApiResult<Json<ConversationView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let c =
            state.chat.update_conversation(&scope, ConversationId(id.0), body.title.as_deref(), body.archived).await?;
        Ok(Json(c.into()))
    }

    /// Delete a conversation and all its messages (running turns are stopped).
    #[oai(path = "/conversations/:id", method = "delete", operation_id = "conversations_delete")]
    async fn delete_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        state.chat.delete_conversation(&scope, ConversationId(id.0)).await?;
        Ok(Deleted::NoContent)
    }

    /// Choose the branch the conversation shows and continues.
    #[oai(path = "/conversations/:id/active-branch", method = "put", operation_id = "conversations_set_active_branch")]
    async fn set_active_branch(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
        body: Json<SetActiveBranch>,
    ) -> ApiResult<Json<ConversationDetail>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let cid = ConversationId(id.0);
        state.chat.set_active_branch(&scope, cid, MessageId(body.message_id)).await?;
        let (conversation, messages) = state.chat.conversation(&scope, cid).await?;
        let messages = branch(messages, conversation.active_leaf_id);
        let preset = pinned(&state, &scope, &conversation).await?;
        let choice_sets = choice_set_view(&state, &scope, conversation.id).await?;
        Ok(Json(ConversationDetail {
            conversation: conversation.into(),
            preset,
            view: TreeView::Branch,
            messages,
            choice_sets,
        }))
    }

    /// Send a message and get the answer.
    ///
    /// With `Accept: text/event-stream` the answer streams as server-sent events; otherwise the
    /// created messages come back at once (202) and the answer runs on — attach to it with
    /// `GET /v1/messages/{id}/events`. Closing the connection does not stop the answer; only
    /// cancel does. A retry with the same `Idempotency-Key` returns the same messages and stream.
    #[oai(path = "/conversations/:id/messages", method = "post", operation_id = "messages_send")]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        /// The conversation's id.
        id: Path<Uuid>,
        /// Required: a unique key per user action (e.g. a UUID; 1–255 printable characters), reused
        /// on retries. A retry with the same key and body returns the same messages and stream
        /// instead of starting another answer; the same key with another body is
        /// `idempotency_key_reused` (422). Keys are kept `chat.idempotency_hours` (24 by default).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<SendMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let files: Vec<confab_core::domain::FileId> =
            body.file_ids.iter().flatten().copied().map(confab_core::domain::FileId).collect();
        let draft = Draft {
            content: &body.content,
            model: body.model.as_deref(),
            parent: body.parent_id.map(MessageId),
            files: &files,
        };
        let (ip, conversation) = (client_ip(), ConversationId(id.0));
        let turn = match choice_options(body.choices, body.choice_options.as_deref())? {
            None => state.chat.send(&scope, ip.as_deref(), idem, conversation, draft).await?,
            Some(options) => {
                state.chat.send_choices(&scope, ip.as_deref(), idem, conversation, draft, &options).await?
            }
        };
        respond(&state, &auth, &scope, req, turn, !files.is_empty()).await
    }

    /// One message.
    #[oai(path = "/messages/:id", method = "get", operation_id = "messages_get")]
    async fn get_message(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The message's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<MessageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let mut view: MessageView = state.chat.message(&scope, MessageId(id.0)).await?.into();
        let parts = state.chat.files().parts_of_messages(scope.tenant, &[MessageId(id.0)]).await?;
        attach_files(std::iter::once(&mut view), parts);
        Ok(Json(view))
    }

    /// Attach to an assistant message's events, live or finished.
    ///
    /// With `Last-Event-ID` (the id of the last event received) the stream resumes right after
    /// it, with no gap and no duplicate; without it, it starts at `message.created`.
    #[oai(path = "/messages/:id/events", method = "get", operation_id = "messages_events")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The message's id.
        id: Path<Uuid>,
        /// The `id:` of the last event received: the stream resumes after it. From the start when
        /// absent.
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<String>>,
    ) -> ApiResult<Events> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let after = offset_after(last_event_id.0.as_deref(), "message")?;
        let events = guarded(&state, &auth.0, state.chat.events(&scope, MessageId(id.0), after).await?);
        Ok(sse(events, heartbeat(&state)))
    }

    /// Stop an answer. It keeps the text written so far, with status `cancelled`.
    #[oai(path = "/messages/:id/cancel", method = "post", operation_id = "messages_cancel")]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The message's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<MessageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        Ok(Json(state.chat.cancel(&scope, MessageId(id.0)).await?.into()))
    }

    /// Answer again: a new assistant message beside this one (or, for a user message, a new answer
    /// to it).
    #[oai(path = "/messages/:id/regenerate", method = "post", operation_id = "messages_regenerate")]
    async fn regenerate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        /// The message's id.
        id: Path<Uuid>,
        /// Required: a unique key per user action (e.g. a UUID; 1–255 printable characters), reused
        /// on retries. A retry with the same key and body returns the same messages and stream
        /// instead of starting another answer; the same key with another body is
        /// `idempotency_key_reused` (422). Keys are kept `chat.idempotency_hours` (24 by default).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<RegenerateMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let (ip, message, model) = (client_ip(), MessageId(id.0), body.model.as_deref());
        let turn = match choice_options(body.choices, body.choice_options.as_deref())? {
            None => state.chat.regenerate(&scope, ip.as_deref(), idem, message, model).await?,
            Some(options) => {
                state.chat.regenerate_choices(&scope, ip.as_deref(), idem, message, model, &options).await?
            }
        };
        respond(&state, &auth, &scope, req, turn, false).await
    }

    /// Continue a `partial` answer where it stopped.
    #[oai(path = "/messages/:id/continue", method = "post", operation_id = "messages_continue")]
    async fn continue_partial(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        /// The message's id.
        id: Path<Uuid>,
        /// Required: a unique key per user action (e.g. a UUID; 1–255 printable characters), reused
        /// on retries. A retry with the same key and body returns the same messages and stream
        /// instead of starting another answer; the same key with another body is
        /// `idempotency_key_reused` (422). Keys are kept `chat.idempotency_hours` (24 by default).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn = state.chat.continue_partial(&scope, client_ip().as_deref(), idem, MessageId(id.0)).await?;
        respond(&state, &auth, &scope, req, turn, false).await
    }

    /// Edit a user message: a new user message beside it (a new branch) with a new answer.
    #[oai(path = "/messages/:id/edit", method = "post", operation_id = "messages_edit")]
    async fn edit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        /// The message's id.
        id: Path<Uuid>,
        /// Required: a unique key per user action (e.g. a UUID; 1–255 printable characters), reused
        /// on retries. A retry with the same key and body returns the same messages and stream
        /// instead of starting another answer; the same key with another body is
        /// `idempotency_key_reused` (422). Keys are kept `chat.idempotency_hours` (24 by default).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<EditMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn = state
            .chat
            .edit(&scope, client_ip().as_deref(), idem, MessageId(id.0), &body.content, body.model.as_deref())
            .await?;
        respond(&state, &auth, &scope, req, turn, true).await
    }

    /// A choice set (several answers to one message, generated at once) with its answers.
    #[oai(path = "/choice-sets/:id", method = "get", operation_id = "choice_sets_get")]
    async fn get_choice_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The choice set's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<ChoiceSetDetail>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let (set, answers) = state.chat.choice_set(&scope, ChoiceSetId(id.0)).await?;
        Ok(Json(ChoiceSetDetail { choice_set: set.into(), answers: answers.into_iter().map(Into::into).collect() }))
    }

    /// Attach to every answer of a choice set on one stream, live or finished.
    ///
    /// The events are those of `GET /v1/messages/{id}/events`, interleaved as the answers are
    /// written; each carries its answer's id (`message_id`, or `assistant_message_id` and
    /// `choice` on `message.created`). Each event's `id:` holds one position per answer in choice
    /// order, joined by `.`: `-` (nothing received yet), the answer's length in bytes received so
    /// far (`0` right after its `message.created`), or `x` (its final event was received) — e.g.
    /// `412.x.-`. Sent back as `Last-Event-ID`, it resumes every answer right after its position,
    /// with no gap and no duplicate; the stream ends when every answer has sent its final event.
    #[oai(path = "/choice-sets/:id/events", method = "get", operation_id = "choice_sets_events")]
    async fn choice_set_events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The choice set's id.
        id: Path<Uuid>,
        /// The `id:` of the last event received: every answer resumes after its position. From
        /// the start when absent.
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<String>>,
    ) -> ApiResult<Events> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let (set, answers) = state.chat.choice_set(&scope, ChoiceSetId(id.0)).await?;
        let positions = match last_event_id.0.as_deref() {
            None => Positions::start(answers.len()),
            Some(raw) => Positions::parse(raw, answers.len())?,
        };
        let stream = state.chat.choice_events(&scope, Some(set.parent_id), &answers, &positions);
        let events = guarded(&state, &auth.0, stream);
        Ok(sse_choices(events, set.id.0, positions, heartbeat(&state)))
    }

    /// Use this answer: the picked answer of a choice set becomes the conversation's active
    /// branch (the others stay as its siblings in the branch navigator) and the pick is recorded
    /// (it is part of the user's data export). Picking again replaces the pick.
    #[oai(path = "/choice-sets/:id/pick", method = "post", operation_id = "choice_sets_pick")]
    async fn pick_choice(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The choice set's id.
        id: Path<Uuid>,
        body: Json<PickChoice>,
    ) -> ApiResult<Json<ChoiceSetView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let set = state.chat.pick_choice(&scope, ChoiceSetId(id.0), MessageId(body.message_id)).await?;
        Ok(Json(set.into()))
    }
}
