//! Legal holds: a tenant, a user or a conversation whose data must not be destroyed while the
//! hold is active. Released holds stay listed, with who released them and when.
use super::sql::{Sql, all, exec};
use crate::domain::TenantId;
use crate::error::{AppError, AppResult};
use crate::store::Conn;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a hold covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldSubject {
    /// Everything of the tenant.
    Tenant,
    /// Everything a user owns in the tenant.
    User(Uuid),
    /// One conversation (and its shares).
    Conversation(Uuid),
}

impl HoldSubject {
    pub fn scope(self) -> &'static str {
        match self {
            HoldSubject::Tenant => "tenant",
            HoldSubject::User(_) => "user",
            HoldSubject::Conversation(_) => "conversation",
        }
    }

    pub fn subject_id(self) -> Option<Uuid> {
        match self {
            HoldSubject::Tenant => None,
            HoldSubject::User(id) | HoldSubject::Conversation(id) => Some(id),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LegalHold {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub subject: HoldSubject,
    pub case_name: String,
    pub reason: String,
    pub created_by: Option<Uuid>,
    pub created_by_label: String,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by: Option<Uuid>,
    pub released_by_label: Option<String>,
}

const COLUMNS: &str = "id, tenant_id, scope, subject_id, case_name, reason, created_by, created_by_label, created_at,
                       released_at, released_by, released_by_label";

fn from_row(r: &sea_orm::QueryResult) -> Result<LegalHold, sea_orm::DbErr> {
    let scope: String = r.try_get("", "scope")?;
    let subject_id: Option<Uuid> = r.try_get("", "subject_id")?;
    let subject = match (scope.as_str(), subject_id) {
        ("user", Some(id)) => HoldSubject::User(id),
        ("conversation", Some(id)) => HoldSubject::Conversation(id),
        _ => HoldSubject::Tenant,
    };
    Ok(LegalHold {
        id: r.try_get("", "id")?,
        tenant_id: TenantId(r.try_get("", "tenant_id")?),
        subject,
        case_name: r.try_get("", "case_name")?,
        reason: r.try_get("", "reason")?,
        created_by: r.try_get("", "created_by")?,
        created_by_label: r.try_get("", "created_by_label")?,
        created_at: r.try_get("", "created_at")?,
        released_at: r.try_get("", "released_at")?,
        released_by: r.try_get("", "released_by")?,
        released_by_label: r.try_get("", "released_by_label")?,
    })
}

pub(crate) struct NewHold<'a> {
    pub tenant: TenantId,
    pub subject: HoldSubject,
    pub case_name: &'a str,
    pub reason: &'a str,
    pub by: Option<Uuid>,
    pub by_label: &'a str,
}

pub(crate) async fn insert(conn: &impl Conn, new: NewHold<'_>) -> AppResult<LegalHold> {
    let id = Uuid::now_v7();
    let mut q = Sql::new(conn.get_database_backend());
    let text = format!(
        "INSERT INTO legal_holds (id, tenant_id, scope, subject_id, case_name, reason, created_by, created_by_label, created_at)
         VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        q.bind(id),
        q.bind(new.tenant.0),
        q.bind(new.subject.scope()),
        q.bind(new.subject.subject_id()),
        q.bind(new.case_name),
        q.bind(new.reason),
        q.bind(new.by),
        q.bind(new.by_label),
        q.bind(crate::store::now()),
    );
    exec(conn, q, text).await?;
    get(conn, new.tenant, id).await?.ok_or(AppError::NotFound("legal hold"))
}

pub(crate) async fn get(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<Option<LegalHold>> {
    let mut q = Sql::new(conn.get_database_backend());
    let text =
        format!("SELECT {COLUMNS} FROM legal_holds WHERE tenant_id = {} AND id = {}", q.bind(tenant.0), q.bind(id));
    let rows = all(conn, q, text).await?;
    rows.first().map(from_row).transpose().map_err(Into::into)
}

/// Holds newest first, of one tenant or (platform view) of every tenant; active ones only when asked.
pub(crate) async fn list(
    conn: &impl Conn,
    tenant: Option<TenantId>,
    active_only: bool,
    before: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<LegalHold>> {
    let mut q = Sql::new(conn.get_database_backend());
    let mut filters = vec!["1 = 1".to_string()];
    if let Some(t) = tenant {
        filters.push(format!("tenant_id = {}", q.bind(t.0)));
    }
    if active_only {
        filters.push("released_at IS NULL".into());
    }
    if let Some(b) = before {
        filters.push(format!("id < {}", q.bind(b)));
    }
    let text =
        format!("SELECT {COLUMNS} FROM legal_holds WHERE {} ORDER BY id DESC LIMIT {limit}", filters.join(" AND "));
    let rows = all(conn, q, text).await?;
    rows.iter().map(from_row).collect::<Result<Vec<_>, _>>().map_err(Into::into)
}

/// Releases an active hold; `false` when it is unknown or already released.
pub(crate) async fn release(
    conn: &impl Conn,
    tenant: TenantId,
    id: Uuid,
    by: Option<Uuid>,
    by_label: &str,
) -> AppResult<bool> {
    let mut q = Sql::new(conn.get_database_backend());
    let text = format!(
        "UPDATE legal_holds SET released_at = {}, released_by = {}, released_by_label = {}
         WHERE tenant_id = {} AND id = {} AND released_at IS NULL",
        q.bind(crate::store::now()),
        q.bind(by),
        q.bind(by_label),
        q.bind(tenant.0),
        q.bind(id),
    );
    Ok(exec(conn, q, text).await? == 1)
}
