//! What the chat API returns and accepts: messages, conversations, turns and their requests.

use chrono::{DateTime, Utc};
use confab_core::chat::Turn;
use confab_core::domain::{MessageId, MessageRole, MessageStatus, PresetId};
use confab_core::store::choices::ChoiceSet;
use confab_core::store::conversations::Conversation;
use confab_core::store::messages::Message;
use poem_openapi::{Enum, Object};
use std::collections::HashMap;
use uuid::Uuid;

/// The lifecycle state of a message: `queued` → `streaming` → `completed`, or `cancelled` (stopped
/// by
/// the user), `failed` (an error before any text) or `partial` (an error after some text; the text
/// is kept and the answer can be continued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "MessageStatus", rename_all = "snake_case")]
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

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "MessageRole", rename_all = "snake_case")]
pub enum RoleView {
    System,
    User,
    Assistant,
}

/// Why an answer failed or stopped early.
#[derive(Debug, Clone, Object)]
pub struct MessageErrorView {
    /// e.g. `upstream_rate_limited`, `upstream_timeout`, `upstream_stream_broken`, `interrupted`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// From the provider's `Retry-After`, when it gave one.
    #[oai(nullable)]
    pub retry_after_secs: Option<i64>,
}

/// Tokens an answer used, as the provider reported them (or estimated when it did not).
#[derive(Debug, Clone, Object)]
pub struct UsageView {
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Answer tokens.
    pub output_tokens: i64,
}

/// What was sent upstream for an answer: which messages fitted the model's context window.
#[derive(Debug, Clone, Object)]
pub struct ContextView {
    /// The messages sent upstream for this answer, oldest first.
    pub sent_message_ids: Vec<Uuid>,
    /// Older messages left out to fit the model's context window.
    pub dropped_message_ids: Vec<Uuid>,
    /// The prompt's estimated size in tokens.
    pub prompt_tokens: i64,
}

/// One message of a conversation, with its lifecycle state.
#[derive(Debug, Clone, Object)]
pub struct MessageView {
    /// The message's id.
    pub id: Uuid,
    /// The conversation it belongs to.
    pub conversation_id: Uuid,
    /// The message it answers or follows; null for the first message.
    #[oai(nullable)]
    pub parent_id: Option<Uuid>,
    /// Who wrote it.
    pub role: RoleView,
    /// Its lifecycle state.
    pub status: StatusView,
    /// Its text (Markdown); for an answer still streaming, the text so far.
    pub content: String,
    /// For answers: the model that wrote it; null for user messages.
    #[oai(nullable)]
    pub model: Option<String>,
    /// For `failed` and `partial` answers: what went wrong; null otherwise.
    #[oai(nullable)]
    pub error: Option<MessageErrorView>,
    /// For finished answers: tokens used; null until known.
    #[oai(nullable)]
    pub usage: Option<UsageView>,
    /// For assistant messages: what was sent upstream.
    #[oai(nullable)]
    pub context: Option<ContextView>,
    /// For assistant messages: what each plugin of the tenant's chain did to the request
    /// (`unchanged`, `changed`, `rejected`, `failed_open`, `failed`), in chain order.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub plugins: Option<Vec<PluginRunView>>,
    /// Ids of this message and its siblings (same parent), oldest first — for ‹ 2 / 3 › navigation.
    /// Only in the branch view.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub sibling_ids: Option<Vec<Uuid>>,
    /// For user messages: the files it carries, in order (absent when none).
    #[oai(nullable, skip_serializing_if_is_none)]
    pub files: Option<Vec<MessageFileView>>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A file a message carries.
#[derive(Debug, Clone, Object)]
pub struct MessageFileView {
    /// The file (`GET /v1/files/{id}`); null once its owner deleted it.
    #[oai(nullable)]
    pub file_id: Option<Uuid>,
    /// Its name when it was attached.
    pub name: String,
    /// Its sniffed media type.
    pub media_type: String,
    /// What it is to the prompt.
    pub kind: crate::api::files::FileKindView,
    /// Its size in bytes.
    pub size_bytes: u64,
}

impl From<confab_core::store::files::FilePart> for MessageFileView {
    fn from(p: confab_core::store::files::FilePart) -> Self {
        Self {
            file_id: p.file_id.map(|f| f.0),
            kind: crate::api::files::kind_view(&p.kind),
            name: p.name,
            media_type: p.media_type,
            size_bytes: p.size_bytes,
        }
    }
}

/// Puts each message's files on its view.
pub(crate) fn attach_files<'a>(
    views: impl IntoIterator<Item = &'a mut MessageView>,
    parts: Vec<confab_core::store::files::FilePart>,
) {
    if parts.is_empty() {
        return;
    }
    let mut by_message: HashMap<Uuid, Vec<MessageFileView>> = HashMap::new();
    for p in parts {
        by_message.entry(p.message_id.0).or_default().push(p.into());
    }
    for v in views {
        if let Some(files) = by_message.remove(&v.id) {
            v.files = Some(files);
        }
    }
}

