//! Tenants (casbin domains).
use super::entities::tenant;
use super::{Conn, now};
use crate::domain::{Status, TenantId, TenantSlug};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

impl From<tenant::Model> for Tenant {
    fn from(m: tenant::Model) -> Self {
        Self {
            id: TenantId(m.id),
            slug: m.slug,
            name: m.name,
            status: Status::from_db(&m.status),
            created_at: m.created_at,
        }
    }
}

pub async fn insert(conn: &impl Conn, slug: &TenantSlug, name: &str) -> AppResult<Tenant> {
    let at = now();
    let model = tenant::ActiveModel {
        id: Set(TenantId::new().0),
        slug: Set(slug.as_str().to_string()),
        name: Set(name.to_string()),
        status: Set(Status::Active.as_str().into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(model.into())
}

pub async fn get(conn: &impl Conn, id: TenantId) -> AppResult<Option<Tenant>> {
    Ok(tenant::Entity::find_by_id(id.0).one(conn).await?.map(Into::into))
}

pub async fn find_by_slug(conn: &impl Conn, slug: &str) -> AppResult<Option<Tenant>> {
    Ok(tenant::Entity::find().filter(tenant::Column::Slug.eq(slug)).one(conn).await?.map(Into::into))
}

/// Tenants in creation order, after `after` (a cursor), at most `limit`.
pub async fn list(conn: &impl Conn, after: Option<TenantId>, limit: u64) -> AppResult<Vec<Tenant>> {
    let mut q = tenant::Entity::find().order_by_asc(tenant::Column::Id).limit(limit);
    if let Some(after) = after {
        q = q.filter(tenant::Column::Id.gt(after.0));
    }
    Ok(q.all(conn).await?.into_iter().map(Into::into).collect())
}

pub async fn set_status(conn: &impl Conn, id: TenantId, status: Status) -> AppResult<()> {
    let res = tenant::Entity::update_many()
        .col_expr(tenant::Column::Status, status.as_str().into())
        .col_expr(tenant::Column::UpdatedAt, now().into())
        .filter(tenant::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    super::policy::bump_version(conn).await?;
    super::expect_one(res.rows_affected, "tenant")
}

pub async fn count(conn: &impl Conn) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(tenant::Entity::find().count(conn).await?)
}
