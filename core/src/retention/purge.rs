//! The purge: one step per kind of data, each deleting in bounded batches, one small
//! transaction per batch (children before parents, re-checked under lock), every batch audited
//! with counts only. A step's `preview` counts exactly what its batches would delete.
//!
//! Resumable by construction: a batch selects what is due *now*, so a run killed mid-way leaves
//! either a committed batch or nothing, and the next run picks up the rest. Search documents go
//! through the outbox (the delete triggers write it in the batch's transaction), so an OpenSearch
//! outage delays their removal but loses nothing. Redis copies of answer streams are deleted
//! before the batch commits (and expire on their own besides).
use super::policy::Policy;
use super::sql::{Sql, all, exec, held, lock_rows};
use crate::audit::{self, Actor, NewEntry, action};
use crate::domain::TenantId;
use crate::error::AppResult;
use crate::store::{Conn, Store};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// What a run may delete, and how it reports.
pub struct StepCtx<'a> {
    pub store: &'a Store,
    pub tenant: TenantId,
    pub policy: Policy,
    pub now: DateTime<Utc>,
    pub batch_size: u64,
    pub cluster: Option<&'a Arc<crate::cluster::Cluster>>,
    pub actor: &'a Actor,
    /// Where purged files' bytes are removed from (after the batch that deleted their rows).
    pub files: Option<&'a Arc<crate::files::FileService>>,
}

impl StepCtx<'_> {
    fn cutoff(&self, days: Option<i64>) -> Option<DateTime<Utc>> {
        days.map(|d| self.now - Duration::days(d))
    }
}

/// One kind's count (and its oldest date) in a preview or a run's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    pub kind: &'static str,
    pub count: u64,
    pub oldest: Option<DateTime<Utc>>,
}

/// One kind of data the purge handles. Adding a kind (audit entries, with their checkpoint) is
/// one more entry in [`steps`].
#[async_trait::async_trait]
pub trait PurgeStep: Send + Sync {
    /// The kind's name in previews, results and audit entries.
    fn name(&self) -> &'static str;
    /// What one run would delete now: counts per kind, with the oldest date.
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>>;
    /// Deletes one batch; returns its counts (all zero when nothing is due).
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>>;
}

/// Every step, in order.
pub fn steps() -> Vec<Box<dyn PurgeStep>> {
    vec![
        Box::new(ExpiredConversations),
        Box::new(DeletedConversations),
        Box::new(Files),
        Box::new(UnattachedFiles),
        Box::new(Shares),
        Box::new(UsageEvents),
        Box::new(AuditEntries),
    ]
}

/// The tenant's audit entries older than the audit period, from the start of its chain: each
/// batch leaves a checkpoint entry (`audit.purged`) that the remaining chain verifies from
/// (`crate::audit::purge_before`). Entries from before per-tenant chains (the legacy global
/// chain) stay; a tenant-wide legal hold keeps every entry.
struct AuditEntries;

impl AuditEntries {
    async fn due(&self, ctx: &StepCtx<'_>) -> AppResult<Option<(DateTime<Utc>, String, Sql)>> {
        let Some(cutoff) = ctx.cutoff(ctx.policy.audit_days) else { return Ok(None) };
        let mut q = Sql::new(ctx.store.backend());
        let tenant = q.bind(ctx.tenant.0);
        let held = format!(
            "EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = {tenant} AND h.released_at IS NULL AND h.scope = 'tenant')"
        );
        let rows = all(ctx.store.conn(), q, format!("SELECT {held} AS held")).await?;
        let is_held = match rows.first() {
            Some(r) => r.try_get::<bool>("", "held").or_else(|_| r.try_get::<i32>("", "held").map(|v| v != 0))?,
            None => false,
        };
        if is_held {
            return Ok(None);
        }
        let mut q = Sql::new(ctx.store.backend());
        let from_where = format!(
            "audit_log a WHERE a.tenant_id = {} AND a.chain_seq IS NOT NULL AND a.created_at < {}",
            q.bind(ctx.tenant.0),
            q.bind(cutoff)
        );
        Ok(Some((cutoff, from_where, q)))
    }
}