/// One plugin call during a turn.
#[derive(Debug, Clone, Object)]
pub struct PluginRunView {
    /// The plugin's name.
    pub plugin: String,
    /// The version that ran.
    pub version: String,
    /// `unchanged`, `changed` (it rewrote the request or answer), `rejected` (it refused the turn),
    /// `failed_open` (it failed and the turn went on without it) or `failed` (it failed and ended
    /// the turn).
    pub outcome: String,
    /// The rejection reason, or what went wrong.
    #[oai(nullable)]
    pub detail: Option<String>,
    /// How long the call took, in microseconds.
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
            files: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A conversation: a tree of messages owned by one user in one tenant.
#[derive(Debug, Object)]
pub struct ConversationView {
    /// The conversation's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Archived conversations leave the default list but stay searchable.
    pub archived: bool,
    /// The last message of the branch being shown; sends without `parent_id` continue it.
    #[oai(nullable)]
    pub active_leaf_id: Option<Uuid>,
    /// The preset version the conversation is pinned to; it changes only through
    /// `PUT /v1/conversations/{id}/preset`.
    #[oai(nullable)]
    pub preset_version_id: Option<Uuid>,
    /// Or a plugin's preset, pinned to the plugin version that offered it.
    #[oai(nullable)]
    pub plugin_preset: Option<PinnedPluginPreset>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed: a message, a title, a branch switch.
    pub updated_at: DateTime<Utc>,
}

/// A plugin preset pinned to a conversation, at the plugin version it came from.
#[derive(Debug, Object)]
pub struct PinnedPluginPreset {
    /// The plugin version that provides it.
    pub plugin_version_id: Uuid,
    /// The preset's id within the plugin.
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

/// A page of the caller's conversations, newest first.
#[derive(Debug, Object)]
pub struct ConversationPage {
    /// This page's items.
    pub items: Vec<ConversationView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// Which messages of a conversation to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TreeView {
    /// The active branch, root to leaf, with sibling ids on every message.
    Branch,
    /// Every message of the conversation, oldest first, linked by `parent_id`.
    Tree,
}

/// A conversation with its messages: the active branch or the whole tree.
#[derive(Debug, Object)]
pub struct ConversationDetail {
    /// The conversation.
    pub conversation: ConversationView,
    /// The pinned preset version, when there is one (and its preset is visible to the caller).
    #[oai(nullable)]
    pub preset: Option<PinnedPreset>,
    /// Which messages `messages` holds.
    pub view: TreeView,
    /// The messages, as `view` says.
    pub messages: Vec<MessageView>,
    /// The conversation's sends with choices (several answers to one message), oldest first.
    pub choice_sets: Vec<ChoiceSetView>,
}

/// Several answers to one message, generated at once (a send or regenerate with `choices`).
#[derive(Debug, Object)]
pub struct ChoiceSetView {
    /// The choice set: reattach with `GET /v1/choice-sets/{id}/events`, pick with
    /// `POST /v1/choice-sets/{id}/pick`.
    pub id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// The user message the answers answer.
    pub parent_id: Uuid,
    /// The answers' ids, in choice order (the order of the stream's `Last-Event-ID` positions).
    pub message_ids: Vec<Uuid>,
    /// The answer the user picked, if they did.
    #[oai(nullable)]
    pub picked_message_id: Option<Uuid>,
    /// When the user picked it.
    #[oai(nullable)]
    pub picked_at: Option<DateTime<Utc>>,
    /// When the answers were asked for.
    pub created_at: DateTime<Utc>,
}

impl From<ChoiceSet> for ChoiceSetView {
    fn from(s: ChoiceSet) -> Self {
        Self {
            id: s.id.0,
            conversation_id: s.conversation_id.0,
            parent_id: s.parent_id.0,
            message_ids: s.message_ids.iter().map(|m| m.0).collect(),
            picked_message_id: s.pick.as_ref().map(|p| p.message_id.0),
            picked_at: s.pick.as_ref().map(|p| p.at),
            created_at: s.created_at,
        }
    }
}

/// A choice set with its answers as they are now.
#[derive(Debug, Object)]
pub struct ChoiceSetDetail {
    /// The set and its pick.
    pub choice_set: ChoiceSetView,
    /// The answers, in choice order.
    pub answers: Vec<MessageView>,
}

/// Which answer of a choice set the user chose.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PickChoice {
    /// One of the set's `message_ids`: it becomes the active branch; the others stay as its
    /// siblings.
    pub message_id: Uuid,
}

/// One answer of a send with choices: its own model or preset version. Absent fields fall back
/// to the request's `model` and the conversation's pinned preset.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ChoiceOptionInput {
    /// A model id from `GET /v1/models`.
    #[oai(nullable)]
    pub model: Option<String>,
    /// A preset version (`GET /v1/presets/{id}/versions`) whose system prompt, sampling, output
    /// limit and model this answer uses instead of the conversation's.
    #[oai(nullable)]
    pub preset_version_id: Option<Uuid>,
}

