//! Retention: how long each tenant keeps its data, legal holds that stop any destruction, the
//! background purge that applies the policies, and a user's erasure (GDPR art. 17).
//!
//! Public face: [`RetentionService`] (policies, holds, preview, run, erase), the policy types in
//! [`policy`], and the purge's steps and lease in [`purge`].

mod holds;
pub mod policy;
pub mod purge;
mod sql;

pub use holds::{HoldSubject, LegalHold};
pub use policy::{PlatformSettings, Policy};
pub use purge::{KindCount, Lease, PurgeStep};

use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::AuthService;
use crate::authz::Authorizer;
use crate::domain::{MessageId, PlatformScope, TenantId, TenantScope, UserId};
use crate::error::{AppError, AppResult};
use crate::store::{Conn, Store};
use chrono::{DateTime, Utc};
use sql::{Sql, all, exec, held};
use std::sync::Arc;
use uuid::Uuid;

/// The lease every replica's purge competes for.
pub const PURGE_LEASE: &str = "retention.purge";

/// How a purge runs: batch size, lease length, and its pacing — the share of time it may spend
/// in batches and a fixed pause between them — which keeps it from crowding out chat traffic
/// (tests also use the pause to slow a run down).
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub batch_size: u64,
    pub lease: std::time::Duration,
    pub pause: std::time::Duration,
    /// Above 0, at most 1: after a batch that took `t`, rest `t × (1 − share) / share`.
    pub busy_share: f64,
}

impl RunOptions {
    /// The options `[retention]` configures; `batch_size` overrides the configured one.
    pub fn from_config(config: &crate::config::RetentionConfig, batch_size: Option<u64>) -> Self {
        Self {
            batch_size: batch_size.unwrap_or(config.batch_size).max(1),
            lease: std::time::Duration::from_secs(config.lease_secs),
            pause: std::time::Duration::from_millis(config.batch_pause_ms),
            busy_share: config.busy_share,
        }
    }

    /// How long to rest after a batch that took `busy`: never half the lease or more, so a slow
    /// batch cannot make the run lose its lease while it rests.
    pub fn rest_after(&self, busy: std::time::Duration) -> std::time::Duration {
        let share = if self.busy_share > 0.0 && self.busy_share <= 1.0 { self.busy_share } else { 1.0 };
        (busy.mul_f64((1.0 - share) / share) + self.pause).min(self.lease / 2)
    }
}

/// A tenant's policy as stored and as applied.
#[derive(Debug, Clone)]
pub struct TenantPolicy {
    /// The tenant's own policy, or `None` when it follows the platform default.
    pub own: Option<Policy>,
    /// What the purge applies: the own policy (or default) within the platform's bounds.
    pub effective: Policy,
    pub platform: PlatformSettings,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What one tenant's run deleted (or, dry, would delete).
#[derive(Debug, Clone)]
pub struct TenantRun {
    pub tenant: TenantId,
    pub counts: Vec<KindCount>,
}

/// What an erasure did, in counts only.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Erased {
    pub conversations: u64,
    pub messages: u64,
    pub conversations_kept_by_hold: u64,
    pub presets: u64,
    pub shares: u64,
    pub share_views: u64,
    pub idempotency_keys: u64,
    pub api_tokens: u64,
    pub sessions: u64,
    /// Uploaded files (a hold on a conversation keeps the files its messages carry).
    pub files: u64,
    /// This tenant's directory records of the user: single sign-on identities (issuer and subject)
    /// and SCIM provisioning records (user name, external id, attributes, group memberships).
    pub identity_links: u64,
    /// Whether the user record was anonymised (no: the user belongs to another tenant too).
    pub user_anonymised: bool,
}

#[derive(Clone)]
pub struct RetentionService {
    store: Store,
    auth: Arc<AuthService>,
    authz: Arc<Authorizer>,
    cluster: Option<Arc<crate::cluster::Cluster>>,
    files: Option<Arc<crate::files::FileService>>,
}

/// Deletes answer streams from Redis; a failure is logged (the streams expire anyway).
pub(crate) async fn forget_streams(cluster: &Arc<crate::cluster::Cluster>, messages: &[Uuid]) {
    let ids: Vec<MessageId> = messages.iter().copied().map(MessageId).collect();
    for chunk in ids.chunks(500) {
        if let Err(e) = crate::cluster::streams::forget(cluster, chunk).await {
            tracing::warn!(error = %e, "retention: cannot delete answer streams from Redis (they expire on their own)");
        }
    }
}

