//! Reads of everything one user owns in one tenant, page by page, for their data export. Every
//! query filters by the tenant and by the user as owner: a conversation shared with them, or
//! another user's rows, never appear.

use super::Conn;
use super::entities::{api_token, conversation, message, preset, preset_version, usage_event};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

/// One message of a conversation's tree (edits and regenerations are siblings).
#[derive(Debug, Clone, Serialize)]
pub struct ExportedMessage {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub role: String,
    pub status: String,
    pub content: String,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A conversation and every message of every branch.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedConversation {
    pub id: Uuid,
    pub title: String,
    pub archived: bool,
    /// The last message of the branch shown in the chat.
    pub active_leaf_id: Option<Uuid>,
    pub preset_version_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ExportedMessage>,
    /// Sends that asked for several answers at once, and which one the user picked.
    pub choice_sets: Vec<ExportedChoiceSet>,
}

/// Several answers to one message, generated at once, and the user's pick (preference data).
#[derive(Debug, Clone, Serialize)]
pub struct ExportedChoiceSet {
    pub id: Uuid,
    /// The user message the answers answer.
    pub parent_id: Uuid,
    /// The answers, in choice order.
    pub message_ids: Vec<Uuid>,
    pub picked_message_id: Option<Uuid>,
    pub picked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of the user's conversations (oldest first, after `after`), without their messages.
pub async fn conversations(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<ExportedConversation>> {
    let mut q = conversation::Entity::find()
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .order_by_asc(conversation::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        q = q.filter(conversation::Column::Id.gt(after));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .map(|c| ExportedConversation {
            id: c.id,
            title: c.title,
            archived: c.archived,
            active_leaf_id: c.active_leaf_id,
            preset_version_id: c.preset_version_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            messages: Vec::new(),
            choice_sets: Vec::new(),
        })
        .collect())
}

/// Every message of one of the user's conversations, oldest first. The conversation must come
/// from [`conversations`] (owned by the user in the tenant).
pub async fn messages(conn: &impl Conn, tenant: TenantId, conversation: Uuid) -> AppResult<Vec<ExportedMessage>> {
    Ok(message::Entity::find()
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::ConversationId.eq(conversation))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| ExportedMessage {
            id: m.id,
            parent_id: m.parent_id,
            role: m.role,
            status: m.status,
            content: m.content,
            model: m.model,
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            error_code: m.error_code,
            error_message: m.error_message,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect())
}

/// One version of a personal preset.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedPresetVersion {
    pub version: i32,
    pub name: String,
    pub description: String,
    pub model: Option<String>,
    pub system_prompt: String,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A personal preset with all its versions.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedPreset {
    pub id: Uuid,
    pub current_version: i32,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub versions: Vec<ExportedPresetVersion>,
}

/// A page of the user's own presets (not the tenant's), with their versions.
pub async fn presets(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<ExportedPreset>> {
    let mut q = preset::Entity::find()
        .filter(preset::Column::TenantId.eq(tenant.0))
        .filter(preset::Column::OwnerId.eq(owner.0))
        .order_by_asc(preset::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        q = q.filter(preset::Column::Id.gt(after));
    }
    let mut out = Vec::new();
    for p in q.all(conn).await? {
        let versions = preset_version::Entity::find()
            .filter(preset_version::Column::TenantId.eq(tenant.0))
            .filter(preset_version::Column::PresetId.eq(p.id))
            .order_by_asc(preset_version::Column::Version)
            .all(conn)
            .await?
            .into_iter()
            .map(|v| ExportedPresetVersion {
                version: v.version,
                name: v.name,
                description: v.description,
                model: v.model,
                system_prompt: v.system_prompt,
                temperature: v.temperature,
                max_tokens: v.max_tokens,
                created_at: v.created_at,
            })
            .collect();
        out.push(ExportedPreset {
            id: p.id,
            current_version: p.current_version,
            archived: p.archived,
            created_at: p.created_at,
            updated_at: p.updated_at,
            versions,
        });
    }
    Ok(out)
}

/// One usage record (a turn's tokens and cost).
#[derive(Debug, Clone, Serialize)]
pub struct ExportedUsage {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub outcome: String,
    pub ttft_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
}

pub async fn usage(
    conn: &impl Conn,
    tenant: TenantId,
    user: UserId,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<ExportedUsage>> {
    let mut q = usage_event::Entity::find()
        .filter(usage_event::Column::TenantId.eq(tenant.0))
        .filter(usage_event::Column::UserId.eq(user.0))
        .order_by_asc(usage_event::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        q = q.filter(usage_event::Column::Id.gt(after));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .map(|u| ExportedUsage {
            id: u.id,
            conversation_id: u.conversation_id,
            message_id: u.message_id,
            model: u.model,
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cost: u.cost,
            outcome: u.outcome,
            ttft_ms: u.ttft_ms,
            created_at: u.created_at,
        })
        .collect())
}

/// An API token's metadata; never its secret or its hash.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedToken {
    pub id: Uuid,
    pub name: String,
    /// The token's visible prefix, as listed in the API.
    pub prefix: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn tokens(
    conn: &impl Conn,
    tenant: TenantId,
    user: UserId,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<ExportedToken>> {
    let mut q = api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .filter(api_token::Column::UserId.eq(user.0))
        .order_by_asc(api_token::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        q = q.filter(api_token::Column::Id.gt(after));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .map(|t| ExportedToken {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            role: t.role,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// The choice sets of one of the user's conversations (from [`conversations`]), oldest first.
pub async fn choice_sets(conn: &impl Conn, tenant: TenantId, conversation: Uuid) -> AppResult<Vec<ExportedChoiceSet>> {
    let sets = super::choices::of_conversation(conn, tenant, crate::domain::ConversationId(conversation)).await?;
    Ok(sets
        .into_iter()
        .map(|s| ExportedChoiceSet {
            id: s.id.0,
            parent_id: s.parent_id.0,
            message_ids: s.message_ids.iter().map(|m| m.0).collect(),
            picked_message_id: s.pick.as_ref().map(|p| p.message_id.0),
            picked_at: s.pick.as_ref().map(|p| p.at),
            created_at: s.created_at,
        })
        .collect())
}