/// A new, empty conversation.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateConversation {
    /// Its title; `New conversation` when absent.
    #[oai(nullable)]
    pub title: Option<String>,
    /// Pins the conversation to this preset's current version.
    #[oai(nullable)]
    pub preset_id: Option<Uuid>,
    /// Or to a plugin's preset (from `GET /v1/presets`, `plugin_items`).
    #[oai(nullable)]
    pub plugin_preset: Option<PluginPresetRef>,
}

/// A preset provided by a plugin of the tenant's chain.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PluginPresetRef {
    /// The plugin's name.
    pub plugin: String,
    /// The preset's id within the plugin.
    pub preset_id: String,
}

pub(super) fn preset_choice(
    preset_id: Option<Uuid>,
    plugin: Option<PluginPresetRef>,
) -> Result<Option<confab_core::chat::PresetChoice>, confab_core::error::AppError> {
    match (preset_id, plugin) {
        (Some(_), Some(_)) => Err(confab_core::error::AppError::Validation {
            field: "plugin_preset",
            reason: "choose either `preset_id` or `plugin_preset`, not both".into(),
        }),
        (Some(id), None) => Ok(Some(confab_core::chat::PresetChoice::Preset(PresetId(id)))),
        (None, Some(p)) => Ok(Some(confab_core::chat::PresetChoice::Plugin { plugin: p.plugin, preset: p.preset_id })),
        (None, None) => Ok(None),
    }
}

/// A conversation's preset version, briefly.
#[derive(Debug, Object)]
pub struct PinnedPreset {
    /// The preset's id.
    pub preset_id: Uuid,
    /// The pinned version's id.
    pub version_id: Uuid,
    /// The pinned version's number (1, 2, …).
    pub version: i32,
    /// The preset's name at that version.
    pub name: String,
    /// The model that version uses; null to use the conversation's model.
    #[oai(nullable)]
    pub model: Option<String>,
}

/// The preset a conversation uses from its next turn on (or none).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SwitchPreset {
    /// The preset whose current version to pin; `null` (and no `plugin_preset`) to use none.
    #[oai(nullable)]
    pub preset_id: Option<Uuid>,
    /// Or a plugin's preset.
    #[oai(nullable)]
    pub plugin_preset: Option<PluginPresetRef>,
}

/// Changes to a conversation; absent (or null) fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateConversation {
    /// A new title.
    #[oai(nullable)]
    pub title: Option<String>,
    /// Archive or unarchive it.
    #[oai(nullable)]
    pub archived: Option<bool>,
}

/// The branch a conversation shows and continues from.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetActiveBranch {
    /// Any message of the conversation; its branch becomes the active one.
    pub message_id: Uuid,
}

/// A user message to add to a conversation, and the answer to ask for.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SendMessage {
    /// The message's text: not blank, at most `chat.max_message_chars` characters (100,000 by
    /// default).
    pub content: String,
    /// A model id from `GET /v1/models`; the first model of the catalogue when absent.
    #[oai(nullable)]
    pub model: Option<String>,
    /// The message to answer after; the active branch's last message when absent.
    #[oai(nullable)]
    pub parent_id: Option<Uuid>,
    /// The caller's files (`POST /v1/files`) the message carries, in order: their text goes into
    /// the prompt, images to vision models (a model without `vision` refuses images with
    /// `validation_failed`). Another user's file is 404. None when absent.
    #[oai(nullable)]
    pub file_ids: Option<Vec<Uuid>>,
    /// How many answers to generate at once, 1 (the default) to 4. With 2 or more the answers
    /// stream side by side on one connection and the user picks one
    /// (`POST /v1/choice-sets/{id}/pick`). Quota is reserved for all of them or none; each
    /// counts as a turn for the rate limits and records its own usage event.
    #[oai(nullable)]
    pub choices: Option<u32>,
    /// Each answer's own model or preset version, in choice order; as many as `choices` when
    /// given.
    #[oai(nullable)]
    pub choice_options: Option<Vec<ChoiceOptionInput>>,
}