impl RetentionService {
    pub fn new(
        store: Store,
        auth: Arc<AuthService>,
        authz: Arc<Authorizer>,
        cluster: Option<Arc<crate::cluster::Cluster>>,
    ) -> Self {
        Self { store, auth, authz, cluster, files: None }
    }

    /// Purges and erasures also remove files' bytes from this file store.
    pub fn with_files(mut self, files: Arc<crate::files::FileService>) -> Self {
        self.files = Some(files);
        self
    }

    // ---- policies ----------------------------------------------------------------------------

    pub async fn platform_settings(&self) -> AppResult<PlatformSettings> {
        platform_settings(self.store.conn()).await
    }

    pub async fn set_platform_settings(
        &self,
        scope: &PlatformScope,
        actor: &Actor,
        settings: PlatformSettings,
    ) -> AppResult<PlatformSettings> {
        settings.check()?;
        let txn = self.store.begin().await?;
        let mut q = Sql::new(self.store.backend());
        let json = serde_json::to_string(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        let text = format!(
            "INSERT INTO retention_platform (id, settings, updated_by, updated_at) VALUES (1, {}, {}, {})
             ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_by = excluded.updated_by,
                                            updated_at = excluded.updated_at",
            q.bind(json),
            q.bind(scope.user.0),
            q.bind(crate::store::now())
        );
        exec(&*txn, q, text).await?;
        audit::record(
            &*txn,
            NewEntry::new(None, actor, action::RETENTION_PLATFORM_SET)
                .target("retention", "platform")
                .details(serde_json::to_value(settings).unwrap_or_default()),
        )
        .await?;
        txn.commit().await?;
        Ok(settings)
    }

    pub async fn tenant_policy(&self, tenant: TenantId) -> AppResult<TenantPolicy> {
        let conn = self.store.conn();
        let platform = platform_settings(conn).await?;
        let (own, updated_at) = own_policy(conn, tenant).await?;
        Ok(TenantPolicy { effective: platform.effective(own), own, platform, updated_at })
    }

    /// Sets the tenant's policy; it must be within the platform's floor and ceiling.
    pub async fn set_tenant_policy(&self, scope: &TenantScope, actor: &Actor, p: Policy) -> AppResult<TenantPolicy> {
        p.check_ranges("")?;
        let platform = self.platform_settings().await?;
        platform.within_bounds(&p, "")?;
        let txn = self.store.begin().await?;
        let mut q = Sql::new(self.store.backend());
        let text = format!(
            "INSERT INTO retention_policies
                 (tenant_id, conversation_days, deleted_grace_days, share_days, usage_days, audit_days, updated_by, updated_at)
             VALUES ({}, {}, {}, {}, {}, {}, {}, {})
             ON CONFLICT (tenant_id) DO UPDATE SET
                 conversation_days = excluded.conversation_days, deleted_grace_days = excluded.deleted_grace_days,
                 share_days = excluded.share_days, usage_days = excluded.usage_days, audit_days = excluded.audit_days,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            q.bind(scope.tenant.0),
            q.bind(p.conversation_days),
            q.bind(p.deleted_grace_days),
            q.bind(p.share_days),
            q.bind(p.usage_days),
            q.bind(p.audit_days),
            q.bind(scope.user.0),
            q.bind(crate::store::now())
        );
        exec(&*txn, q, text).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::RETENTION_POLICY_SET)
                .target("tenant", scope.tenant.0)
                .details(serde_json::to_value(p).unwrap_or_default()),
        )
        .await?;
        txn.commit().await?;
        self.tenant_policy(scope.tenant).await
    }

    // ---- legal holds -------------------------------------------------------------------------

    pub async fn place_hold(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        subject: HoldSubject,
        case_name: &str,
        reason: &str,
    ) -> AppResult<LegalHold> {
        let case_name = crate::domain::display_name("case_name", case_name, 200)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::Validation { field: "reason", reason: "must be 1–2000 characters".into() });
        }
        let txn = self.store.begin().await?;
        // The subject must be the tenant's (a user of it, or a conversation of it, deleted or not).
        match subject {
            HoldSubject::Tenant => {}
            HoldSubject::User(id) => {
                crate::store::memberships::get(&*txn, scope.tenant, UserId(id))
                    .await?
                    .ok_or(AppError::NotFound("user"))?;
            }
            HoldSubject::Conversation(id) => {
                let mut q = Sql::new(self.store.backend());
                let text = format!(
                    "SELECT id FROM conversations WHERE tenant_id = {} AND id = {}",
                    q.bind(scope.tenant.0),
                    q.bind(id)
                );
                if all(&*txn, q, text).await?.is_empty() {
                    return Err(AppError::NotFound("conversation"));
                }
            }
        }
        let hold = holds::insert(
            &*txn,
            holds::NewHold {
                tenant: scope.tenant,
                subject,
                case_name: &case_name,
                reason,
                by: actor.user_id.map(|u| u.0),
                by_label: &actor.label,
            },
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::LEGAL_HOLD_PLACED).target("legal_hold", hold.id).details(
                serde_json::json!({ "scope": subject.scope(), "subject_id": subject.subject_id(), "case_name": case_name }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(hold)
    }

    pub async fn holds(
        &self,
        tenant: Option<TenantId>,
        active_only: bool,
        before: Option<Uuid>,
        limit: u64,
    ) -> AppResult<Vec<LegalHold>> {
        holds::list(self.store.conn(), tenant, active_only, before, limit).await
    }

    /// Releases a hold; the next purge catches up with what it kept.
    pub async fn release_hold(&self, scope: &TenantScope, actor: &Actor, id: Uuid) -> AppResult<LegalHold> {
        let txn = self.store.begin().await?;
        let hold = holds::get(&*txn, scope.tenant, id).await?.ok_or(AppError::NotFound("legal hold"))?;
        if hold.released_at.is_some() {
            return Err(AppError::Conflict("this legal hold was already released".into()));
        }
        holds::release(&*txn, scope.tenant, id, actor.user_id.map(|u| u.0), &actor.label).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::LEGAL_HOLD_RELEASED)
                .target("legal_hold", id)
                .details(serde_json::json!({ "scope": hold.subject.scope(), "subject_id": hold.subject.subject_id() })),
        )
        .await?;
        txn.commit().await?;
        holds::get(self.store.conn(), scope.tenant, id).await?.ok_or(AppError::NotFound("legal hold"))
    }

    /// Whether a conversation of the tenant is under an active hold (its own, its owner's, the tenant's).
    pub async fn conversation_held(
        &self,
        conn: &impl Conn,
        tenant: TenantId,
        owner: UserId,
        id: Uuid,
    ) -> AppResult<bool> {
        let mut q = Sql::new(conn.get_database_backend());
        let (t, o, c) = (q.bind(tenant.0), q.bind(owner.0), q.bind(id));
        let text = format!("SELECT 1 AS x WHERE {}", held(&t, &o, &c));
        Ok(!all(conn, q, text).await?.is_empty())
    }

    // ---- the purge ---------------------------------------------------------------------------

    /// Every tenant id, in order.
    pub async fn tenant_ids(&self) -> AppResult<Vec<TenantId>> {
        let q = Sql::new(self.store.backend());
        let rows = all(self.store.conn(), q, "SELECT id FROM tenants ORDER BY id".into()).await?;
        Ok(rows.iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).map(TenantId).collect())
    }

    /// What a run would delete in a tenant now, per kind, with the oldest date of each.
    pub async fn preview(&self, tenant: TenantId) -> AppResult<Vec<KindCount>> {
        let policy = self.tenant_policy(tenant).await?.effective;
        self.preview_under(tenant, policy).await
    }

    /// What a run would delete in a tenant now if `draft` were its policy, before anyone saves it.
    /// The draft is checked exactly as saving it would be (same errors); returns the policy that
    /// would apply with the counts.
    pub async fn preview_draft(&self, tenant: TenantId, draft: Policy) -> AppResult<(Policy, Vec<KindCount>)> {
        draft.check_ranges("")?;
        let platform = self.platform_settings().await?;
        platform.within_bounds(&draft, "")?;
        let policy = platform.effective(Some(draft));
        Ok((policy, self.preview_under(tenant, policy).await?))
    }

    async fn preview_under(&self, tenant: TenantId, policy: Policy) -> AppResult<Vec<KindCount>> {
        let actor = Actor::anonymous("retention");
        let ctx = self.ctx(tenant, policy, 1, &actor);
        let mut out = Vec::new();
        for step in purge::steps() {
            out.extend(step.preview(&ctx).await?);
        }
        Ok(out)
    }

    fn ctx<'a>(&'a self, tenant: TenantId, policy: Policy, batch_size: u64, actor: &'a Actor) -> purge::StepCtx<'a> {
        purge::StepCtx {
            store: &self.store,
            tenant,
            policy,
            now: crate::store::now(),
            batch_size,
            cluster: self.cluster.as_ref(),
            actor,
            files: self.files.as_ref(),
        }
    }

    /// Purges what is due in the given tenants (all when `None`), batch by batch, while
    /// `lease` stays ours. Returns what went per tenant; stops early (with what was done) when
    /// the lease is lost.
    pub async fn run(
        &self,
        lease: &Lease,
        tenants: Option<Vec<TenantId>>,
        opts: RunOptions,
    ) -> AppResult<Vec<TenantRun>> {
        let tenants = match tenants {
            Some(t) => t,
            None => self.tenant_ids().await?,
        };
        let actor = Actor::anonymous("retention");
        let mut out = Vec::new();
        'tenants: for tenant in tenants {
            let policy = self.tenant_policy(tenant).await?.effective;
            let mut totals: Vec<KindCount> = Vec::new();
            for step in purge::steps() {
                loop {
                    if !lease.renew().await? {
                        tracing::warn!("retention: the purge lease was taken over; stopping this run");
                        out.push(TenantRun { tenant, counts: totals });
                        break 'tenants;
                    }
                    let ctx = self.ctx(tenant, policy, opts.batch_size.max(1), &actor);
                    let started = std::time::Instant::now();
                    let batch = step.purge_batch(&ctx).await?;
                    let busy = started.elapsed();
                    if batch.iter().all(|c| c.count == 0) {
                        break;
                    }
                    crate::crashpoint::hit("retention.batch_committed");
                    tracing::info!(tenant = %tenant.0, step = step.name(), "retention: purged a batch");
                    for c in batch {
                        match totals.iter_mut().find(|t| t.kind == c.kind) {
                            Some(t) => t.count += c.count,
                            None => totals.push(c),
                        }
                    }
                    let rest = opts.rest_after(busy);
                    if !rest.is_zero() {
                        tokio::time::sleep(rest).await;
                    }
                }
            }
            out.push(TenantRun { tenant, counts: totals });
        }
        Ok(out)
    }

    // ---- erasure -----------------------------------------------------------------------------

    /// Erases a user of the tenant: their conversations, presets, shares, views, idempotency
    /// keys, tokens and sessions go (except what a legal hold keeps), their membership is
    /// disabled, and the user record is anonymised unless they belong to another tenant. The
    /// audit entry records counts only.
    pub async fn erase_user(&self, scope: &TenantScope, actor: &Actor, user: UserId) -> AppResult<Erased> {
        if user == scope.user {
            return Err(AppError::Conflict("you cannot erase yourself".into()));
        }
        let member = crate::store::memberships::member(self.store.conn(), scope.tenant, user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if member.role == crate::domain::Role::TenantAdmin {
            return Err(AppError::Conflict(
                "change this user's role before erasing them: they are a tenant admin".into(),
            ));
        }
        let backend = self.store.backend();
        let mut erased = Erased::default();
        // Conversations in batches (each its own transaction), children first.
        loop {
            let txn = self.store.begin().await?;
            let mut q = Sql::new(backend);
            let text = format!(
                "SELECT c.id FROM conversations c WHERE c.tenant_id = {} AND c.owner_id = {} AND NOT {} ORDER BY c.id LIMIT 200 {}",
                q.bind(scope.tenant.0),
                q.bind(user.0),
                held("c.tenant_id", "c.owner_id", "c.id"),
                sql::lock_rows(backend)
            );
            let ids: Vec<Uuid> = all(&*txn, q, text).await?.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
            if ids.is_empty() {
                break;
            }
            let (messages, keys) =
                purge::delete_conversations(&*txn, scope.tenant, &ids, self.cluster.as_ref()).await?;
            txn.commit().await?;
            erased.conversations += ids.len() as u64;
            erased.messages += messages;
            erased.idempotency_keys += keys;
        }
        let txn = self.store.begin().await?;
        let t = scope.tenant.0;
        let u = user.0;
        let mut q = Sql::new(backend);
        let text = format!(
            "SELECT COUNT(*) AS n FROM conversations c WHERE c.tenant_id = {} AND c.owner_id = {}",
            q.bind(t),
            q.bind(u)
        );
        erased.conversations_kept_by_hold =
            all(&*txn, q, text).await?.first().and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0) as u64;
        let user_held = {
            let mut q = Sql::new(backend);
            let (tt, uu) = (q.bind(t), q.bind(u));
            let text = format!("SELECT 1 AS x WHERE {}", held(&tt, &uu, "NULL"));
            !all(&*txn, q, text).await?.is_empty()
        };
        let mut forgotten: Vec<String> = Vec::new();
        if !user_held {
            // Their files, except those a held conversation's messages carry.
            let mut q = Sql::new(backend);
            let text = format!(
                "SELECT f.id, f.storage_key FROM files f WHERE f.tenant_id = {} AND f.owner_id = {} AND NOT EXISTS (
                    SELECT 1 FROM message_parts p JOIN conversations c ON c.id = p.conversation_id
                    WHERE p.file_id = f.id AND {})",
                q.bind(t),
                q.bind(u),
                held("c.tenant_id", "c.owner_id", "c.id")
            );
            (erased.files, forgotten) = purge::delete_selected_files(&*txn, scope.tenant, q, text).await?;
            // Presets they own (versions go with them); conversations that pinned one keep working unpinned.
            let mut q = Sql::new(backend);
            let text = format!("DELETE FROM presets WHERE tenant_id = {} AND owner_id = {}", q.bind(t), q.bind(u));
            erased.presets = exec(&*txn, q, text).await?;
            // Their shares, except those of a held conversation.
            let mut q = Sql::new(backend);
            let text = format!(
                "SELECT s.id FROM shares s WHERE s.tenant_id = {} AND s.owner_id = {} AND NOT {}",
                q.bind(t),
                q.bind(u),
                held("s.tenant_id", "s.owner_id", "s.source_conversation_id")
            );
            let shares: Vec<Uuid> =
                all(&*txn, q, text).await?.iter().filter_map(|r| r.try_get("", "id").ok()).collect();
            for chunk in shares.chunks(200) {
                for table in ["share_views", "share_recipients", "share_messages"] {
                    let mut q = Sql::new(backend);
                    let text = format!(
                        "DELETE FROM {table} WHERE tenant_id = {} AND share_id IN ({})",
                        q.bind(t),
                        q.list(chunk)
                    );
                    exec(&*txn, q, text).await?;
                }
                let mut q = Sql::new(backend);
                let text = format!("DELETE FROM shares WHERE tenant_id = {} AND id IN ({})", q.bind(t), q.list(chunk));
                erased.shares += exec(&*txn, q, text).await?;
            }
            // Where they were a viewer or a recipient of others' shares.
            let mut q = Sql::new(backend);
            let text =
                format!("DELETE FROM share_views WHERE tenant_id = {} AND viewer_user_id = {}", q.bind(t), q.bind(u));
            erased.share_views = exec(&*txn, q, text).await?;
            let mut q = Sql::new(backend);
            let text =
                format!("DELETE FROM share_recipients WHERE tenant_id = {} AND user_id = {}", q.bind(t), q.bind(u));
            exec(&*txn, q, text).await?;
            let mut q = Sql::new(backend);
            let text =
                format!("DELETE FROM idempotency_keys WHERE tenant_id = {} AND user_id = {}", q.bind(t), q.bind(u));
            erased.idempotency_keys += exec(&*txn, q, text).await?;
        }
        let mut q = Sql::new(backend);
        let text = format!("DELETE FROM api_tokens WHERE tenant_id = {} AND user_id = {}", q.bind(t), q.bind(u));
        erased.api_tokens = exec(&*txn, q, text).await?;
        // What the tenant's directory said about the person: the identity provider's subject and the
        // SCIM record (names, e-mail addresses, external id). Gone even under a hold, which keeps
        // content, not the account; the directory can provision the person again.
        for table in ["sso_identities", "scim_group_members", "scim_users"] {
            let mut q = Sql::new(backend);
            let text = format!("DELETE FROM {table} WHERE tenant_id = {} AND user_id = {}", q.bind(t), q.bind(u));
            let removed = exec(&*txn, q, text).await?;
            if table != "scim_group_members" {
                erased.identity_links += removed;
            }
        }
        crate::store::memberships::set_status(&*txn, scope.tenant, user, crate::domain::Status::Disabled).await?;
        let mut q = Sql::new(backend);
        let text = format!(
            "SELECT COUNT(*) AS n FROM memberships WHERE user_id = {} AND tenant_id <> {}",
            q.bind(u),
            q.bind(t)
        );
        let elsewhere = all(&*txn, q, text).await?.first().and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0);
        if elsewhere == 0 {
            let mut q = Sql::new(backend);
            let text = format!("DELETE FROM sessions WHERE user_id = {}", q.bind(u));
            erased.sessions = exec(&*txn, q, text).await?;
            let mut q = Sql::new(backend);
            let text = format!(
                "UPDATE users SET email = {}, display_name = {}, password_hash = NULL, status = 'disabled',
                                  is_platform_admin = {}, updated_at = {}
                 WHERE id = {}",
                q.bind(format!("erased-{u}@erased.invalid")),
                q.bind("Erased user"),
                q.bind(false),
                q.bind(crate::store::now()),
                q.bind(u)
            );
            erased.user_anonymised = exec(&*txn, q, text).await? == 1;
        } else {
            erased.sessions = crate::store::sessions::revoke_all_for_user(&*txn, user).await?;
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::USER_ERASED)
                .target("user", u)
                .details(serde_json::to_value(&erased).unwrap_or_default()),
        )
        .await?;
        txn.commit().await?;
        if let Some(files) = &self.files {
            files.forget_objects(scope.tenant, &forgotten).await;
        }
        self.auth.forget_cached();
        self.authz.reload().await?;
        Ok(erased)
    }
}

