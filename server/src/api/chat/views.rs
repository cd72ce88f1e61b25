//! What the chat API returns and accepts: messages, conversations, turns and their requests.

use chrono::{DateTime, Utc};
use confab_core::chat::Turn;
use confab_core::domain::{MessageId, MessageRole, MessageStatus, PresetId};
use confab_core::store::conversations::Conversation;
use confab_core::store::messages::Message;
use poem_openapi::{Enum, Object};
use std::collections::HashMap;
use uuid::Uuid;

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
