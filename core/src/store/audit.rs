//! The audit log's rows. Appends lock the chain head first, so entries are strictly sequential.
use super::entities::{audit_chain, audit_log};
use super::{Conn, now};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: uuid::Uuid,
    pub seq: i64,
    pub tenant_id: Option<TenantId>,
    pub actor_user_id: Option<UserId>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
    pub created_at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

pub struct ChainLink {
    pub seq: i64,
    pub hash: String,
}

/// SHA-256 over every field but the hash itself, in a fixed, unambiguous encoding.
pub fn entry_hash(e: &Entry) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.id.to_string(),
        e.tenant_id.map(|t| t.0.to_string()),
        e.actor_user_id.map(|u| u.0.to_string()),
        e.actor_label,
        e.action,
        e.target_type,
        e.target_id,
        e.outcome,
        e.ip,
        e.request_id,
        e.details,
        e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// An entry to append, as the audit module hands it over: the chain fields (sequence, previous
/// hash, hash) and the request's facts are filled in here, under the chain head's lock.
pub struct NewRow {
    pub tenant_id: Option<TenantId>,
    pub actor_user_id: Option<UserId>,
    pub actor_label: String,
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub outcome: &'static str,
    pub details: String,
}

pub async fn append(conn: &impl Conn, new: NewRow) -> AppResult<Entry> {
    // Taking the row lock before reading serializes writers on PostgreSQL and makes SQLite take
    // its write lock up front.
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::Seq, Expr::col(audit_chain::Column::Seq).add(1))
        .filter(audit_chain::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let head = audit_chain::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("audit chain head missing".into()))?;
    let ctx = crate::context::current();
    let entry = Entry {
        id: uuid::Uuid::now_v7(),
        seq: head.seq,
        tenant_id: new.tenant_id,
        actor_user_id: new.actor_user_id,
        actor_label: new.actor_label,
        action: new.action.to_string(),
        target_type: new.target_type.map(str::to_string),
        target_id: new.target_id,
        outcome: new.outcome.to_string(),
        ip: ctx.ip,
        request_id: (!ctx.request_id.is_empty()).then_some(ctx.request_id),
        details: new.details,
        created_at: now(),
        prev_hash: head.hash,
        hash: String::new(),
    };
    let hash = entry_hash(&entry);
    let entry = Entry { hash, ..entry };
    audit_log::ActiveModel {
        id: Set(entry.id),
        seq: Set(entry.seq),
        tenant_id: Set(entry.tenant_id.map(|t| t.0)),
        actor_user_id: Set(entry.actor_user_id.map(|u| u.0)),
        actor_label: Set(entry.actor_label.clone()),
        action: Set(entry.action.clone()),
        target_type: Set(entry.target_type.clone()),
        target_id: Set(entry.target_id.clone()),
        outcome: Set(entry.outcome.clone()),
        ip: Set(entry.ip.clone()),
        request_id: Set(entry.request_id.clone()),
        details: Set(entry.details.clone()),
        created_at: Set(entry.created_at),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    }
    .insert(conn)
    .await?;
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::Hash, entry.hash.clone().into())
        .filter(audit_chain::Column::Id.eq(1))
        .exec(conn)
        .await?;
    Ok(entry)
}