async fn platform_settings(conn: &impl Conn) -> AppResult<PlatformSettings> {
    let q = Sql::new(conn.get_database_backend());
    let rows = all(conn, q, "SELECT settings FROM retention_platform WHERE id = 1".into()).await?;
    match rows.first().and_then(|r| r.try_get::<String>("", "settings").ok()) {
        Some(json) => serde_json::from_str(&json).map_err(|e| AppError::Internal(format!("retention_platform: {e}"))),
        None => Ok(PlatformSettings::default()),
    }
}

async fn own_policy(conn: &impl Conn, tenant: TenantId) -> AppResult<(Option<Policy>, Option<DateTime<Utc>>)> {
    let mut q = Sql::new(conn.get_database_backend());
    let text = format!(
        "SELECT conversation_days, deleted_grace_days, share_days, usage_days, audit_days, updated_at
         FROM retention_policies WHERE tenant_id = {}",
        q.bind(tenant.0)
    );
    let rows = all(conn, q, text).await?;
    let Some(r) = rows.first() else { return Ok((None, None)) };
    let p = Policy {
        conversation_days: r.try_get("", "conversation_days")?,
        deleted_grace_days: r.try_get("", "deleted_grace_days")?,
        share_days: r.try_get("", "share_days")?,
        usage_days: r.try_get("", "usage_days")?,
        audit_days: r.try_get("", "audit_days")?,
    };
    Ok((Some(p), Some(r.try_get("", "updated_at")?)))
}