#[async_trait::async_trait]
impl PurgeStep for AuditEntries {
    fn name(&self) -> &'static str {
        "audit_entries"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        match self.due(ctx).await? {
            None => Ok(vec![count(self.name(), 0)]),
            Some((_, from_where, q)) => {
                Ok(vec![count_and_oldest(ctx.store.conn(), q, from_where, "a.created_at", self.name()).await?])
            }
        }
    }
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let Some((cutoff, _, _)) = self.due(ctx).await? else { return Ok(vec![count(self.name(), 0)]) };
        // The checkpoint entry is this batch's audit record: it carries the counts.
        let txn = ctx.store.begin().await?;
        let done = crate::store::audit::purge_batch(
            &*txn,
            crate::store::audit::AuditScope::Tenant(ctx.tenant),
            cutoff,
            ctx.batch_size,
        )
        .await?;
        txn.commit().await?;
        Ok(vec![count(self.name(), done.map_or(0, |d| d.removed))])
    }
}

fn count(kind: &'static str, n: u64) -> KindCount {
    KindCount { kind, count: n, oldest: None }
}

async fn count_and_oldest(
    conn: &impl Conn,
    q: Sql,
    from_where: String,
    date: &str,
    kind: &'static str,
) -> AppResult<KindCount> {
    let text = format!("SELECT COUNT(*) AS n, MIN({date}) AS oldest FROM {from_where}");
    let rows = all(conn, q, text).await?;
    let Some(r) = rows.first() else { return Ok(count(kind, 0)) };
    let n: i64 = r.try_get("", "n")?;
    let oldest = if n > 0 { r.try_get::<Option<DateTime<Utc>>>("", "oldest").ok().flatten() } else { None };
    Ok(KindCount { kind, count: n as u64, oldest })
}

/// The due-conversation condition over `c`, bound into `q`.
fn conversations_due(q: &mut Sql, ctx: &StepCtx<'_>, deleted: bool) -> Option<String> {
    let expired = ctx.cutoff(ctx.policy.conversation_days);
    let tenant = q.bind(ctx.tenant.0);
    let not_held = format!("NOT {}", held("c.tenant_id", "c.owner_id", "c.id"));
    if !deleted {
        let cutoff = q.bind(expired?);
        return Some(format!("c.tenant_id = {tenant} AND c.updated_at < {cutoff} AND {not_held}"));
    }
    let grace = q.bind(ctx.cutoff(ctx.policy.deleted_grace_days)?);
    // What the expired step takes is not counted twice.
    let not_expired = match expired {
        Some(e) => format!("AND c.updated_at >= {}", q.bind(e)),
        None => String::new(),
    };
    Some(format!(
        "c.tenant_id = {tenant} AND c.deleted_at IS NOT NULL AND c.deleted_at < {grace} {not_expired} AND {not_held}"
    ))
}

async fn preview_conversations(ctx: &StepCtx<'_>, deleted: bool) -> AppResult<Vec<KindCount>> {
    let (k_conv, k_msg) =
        if deleted { ("deleted_conversations", "deleted_messages") } else { ("conversations", "messages") };
    let conn = ctx.store.conn();
    let mut q = Sql::new(ctx.store.backend());
    let Some(due) = conversations_due(&mut q, ctx, deleted) else {
        return Ok(vec![count(k_conv, 0), count(k_msg, 0)]);
    };
    let date = if deleted { "c.deleted_at" } else { "c.updated_at" };
    let conversations = count_and_oldest(conn, q, format!("conversations c WHERE {due}"), date, k_conv).await?;
    let mut q = Sql::new(ctx.store.backend());
    let due = conversations_due(&mut q, ctx, deleted).unwrap_or_default();
    let messages = count_and_oldest(
        conn,
        q,
        format!("messages m JOIN conversations c ON c.id = m.conversation_id WHERE {due}"),
        "m.created_at",
        k_msg,
    )
    .await?;
    Ok(vec![conversations, messages])
}

