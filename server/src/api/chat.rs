//! Conversations and messages: sending (streamed over SSE or answered at once), reattaching,
//! cancelling, regenerating, continuing, editing and choosing branches.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::{decode_cursor, next_cursor, page_limit};
use crate::app::AppState;
use crate::authz::Permission;
use crate::chat::engine::ChatEvent;
use crate::chat::{Draft, Idempotency, Turn};
use crate::domain::{ConversationId, MessageId, MessageRole, MessageStatus, PresetId};
use crate::error::AppError;
use crate::store::conversations::Conversation;
use crate::store::messages::Message;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Union};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Default)]
pub struct ChatApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusView {
    Queued,
    Streaming,
    Completed,
    Cancelled,
    Failed,
    Partial,
}

impl From<MessageStatus> for StatusView {
    fn from(s: MessageStatus) -> Self {
        match s {
            MessageStatus::Queued => StatusView::Queued,
            MessageStatus::Streaming => StatusView::Streaming,
            MessageStatus::Completed => StatusView::Completed,
            MessageStatus::Cancelled => StatusView::Cancelled,
            MessageStatus::Failed => StatusView::Failed,
            MessageStatus::Partial => StatusView::Partial,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleView {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, Object)]
pub struct MessageErrorView {
    /// e.g. `upstream_rate_limited`, `upstream_timeout`, `upstream_stream_broken`, `interrupted`.
    pub code: String,
    pub message: String,
    /// From the provider's `Retry-After`, when it gave one.
    pub retry_after_secs: Option<i64>,
}

#[derive(Debug, Clone, Object)]
pub struct UsageView {
    pub input_tokens: i64,
    pub output_tokens: i64,
}

#[derive(Debug, Clone, Object)]
pub struct ContextView {
    /// The messages sent upstream for this answer, oldest first.
    pub sent_message_ids: Vec<Uuid>,
    /// Older messages left out to fit the model's context window.
    pub dropped_message_ids: Vec<Uuid>,
    pub prompt_tokens: i64,
}

#[derive(Debug, Clone, Object)]
pub struct MessageView {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub role: RoleView,
    pub status: StatusView,
    pub content: String,
    pub model: Option<String>,
    pub error: Option<MessageErrorView>,
    pub usage: Option<UsageView>,
    /// For assistant messages: what was sent upstream.
    pub context: Option<ContextView>,
    /// For assistant messages: what each plugin of the tenant's chain did to the request
    /// (`unchanged`, `changed`, `rejected`, `failed_open`, `failed`), in chain order.
    #[oai(skip_serializing_if_is_none)]
    pub plugins: Option<Vec<PluginRunView>>,
    /// Ids of this message and its siblings (same parent), oldest first — for ‹ 2 / 3 › navigation.
    /// Only in the branch view.
    #[oai(skip_serializing_if_is_none)]
    pub sibling_ids: Option<Vec<Uuid>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Object)]
pub struct PluginRunView {
    pub plugin: String,
    pub version: String,
    pub outcome: String,
    /// The rejection reason, or what went wrong.
    pub detail: Option<String>,
    pub elapsed_us: u64,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let plugins = m.plugin_runs.as_ref().and_then(|runs| runs.as_array()).map(|runs| {
            runs.iter()
                .map(|r| PluginRunView {
                    plugin: r["plugin"].as_str().unwrap_or_default().to_string(),
                    version: r["version"].as_str().unwrap_or_default().to_string(),
                    outcome: r["outcome"].as_str().unwrap_or_default().to_string(),
                    detail: r["detail"].as_str().map(str::to_string),
                    elapsed_us: r["elapsed_us"].as_u64().unwrap_or_default(),
                })
                .collect()
        });
        let context = m.model_config.as_ref().and_then(|c| {
            Some(ContextView {
                sent_message_ids: serde_json::from_value(c.get("sent_message_ids")?.clone()).ok()?,
                dropped_message_ids: serde_json::from_value(c.get("dropped_message_ids")?.clone()).ok()?,
                prompt_tokens: c.get("prompt_tokens")?.as_i64()?,
            })
        });
        Self {
            id: m.id.0,
            conversation_id: m.conversation_id.0,
            parent_id: m.parent_id.map(|p| p.0),
            role: match m.role {
                MessageRole::System => RoleView::System,
                MessageRole::User => RoleView::User,
                MessageRole::Assistant => RoleView::Assistant,
            },
            status: m.status.into(),
            usage: match (m.input_tokens, m.output_tokens) {
                (Some(input_tokens), Some(output_tokens)) => Some(UsageView { input_tokens, output_tokens }),
                _ => None,
            },
            error: m.error.map(|e| MessageErrorView {
                code: e.code,
                message: e.message,
                retry_after_secs: e.retry_after_secs,
            }),
            content: m.content,
            model: m.model,
            context,
            plugins,
            sibling_ids: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ConversationView {
    pub id: Uuid,
    pub title: String,
    pub archived: bool,
    /// The last message of the branch being shown; sends without `parent_id` continue it.
    pub active_leaf_id: Option<Uuid>,
    /// The preset version the conversation is pinned to; it changes only through
    /// `PUT /v1/conversations/{id}/preset`.
    pub preset_version_id: Option<Uuid>,
    /// Or a plugin's preset, pinned to the plugin version that offered it.
    pub plugin_preset: Option<PinnedPluginPreset>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct PinnedPluginPreset {
    pub plugin_version_id: Uuid,
    pub preset_id: String,
}

impl From<Conversation> for ConversationView {
    fn from(c: Conversation) -> Self {
        Self {
            id: c.id.0,
            title: c.title,
            archived: c.archived,
            active_leaf_id: c.active_leaf_id.map(|m| m.0),
            preset_version_id: c.preset_version_id.map(|v| v.0),
            plugin_preset: c
                .plugin_preset
                .map(|(plugin_version_id, preset_id)| PinnedPluginPreset { plugin_version_id, preset_id }),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TreeView {
    /// The active branch, root to leaf, with sibling ids on every message.
    Branch,
    /// Every message of the conversation, oldest first, linked by `parent_id`.
    Tree,
}

#[derive(Debug, Object)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    /// The pinned preset version, when there is one (and its preset is visible to the caller).
    pub preset: Option<PinnedPreset>,
    pub view: TreeView,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateConversation {
    pub title: Option<String>,
    /// Pins the conversation to this preset's current version.
    pub preset_id: Option<Uuid>,
    /// Or to a plugin's preset (from `GET /v1/presets`, `plugin_items`).
    pub plugin_preset: Option<PluginPresetRef>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PluginPresetRef {
    pub plugin: String,
    pub preset_id: String,
}

fn preset_choice(
    preset_id: Option<Uuid>,
    plugin: Option<PluginPresetRef>,
) -> Result<Option<crate::chat::PresetChoice>, crate::error::AppError> {
    match (preset_id, plugin) {
        (Some(_), Some(_)) => Err(crate::error::AppError::Validation {
            field: "plugin_preset",
            reason: "choose either `preset_id` or `plugin_preset`, not both".into(),
        }),
        (Some(id), None) => Ok(Some(crate::chat::PresetChoice::Preset(PresetId(id)))),
        (None, Some(p)) => Ok(Some(crate::chat::PresetChoice::Plugin { plugin: p.plugin, preset: p.preset_id })),
        (None, None) => Ok(None),
    }
}

/// A conversation's preset version, briefly.
#[derive(Debug, Object)]
pub struct PinnedPreset {
    pub preset_id: Uuid,
    pub version_id: Uuid,
    pub version: i32,
    pub name: String,
    pub model: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SwitchPreset {
    /// The preset whose current version to pin; `null` (and no `plugin_preset`) to use none.
    pub preset_id: Option<Uuid>,
    /// Or a plugin's preset.
    pub plugin_preset: Option<PluginPresetRef>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateConversation {
    pub title: Option<String>,
    pub archived: Option<bool>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetActiveBranch {
    /// Any message of the conversation; its branch becomes the active one.
    pub message_id: Uuid,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SendMessage {
    pub content: String,
    /// A model id from `GET /v1/models`; the first model of the catalogue when absent.
    pub model: Option<String>,
    /// The message to answer after; the active branch's last message when absent.
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EditMessage {
    /// The new text: a new user message beside the edited one, with a new answer.
    pub content: String,
    pub model: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegenerateMessage {
    pub model: Option<String>,
}

#[derive(Debug, Object)]
pub struct TurnView {
    pub conversation_id: Uuid,
    /// The user message this turn created (none for regenerate and continue).
    pub user_message: Option<MessageView>,
    pub assistant_message: MessageView,
    /// True when this answers a retry with an `Idempotency-Key` already used: nothing new was created.
    pub replayed: bool,
}

impl From<Turn> for TurnView {
    fn from(t: Turn) -> Self {
        Self {
            conversation_id: t.conversation_id.0,
            user_message: t.user_message.map(Into::into),
            assistant_message: t.assistant_message.into(),
            replayed: t.replayed,
        }
    }
}

/// `message.created`: the turn exists; always the first event of a new stream.
#[derive(Debug, Clone, Object)]
pub struct MessageCreated {
    pub conversation_id: Uuid,
    pub user_message_id: Option<Uuid>,
    pub assistant_message_id: Uuid,
    pub model: Option<String>,
}

/// `message.delta`: the next piece of the answer.
#[derive(Debug, Clone, Object)]
pub struct MessageDelta {
    pub message_id: Uuid,
    pub content: String,
    /// The answer's length in bytes after this delta (also the event's `id`).
    pub offset: u64,
}

/// `message.completed`: the answer is complete.
#[derive(Debug, Clone, Object)]
pub struct MessageCompleted {
    pub message: MessageView,
}

/// `message.failed`: the turn ended with an error; `message.status` is `failed` (no text) or
/// `partial` (some text; it can be continued).
#[derive(Debug, Clone, Object)]
pub struct MessageFailed {
    pub message: MessageView,
}

/// `message.cancelled`: stopped by the user; `message.content` has the text so far.
#[derive(Debug, Clone, Object)]
pub struct MessageCancelled {
    pub message: MessageView,
}

/// One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
/// content length in bytes after the event (send it back as `Last-Event-ID` to resume).
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "type")]
pub enum StreamEvent {
    #[oai(mapping = "message.created")]
    Created(MessageCreated),
    #[oai(mapping = "message.delta")]
    Delta(MessageDelta),
    #[oai(mapping = "message.completed")]
    Completed(MessageCompleted),
    #[oai(mapping = "message.failed")]
    Failed(MessageFailed),
    #[oai(mapping = "message.cancelled")]
    Cancelled(MessageCancelled),
}

impl StreamEvent {
    /// The SSE id: 0 for `created`, the content length after a delta, length + 1 at the end.
    fn id(&self) -> u64 {
        match self {
            StreamEvent::Created(_) => 0,
            StreamEvent::Delta(d) => d.offset,
            StreamEvent::Completed(MessageCompleted { message })
            | StreamEvent::Failed(MessageFailed { message })
            | StreamEvent::Cancelled(MessageCancelled { message }) => message.content.len() as u64 + 1,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            StreamEvent::Created(_) => "message.created",
            StreamEvent::Delta(_) => "message.delta",
            StreamEvent::Completed(_) => "message.completed",
            StreamEvent::Failed(_) => "message.failed",
            StreamEvent::Cancelled(_) => "message.cancelled",
        }
    }
}

type Events = EventStream<BoxStream<'static, StreamEvent>>;

fn to_wire(event: ChatEvent) -> StreamEvent {
    match event {
        ChatEvent::Created { user_message_id, message } => StreamEvent::Created(MessageCreated {
            conversation_id: message.conversation_id.0,
            user_message_id: user_message_id.map(|u| u.0),
            assistant_message_id: message.id.0,
            model: message.model,
        }),
        ChatEvent::Delta { message_id, content, offset } => {
            StreamEvent::Delta(MessageDelta { message_id: message_id.0, content, offset: offset as u64 })
        }
        ChatEvent::Finished(m) => match m.status {
            MessageStatus::Completed => StreamEvent::Completed(MessageCompleted { message: m.into() }),
            MessageStatus::Cancelled => StreamEvent::Cancelled(MessageCancelled { message: m.into() }),
            _ => StreamEvent::Failed(MessageFailed { message: m.into() }),
        },
    }
}

fn sse(stream: BoxStream<'static, ChatEvent>, heartbeat: Duration) -> Events {
    EventStream::new(stream.map(to_wire).boxed()).keep_alive(heartbeat).to_event(|event| {
        let data = poem_openapi::types::ToJSON::to_json_string(&event);
        poem::web::sse::Event::message(data).event_type(event.name()).id(event.id().to_string())
    })
}

// The stream variant is the common one; boxing it would only move the allocation.
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
pub enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

fn wants_sse(req: &poem::Request) -> bool {
    req.headers()
        .get(poem::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

async fn respond(
    state: &AppState,
    scope: &crate::authz::TenantScope,
    req: &poem::Request,
    turn: Turn,
) -> ApiResult<TurnResponse> {
    if wants_sse(req) {
        let events = state.chat.turn_events(scope, &turn);
        Ok(TurnResponse::Stream(sse(events, heartbeat(state))))
    } else {
        Ok(TurnResponse::Accepted(Json(turn.into())))
    }
}

fn heartbeat(state: &AppState) -> Duration {
    Duration::from_secs(state.config.chat.heartbeat_secs)
}

/// The active branch with sibling ids for every message.
fn branch(messages: Vec<Message>, leaf: Option<MessageId>) -> Vec<MessageView> {
    let mut siblings: HashMap<Option<MessageId>, Vec<Uuid>> = HashMap::new();
    for m in &messages {
        siblings.entry(m.parent_id).or_default().push(m.id.0);
    }
    crate::chat::context::path_to(&messages, leaf)
        .into_iter()
        .map(|m| {
            let ids = siblings.get(&m.parent_id).cloned().unwrap_or_default();
            MessageView { sibling_ids: Some(ids), ..m.into() }
        })
        .collect()
}

async fn pinned(
    state: &AppState,
    scope: &crate::authz::TenantScope,
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

fn client_ip() -> Option<String> {
    crate::context::current().ip
}

#[OpenApi(tag = "ApiTags::Chat")]
impl ChatApi {
    /// Start a conversation.
    #[oai(path = "/conversations", method = "post")]
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

    /// My conversations, newest first.
    #[oai(path = "/conversations", method = "get")]
    async fn list_conversations(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Archived conversations instead of current ones.
        archived: Query<Option<bool>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<ConversationPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ConversationId);
        let items = state.chat.conversations(&scope, archived.0.unwrap_or(false), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |c| c.id.0);
        Ok(Json(ConversationPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// One conversation with its active branch (default) or its whole message tree.
    #[oai(path = "/conversations/:id", method = "get")]
    async fn get_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        view: Query<Option<TreeView>>,
    ) -> ApiResult<Json<ConversationDetail>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let (conversation, messages) = state.chat.conversation(&scope, ConversationId(id.0)).await?;
        let view = view.0.unwrap_or(TreeView::Branch);
        let messages = match view {
            TreeView::Branch => branch(messages, conversation.active_leaf_id),
            TreeView::Tree => messages.into_iter().map(Into::into).collect(),
        };
        let preset = pinned(&state, &scope, &conversation).await?;
        Ok(Json(ConversationDetail { conversation: conversation.into(), preset, view, messages }))
    }

    /// Switch the conversation to another preset (its current version) or to none. Editing a
    /// preset never changes a conversation; this does.
    #[oai(path = "/conversations/:id/preset", method = "put")]
    async fn switch_preset(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
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
    #[oai(path = "/conversations/:id", method = "patch")]
    async fn update_conversation(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        body: Json<UpdateConversation>,
    ) -> ApiResult<Json<ConversationView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let c =
            state.chat.update_conversation(&scope, ConversationId(id.0), body.title.as_deref(), body.archived).await?;
        Ok(Json(c.into()))
    }

    /// Delete a conversation and all its messages (running turns are stopped).
    #[oai(path = "/conversations/:id", method = "delete")]
    async fn delete_conversation(&self, state: Data<&Arc<AppState>>, auth: Auth, id: Path<Uuid>) -> ApiResult<Deleted> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        state.chat.delete_conversation(&scope, ConversationId(id.0)).await?;
        Ok(Deleted::NoContent)
    }

    /// Choose the branch the conversation shows and continues.
    #[oai(path = "/conversations/:id/active-branch", method = "put")]
    async fn set_active_branch(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        body: Json<SetActiveBranch>,
    ) -> ApiResult<Json<ConversationDetail>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let cid = ConversationId(id.0);
        state.chat.set_active_branch(&scope, cid, MessageId(body.message_id)).await?;
        let (conversation, messages) = state.chat.conversation(&scope, cid).await?;
        let messages = branch(messages, conversation.active_leaf_id);
        let preset = pinned(&state, &scope, &conversation).await?;
        Ok(Json(ConversationDetail { conversation: conversation.into(), preset, view: TreeView::Branch, messages }))
    }

    /// Send a message and get the answer.
    ///
    /// With `Accept: text/event-stream` the answer streams as server-sent events; otherwise the
    /// created messages come back at once (202) and the answer runs on — attach to it with
    /// `GET /v1/messages/{id}/events`. Closing the connection does not stop the answer; only
    /// cancel does. A retry with the same `Idempotency-Key` returns the same messages and stream.
    #[oai(path = "/conversations/:id/messages", method = "post")]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        id: Path<Uuid>,
        /// Required: a unique value per user action, reused on retries.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<SendMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn = state
            .chat
            .send(
                &scope,
                client_ip().as_deref(),
                idem,
                ConversationId(id.0),
                Draft { content: &body.content, model: body.model.as_deref(), parent: body.parent_id.map(MessageId) },
            )
            .await?;
        respond(&state, &scope, req, turn).await
    }

    /// One message.
    #[oai(path = "/messages/:id", method = "get")]
    async fn get_message(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<MessageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        Ok(Json(state.chat.message(&scope, MessageId(id.0)).await?.into()))
    }

    /// Attach to an assistant message's events, live or finished.
    ///
    /// With `Last-Event-ID` (the id of the last event received) the stream resumes right after
    /// it, with no gap and no duplicate; without it, it starts at `message.created`.
    #[oai(path = "/messages/:id/events", method = "get")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
    ) -> ApiResult<Events> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let after = match last_event_id.0.as_deref() {
            None => None,
            Some(raw) => Some(raw.trim().parse::<usize>().map_err(|_| AppError::Validation {
                field: "Last-Event-ID",
                reason: "must be the id of an event of this message".into(),
            })?),
        };
        let events = state.chat.events(&scope, MessageId(id.0), after).await?;
        Ok(sse(events, heartbeat(&state)))
    }

    /// Stop an answer. It keeps the text written so far, with status `cancelled`.
    #[oai(path = "/messages/:id/cancel", method = "post")]
    async fn cancel(&self, state: Data<&Arc<AppState>>, auth: Auth, id: Path<Uuid>) -> ApiResult<Json<MessageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        Ok(Json(state.chat.cancel(&scope, MessageId(id.0)).await?.into()))
    }

    /// Answer again: a new assistant message beside this one (or, for a user message, a new answer to it).
    #[oai(path = "/messages/:id/regenerate", method = "post")]
    async fn regenerate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<RegenerateMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn =
            state.chat.regenerate(&scope, client_ip().as_deref(), idem, MessageId(id.0), body.model.as_deref()).await?;
        respond(&state, &scope, req, turn).await
    }

    /// Continue a `partial` answer where it stopped.
    #[oai(path = "/messages/:id/continue", method = "post")]
    async fn continue_partial(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn = state.chat.continue_partial(&scope, client_ip().as_deref(), idem, MessageId(id.0)).await?;
        respond(&state, &scope, req, turn).await
    }

    /// Edit a user message: a new user message beside it (a new branch) with a new answer.
    #[oai(path = "/messages/:id/edit", method = "post")]
    async fn edit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        req: &poem::Request,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<EditMessage>,
    ) -> ApiResult<TurnResponse> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let idem = Idempotency::parse(idempotency_key.0.as_deref())?;
        let turn = state
            .chat
            .edit(&scope, client_ip().as_deref(), idem, MessageId(id.0), &body.content, body.model.as_deref())
            .await?;
        respond(&state, &scope, req, turn).await
    }
}
