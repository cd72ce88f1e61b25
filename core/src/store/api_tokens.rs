//! API tokens for SDK clients: bound to one tenant, scoped to a role, stored as a digest.
use super::entities::api_token;
use super::{Conn, now};
use crate::domain::{ApiTokenId, KeepMode, Role, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the OpenAI-compatible endpoint keeps of this token's calls.
    pub keep: KeepMode,
}

impl TryFrom<api_token::Model> for ApiToken {
    type Error = AppError;
    fn try_from(m: api_token::Model) -> AppResult<Self> {
        Ok(Self {
            id: ApiTokenId(m.id),
            tenant_id: TenantId(m.tenant_id),
            user_id: UserId(m.user_id),
            name: m.name,
            prefix: m.prefix,
            role: Role::parse(&m.role).map_err(|_| AppError::Internal(format!("unknown role {}", m.role)))?,
            created_at: m.created_at,
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            keep: KeepMode::parse(&m.keep).map_err(|_| AppError::Internal(format!("unknown keep mode {}", m.keep)))?,
        })
    }
}

pub struct NewApiToken<'a> {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
    pub keep: KeepMode,
}

pub async fn insert(conn: &impl Conn, new: NewApiToken<'_>) -> AppResult<ApiToken> {
    api_token::ActiveModel {
        id: Set(ApiTokenId::new().0),
        tenant_id: Set(new.tenant_id.0),
        user_id: Set(new.user_id.0),
        name: Set(new.name.to_string()),
        prefix: Set(new.prefix.to_string()),
        token_hash: Set(new.token_hash.to_string()),
        role: Set(new.role.as_str().into()),
        created_at: Set(now()),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        keep: Set(new.keep.as_str().into()),
    }
    .insert(conn)
    .await?
    .try_into()
}

pub async fn find_by_token_hash(conn: &impl Conn, token_hash: &str) -> AppResult<Option<ApiToken>> {
    api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

pub async fn get(conn: &impl Conn, tenant: TenantId, id: ApiTokenId) -> AppResult<Option<ApiToken>> {
    api_token::Entity::find_by_id(id.0)
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Tokens in a tenant, newest first; only one user's when `user` is given.
pub async fn list(
    conn: &impl Conn,
    tenant: TenantId,
    user: Option<UserId>,
    before: Option<ApiTokenId>,
    limit: u64,
) -> AppResult<Vec<ApiToken>> {
    let mut q = api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .order_by_desc(api_token::Column::Id)
        .limit(limit);
    if let Some(user) = user {
        q = q.filter(api_token::Column::UserId.eq(user.0));
    }
    if let Some(before) = before {
        q = q.filter(api_token::Column::Id.lt(before.0));
    }
    q.all(conn).await?.into_iter().map(TryInto::try_into).collect()
}

pub async fn revoke(conn: &impl Conn, tenant: TenantId, id: ApiTokenId) -> AppResult<bool> {
    let res = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Some(now()).into())
        .filter(api_token::Column::Id.eq(id.0))
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn touch(conn: &impl Conn, id: ApiTokenId) -> AppResult<()> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Some(now()).into())
        .filter(api_token::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes every live token of a user in one tenant (deprovisioning); returns how many.
pub async fn revoke_all_for_member(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<u64> {
    let res = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Some(now()).into())
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .filter(api_token::Column::UserId.eq(user.0))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