/// Deletes the given conversations and everything hanging off them, children first, in the
/// caller's transaction. Returns (messages, idempotency keys) deleted.
pub(crate) async fn delete_conversations(
    conn: &impl Conn,
    tenant: TenantId,
    ids: &[Uuid],
    cluster: Option<&Arc<crate::cluster::Cluster>>,
) -> AppResult<(u64, u64)> {
    if ids.is_empty() {
        return Ok((0, 0));
    }
    let backend = conn.get_database_backend();
    let mut q = Sql::new(backend);
    let text = format!(
        "SELECT id FROM messages WHERE tenant_id = {} AND conversation_id IN ({})",
        q.bind(tenant.0),
        q.list(ids)
    );
    let messages: Vec<Uuid> = all(conn, q, text).await?.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
    if let Some(cluster) = cluster {
        super::forget_streams(cluster, &messages).await;
    }
    let mut q = Sql::new(backend);
    let text = format!(
        "DELETE FROM idempotency_keys WHERE tenant_id = {} AND assistant_message_id IN
            (SELECT id FROM messages WHERE conversation_id IN ({}))",
        q.bind(tenant.0),
        q.list(ids)
    );
    let keys = exec(conn, q, text).await?;
    // The delete triggers remove the SQL search documents and write the search outbox.
    let mut q = Sql::new(backend);
    let text =
        format!("DELETE FROM messages WHERE tenant_id = {} AND conversation_id IN ({})", q.bind(tenant.0), q.list(ids));
    let deleted_messages = exec(conn, q, text).await?;
    let mut q = Sql::new(backend);
    let text = format!("DELETE FROM conversations WHERE tenant_id = {} AND id IN ({})", q.bind(tenant.0), q.list(ids));
    exec(conn, q, text).await?;
    Ok((deleted_messages, keys))
}

async fn purge_conversations(ctx: &StepCtx<'_>, deleted: bool, step: &'static str) -> AppResult<Vec<KindCount>> {
    let (k_conv, k_msg) =
        if deleted { ("deleted_conversations", "deleted_messages") } else { ("conversations", "messages") };
    let backend = ctx.store.backend();
    let mut q = Sql::new(backend);
    let Some(due) = conversations_due(&mut q, ctx, deleted) else { return Ok(vec![]) };
    let txn = ctx.store.begin().await?;
    // Selected (and locked) inside the batch's transaction, so what it deletes is still due.
    let text = format!(
        "SELECT c.id FROM conversations c WHERE {due} ORDER BY c.updated_at, c.id LIMIT {} {}",
        ctx.batch_size,
        lock_rows(backend)
    );
    let ids: Vec<Uuid> = all(&*txn, q, text).await?.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (messages, keys) = delete_conversations(&*txn, ctx.tenant, &ids, ctx.cluster).await?;
    let counts = vec![count(k_conv, ids.len() as u64), count(k_msg, messages), count("idempotency_keys", keys)];
    audit_batch(&*txn, ctx, step, &counts).await?;
    txn.commit().await?;
    Ok(counts)
}

async fn audit_batch(conn: &impl Conn, ctx: &StepCtx<'_>, step: &'static str, counts: &[KindCount]) -> AppResult<()> {
    let counts: serde_json::Map<String, serde_json::Value> =
        counts.iter().map(|c| (c.kind.to_string(), c.count.into())).collect();
    audit::record(
        conn,
        NewEntry::new(Some(ctx.tenant), ctx.actor, action::RETENTION_PURGED)
            .target("tenant", ctx.tenant.0)
            .details(serde_json::json!({ "step": step, "counts": counts })),
    )
    .await
}

/// Conversations whose last activity is older than the conversation period.
struct ExpiredConversations;

#[async_trait::async_trait]
impl PurgeStep for ExpiredConversations {
    fn name(&self) -> &'static str {
        "conversations"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        preview_conversations(ctx, false).await
    }
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        purge_conversations(ctx, false, self.name()).await
    }
}

/// Conversations their owner deleted longer ago than the grace period.
struct DeletedConversations;

#[async_trait::async_trait]
impl PurgeStep for DeletedConversations {
    fn name(&self) -> &'static str {
        "deleted_conversations"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        preview_conversations(ctx, true).await
    }
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        purge_conversations(ctx, true, self.name()).await
    }
}

/// Uploaded files older than the conversation period that no kept conversation carries: none of
/// a live conversation's messages (active within the period) or a held one's. A hold on the
/// tenant or the owner keeps all of the owner's files.
struct Files;

