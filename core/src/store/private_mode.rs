//! Whether a tenant lets its members keep conversations only in their browser (private mode),
//! and the legal holds that forbid it whatever the tenant's switch says.
use super::entities::tenant_private_mode;
use super::{Conn, now};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DbBackend, EntityTrait, Set, Statement};

/// A tenant's switch. A tenant that never set one allows private mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub allowed: bool,
    /// What members are told when it is off.
    pub reason: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for Setting {
    fn default() -> Self {
        Self { allowed: true, reason: None, updated_by: None, updated_at: None }
    }
}

pub async fn get(conn: &impl Conn, tenant: TenantId) -> AppResult<Setting> {
    Ok(match tenant_private_mode::Entity::find_by_id(tenant.0).one(conn).await? {
        Some(m) => Setting {
            allowed: m.allowed,
            reason: m.reason,
            updated_by: Some(m.updated_by),
            updated_at: Some(m.updated_at),
        },
        None => Setting::default(),
    })
}

pub async fn set(conn: &impl Conn, tenant: TenantId, allowed: bool, reason: Option<&str>, by: &str) -> AppResult<()> {
    let row = tenant_private_mode::ActiveModel {
        tenant_id: Set(tenant.0),
        allowed: Set(allowed),
        reason: Set(reason.map(str::to_string)),
        updated_by: Set(by.to_string()),
        updated_at: Set(now()),
    };
    tenant_private_mode::Entity::insert(row)
        .on_conflict(
            OnConflict::column(tenant_private_mode::Column::TenantId)
                .update_columns([
                    tenant_private_mode::Column::Allowed,
                    tenant_private_mode::Column::Reason,
                    tenant_private_mode::Column::UpdatedBy,
                    tenant_private_mode::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// An active legal hold that keeps everything of the tenant, or of this user when `user` is
/// given: `(scope, case name)` of the oldest one.
pub async fn active_hold(
    conn: &impl Conn,
    tenant: TenantId,
    user: Option<UserId>,
) -> AppResult<Option<(String, String)>> {
    let backend = conn.get_database_backend();
    let (t, u) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let text = format!(
        "SELECT scope, case_name FROM legal_holds WHERE tenant_id = {t} AND released_at IS NULL
         AND (scope = 'tenant' OR (scope = 'user' AND subject_id = {u})) ORDER BY created_at LIMIT 1"
    );
    // Without a user, a subject no hold has: only tenant-wide holds match.
    let subject = user.map_or(uuid::Uuid::nil(), |u| u.0);
    let row =
        conn.query_one_raw(Statement::from_sql_and_values(backend, text, [tenant.0.into(), subject.into()])).await?;
    match row {
        Some(r) => Ok(Some((r.try_get("", "scope")?, r.try_get("", "case_name")?))),
        None => Ok(None),
    }
}
