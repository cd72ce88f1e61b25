//! The audit log's rows, in one hash chain per scope (each tenant, and the platform's own entries).
//! An append locks its scope's head first, so each chain is strictly sequential while scopes
//! append in parallel. Rows from before per-scope chains form the legacy global chain, whose head
//! (`audit_chain`) no longer moves.
use super::entities::{audit_chain, audit_head, audit_log};
use super::{Conn, now};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, Statement,
};
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
    /// The entry's place in its scope's chain (from 1); `None` for a legacy entry, whose place is
    /// `seq` in the legacy global chain.
    pub chain_seq: Option<i64>,
}

/// The `prev_hash` of the first entry of a chain.
pub const GENESIS_PREV_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The first entry of every scope's chain; its details commit to the legacy chain's head.
pub const CHAIN_STARTED: &str = "audit.chain_started";
/// A checkpoint: entries at the start of the scope's chain were purged; its details commit to them.
pub const PURGED: &str = "audit.purged";
/// The tag that opens the canonical form of a per-scope chain entry.
pub const CANONICAL_V2: &str = "confab-audit/2";

pub struct ChainLink {
    pub seq: i64,
    pub hash: String,
}

/// SHA-256 over every field but the hash itself, in a fixed, unambiguous encoding (the legacy form
/// for legacy entries; docs/audit-verification.md specifies both).
pub fn entry_hash(e: &Entry) -> String {
    if let Some(chain_seq) = e.chain_seq {
        let canonical = serde_json::json!([
            CANONICAL_V2,
            chain_seq,
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
        return hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
    }
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
    let scope = AuditScope::of(new.tenant_id);
    let mut head = lock_head(conn, scope).await?;
    let ctx = crate::context::current();
    let entry = write_linked(
        conn,
        &mut head,
        Draft {
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
        },
    )
    .await?;
    store_head(conn, scope, &head).await?;
    Ok(entry)
}

/// An entry's own fields; the chain fields are added under the head's lock.
struct Draft {
    tenant_id: Option<TenantId>,
    actor_user_id: Option<UserId>,
    actor_label: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    ip: Option<String>,
    request_id: Option<String>,
    details: String,
}

impl Draft {
    /// An entry the installation writes about its own log.
    fn system(scope: AuditScope, action: &str, details: serde_json::Value) -> Self {
        Draft {
            tenant_id: scope.tenant(),
            actor_user_id: None,
            actor_label: "confab".into(),
            action: action.into(),
            target_type: None,
            target_id: None,
            outcome: "success".into(),
            ip: None,
            request_id: None,
            details: details.to_string(),
        }
    }
}

/// Locks the scope's head row until the transaction ends and returns `(chain_seq, hash)`. A scope
/// without a chain yet gets its head and its genesis entry here.
async fn lock_head(conn: &impl Conn, scope: AuditScope) -> AppResult<(i64, String)> {
    let key = scope.key();
    // Portable "create if missing": concurrent first writers on PostgreSQL wait on the key, then
    // find the row; SQLite writers are serial.
    let create = Query::insert()
        .into_table(audit_head::Entity)
        .columns([audit_head::Column::Scope, audit_head::Column::ChainSeq, audit_head::Column::Hash])
        .values_panic([key.clone().into(), 0i64.into(), GENESIS_PREV_HASH.into()])
        .on_conflict(OnConflict::column(audit_head::Column::Scope).do_nothing().to_owned())
        .to_owned();
    conn.execute_raw(conn.get_database_backend().build(&create)).await?;
    // Taking the row lock before reading serializes this scope's writers on PostgreSQL (and makes
    // SQLite take its write lock up front); other scopes' writers are not held up.
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::ChainSeq, Expr::col(audit_head::Column::ChainSeq))
        .filter(audit_head::Column::Scope.eq(key.as_str()))
        .exec(conn)
        .await?;
    let head = audit_head::Entity::find_by_id(key)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("audit chain head missing".into()))?;
    let mut head = (head.chain_seq, head.hash);
    if head.0 == 0 {
        let legacy = legacy_head(conn).await?;
        let genesis = Draft::system(
            scope,
            CHAIN_STARTED,
            serde_json::json!({ "legacy_seq": legacy.seq, "legacy_hash": legacy.hash }),
        );
        write_linked(conn, &mut head, genesis).await?;
    }
    Ok(head)
}

