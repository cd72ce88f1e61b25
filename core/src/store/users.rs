//! User identities. Users are global (one e-mail, many tenants); what a tenant may see of them
//! goes through `memberships`, which always filter by tenant.
use super::entities::user;
use super::{Conn, now};
use crate::domain::{Email, Status, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    pub status: Status,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A user with the stored password hash, for sign-in only.
pub struct UserCredentials {
    pub user: User,
    pub password_hash: Option<String>,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: UserId(m.id),
            email: m.email,
            display_name: m.display_name,
            is_platform_admin: m.is_platform_admin,
            status: Status::from_db(&m.status),
            password_changed_at: m.password_changed_at,
            created_at: m.created_at,
        }
    }
}

pub async fn insert(
    conn: &impl Conn,
    email: &Email,
    display_name: &str,
    password_hash: &str,
    is_platform_admin: bool,
) -> AppResult<User> {
    let at = now();
    let model = user::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email.as_str().to_string()),
        display_name: Set(display_name.to_string()),
        password_hash: Set(Some(password_hash.to_string())),
        is_platform_admin: Set(is_platform_admin),
        status: Set(Status::Active.as_str().into()),
        password_changed_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    if is_platform_admin {
        super::policy::bump_version(conn).await?;
    }
    Ok(model.into())
}

pub async fn get(conn: &impl Conn, id: UserId) -> AppResult<Option<User>> {
    Ok(user::Entity::find_by_id(id.0).one(conn).await?.map(Into::into))
}

pub async fn find_by_email(conn: &impl Conn, email: &Email) -> AppResult<Option<User>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(conn).await?.map(Into::into))
}

pub async fn credentials_by_email(conn: &impl Conn, email: &Email) -> AppResult<Option<UserCredentials>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
        .map(|m| UserCredentials { password_hash: m.password_hash.clone(), user: m.into() }))
}

pub async fn password_hash(conn: &impl Conn, id: UserId) -> AppResult<Option<String>> {
    Ok(user::Entity::find_by_id(id.0).one(conn).await?.and_then(|m| m.password_hash))
}

pub async fn set_password_hash(conn: &impl Conn, id: UserId, hash: &str) -> AppResult<()> {
    let at = now();
    let res = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Some(hash.to_string()).into())
        .col_expr(user::Column::PasswordChangedAt, at.into())
        .col_expr(user::Column::UpdatedAt, at.into())
        .filter(user::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "user")
}

pub async fn set_platform_admin(conn: &impl Conn, id: UserId, value: bool) -> AppResult<()> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::IsPlatformAdmin, value.into())
        .col_expr(user::Column::UpdatedAt, now().into())
        .filter(user::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    super::policy::bump_version(conn).await?;
    super::expect_one(res.rows_affected, "user")
}

pub async fn count(conn: &impl Conn) -> AppResult<u64> {
    Ok(user::Entity::find().count(conn).await?)
}

pub async fn platform_admins(conn: &impl Conn) -> AppResult<Vec<UserId>> {
    Ok(user::Entity::find()
        .filter(user::Column::IsPlatformAdmin.eq(true))
        .filter(user::Column::Status.eq(Status::Active.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| UserId(m.id))
        .collect())
}

/// An identity made by provisioning: no local password (it signs in through its provider, or an
/// admin's reset), unless the provider sent one.
pub async fn insert_provisioned(
    conn: &impl Conn,
    email: &Email,
    display_name: &str,
    password_hash: Option<&str>,
) -> AppResult<User> {
    let at = now();
    let model = user::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email.as_str().to_string()),
        display_name: Set(display_name.to_string()),
        password_hash: Set(password_hash.map(str::to_string)),
        is_platform_admin: Set(false),
        status: Set(Status::Active.as_str().into()),
        password_changed_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(model.into())
}
