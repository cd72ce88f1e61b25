//! Conversations. Every query names the tenant and the owner: a conversation is private to the
//! user who started it.
use super::entities::conversation;
use super::{Conn, now};
use crate::domain::{ConversationId, MessageId, PresetVersionId, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: ConversationId,
    pub tenant_id: TenantId,
    pub owner_id: UserId,
    pub title: String,
    pub archived: bool,
    pub active_leaf_id: Option<MessageId>,
    /// The preset version the conversation is pinned to.
    pub preset_version_id: Option<PresetVersionId>,
    /// A plugin's preset instead: the pinned plugin version and the preset's id.
    pub plugin_preset: Option<(uuid::Uuid, String)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether any of its messages ever carried a file.
    pub has_files: bool,
}

impl From<conversation::Model> for Conversation {
    fn from(m: conversation::Model) -> Self {
        Self {
            id: ConversationId(m.id),
            tenant_id: TenantId(m.tenant_id),
            owner_id: UserId(m.owner_id),
            title: m.title,
            archived: m.archived,
            active_leaf_id: m.active_leaf_id.map(MessageId),
            preset_version_id: m.preset_version_id.map(PresetVersionId),
            plugin_preset: m.plugin_preset_version_id.zip(m.plugin_preset_id),
            has_files: m.has_files,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub async fn insert(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    title: &str,
    preset_version: Option<PresetVersionId>,
    plugin_preset: Option<(uuid::Uuid, &str)>,
) -> AppResult<Conversation> {
    use sea_orm::TryIntoModel;
    let at = now();
    let row = conversation::ActiveModel {
        id: Set(ConversationId::new().0),
        tenant_id: Set(tenant.0),
        owner_id: Set(owner.0),
        title: Set(title.to_string()),
        archived: Set(false),
        active_leaf_id: Set(None),
        preset_version_id: Set(preset_version.map(|v| v.0)),
        plugin_preset_version_id: Set(plugin_preset.map(|p| p.0)),
        plugin_preset_id: Set(plugin_preset.map(|p| p.1.to_string())),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
        has_files: Set(false),
    };
    // Every column is set here: the row is what was written, with no read back (the SQLite
    // writer runs no statement that returns rows).
    conversation::Entity::insert(row.clone()).exec_without_returning(conn).await?;
    Ok(row.try_into_model()?.into())
}

/// The owner's conversations that are not deleted: a deleted one is hidden from its owner
/// everywhere, while it waits for the purge (or a legal hold keeps it).
fn scoped(tenant: TenantId, owner: UserId) -> sea_orm::Select<conversation::Entity> {
    conversation::Entity::find()
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::DeletedAt.is_null())
}

pub async fn get(
    conn: &impl super::Read,
    tenant: TenantId,
    owner: UserId,
    id: ConversationId,
) -> AppResult<Option<Conversation>> {
    Ok(conn.one(scoped(tenant, owner).filter(conversation::Column::Id.eq(id.0))).await?.map(Into::into))
}

/// The owner's conversations, newest first, before the cursor.
pub async fn list(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    archived: bool,
    before: Option<ConversationId>,
    limit: u64,
) -> AppResult<Vec<Conversation>> {
    let mut q = scoped(tenant, owner)
        .filter(conversation::Column::Archived.eq(archived))
        .order_by_desc(conversation::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        q = q.filter(conversation::Column::Id.lt(before.0));
    }
    Ok(q.all(conn).await?.into_iter().map(Into::into).collect())
}

pub async fn update(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    id: ConversationId,
    title: Option<&str>,
    archived: Option<bool>,
) -> AppResult<()> {
    let mut q = conversation::Entity::update_many().col_expr(conversation::Column::UpdatedAt, now().into());
    if let Some(title) = title {
        q = q.col_expr(conversation::Column::Title, title.into());
    }
    if let Some(archived) = archived {
        q = q.col_expr(conversation::Column::Archived, archived.into());
    }
    let res = q
        .filter(conversation::Column::Id.eq(id.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "conversation")
}

pub async fn set_active_leaf(conn: &impl Conn, tenant: TenantId, id: ConversationId, leaf: MessageId) -> AppResult<()> {
    set_active_leaf_titled(conn, tenant, None, id, leaf, None).await
}

/// [`set_active_leaf`], and the title in the same statement when given (a new conversation's
/// first turn names it): one write per turn instead of two.
///
/// With `owner`, only the owner's conversation is updated: a turn's write starts with it, as the
/// check that the conversation is still there (not deleted since the turn was planned).
pub async fn set_active_leaf_titled(
    conn: &impl Conn,
    tenant: TenantId,
    owner: Option<UserId>,
    id: ConversationId,
    leaf: MessageId,
    title: Option<&str>,
) -> AppResult<()> {
    let mut q = conversation::Entity::update_many()
        .col_expr(conversation::Column::ActiveLeafId, Some(leaf.0).into())
        .col_expr(conversation::Column::UpdatedAt, now().into());
    if let Some(title) = title {
        q = q.col_expr(conversation::Column::Title, title.into());
    }
    if let Some(owner) = owner {
        q = q.filter(conversation::Column::OwnerId.eq(owner.0));
    }
    let res = q
        .filter(conversation::Column::Id.eq(id.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "conversation")
}

/// Notes that a message of the conversation carries files.
pub async fn mark_has_files(conn: &impl Conn, tenant: TenantId, id: ConversationId) -> AppResult<()> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::HasFiles, true.into())
        .filter(conversation::Column::Id.eq(id.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// The owner's delete: marks the conversation deleted (hidden from then on). The purge removes
/// it after the tenant's grace period unless a legal hold covers it. The search outbox gets a row
/// per document, so OpenSearch drops them now (the indexer finds them deleted). Its share
/// snapshots are copies with their own retention period: they stay until revoked or purged.
pub async fn soft_delete(conn: &impl Conn, tenant: TenantId, owner: UserId, id: ConversationId) -> AppResult<()> {
    let res = conversation::Entity::update_many()
        .col_expr(conversation::Column::DeletedAt, Some(now()).into())
        .filter(conversation::Column::Id.eq(id.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "conversation")?;
    let backend = conn.get_database_backend();
    let p = |n| super::placeholder(backend, n);
    let sql = format!(
        "INSERT INTO search_outbox (tenant_id, doc_id, kind)
         SELECT tenant_id, id, 'message' FROM messages WHERE conversation_id = {} AND tenant_id = {}
         UNION ALL SELECT tenant_id, id, 'conversation' FROM conversations WHERE id = {} AND tenant_id = {}",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        sql,
        [id.0.into(), tenant.0.into(), id.0.into(), tenant.0.into()],
    ))
    .await?;
    Ok(())
}

/// Pins the conversation to a preset version, or a plugin's preset, or to none. Only an explicit switch calls this.
pub async fn set_preset_version(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    id: ConversationId,
    version: Option<PresetVersionId>,
    plugin_preset: Option<(uuid::Uuid, &str)>,
) -> AppResult<()> {
    let res = conversation::Entity::update_many()
        .col_expr(conversation::Column::PresetVersionId, version.map(|v| v.0).into())
        .col_expr(conversation::Column::PluginPresetVersionId, plugin_preset.map(|p| p.0).into())
        .col_expr(conversation::Column::PluginPresetId, plugin_preset.map(|p| p.1.to_string()).into())
        .col_expr(conversation::Column::UpdatedAt, now().into())
        .filter(conversation::Column::Id.eq(id.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "conversation")
}