/// Writes the next entry of a locked chain and moves `head` to it (the caller stores the head).
async fn write_linked(conn: &impl Conn, head: &mut (i64, String), draft: Draft) -> AppResult<Entry> {
    let entry = Entry {
        id: uuid::Uuid::now_v7(),
        seq: next_seq(conn).await?,
        tenant_id: draft.tenant_id,
        actor_user_id: draft.actor_user_id,
        actor_label: draft.actor_label,
        action: draft.action,
        target_type: draft.target_type,
        target_id: draft.target_id,
        outcome: draft.outcome,
        ip: draft.ip,
        request_id: draft.request_id,
        details: draft.details,
        created_at: now(),
        prev_hash: head.1.clone(),
        hash: String::new(),
        chain_seq: Some(head.0 + 1),
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
        chain_seq: Set(entry.chain_seq),
    }
    .insert(conn)
    .await?;
    *head = (head.0 + 1, entry.hash.clone());
    Ok(entry)
}

async fn store_head(conn: &impl Conn, scope: AuditScope, head: &(i64, String)) -> AppResult<()> {
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::ChainSeq, Expr::value(head.0))
        .col_expr(audit_head::Column::Hash, Expr::value(head.1.clone()))
        .filter(audit_head::Column::Scope.eq(scope.key()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The row number, unique across the installation. Called under a scope's lock, so it grows along
/// each chain (PostgreSQL's sequence never hands out a number twice; SQLite has one writer).
async fn next_seq(conn: &impl Conn) -> AppResult<i64> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT nextval('audit_log_seq') AS seq",
        _ => "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM audit_log",
    };
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| AppError::Internal("no audit sequence number".into()))?;
    Ok(row.try_get::<i64>("", "seq")?)
}

/// The checkpoint a purge batch leaves: what it removed from the start of the chain.
#[derive(Debug, Clone)]
pub struct PurgedBatch {
    pub removed: u64,
    pub first_chain_seq: i64,
    pub last_chain_seq: i64,
    pub last_hash: String,
    /// The checkpoint entry itself.
    pub checkpoint: Entry,
}

/// Removes up to `limit` entries from the start of the scope's chain that are older than `cutoff`,
/// and appends a checkpoint committing to them, in the caller's transaction. `None` when nothing
/// is that old.
pub async fn purge_batch(
    conn: &impl Conn,
    scope: AuditScope,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> AppResult<Option<PurgedBatch>> {
    let exists = audit_head::Entity::find_by_id(scope.key()).one(conn).await?.is_some();
    if !exists {
        return Ok(None);
    }
    let mut head = lock_head(conn, scope).await?;
    let oldest = scope_filter(audit_log::Entity::find(), scope)
        .filter(audit_log::Column::ChainSeq.is_not_null())
        .order_by_asc(audit_log::Column::ChainSeq)
        .limit(limit)
        .all(conn)
        .await?;
    // Only a prefix: the chain must stay one unbroken run after the checkpoint.
    let doomed: Vec<_> = oldest.into_iter().take_while(|m| m.created_at < cutoff).collect();
    let (Some(first), Some(last)) = (doomed.first(), doomed.last()) else {
        return Ok(None);
    };
    let (first_chain_seq, last_chain_seq, last_hash) =
        (first.chain_seq.unwrap_or(0), last.chain_seq.unwrap_or(0), last.hash.clone());
    let removed = scope_filter_delete(scope)
        .filter(audit_log::Column::ChainSeq.gte(first_chain_seq))
        .filter(audit_log::Column::ChainSeq.lte(last_chain_seq))
        .exec(conn)
        .await?
        .rows_affected;
    let checkpoint = write_linked(
        conn,
        &mut head,
        Draft::system(
            scope,
            PURGED,
            serde_json::json!({
                "removed": removed,
                "first_chain_seq": first_chain_seq,
                "last_chain_seq": last_chain_seq,
                "last_hash": last_hash,
                "before": cutoff.to_rfc3339_opts(SecondsFormat::Micros, true),
            }),
        ),
    )
    .await?;
    store_head(conn, scope, &head).await?;
    Ok(Some(PurgedBatch { removed, first_chain_seq, last_chain_seq, last_hash, checkpoint }))
}

fn scope_filter(q: Select<audit_log::Entity>, scope: AuditScope) -> Select<audit_log::Entity> {
    match scope {
        AuditScope::Tenant(t) => q.filter(audit_log::Column::TenantId.eq(t.0)),
        AuditScope::Platform => q.filter(audit_log::Column::TenantId.is_null()),
    }
}

fn scope_filter_delete(scope: AuditScope) -> sea_orm::DeleteMany<audit_log::Entity> {
    let q = audit_log::Entity::delete_many();
    match scope {
        AuditScope::Tenant(t) => q.filter(audit_log::Column::TenantId.eq(t.0)),
        AuditScope::Platform => q.filter(audit_log::Column::TenantId.is_null()),
    }
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
        chain_seq: m.chain_seq,
    }
}

/// Which entries a reader may see: one tenant's, or (platform admins) the installation's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    Tenant(TenantId),
    Platform,
}

impl AuditScope {
    /// The scope an entry about this tenant (or none) belongs to.
    pub fn of(tenant: Option<TenantId>) -> Self {
        tenant.map_or(AuditScope::Platform, AuditScope::Tenant)
    }

