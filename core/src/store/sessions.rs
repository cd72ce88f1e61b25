//! Browser sessions. The cookie carries a random token; only its SHA-256 digest is stored.
use super::entities::session;
use super::{Conn, now};
use crate::domain::{SessionId, Surface, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub active_tenant_id: Option<TenantId>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub surface: Surface,
    /// Set when the tenant's single sign-on opened the session: it stays in that tenant.
    pub sso_tenant_id: Option<TenantId>,
}

impl From<session::Model> for Session {
    fn from(m: session::Model) -> Self {
        Self {
            id: SessionId(m.id),
            user_id: UserId(m.user_id),
            active_tenant_id: m.active_tenant_id.map(TenantId),
            last_seen_at: m.last_seen_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            surface: Surface::parse(&m.surface),
            sso_tenant_id: m.sso_tenant_id.map(TenantId),
        }
    }
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub active_tenant_id: Option<TenantId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub surface: Surface,
    pub sso_tenant_id: Option<TenantId>,
}

pub async fn insert(conn: &impl Conn, new: NewSession<'_>) -> AppResult<Session> {
    let at = now();
    let model = session::ActiveModel {
        id: Set(SessionId::new().0),
        token_hash: Set(new.token_hash.to_string()),
        user_id: Set(new.user_id.0),
        active_tenant_id: Set(new.active_tenant_id.map(|t| t.0)),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(512).collect())),
        created_at: Set(at),
        last_seen_at: Set(at),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        surface: Set(new.surface.as_str().to_string()),
        sso_tenant_id: Set(new.sso_tenant_id.map(|t| t.0)),
    }
    .insert(conn)
    .await?;
    Ok(model.into())
}

pub async fn find_by_token_hash(conn: &impl Conn, token_hash: &str) -> AppResult<Option<Session>> {
    Ok(session::Entity::find().filter(session::Column::TokenHash.eq(token_hash)).one(conn).await?.map(Into::into))
}

pub async fn touch(conn: &impl Conn, id: SessionId) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, now().into())
        .filter(session::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn set_active_tenant(conn: &impl Conn, id: SessionId, tenant: TenantId) -> AppResult<()> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::ActiveTenantId, Some(tenant.0).into())
        .filter(session::Column::Id.eq(id.0))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "session")
}

pub async fn revoke(conn: &impl Conn, id: SessionId) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Some(now()).into())
        .filter(session::Column::Id.eq(id.0))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes every live session of a user; returns how many.
pub async fn revoke_all_for_user(conn: &impl Conn, user: UserId) -> AppResult<u64> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Some(now()).into())
        .filter(session::Column::UserId.eq(user.0))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn get(conn: &impl Conn, id: SessionId) -> AppResult<Option<Session>> {
    Ok(session::Entity::find_by_id(id.0).one(conn).await?.map(Into::into))
}