#[cfg(test)]
mod tests {
    use super::RunOptions;
    use std::time::Duration;

    fn opts(busy_share: f64, pause_ms: u64) -> RunOptions {
        RunOptions {
            batch_size: 10,
            lease: Duration::from_secs(60),
            pause: Duration::from_millis(pause_ms),
            busy_share,
        }
    }

    #[test]
    fn the_rest_keeps_the_purge_to_its_share_of_time() {
        // A quarter: three times the batch's time at rest.
        assert_eq!(opts(0.25, 0).rest_after(Duration::from_millis(40)), Duration::from_millis(120));
        // Half, plus the fixed pause.
        assert_eq!(opts(0.5, 20).rest_after(Duration::from_millis(40)), Duration::from_millis(60));
        // Flat out: only the fixed pause.
        assert_eq!(opts(1.0, 0).rest_after(Duration::from_millis(40)), Duration::ZERO);
        assert_eq!(opts(1.0, 5).rest_after(Duration::from_millis(40)), Duration::from_millis(5));
        // A slower batch (a busier database) rests longer.
        assert!(
            opts(0.25, 0).rest_after(Duration::from_millis(80)) > opts(0.25, 0).rest_after(Duration::from_millis(40))
        );
        // A very slow batch never rests half the 60 s lease away.
        assert_eq!(opts(0.05, 0).rest_after(Duration::from_secs(5)), Duration::from_secs(30));
        assert_eq!(opts(1.0, 90_000).rest_after(Duration::ZERO), Duration::from_secs(30));
    }
}
