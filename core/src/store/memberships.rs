//! Who belongs to which tenant, with which role. Every query names the tenant.
use super::entities::{membership, tenant, user};
use super::users::User;
use super::{Conn, now};
use crate::domain::{Role, Status, TenantId, UserId};
use crate::error::{AppError, AppResult};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};

#[derive(Debug, Clone)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
    pub status: Status,
}

/// A membership seen from the user's side, with the tenant's names.
#[derive(Debug, Clone)]
pub struct UserTenant {
    pub tenant_id: TenantId,
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub tenant_status: Status,
    pub status: Status,
}

/// A membership seen from the tenant's side, with the user.
#[derive(Debug, Clone)]
pub struct TenantMember {
    pub user: User,
    pub role: Role,
    pub status: Status,
    /// When the user joined this tenant (what the tenant may know; the account may be older).
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

fn to_membership(m: membership::Model) -> AppResult<Membership> {
    Ok(Membership {
        tenant_id: TenantId(m.tenant_id),
        user_id: UserId(m.user_id),
        role: Role::parse(&m.role).map_err(|_| AppError::Internal(format!("unknown role {}", m.role)))?,
        status: Status::from_db(&m.status),
    })
}

pub async fn insert(conn: &impl Conn, tenant: TenantId, user: UserId, role: Role) -> AppResult<Membership> {
    let at = now();
    let model = membership::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        user_id: Set(user.0),
        role: Set(role.as_str().into()),
        status: Set(Status::Active.as_str().into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    super::policy::bump_version(conn).await?;
    to_membership(model)
}

pub async fn get(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<Option<Membership>> {
    membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant.0))
        .filter(membership::Column::UserId.eq(user.0))
        .one(conn)
        .await?
        .map(to_membership)
        .transpose()
}

pub async fn set_role(conn: &impl Conn, tenant: TenantId, user: UserId, role: Role) -> AppResult<()> {
    let res = membership::Entity::update_many()
        .col_expr(membership::Column::Role, role.as_str().into())
        .col_expr(membership::Column::UpdatedAt, now().into())
        .filter(membership::Column::TenantId.eq(tenant.0))
        .filter(membership::Column::UserId.eq(user.0))
        .exec(conn)
        .await?;
    super::policy::bump_version(conn).await?;
    super::expect_one(res.rows_affected, "user")
}

pub async fn set_status(conn: &impl Conn, tenant: TenantId, user: UserId, status: Status) -> AppResult<()> {
    let res = membership::Entity::update_many()
        .col_expr(membership::Column::Status, status.as_str().into())
        .col_expr(membership::Column::UpdatedAt, now().into())
        .filter(membership::Column::TenantId.eq(tenant.0))
        .filter(membership::Column::UserId.eq(user.0))
        .exec(conn)
        .await?;
    super::policy::bump_version(conn).await?;
    super::expect_one(res.rows_affected, "user")
}

/// The tenants a user belongs to, oldest membership first.
pub async fn tenants_of(conn: &impl Conn, user: UserId) -> AppResult<Vec<UserTenant>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.0))
        .find_also_related(tenant::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .all(conn)
        .await?;
    rows.into_iter()
        .filter_map(|(m, t)| t.map(|t| (m, t)))
        .map(|(m, t)| {
            let status = Status::from_db(&m.status);
            let membership = to_membership(m)?;
            Ok(UserTenant {
                tenant_id: TenantId(t.id),
                slug: t.slug,
                name: t.name,
                role: membership.role,
                tenant_status: Status::from_db(&t.status),
                status,
            })
        })
        .collect()
}

/// One member of a tenant; `None` when the user is not in this tenant.
pub async fn member(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<Option<TenantMember>> {
    Ok(members_query(tenant).filter(membership::Column::UserId.eq(user.0)).one(conn).await?.and_then(to_member))
}

/// Members of a tenant by user id (creation order), after the cursor.
pub async fn members(
    conn: &impl Conn,
    tenant: TenantId,
    after: Option<UserId>,
    limit: u64,
) -> AppResult<Vec<TenantMember>> {
    find_members(conn, tenant, &MemberFilter::default(), after, limit).await
}

/// Narrows a tenant's member list (the admin console's user search).
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// A case-insensitive part of the e-mail address or display name.
    pub text: Option<String>,
    pub status: Option<Status>,
    pub role: Option<Role>,
}