/// A new version of a user message: a sibling branch with a new answer.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EditMessage {
    /// The new text: a new user message beside the edited one, with a new answer.
    pub content: String,
    /// The model for the new answer; the original's when absent.
    #[oai(nullable)]
    pub model: Option<String>,
}

/// Another answer to the same user message: a sibling branch.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegenerateMessage {
    /// The model for the new answer; the original's when absent.
    #[oai(nullable)]
    pub model: Option<String>,
    /// How many new answers, 1 (the default) to 4; as for `SendMessage.choices`.
    #[oai(nullable)]
    pub choices: Option<u32>,
    /// Each new answer's own model or preset version, in choice order.
    #[oai(nullable)]
    pub choice_options: Option<Vec<ChoiceOptionInput>>,
}

/// A turn that was accepted: the user message (if any) and the answer being written.
#[derive(Debug, Object)]
pub struct TurnView {
    /// The conversation.
    pub conversation_id: Uuid,
    /// The user message this turn created (none for regenerate and continue).
    #[oai(nullable)]
    pub user_message: Option<MessageView>,
    /// The answer, `queued` or `streaming`; attach to `GET /v1/messages/{id}/events` for its text.
    pub assistant_message: MessageView,
    /// True when this answers a retry with an `Idempotency-Key` already used: nothing new was
    /// created.
    pub replayed: bool,
    /// With `choices`: the choice set (null otherwise).
    #[oai(nullable)]
    pub choice_set_id: Option<Uuid>,
    /// With `choices`: every answer in choice order, `assistant_message` first (null otherwise);
    /// attach to all of them with `GET /v1/choice-sets/{id}/events`.
    #[oai(nullable)]
    pub choices: Option<Vec<MessageView>>,
}

impl From<Turn> for TurnView {
    fn from(t: Turn) -> Self {
        Self {
            conversation_id: t.conversation_id.0,
            user_message: t.user_message.map(Into::into),
            assistant_message: t.assistant_message.into(),
            replayed: t.replayed,
            choice_set_id: t.choices.as_ref().map(|c| c.set.0),
            choices: t.choices.map(|c| c.answers.into_iter().map(Into::into).collect()),
        }
    }
}

/// The active branch with sibling ids for every message.
pub(super) fn branch(messages: Vec<Message>, leaf: Option<MessageId>) -> Vec<MessageView> {
    let mut siblings: HashMap<Option<MessageId>, Vec<Uuid>> = HashMap::new();
    for m in &messages {
        siblings.entry(m.parent_id).or_default().push(m.id.0);
    }
    confab_core::chat::context::path_to(&messages, leaf)
        .into_iter()
        .map(|m| {
            let ids = siblings.get(&m.parent_id).cloned().unwrap_or_default();
            MessageView { sibling_ids: Some(ids), ..m.into() }
        })
        .collect()
}

/// One message of a conversation saved from the browser.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ImportedMessageBody {
    /// `user` or `assistant`.
    pub role: RoleView,
    /// Its text.
    pub content: String,
    /// `completed` (default), or `partial` for an answer that stopped early (it can be continued).
    #[oai(nullable)]
    pub status: Option<StatusView>,
    /// The model that wrote an answer, as the browser recorded it.
    #[oai(nullable)]
    pub model: Option<String>,
}

/// A conversation kept in the browser (a private chat), to save into the caller's history.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ImportConversation {
    /// Its title; from the first question when absent.
    #[oai(nullable)]
    pub title: Option<String>,
    /// 1 to 1,000 messages, oldest first: they form one branch.
    pub messages: Vec<ImportedMessageBody>,
}

impl From<ImportedMessageBody> for confab_core::chat::ImportedMessage {
    fn from(m: ImportedMessageBody) -> Self {
        Self {
            role: match m.role {
                RoleView::System => MessageRole::System,
                RoleView::User => MessageRole::User,
                RoleView::Assistant => MessageRole::Assistant,
            },
            content: m.content,
            status: match m.status.unwrap_or(StatusView::Completed) {
                StatusView::Queued => MessageStatus::Queued,
                StatusView::Streaming => MessageStatus::Streaming,
                StatusView::Completed => MessageStatus::Completed,
                StatusView::Cancelled => MessageStatus::Cancelled,
                StatusView::Failed => MessageStatus::Failed,
                StatusView::Partial => MessageStatus::Partial,
            },
            model: m.model,
        }
    }
}