/// The due-file condition over `f`, bound into `q`.
fn files_due(q: &mut Sql, ctx: &StepCtx<'_>) -> Option<String> {
    let cutoff = ctx.cutoff(ctx.policy.conversation_days)?;
    let tenant = q.bind(ctx.tenant.0);
    let (before, active) = (q.bind(cutoff), q.bind(cutoff));
    Some(format!(
        "f.tenant_id = {tenant} AND f.created_at < {before} AND NOT {} AND NOT EXISTS (
            SELECT 1 FROM message_parts p JOIN conversations c ON c.id = p.conversation_id
            WHERE p.file_id = f.id AND (c.updated_at >= {active} OR {}))",
        held("f.tenant_id", "f.owner_id", "NULL"),
        held("c.tenant_id", "c.owner_id", "c.id")
    ))
}

#[async_trait::async_trait]
impl PurgeStep for Files {
    fn name(&self) -> &'static str {
        "files"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let mut q = Sql::new(ctx.store.backend());
        let Some(due) = files_due(&mut q, ctx) else { return Ok(vec![count(self.name(), 0)]) };
        Ok(vec![
            count_and_oldest(ctx.store.conn(), q, format!("files f WHERE {due}"), "f.created_at", self.name()).await?,
        ])
    }
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let mut q = Sql::new(ctx.store.backend());
        let Some(due) = files_due(&mut q, ctx) else { return Ok(vec![]) };
        purge_files(ctx, q, due, self.name()).await
    }
}

/// Uploads never attached to a message, older than `files.unattached_days` (whatever the
/// tenant's policy): what a user uploaded and did not send does not stay forever. A hold on the
/// tenant or the owner keeps them.
struct UnattachedFiles;

fn unattached_due(q: &mut Sql, ctx: &StepCtx<'_>) -> Option<String> {
    let days = ctx.files?.config().unattached_days;
    if days == 0 {
        return None;
    }
    // Bound in the order they appear (SQLite's placeholders are positional).
    let tenant = q.bind(ctx.tenant.0);
    let cutoff = q.bind(ctx.now - Duration::days(i64::try_from(days).unwrap_or(i64::MAX / 86_400_000)));
    // What the policy's `files` step takes (older than the conversation period) is not counted
    // twice.
    let not_expired = match ctx.cutoff(ctx.policy.conversation_days) {
        Some(expired) => format!("AND f.created_at >= {}", q.bind(expired)),
        None => String::new(),
    };
    Some(format!(
        "f.tenant_id = {tenant} AND f.created_at < {cutoff} {not_expired} AND NOT {} AND NOT EXISTS (
            SELECT 1 FROM message_parts p WHERE p.file_id = f.id)",
        held("f.tenant_id", "f.owner_id", "NULL")
    ))
}

#[async_trait::async_trait]
impl PurgeStep for UnattachedFiles {
    fn name(&self) -> &'static str {
        "unattached_files"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let mut q = Sql::new(ctx.store.backend());
        let Some(due) = unattached_due(&mut q, ctx) else { return Ok(vec![count(self.name(), 0)]) };
        Ok(vec![
            count_and_oldest(ctx.store.conn(), q, format!("files f WHERE {due}"), "f.created_at", self.name()).await?,
        ])
    }
    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let backend = ctx.store.backend();
        let mut q = Sql::new(backend);
        let Some(due) = unattached_due(&mut q, ctx) else { return Ok(vec![]) };
        purge_files(ctx, q, due, self.name()).await
    }
}

/// Deletes one batch of the files `due` selects (over `f`, bound into `q`), audited as `step`,
/// then their objects that no other file uses.
async fn purge_files(ctx: &StepCtx<'_>, q: Sql, due: String, step: &'static str) -> AppResult<Vec<KindCount>> {
    let txn = ctx.store.begin().await?;
    let text = format!(
        "SELECT f.id, f.storage_key FROM files f WHERE {due} ORDER BY f.created_at, f.id LIMIT {} {}",
        ctx.batch_size,
        lock_rows(ctx.store.backend())
    );
    let (deleted, keys) = delete_selected_files(&*txn, ctx.tenant, q, text).await?;
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let counts = vec![count(step, deleted)];
    audit_batch(&*txn, ctx, step, &counts).await?;
    txn.commit().await?;
    if let Some(files) = ctx.files {
        files.forget_objects(ctx.tenant, &keys).await;
    }
    Ok(counts)
}