/// A tenant's members in user-id order after `after`, narrowed by `filter`.
pub async fn find_members(
    conn: &impl Conn,
    tenant: TenantId,
    filter: &MemberFilter,
    after: Option<UserId>,
    limit: u64,
) -> AppResult<Vec<TenantMember>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let mut q = members_query(tenant).order_by_asc(membership::Column::UserId).limit(limit);
    if let Some(after) = after {
        q = q.filter(membership::Column::UserId.gt(after.0));
    }
    if let Some(status) = filter.status {
        q = q.filter(membership::Column::Status.eq(status.as_str()));
    }
    if let Some(role) = filter.role {
        q = q.filter(membership::Column::Role.eq(role.as_str()));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // `%`, `_` and the escape character itself match literally.
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
        let lower = |col: user::Column| Expr::expr(Func::lower(Expr::col((user::Entity, col))));
        q = q.filter(
            sea_orm::Condition::any()
                .add(lower(user::Column::Email).like(pattern()))
                .add(lower(user::Column::DisplayName).like(pattern())),
        );
        if let Some(phrase) = selective_trigram_phrase(conn, text).await? {
            q = q.filter(Expr::cust_with_values(
                r#""users"."id" IN (SELECT d.user_id FROM user_search_docs d
                    WHERE d.id IN (SELECT rowid FROM user_search_fts WHERE user_search_fts MATCH ?))"#,
                [phrase],
            ));
        }
    }
    Ok(q.all(conn).await?.into_iter().filter_map(to_member).collect())
}

/// At most this many trigram matches make a search go through the trigram index (then ordered by
/// id); a commoner text fills its page sooner by walking the members in id order.
const TRIGRAM_CANDIDATES: i64 = 2_000;

/// On SQLite, the trigram index's phrase for `text` when the index narrows the search to a few
/// users (migration 15); `None` to scan: on PostgreSQL, for texts under three characters (no
/// trigram), and for common texts. The `LIKE` conditions still decide: the index only pre-selects.
async fn selective_trigram_phrase(conn: &impl Conn, text: &str) -> AppResult<Option<String>> {
    use sea_orm::{DbBackend, Statement};
    if conn.get_database_backend() != DbBackend::Sqlite || text.chars().count() < 3 {
        return Ok(None);
    }
    let phrase = format!("\"{}\"", text.replace('"', "\"\""));
    let count = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT count(*) AS n FROM (SELECT 1 FROM user_search_fts WHERE user_search_fts MATCH ? LIMIT ?)",
            [phrase.clone().into(), TRIGRAM_CANDIDATES.into()],
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok((count < TRIGRAM_CANDIDATES).then_some(phrase))
}

fn members_query(tenant: TenantId) -> sea_orm::SelectTwo<membership::Entity, user::Entity> {
    membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant.0))
        .select_also(user::Entity)
        .join(JoinType::InnerJoin, membership::Relation::User.def())
}

fn to_member((m, u): (membership::Model, Option<user::Model>)) -> Option<TenantMember> {
    let u = u?;
    let status = Status::from_db(&m.status);
    let role = Role::parse(&m.role).ok()?;
    Some(TenantMember { user: u.into(), role, status, joined_at: m.created_at })
}

/// Every active membership in active tenants: the `g` rows of the casbin policy.
pub async fn all_active(conn: &impl Conn) -> AppResult<Vec<Membership>> {
    membership::Entity::find()
        .filter(membership::Column::Status.eq(Status::Active.as_str()))
        .join(JoinType::InnerJoin, membership::Relation::Tenant.def())
        .filter(tenant::Column::Status.eq(Status::Active.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(to_membership)
        .collect()
}

/// How many active members the tenant has.
pub async fn count_active(conn: &impl Conn, tenant: TenantId) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant.0))
        .filter(membership::Column::Status.eq(Status::Active.as_str()))
        .count(conn)
        .await?)
}