pub(super) fn to_entry(m: audit_log::Model) -> Entry {
    Entry {
        id: m.id,
        seq: m.seq,
        tenant_id: m.tenant_id.map(TenantId),
        actor_user_id: m.actor_user_id.map(UserId),
        actor_label: m.actor_label,
        action: m.action,
        target_type: m.target_type,
        target_id: m.target_id,
        outcome: m.outcome,
        ip: m.ip,
        request_id: m.request_id,
        details: m.details,
        created_at: m.created_at,
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// Which entries a reader may see: one tenant's, or (platform admins) the installation's own.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope {
    Tenant(TenantId),
    Platform,
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    /// One action (`auth.login`), or every action of an object with `auth.*`.
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before_seq: Option<i64>,
}

/// How many of the newest candidate entries an action-family filter reads in sequence order before
/// it asks the action index instead (see `list`).
const FAMILY_PROBE_WINDOW: i64 = 20_000;

/// Entries newest first.
///
/// Every filter is served by an index that ends in `seq`, so a page is one range read newest
/// first: tenant (`tenant_id, seq`), actor, object and one action (migrations 14 and 15). A time
/// range is turned into a sequence range first, through `(tenant_id, created_at)`: entries are
/// stamped under the chain head's lock, so within a scope `created_at` grows with `seq` (a wall
/// clock stepping back is the one exception) and the two ranges are the same entries. An action
/// family (`auth.*`) is a range of the action index, whose entries come in action order; a page of
/// a common family would sort most of the log, so the newest `FAMILY_PROBE_WINDOW` entries are read
/// in sequence order first, and only a family too rare to fill the page there goes to the index.
pub async fn list(conn: &impl Conn, scope: AuditScope, filter: &AuditFilter, limit: u64) -> AppResult<Vec<Entry>> {
    let scoped = || match scope {
        AuditScope::Tenant(t) => audit_log::Entity::find().filter(audit_log::Column::TenantId.eq(t.0)),
        AuditScope::Platform => audit_log::Entity::find().filter(audit_log::Column::TenantId.is_null()),
    };
    // Newest allowed sequence (exclusive) and oldest (inclusive).
    let mut below = filter.before_seq;
    let mut from = None;
    if let Some(since) = filter.since {
        let first = scoped()
            .filter(audit_log::Column::CreatedAt.gte(since))
            .order_by_asc(audit_log::Column::CreatedAt)
            .select_only()
            .column(audit_log::Column::Seq)
            .into_tuple::<i64>()
            .one(conn)
            .await?;
        match first {
            Some(seq) => from = Some(seq),
            None => return Ok(Vec::new()),
        }
    }
    if let Some(until) = filter.until {
        let last = scoped()
            .filter(audit_log::Column::CreatedAt.lt(until))
            .order_by_desc(audit_log::Column::CreatedAt)
            .select_only()
            .column(audit_log::Column::Seq)
            .into_tuple::<i64>()
            .one(conn)
            .await?;
        match last {
            Some(seq) => below = Some(below.map_or(seq + 1, |b| std::cmp::Ord::min(b, seq + 1))),
            None => return Ok(Vec::new()),
        }
    }
    if let (Some(from), Some(below)) = (from, below)
        && from >= below
    {
        return Ok(Vec::new());
    }
    let mut q = scoped().order_by_desc(audit_log::Column::Seq).limit(limit);
    if let Some(actor) = filter.actor {
        q = q.filter(audit_log::Column::ActorUserId.eq(actor.0));
    }
    if let Some(kind) = &filter.target_type {
        q = q.filter(audit_log::Column::TargetType.eq(kind.as_str()));
    }
    if let Some(id) = &filter.target_id {
        q = q.filter(audit_log::Column::TargetId.eq(id.as_str()));
    }
    if let Some(from) = from {
        q = q.filter(audit_log::Column::Seq.gte(from));
    }
    if let Some(below) = below {
        q = q.filter(audit_log::Column::Seq.lt(below));
    }
    let family = match &filter.action {
        None => None,
        Some(action) => match action.strip_suffix(".*") {
            Some(object) => Some(object.to_string()),
            None => {
                q = q.filter(audit_log::Column::Action.eq(action.as_str()));
                None
            }
        },
    };
    let Some(object) = family else {
        return Ok(q.all(conn).await?.into_iter().map(to_entry).collect());
    };
    // Actions are `<object>.<verb>`; '/' sorts right after '.', so this is every `<object>.…`.
    let (low, high) = (format!("{object}."), format!("{object}/"));
    let in_family = |q: sea_orm::Select<audit_log::Entity>| {
        q.filter(audit_log::Column::Action.gte(low.as_str())).filter(audit_log::Column::Action.lt(high.as_str()))
    };
    let newest = match below {
        Some(below) => Some(below - 1),
        None => scoped()
            .select_only()
            .column_as(audit_log::Column::Seq.max(), "seq")
            .into_tuple::<Option<i64>>()
            .one(conn)
            .await?
            .flatten(),
    };
    let Some(newest) = newest else { return Ok(Vec::new()) };
    let window_from = newest - FAMILY_PROBE_WINDOW + 1;
    if from.is_none_or(|f| f < window_from) {
        // `LIKE` here rather than the range: the planner must walk the sequence index, not sort the
        // action index's matches.
        let probe = q
            .clone()
            .filter(audit_log::Column::Seq.gte(window_from))
            .filter(audit_log::Column::Action.starts_with(low.as_str()))
            .all(conn)
            .await?;
        // `_` in an object name is a LIKE wildcard: keep the exact family only.
        let exact = probe.iter().all(|m| m.action.starts_with(low.as_str()));
        if exact && probe.len() as u64 >= limit {
            return Ok(probe.into_iter().map(to_entry).collect());
        }
    }
    Ok(in_family(q).all(conn).await?.into_iter().map(to_entry).collect())
}

/// Entries in chain order after `after_seq`, for verification.
pub async fn chain_page(conn: &impl Conn, after_seq: i64, limit: u64) -> AppResult<Vec<Entry>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_entry)
        .collect())
}

pub async fn head(conn: &impl Conn) -> AppResult<ChainLink> {
    let head = audit_chain::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("audit chain head missing".into()))?;
    Ok(ChainLink { seq: head.seq, hash: head.hash })
}