    pub fn tenant(self) -> Option<TenantId> {
        match self {
            AuditScope::Tenant(t) => Some(t),
            AuditScope::Platform => None,
        }
    }

    /// The chain's name: `tenant:<uuid>` or `platform` (the head's key, and an export's `scope`).
    pub fn key(self) -> String {
        match self {
            AuditScope::Tenant(t) => format!("tenant:{}", t.0),
            AuditScope::Platform => "platform".into(),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        if key == "platform" {
            return Some(AuditScope::Platform);
        }
        let id = key.strip_prefix("tenant:")?.parse().ok()?;
        Some(AuditScope::Tenant(TenantId(id)))
    }
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

/// Legacy entries in chain order after `after_seq`, for verification.
pub async fn legacy_page(conn: &impl Conn, after_seq: i64, limit: u64) -> AppResult<Vec<Entry>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::ChainSeq.is_null())
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_entry)
        .collect())
}

/// The legacy global chain's head (frozen since per-scope chains began).
pub async fn legacy_head(conn: &impl Conn) -> AppResult<ChainLink> {
    let head = audit_chain::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("audit chain head missing".into()))?;
    Ok(ChainLink { seq: head.seq, hash: head.hash })
}

/// Every scope's chain head: `(scope, head)`, where `head.seq` is the chain_seq.
pub async fn heads(conn: &impl Conn) -> AppResult<Vec<(AuditScope, ChainLink)>> {
    let rows = audit_head::Entity::find().order_by_asc(audit_head::Column::Scope).all(conn).await?;
    rows.into_iter()
        .map(|h| {
            let scope = AuditScope::parse(&h.scope)
                .ok_or_else(|| AppError::Internal(format!("unknown audit chain scope {}", h.scope)))?;
            Ok((scope, ChainLink { seq: h.chain_seq, hash: h.hash }))
        })
        .collect()
}

/// One scope's chain head; `None` before its first entry.
pub async fn scope_head(conn: &impl Conn, scope: AuditScope) -> AppResult<Option<ChainLink>> {
    Ok(audit_head::Entity::find_by_id(scope.key())
        .one(conn)
        .await?
        .map(|h| ChainLink { seq: h.chain_seq, hash: h.hash }))
}

/// A scope's chain entries with `after < chain_seq <= upto`, in chain order.
pub async fn scope_page(
    conn: &impl Conn,
    scope: AuditScope,
    after: i64,
    upto: i64,
    limit: u64,
) -> AppResult<Vec<Entry>> {
    Ok(scope_filter(audit_log::Entity::find(), scope)
        .filter(audit_log::Column::ChainSeq.gt(after))
        .filter(audit_log::Column::ChainSeq.lte(upto))
        .order_by_asc(audit_log::Column::ChainSeq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_entry)
        .collect())
}

/// The scope's newest checkpoint: the one the chain's first remaining entry links to.
pub async fn latest_checkpoint(conn: &impl Conn, scope: AuditScope) -> AppResult<Option<Entry>> {
    Ok(scope_filter(audit_log::Entity::find(), scope)
        .filter(audit_log::Column::Action.eq(PURGED))
        .filter(audit_log::Column::ChainSeq.is_not_null())
        .order_by_desc(audit_log::Column::ChainSeq)
        .one(conn)
        .await?
        .map(to_entry))
}

/// The first and last chain positions of the scope's entries written in `[since, until)`.
pub async fn chain_range(
    conn: &impl Conn,
    scope: AuditScope,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> AppResult<Option<(i64, i64)>> {
    let mut first = scope_filter(audit_log::Entity::find(), scope).filter(audit_log::Column::ChainSeq.is_not_null());
    if let Some(since) = since {
        first = first.filter(audit_log::Column::CreatedAt.gte(since));
    }
    let mut last = scope_filter(audit_log::Entity::find(), scope).filter(audit_log::Column::ChainSeq.is_not_null());
    if let Some(until) = until {
        last = last.filter(audit_log::Column::CreatedAt.lt(until));
    }
    let first = first.order_by_asc(audit_log::Column::ChainSeq).one(conn).await?;
    let last = last.order_by_desc(audit_log::Column::ChainSeq).one(conn).await?;
    Ok(match (first.and_then(|f| f.chain_seq), last.and_then(|l| l.chain_seq)) {
        (Some(f), Some(l)) if f <= l => Some((f, l)),
        _ => None,
    })
}

/// The newest entry's `seq` in a scope (under the scope's lock, the entry just appended).
pub async fn newest_seq(conn: &impl Conn, scope: AuditScope) -> AppResult<Option<i64>> {
    Ok(scope_filter(audit_log::Entity::find(), scope)
        .select_only()
        .column_as(audit_log::Column::Seq.max(), "seq")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten())
}