/// Deletes the files of the tenant that `select` (over `f`, bound into `q`, giving `f.id` and
/// `f.storage_key`) finds, in chunks; returns how many went and their objects' keys, for the file
/// store once the transaction has committed.
pub(crate) async fn delete_selected_files(
    conn: &impl Conn,
    tenant: TenantId,
    q: Sql,
    select: String,
) -> AppResult<(u64, Vec<String>)> {
    let rows = all(conn, q, select).await?;
    let found: Vec<(Uuid, String)> =
        rows.iter().filter_map(|r| Some((r.try_get("", "id").ok()?, r.try_get("", "storage_key").ok()?))).collect();
    let mut deleted = 0;
    for chunk in found.chunks(200) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        deleted += delete_files(conn, tenant, &ids).await?;
    }
    Ok((deleted, found.into_iter().map(|(_, key)| key).collect()))
}

/// Deletes files of the tenant by id (their message parts keep the name, without the file).
async fn delete_files(conn: &impl Conn, tenant: TenantId, ids: &[Uuid]) -> AppResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = conn.get_database_backend();
    let mut q = Sql::new(backend);
    let text = format!(
        "UPDATE message_parts SET file_id = NULL WHERE tenant_id = {} AND file_id IN ({})",
        q.bind(tenant.0),
        q.list(ids)
    );
    exec(conn, q, text).await?;
    let mut q = Sql::new(backend);
    let text = format!("DELETE FROM files WHERE tenant_id = {} AND id IN ({})", q.bind(tenant.0), q.list(ids));
    Ok(exec(conn, q, text).await?)
}

/// Share snapshots older than the share period (with their copied messages, recipients and
/// views), and views older than it of the snapshots that stay.
struct Shares;

fn shares_due(q: &mut Sql, ctx: &StepCtx<'_>) -> Option<String> {
    let cutoff = ctx.cutoff(ctx.policy.share_days)?;
    Some(format!(
        "s.tenant_id = {} AND s.created_at < {} AND NOT {}",
        q.bind(ctx.tenant.0),
        q.bind(cutoff),
        held("s.tenant_id", "s.owner_id", "s.source_conversation_id")
    ))
}

fn views_due(q: &mut Sql, ctx: &StepCtx<'_>) -> Option<String> {
    let cutoff = ctx.cutoff(ctx.policy.share_days)?;
    Some(format!(
        "v.tenant_id = {} AND v.viewed_at < {} AND NOT EXISTS (SELECT 1 FROM shares s WHERE s.id = v.share_id AND {})",
        q.bind(ctx.tenant.0),
        q.bind(cutoff),
        held("s.tenant_id", "s.owner_id", "s.source_conversation_id")
    ))
}

