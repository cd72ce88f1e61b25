//! Provisioning state per tenant: SCIM tokens (digests), the members an identity provider
//! manages with the attributes it sent, its groups and their members, and the group → role
//! mapping (shared with single sign-on). Every query names the tenant.
use super::entities::{role_mapping, scim_group, scim_group_member, scim_token, scim_user};
use super::{Conn, now};
use crate::domain::{Role, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ScimToken {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
    pub prefix: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<scim_token::Model> for ScimToken {
    fn from(m: scim_token::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: TenantId(m.tenant_id),
            name: m.name,
            prefix: m.prefix,
            created_by: m.created_by.map(UserId),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

pub async fn insert_token(
    conn: &impl Conn,
    tenant: TenantId,
    name: &str,
    prefix: &str,
    token_hash: &str,
    created_by: Option<UserId>,
) -> AppResult<ScimToken> {
    Ok(scim_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        name: Set(name.to_string()),
        prefix: Set(prefix.to_string()),
        token_hash: Set(token_hash.to_string()),
        created_by: Set(created_by.map(|u| u.0)),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?
    .into())
}

pub async fn tokens(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<ScimToken>> {
    Ok(scim_token::Entity::find()
        .filter(scim_token::Column::TenantId.eq(tenant.0))
        .order_by_desc(scim_token::Column::CreatedAt)
        .limit(500)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn token(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<Option<ScimToken>> {
    Ok(scim_token::Entity::find_by_id(id)
        .filter(scim_token::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .map(Into::into))
}

pub async fn revoke_token(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<bool> {
    let res = scim_token::Entity::update_many()
        .col_expr(scim_token::Column::RevokedAt, Some(now()).into())
        .filter(scim_token::Column::Id.eq(id))
        .filter(scim_token::Column::TenantId.eq(tenant.0))
        .filter(scim_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn token_by_hash(conn: &impl Conn, hash: &str) -> AppResult<Option<ScimToken>> {
    Ok(scim_token::Entity::find().filter(scim_token::Column::TokenHash.eq(hash)).one(conn).await?.map(Into::into))
}

pub async fn touch_token(conn: &impl Conn, id: Uuid) -> AppResult<()> {
    scim_token::Entity::update_many()
        .col_expr(scim_token::Column::LastUsedAt, Some(now()).into())
        .filter(scim_token::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A member the identity provider manages in one tenant.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// Lower-cased.
    pub user_name: String,
    pub external_id: Option<String>,
    /// The SCIM attributes as sent (JSON object).
    pub attributes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<scim_user::Model> for ScimUser {
    fn from(m: scim_user::Model) -> Self {
        Self {
            tenant_id: TenantId(m.tenant_id),
            user_id: UserId(m.user_id),
            user_name: m.user_name,
            external_id: m.external_id,
            attributes: m.attributes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub async fn insert_user(
    conn: &impl Conn,
    tenant: TenantId,
    user: UserId,
    user_name: &str,
    external_id: Option<&str>,
    attributes: &str,
) -> AppResult<ScimUser> {
    let at = now();
    Ok(scim_user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        user_id: Set(user.0),
        user_name: Set(user_name.to_string()),
        external_id: Set(external_id.map(str::to_string)),
        attributes: Set(attributes.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?
    .into())
}

pub async fn update_user(
    conn: &impl Conn,
    tenant: TenantId,
    user: UserId,
    user_name: &str,
    external_id: Option<&str>,
    attributes: &str,
) -> AppResult<()> {
    let res = scim_user::Entity::update_many()
        .col_expr(scim_user::Column::UserName, user_name.into())
        .col_expr(scim_user::Column::ExternalId, external_id.map(str::to_string).into())
        .col_expr(scim_user::Column::Attributes, attributes.into())
        .col_expr(scim_user::Column::UpdatedAt, now().into())
        .filter(scim_user::Column::TenantId.eq(tenant.0))
        .filter(scim_user::Column::UserId.eq(user.0))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "User")
}

pub async fn delete_user(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<()> {
    scim_group_member::Entity::delete_many()
        .filter(scim_group_member::Column::TenantId.eq(tenant.0))
        .filter(scim_group_member::Column::UserId.eq(user.0))
        .exec(conn)
        .await?;
    let res = scim_user::Entity::delete_many()
        .filter(scim_user::Column::TenantId.eq(tenant.0))
        .filter(scim_user::Column::UserId.eq(user.0))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "User")
}

pub async fn user(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<Option<ScimUser>> {
    Ok(scim_user::Entity::find()
        .filter(scim_user::Column::TenantId.eq(tenant.0))
        .filter(scim_user::Column::UserId.eq(user.0))
        .one(conn)
        .await?
        .map(Into::into))
}

/// What a list of users or groups is narrowed to (SCIM `filter` with `eq`).
#[derive(Debug, Clone)]
pub enum Narrow {
    All,
    Id(Uuid),
    /// userName (users, lower-cased) or displayName (groups).
    Name(String),
    ExternalId(String),
    /// Matches nothing (e.g. an `id` that is not a UUID).
    Nothing,
}

/// One page of a tenant's SCIM users (by user id) and how many match in all.
pub async fn users(
    conn: &impl Conn,
    tenant: TenantId,
    narrow: &Narrow,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ScimUser>, u64)> {
    let mut q = scim_user::Entity::find().filter(scim_user::Column::TenantId.eq(tenant.0));
    q = match narrow {
        Narrow::All => q,
        Narrow::Id(id) => q.filter(scim_user::Column::UserId.eq(*id)),
        Narrow::Name(n) => q.filter(scim_user::Column::UserName.eq(n.to_lowercase())),
        Narrow::ExternalId(e) => q.filter(scim_user::Column::ExternalId.eq(e.as_str())),
        Narrow::Nothing => return Ok((vec![], 0)),
    };
    let total = q.clone().count(conn).await?;
    let items = q.order_by_asc(scim_user::Column::UserId).offset(offset).limit(limit).all(conn).await?;
    Ok((items.into_iter().map(Into::into).collect(), total))
}

/// Every SCIM-managed member of the tenant.
pub async fn user_ids(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<UserId>> {
    Ok(scim_user::Entity::find()
        .filter(scim_user::Column::TenantId.eq(tenant.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id))
        .collect())
}

#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<scim_group::Model> for ScimGroup {
    fn from(m: scim_group::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: TenantId(m.tenant_id),
            display_name: m.display_name,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub async fn insert_group(
    conn: &impl Conn,
    tenant: TenantId,
    display_name: &str,
    external_id: Option<&str>,
) -> AppResult<ScimGroup> {
    let at = now();
    Ok(scim_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        display_name: Set(display_name.to_string()),
        external_id: Set(external_id.map(str::to_string)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?
    .into())
}

pub async fn update_group(
    conn: &impl Conn,
    tenant: TenantId,
    id: Uuid,
    display_name: &str,
    external_id: Option<&str>,
) -> AppResult<()> {
    let res = scim_group::Entity::update_many()
        .col_expr(scim_group::Column::DisplayName, display_name.into())
        .col_expr(scim_group::Column::ExternalId, external_id.map(str::to_string).into())
        .col_expr(scim_group::Column::UpdatedAt, now().into())
        .filter(scim_group::Column::TenantId.eq(tenant.0))
        .filter(scim_group::Column::Id.eq(id))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "Group")
}

pub async fn delete_group(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<()> {
    scim_group_member::Entity::delete_many()
        .filter(scim_group_member::Column::TenantId.eq(tenant.0))
        .filter(scim_group_member::Column::GroupId.eq(id))
        .exec(conn)
        .await?;
    let res = scim_group::Entity::delete_many()
        .filter(scim_group::Column::TenantId.eq(tenant.0))
        .filter(scim_group::Column::Id.eq(id))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "Group")
}

pub async fn group(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<Option<ScimGroup>> {
    Ok(scim_group::Entity::find_by_id(id)
        .filter(scim_group::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .map(Into::into))
}

pub async fn group_by_name(conn: &impl Conn, tenant: TenantId, name: &str) -> AppResult<Option<ScimGroup>> {
    Ok(scim_group::Entity::find()
        .filter(scim_group::Column::TenantId.eq(tenant.0))
        .filter(scim_group::Column::DisplayName.eq(name))
        .one(conn)
        .await?
        .map(Into::into))
}

pub async fn groups(
    conn: &impl Conn,
    tenant: TenantId,
    narrow: &Narrow,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ScimGroup>, u64)> {
    let mut q = scim_group::Entity::find().filter(scim_group::Column::TenantId.eq(tenant.0));
    q = match narrow {
        Narrow::All => q,
        Narrow::Id(id) => q.filter(scim_group::Column::Id.eq(*id)),
        Narrow::Name(n) => q.filter(scim_group::Column::DisplayName.eq(n.as_str())),
        Narrow::ExternalId(e) => q.filter(scim_group::Column::ExternalId.eq(e.as_str())),
        Narrow::Nothing => return Ok((vec![], 0)),
    };
    let total = q.clone().count(conn).await?;
    let items = q.order_by_asc(scim_group::Column::Id).offset(offset).limit(limit).all(conn).await?;
    Ok((items.into_iter().map(Into::into).collect(), total))
}

pub async fn group_members(conn: &impl Conn, tenant: TenantId, group: Uuid) -> AppResult<Vec<UserId>> {
    Ok(scim_group_member::Entity::find()
        .filter(scim_group_member::Column::TenantId.eq(tenant.0))
        .filter(scim_group_member::Column::GroupId.eq(group))
        .order_by_asc(scim_group_member::Column::UserId)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id))
        .collect())
}

/// Replaces a group's members.
pub async fn set_group_members(conn: &impl Conn, tenant: TenantId, group: Uuid, users: &[UserId]) -> AppResult<()> {
    scim_group_member::Entity::delete_many()
        .filter(scim_group_member::Column::TenantId.eq(tenant.0))
        .filter(scim_group_member::Column::GroupId.eq(group))
        .exec(conn)
        .await?;
    if users.is_empty() {
        return Ok(());
    }
    let rows = users.iter().map(|u| scim_group_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        group_id: Set(group),
        user_id: Set(u.0),
    });
    scim_group_member::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// The groups a member belongs to in the tenant.
pub async fn groups_of(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<Vec<ScimGroup>> {
    let ids: Vec<Uuid> = scim_group_member::Entity::find()
        .filter(scim_group_member::Column::TenantId.eq(tenant.0))
        .filter(scim_group_member::Column::UserId.eq(user.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(scim_group::Entity::find()
        .filter(scim_group::Column::TenantId.eq(tenant.0))
        .filter(scim_group::Column::Id.is_in(ids))
        .order_by_asc(scim_group::Column::DisplayName)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A group (by display name or external id) and the role its members get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    pub group: String,
    pub role: Role,
}

pub async fn role_mappings(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<RoleMapping>> {
    role_mapping::Entity::find()
        .filter(role_mapping::Column::TenantId.eq(tenant.0))
        .order_by_asc(role_mapping::Column::GroupName)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            Ok(RoleMapping {
                role: Role::parse(&m.role).map_err(|_| AppError::Internal(format!("unknown role {}", m.role)))?,
                group: m.group_name,
            })
        })
        .collect()
}

pub async fn set_role_mappings(conn: &impl Conn, tenant: TenantId, mappings: &[RoleMapping]) -> AppResult<()> {
    role_mapping::Entity::delete_many().filter(role_mapping::Column::TenantId.eq(tenant.0)).exec(conn).await?;
    if mappings.is_empty() {
        return Ok(());
    }
    let at = now();
    let rows = mappings.iter().map(|m| role_mapping::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        group_name: Set(m.group.clone()),
        role: Set(m.role.as_str().to_string()),
        created_at: Set(at),
    });
    role_mapping::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}
