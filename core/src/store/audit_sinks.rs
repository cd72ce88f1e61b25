//! SIEM sinks of the audit log and their delivery state. The audit log is the outbox: a sink's
//! `cursor_seq` is the last entry delivered, and its lease columns make one replica at a time
//! deliver it (claims and cursor moves are fenced by the lease owner).
use super::audit::{AuditScope, Entry, to_entry};
use super::entities::{audit_log, audit_sink};
use super::{Conn, now};
use crate::domain::{AuditSinkId, TenantId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

#[derive(Debug, Clone)]
pub struct Sink {
    pub id: AuditSinkId,
    pub scope: AuditScope,
    pub name: String,
    /// `webhook` or `syslog`.
    pub kind: String,
    pub url: String,
    pub secret_sealed: Option<String>,
    pub enabled: bool,
    pub cursor_seq: i64,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn to_sink(m: audit_sink::Model) -> Sink {
    Sink {
        id: AuditSinkId(m.id),
        scope: match m.tenant_id {
            Some(t) => AuditScope::Tenant(TenantId(t)),
            None => AuditScope::Platform,
        },
        name: m.name,
        kind: m.kind,
        url: m.url,
        secret_sealed: m.secret_sealed,
        enabled: m.enabled,
        cursor_seq: m.cursor_seq,
        attempts: m.attempts,
        last_error: m.last_error,
        last_error_at: m.last_error_at,
        last_success_at: m.last_success_at,
        next_attempt_at: m.next_attempt_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn scope_tenant(scope: AuditScope) -> Option<uuid::Uuid> {
    match scope {
        AuditScope::Tenant(t) => Some(t.0),
        AuditScope::Platform => None,
    }
}

/// The sinks of one scope only: a tenant's, or the platform's (no tenant).
fn in_scope(scope: AuditScope) -> Condition {
    match scope {
        AuditScope::Tenant(t) => Condition::all().add(audit_sink::Column::TenantId.eq(t.0)),
        AuditScope::Platform => Condition::all().add(audit_sink::Column::TenantId.is_null()),
    }
}

pub async fn insert(conn: &impl Conn, sink: &Sink) -> AppResult<()> {
    audit_sink::ActiveModel {
        id: Set(sink.id.0),
        tenant_id: Set(scope_tenant(sink.scope)),
        name: Set(sink.name.clone()),
        kind: Set(sink.kind.clone()),
        url: Set(sink.url.clone()),
        secret_sealed: Set(sink.secret_sealed.clone()),
        enabled: Set(sink.enabled),
        cursor_seq: Set(sink.cursor_seq),
        attempts: Set(0),
        last_error: Set(None),
        last_error_at: Set(None),
        last_success_at: Set(None),
        next_attempt_at: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        created_at: Set(sink.created_at),
        updated_at: Set(sink.updated_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A scope's sinks, oldest first.
pub async fn list(conn: &impl Conn, scope: AuditScope) -> AppResult<Vec<Sink>> {
    Ok(audit_sink::Entity::find()
        .filter(in_scope(scope))
        .order_by_asc(audit_sink::Column::CreatedAt)
        .order_by_asc(audit_sink::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_sink)
        .collect())
}

/// Every sink of the installation (for readiness figures).
pub async fn list_all(conn: &impl Conn) -> AppResult<Vec<Sink>> {
    Ok(audit_sink::Entity::find().all(conn).await?.into_iter().map(to_sink).collect())
}

pub async fn get(conn: &impl Conn, scope: AuditScope, id: AuditSinkId) -> AppResult<Option<Sink>> {
    Ok(audit_sink::Entity::find_by_id(id.0).filter(in_scope(scope)).one(conn).await?.map(to_sink))
}

/// What a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct SinkChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub secret_sealed: Option<String>,
    pub enabled: Option<bool>,
}

pub async fn update(conn: &impl Conn, scope: AuditScope, id: AuditSinkId, changes: SinkChanges) -> AppResult<bool> {
    let mut q = audit_sink::Entity::update_many()
        .col_expr(audit_sink::Column::UpdatedAt, Expr::value(now()))
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(in_scope(scope));
    if let Some(name) = changes.name {
        q = q.col_expr(audit_sink::Column::Name, Expr::value(name));
    }
    if let Some(url) = changes.url {
        q = q.col_expr(audit_sink::Column::Url, Expr::value(url));
    }
    if let Some(secret) = changes.secret_sealed {
        q = q.col_expr(audit_sink::Column::SecretSealed, Expr::value(secret));
    }
    if let Some(enabled) = changes.enabled {
        q = q.col_expr(audit_sink::Column::Enabled, Expr::value(enabled));
        if enabled {
            // Re-enabled (or reconfigured): try again now rather than after the last backoff.
            q = q.col_expr(audit_sink::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None));
        }
    }
    Ok(q.exec(conn).await?.rows_affected == 1)
}

pub async fn delete(conn: &impl Conn, scope: AuditScope, id: AuditSinkId) -> AppResult<bool> {
    let res = audit_sink::Entity::delete_many()
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(in_scope(scope))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Enabled sinks whose retry time has come and that no live lease holds.
pub async fn due(conn: &impl Conn) -> AppResult<Vec<Sink>> {
    let now = now();
    Ok(audit_sink::Entity::find()
        .filter(audit_sink::Column::Enabled.eq(true))
        .filter(
            Condition::any()
                .add(audit_sink::Column::NextAttemptAt.is_null())
                .add(audit_sink::Column::NextAttemptAt.lte(now)),
        )
        .filter(
            Condition::any().add(audit_sink::Column::LeaseUntil.is_null()).add(audit_sink::Column::LeaseUntil.lt(now)),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(to_sink)
        .collect())
}

/// Takes (or renews) the sink's lease until `until`; false when another replica holds it.
pub async fn claim(conn: &impl Conn, id: AuditSinkId, owner: &str, until: DateTime<Utc>) -> AppResult<bool> {
    let res = audit_sink::Entity::update_many()
        .col_expr(audit_sink::Column::LeaseOwner, Expr::value(owner))
        .col_expr(audit_sink::Column::LeaseUntil, Expr::value(until))
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(
            Condition::any()
                .add(audit_sink::Column::LeaseUntil.is_null())
                .add(audit_sink::Column::LeaseUntil.lt(now()))
                .add(audit_sink::Column::LeaseOwner.eq(owner)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

fn held_by(owner: &str) -> Condition {
    Condition::all().add(audit_sink::Column::LeaseOwner.eq(owner))
}

pub async fn release(conn: &impl Conn, id: AuditSinkId, owner: &str) -> AppResult<()> {
    audit_sink::Entity::update_many()
        .col_expr(audit_sink::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(audit_sink::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(held_by(owner))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a delivery up to `seq`; false when the lease was lost meanwhile (the cursor stays).
pub async fn delivered(conn: &impl Conn, id: AuditSinkId, owner: &str, seq: i64) -> AppResult<bool> {
    let none_time = || Expr::value(Option::<DateTime<Utc>>::None);
    let res = audit_sink::Entity::update_many()
        .col_expr(audit_sink::Column::CursorSeq, Expr::value(seq))
        .col_expr(audit_sink::Column::Attempts, Expr::value(0))
        .col_expr(audit_sink::Column::LastSuccessAt, Expr::value(now()))
        .col_expr(audit_sink::Column::NextAttemptAt, none_time())
        .col_expr(audit_sink::Column::LastError, Expr::value(Option::<String>::None))
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(held_by(owner))
        // Never backwards, whatever a stale worker thinks.
        .filter(audit_sink::Column::CursorSeq.lt(seq))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records a failed attempt and when to try again.
pub async fn failed(
    conn: &impl Conn,
    id: AuditSinkId,
    owner: &str,
    error: &str,
    retry_at: DateTime<Utc>,
) -> AppResult<()> {
    let error: String = error.chars().take(500).collect();
    let attempts: SimpleExpr = Expr::col(audit_sink::Column::Attempts).add(1);
    audit_sink::Entity::update_many()
        .col_expr(audit_sink::Column::Attempts, attempts)
        .col_expr(audit_sink::Column::LastError, Expr::value(error))
        .col_expr(audit_sink::Column::LastErrorAt, Expr::value(now()))
        .col_expr(audit_sink::Column::NextAttemptAt, Expr::value(retry_at))
        .filter(audit_sink::Column::Id.eq(id.0))
        .filter(held_by(owner))
        .exec(conn)
        .await?;
    Ok(())
}

fn entries_in(scope: AuditScope) -> Condition {
    match scope {
        AuditScope::Tenant(t) => Condition::all().add(audit_log::Column::TenantId.eq(t.0)),
        AuditScope::Platform => Condition::all().add(audit_log::Column::TenantId.is_null()),
    }
}

/// The scope's entries after `after_seq`, in order: the next batch to deliver.
pub async fn entries_after(conn: &impl Conn, scope: AuditScope, after_seq: i64, limit: u64) -> AppResult<Vec<Entry>> {
    Ok(audit_log::Entity::find()
        .filter(entries_in(scope))
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_entry)
        .collect())
}

/// How many of the scope's entries wait after `after_seq`.
pub async fn backlog(conn: &impl Conn, scope: AuditScope, after_seq: i64) -> AppResult<u64> {
    Ok(audit_log::Entity::find()
        .filter(entries_in(scope))
        .filter(audit_log::Column::Seq.gt(after_seq))
        .count(conn)
        .await?)
}