#[async_trait::async_trait]
impl PurgeStep for Shares {
    fn name(&self) -> &'static str {
        "shares"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let conn = ctx.store.conn();
        let mut q = Sql::new(ctx.store.backend());
        let Some(due) = shares_due(&mut q, ctx) else { return Ok(vec![count("shares", 0), count("share_views", 0)]) };
        let shares = count_and_oldest(conn, q, format!("shares s WHERE {due}"), "s.created_at", "shares").await?;
        let mut q = Sql::new(ctx.store.backend());
        let due = views_due(&mut q, ctx).unwrap_or_default();
        let views =
            count_and_oldest(conn, q, format!("share_views v WHERE {due}"), "v.viewed_at", "share_views").await?;
        Ok(vec![shares, views])
    }

    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let backend = ctx.store.backend();
        let mut q = Sql::new(backend);
        let Some(due) = shares_due(&mut q, ctx) else { return Ok(vec![]) };
        let txn = ctx.store.begin().await?;
        let text = format!(
            "SELECT s.id FROM shares s WHERE {due} ORDER BY s.created_at LIMIT {} {}",
            ctx.batch_size,
            lock_rows(backend)
        );
        let ids: Vec<Uuid> = all(&*txn, q, text).await?.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
        let mut views = 0;
        if !ids.is_empty() {
            for table in ["share_views", "share_recipients", "share_messages"] {
                let mut q = Sql::new(backend);
                let text = format!(
                    "DELETE FROM {table} WHERE tenant_id = {} AND share_id IN ({})",
                    q.bind(ctx.tenant.0),
                    q.list(&ids)
                );
                let n = exec(&*txn, q, text).await?;
                if table == "share_views" {
                    views += n;
                }
            }
            let mut q = Sql::new(backend);
            let text =
                format!("DELETE FROM shares WHERE tenant_id = {} AND id IN ({})", q.bind(ctx.tenant.0), q.list(&ids));
            exec(&*txn, q, text).await?;
        }
        // Old views of snapshots that stay, in the same bounded batch.
        let room = ctx.batch_size.saturating_sub(ids.len() as u64);
        if room > 0 {
            let mut q = Sql::new(backend);
            if let Some(due) = views_due(&mut q, ctx) {
                let text = format!(
                    "DELETE FROM share_views WHERE id IN (SELECT v.id FROM share_views v WHERE {due} LIMIT {room})"
                );
                views += exec(&*txn, q, text).await?;
            }
        }
        if ids.is_empty() && views == 0 {
            return Ok(vec![]);
        }
        let counts = vec![count("shares", ids.len() as u64), count("share_views", views)];
        audit_batch(&*txn, ctx, self.name(), &counts).await?;
        txn.commit().await?;
        Ok(counts)
    }
}

/// Usage events of whole UTC days older than the usage period, folded into `usage_daily` (and
/// each day's TTFT percentiles into `usage_daily_ttft`) in the batch that deletes them.
struct UsageEvents;

fn usage_due(q: &mut Sql, ctx: &StepCtx<'_>) -> Option<String> {
    let cutoff = ctx.cutoff(ctx.policy.usage_days)?;
    let day = cutoff.format("%Y-%m-%d").to_string();
    Some(format!(
        "u.tenant_id = {} AND u.day < {} AND NOT {}",
        q.bind(ctx.tenant.0),
        q.bind(day),
        held("u.tenant_id", "u.user_id", "NULL")
    ))
}

#[async_trait::async_trait]
impl PurgeStep for UsageEvents {
    fn name(&self) -> &'static str {
        "usage_events"
    }
    async fn preview(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let mut q = Sql::new(ctx.store.backend());
        let Some(due) = usage_due(&mut q, ctx) else { return Ok(vec![count("usage_events", 0)]) };
        Ok(vec![
            count_and_oldest(
                ctx.store.conn(),
                q,
                format!("usage_events u WHERE {due}"),
                "u.created_at",
                "usage_events",
            )
            .await?,
        ])
    }

    async fn purge_batch(&self, ctx: &StepCtx<'_>) -> AppResult<Vec<KindCount>> {
        let backend = ctx.store.backend();
        let mut q = Sql::new(backend);
        let Some(due) = usage_due(&mut q, ctx) else { return Ok(vec![]) };
        let txn = ctx.store.begin().await?;
        let text = format!(
            "SELECT u.id, u.day FROM usage_events u WHERE {due} ORDER BY u.day, u.id LIMIT {} {}",
            ctx.batch_size,
            lock_rows(backend)
        );
        let rows = all(&*txn, q, text).await?;
        let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut days: Vec<String> = rows.iter().filter_map(|r| r.try_get("", "day").ok()).collect();
        days.dedup();
        // A day's percentiles are taken from all its events, before its first batch deletes any.
        for day in &days {
            let mut q = Sql::new(backend);
            let text = format!(
                "SELECT 1 AS x FROM usage_daily_ttft WHERE tenant_id = {} AND day = {}",
                q.bind(ctx.tenant.0),
                q.bind(day.clone())
            );
            if !all(&*txn, q, text).await?.is_empty() {
                continue;
            }
            let ttft = crate::store::usage_insights::live_ttft_percentiles(&*txn, ctx.tenant, day, day).await?;
            let (p50, p99) = ttft.first().map(|d| (d.p50_ms, d.p99_ms)).unwrap_or((None, None));
            let mut q = Sql::new(backend);
            let text = format!(
                "INSERT INTO usage_daily_ttft (tenant_id, day, p50_ms, p99_ms) VALUES ({}, {}, {}, {})",
                q.bind(ctx.tenant.0),
                q.bind(day.clone()),
                q.bind(p50),
                q.bind(p99)
            );
            exec(&*txn, q, text).await?;
        }
        let mut q = Sql::new(backend);
        let text = format!(
            "INSERT INTO usage_daily (tenant_id, day, user_id, model, turns, failed_turns, input_tokens, output_tokens, cost)
             SELECT tenant_id, day, user_id, model, CAST(COUNT(*) AS BIGINT),
                    CAST(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
                    CAST(SUM(cost) AS DOUBLE PRECISION)
             FROM usage_events WHERE id IN ({}) GROUP BY tenant_id, day, user_id, model
             ON CONFLICT (tenant_id, day, user_id, model) DO UPDATE SET
                turns = usage_daily.turns + excluded.turns,
                failed_turns = usage_daily.failed_turns + excluded.failed_turns,
                input_tokens = usage_daily.input_tokens + excluded.input_tokens,
                output_tokens = usage_daily.output_tokens + excluded.output_tokens,
                cost = usage_daily.cost + excluded.cost",
            q.list(&ids)
        );
        exec(&*txn, q, text).await?;
        let mut q = Sql::new(backend);
        let text = format!("DELETE FROM usage_events WHERE id IN ({})", q.list(&ids));
        let n = exec(&*txn, q, text).await?;
        let counts = vec![count("usage_events", n)];
        audit_batch(&*txn, ctx, self.name(), &counts).await?;
        txn.commit().await?;
        Ok(counts)
    }
}

