//! Repository functions over the share tables. Every function takes the tenant and filters by
//! it in the query; functions that act for one user also filter by that user there.

use super::entities::{share, share_message, share_recipient, share_view, sharing_settings};
use super::{Settings, Share, ShareId, ShareState, SharedFile, SnapshotMessage, View, Visibility};
use crate::domain::{ConversationId, MessageRole, MessageStatus, TenantId, UserId};
use crate::error::AppResult;
use crate::store::messages::Message;
use crate::store::{Conn, now};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

impl From<share::Model> for Share {
    fn from(m: share::Model) -> Self {
        Self {
            id: ShareId(m.id),
            tenant_id: TenantId(m.tenant_id),
            owner_id: UserId(m.owner_id),
            source_conversation_id: m.source_conversation_id.map(ConversationId),
            title: m.title,
            visibility: Visibility::from_db(&m.visibility),
            has_link: m.token_hash.is_some(),
            sealed_token: m.token_sealed,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        }
    }
}

/// A share row to insert; its messages and recipients go in separately, in the same transaction.
pub struct NewShareRow<'a> {
    pub id: ShareId,
    pub tenant: TenantId,
    pub owner: UserId,
    pub source_conversation: ConversationId,
    pub title: &'a str,
    pub visibility: Visibility,
    pub token_hash: Option<String>,
    pub token_sealed: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &impl Conn, new: NewShareRow<'_>) -> AppResult<Share> {
    let model = share::Model {
        id: new.id.0,
        tenant_id: new.tenant.0,
        owner_id: new.owner.0,
        source_conversation_id: Some(new.source_conversation.0),
        title: new.title.to_string(),
        visibility: new.visibility.as_str().to_string(),
        token_hash: new.token_hash,
        token_sealed: new.token_sealed,
        expires_at: new.expires_at,
        revoked_at: None,
        revoked_by: None,
        created_at: now(),
    };
    share::Entity::insert(model.clone().into_active_model()).exec_without_returning(conn).await?;
    Ok(model.into())
}

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 500;