/// A named lease in the database: the replica holding an unexpired one does the work.
pub struct Lease {
    store: Store,
    name: &'static str,
    holder: String,
    ttl: std::time::Duration,
}

impl Lease {
    pub fn new(store: Store, name: &'static str, ttl: std::time::Duration) -> Self {
        let holder = format!("{}:{}", std::process::id(), Uuid::now_v7());
        Self { store, name, holder, ttl }
    }

    fn expiry(&self) -> DateTime<Utc> {
        crate::store::now() + Duration::milliseconds(self.ttl.as_millis() as i64)
    }

    /// Takes the lease if it is free or expired (or already ours).
    pub async fn try_acquire(&self) -> AppResult<bool> {
        let txn = self.store.begin().await?;
        let mut q = Sql::new(self.store.backend());
        let text = format!(
            "INSERT INTO retention_leases (name, holder, expires_at) VALUES ({}, {}, {})
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE retention_leases.expires_at < {} OR retention_leases.holder = excluded.holder",
            q.bind(self.name),
            q.bind(self.holder.clone()),
            q.bind(self.expiry()),
            q.bind(crate::store::now())
        );
        exec(&*txn, q, text).await?;
        let mut q = Sql::new(self.store.backend());
        let text = format!("SELECT holder FROM retention_leases WHERE name = {}", q.bind(self.name));
        let holder: Option<String> = all(&*txn, q, text).await?.first().and_then(|r| r.try_get("", "holder").ok());
        txn.commit().await?;
        Ok(holder.as_deref() == Some(self.holder.as_str()))
    }

    /// Extends the lease; `false` when another replica took it over (the work must stop).
    pub async fn renew(&self) -> AppResult<bool> {
        let mut q = Sql::new(self.store.backend());
        let text = format!(
            "UPDATE retention_leases SET expires_at = {} WHERE name = {} AND holder = {}",
            q.bind(self.expiry()),
            q.bind(self.name),
            q.bind(self.holder.clone())
        );
        let txn = self.store.begin().await?;
        let n = exec(&*txn, q, text).await?;
        txn.commit().await?;
        Ok(n == 1)
    }

    pub async fn release(&self) -> AppResult<()> {
        let mut q = Sql::new(self.store.backend());
        let text = format!(
            "DELETE FROM retention_leases WHERE name = {} AND holder = {}",
            q.bind(self.name),
            q.bind(self.holder.clone())
        );
        let txn = self.store.begin().await?;
        exec(&*txn, q, text).await?;
        txn.commit().await?;
        Ok(())
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }
}