/// Copies the branch, root first, into the share, with the names of the files its messages
/// carried (`parts`).
pub async fn insert_messages(
    conn: &impl Conn,
    tenant: TenantId,
    share: ShareId,
    branch: &[Message],
    parts: &[crate::store::files::FilePart],
) -> AppResult<()> {
    let files_of = |m: &Message| -> Option<String> {
        let files: Vec<SharedFile> = parts
            .iter()
            .filter(|p| p.message_id == m.id)
            .map(|p| SharedFile {
                name: p.name.clone(),
                media_type: p.media_type.clone(),
                kind: p.kind.clone(),
                size_bytes: p.size_bytes,
            })
            .collect();
        (!files.is_empty()).then(|| serde_json::to_string(&files).unwrap_or_default())
    };
    let rows: Vec<share_message::ActiveModel> = branch
        .iter()
        .enumerate()
        .map(|(position, m)| share_message::ActiveModel {
            files: Set(files_of(m)),
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            share_id: Set(share.0),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            role: Set(m.role.as_str().to_string()),
            status: Set(m.status.as_str().to_string()),
            content: Set(m.content.clone()),
            model: Set(m.model.clone()),
            created_at: Set(m.created_at),
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        share_message::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(())
}

pub async fn insert_recipients(conn: &impl Conn, tenant: TenantId, share: ShareId, users: &[UserId]) -> AppResult<()> {
    let rows: Vec<share_recipient::ActiveModel> = users
        .iter()
        .map(|u| share_recipient::ActiveModel { share_id: Set(share.0), user_id: Set(u.0), tenant_id: Set(tenant.0) })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        share_recipient::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Shares of the tenant, narrowed to one owner's when `owner` is given.
fn scoped(tenant: TenantId, owner: Option<UserId>) -> sea_orm::Select<share::Entity> {
    let mut q = share::Entity::find().filter(share::Column::TenantId.eq(tenant.0));
    if let Some(owner) = owner {
        q = q.filter(share::Column::OwnerId.eq(owner.0));
    }
    q
}

/// Neither revoked nor expired at `at`. A snapshot is a copy: deleting its source conversation
/// leaves it (it has its own retention period).
fn live(at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(share::Column::RevokedAt.is_null())
        .add(Condition::any().add(share::Column::ExpiresAt.is_null()).add(share::Column::ExpiresAt.gt(at)))
}

fn in_state(state: ShareState, at: DateTime<Utc>) -> Condition {
    match state {
        ShareState::Active => live(at),
        ShareState::Revoked => Condition::all().add(share::Column::RevokedAt.is_not_null()),
        ShareState::Expired => {
            Condition::all().add(share::Column::RevokedAt.is_null()).add(share::Column::ExpiresAt.lte(at))
        }
    }
}

pub async fn get(conn: &impl Conn, tenant: TenantId, owner: Option<UserId>, id: ShareId) -> AppResult<Option<Share>> {
    Ok(scoped(tenant, owner).filter(share::Column::Id.eq(id.0)).one(conn).await?.map(Into::into))
}

/// Newest first, before the cursor.
pub async fn list(
    conn: &impl Conn,
    tenant: TenantId,
    owner: Option<UserId>,
    state: Option<ShareState>,
    before: Option<ShareId>,
    limit: u64,
) -> AppResult<Vec<Share>> {
    let mut q = scoped(tenant, owner).order_by_desc(share::Column::Id).limit(limit);
    if let Some(state) = state {
        q = q.filter(in_state(state, now()));
    }
    if let Some(before) = before {
        q = q.filter(share::Column::Id.lt(before.0));
    }
    Ok(q.all(conn).await?.into_iter().map(Into::into).collect())
}

/// Marks a share revoked unless it already is; returns whether this call revoked it.
pub async fn revoke(
    conn: &impl Conn,
    tenant: TenantId,
    owner: Option<UserId>,
    id: ShareId,
    by: UserId,
) -> AppResult<bool> {
    let mut q = share::Entity::update_many()
        .col_expr(share::Column::RevokedAt, Expr::value(Some(now())))
        .col_expr(share::Column::RevokedBy, Expr::value(Some(by.0)))
        .filter(share::Column::Id.eq(id.0))
        .filter(share::Column::TenantId.eq(tenant.0))
        .filter(share::Column::RevokedAt.is_null());
    if let Some(owner) = owner {
        q = q.filter(share::Column::OwnerId.eq(owner.0));
    }
    Ok(q.exec(conn).await?.rows_affected == 1)
}

/// A live share of the tenant that `reader` may read while signed in: their own (any
/// visibility), a `tenant` share, or a `users` share that lists them. Link shares are read
/// through their token by everyone but their owner.
pub async fn readable(conn: &impl Conn, tenant: TenantId, reader: UserId, id: ShareId) -> AppResult<Option<Share>> {
    let listed = Query::select()
        .column(share_recipient::Column::ShareId)
        .from(share_recipient::Entity)
        .and_where(share_recipient::Column::TenantId.eq(tenant.0))
        .and_where(share_recipient::Column::UserId.eq(reader.0))
        .to_owned();
    let may_read = Condition::any()
        .add(share::Column::OwnerId.eq(reader.0))
        .add(share::Column::Visibility.eq(Visibility::Tenant.as_str()))
        .add(
            Condition::all()
                .add(share::Column::Visibility.eq(Visibility::Users.as_str()))
                .add(share::Column::Id.in_subquery(listed)),
        );
    Ok(scoped(tenant, None)
        .filter(share::Column::Id.eq(id.0))
        .filter(live(now()))
        .filter(may_read)
        .one(conn)
        .await?
        .map(Into::into))
}

/// The live link share with this token digest, in any tenant (the token is the only key a
/// signed-out reader has; the caller then checks the tenant and its settings).
pub async fn live_link(conn: &impl Conn, token_hash: &str) -> AppResult<Option<Share>> {
    Ok(share::Entity::find()
        .filter(share::Column::TokenHash.eq(token_hash))
        .filter(share::Column::Visibility.eq(Visibility::Link.as_str()))
        .filter(live(now()))
        .one(conn)
        .await?
        .map(Into::into))
}

/// The copied branch, root first.
pub async fn messages(conn: &impl Conn, tenant: TenantId, share: ShareId) -> AppResult<Vec<SnapshotMessage>> {
    Ok(share_message::Entity::find()
        .filter(share_message::Column::TenantId.eq(tenant.0))
        .filter(share_message::Column::ShareId.eq(share.0))
        .order_by_asc(share_message::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| SnapshotMessage {
            position: u32::try_from(m.position).unwrap_or_default(),
            role: MessageRole::from_db(&m.role),
            status: MessageStatus::from_db(&m.status),
            content: m.content,
            model: m.model,
            created_at: m.created_at,
            files: m.files.and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default(),
        })
        .collect())
}

pub async fn message_count(conn: &impl Conn, tenant: TenantId, share: ShareId) -> AppResult<u64> {
    Ok(share_message::Entity::find()
        .filter(share_message::Column::TenantId.eq(tenant.0))
        .filter(share_message::Column::ShareId.eq(share.0))
        .count(conn)
        .await?)
}

pub async fn recipients(conn: &impl Conn, tenant: TenantId, share: ShareId) -> AppResult<Vec<UserId>> {
    Ok(share_recipient::Entity::find()
        .filter(share_recipient::Column::TenantId.eq(tenant.0))
        .filter(share_recipient::Column::ShareId.eq(share.0))
        .order_by_asc(share_recipient::Column::UserId)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| UserId(r.user_id))
        .collect())
}

pub async fn record_view(conn: &impl Conn, tenant: TenantId, share: ShareId, viewer: Option<UserId>) -> AppResult<()> {
    share_view::Entity::insert(share_view::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        share_id: Set(share.0),
        viewer_user_id: Set(viewer.map(|v| v.0)),
        viewed_at: Set(now()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

fn views_of(tenant: TenantId, share: ShareId) -> sea_orm::Select<share_view::Entity> {
    share_view::Entity::find()
        .filter(share_view::Column::TenantId.eq(tenant.0))
        .filter(share_view::Column::ShareId.eq(share.0))
}

/// Newest first, before the cursor.
pub async fn views(
    conn: &impl Conn,
    tenant: TenantId,
    share: ShareId,
    before: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<View>> {
    let mut q = views_of(tenant, share).order_by_desc(share_view::Column::Id).limit(limit);
    if let Some(before) = before {
        q = q.filter(share_view::Column::Id.lt(before));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .map(|v| View { id: v.id, viewer: v.viewer_user_id.map(UserId), viewer_name: None, viewed_at: v.viewed_at })
        .collect())
}

pub async fn view_count(conn: &impl Conn, tenant: TenantId, share: ShareId) -> AppResult<u64> {
    Ok(views_of(tenant, share).count(conn).await?)
}

/// The tenant's settings; the defaults (links off) when it never changed them.
pub async fn settings(conn: &impl Conn, tenant: TenantId) -> AppResult<Settings> {
    Ok(sharing_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
        .map(|s| Settings { links_allowed: s.links_allowed, updated_at: Some(s.updated_at) })
        .unwrap_or_default())
}

pub async fn set_settings(conn: &impl Conn, tenant: TenantId, links_allowed: bool, by: UserId) -> AppResult<Settings> {
    let at = now();
    sharing_settings::Entity::insert(sharing_settings::ActiveModel {
        tenant_id: Set(tenant.0),
        links_allowed: Set(links_allowed),
        updated_by: Set(Some(by.0)),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(sharing_settings::Column::TenantId)
            .update_columns([
                sharing_settings::Column::LinksAllowed,
                sharing_settings::Column::UpdatedBy,
                sharing_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(Settings { links_allowed, updated_at: Some(at) })
}
