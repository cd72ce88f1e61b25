//! The audit log: append-only and hash-chained. Each entry commits to the previous entry's hash,
//! and is written in the same transaction as the change it records.
//!
//! There is one chain per scope (each tenant; the platform's own entries), so a scope's entries
//! verify on their own — in the database, or offline from an export ([`evidence`]) — and a scope's
//! oldest entries can be purged behind a checkpoint ([`purge_before`]). Entries written before
//! per-scope chains stay in the legacy global chain, verified as before; each scope's chain starts
//! with a genesis entry that commits to the legacy chain's head. docs/audit-verification.md
//! specifies it all for auditors.

pub mod evidence;

use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::store::{self, Store, audit::AuditScope};

use crate::store::audit::NewRow;
pub use crate::store::audit::{AuditFilter, Entry, GENESIS_PREV_HASH, entry_hash};
use chrono::{DateTime, Utc};

/// Audited actions. The strings are part of the API (filters, exports): never rename one.
pub mod action {
    pub const LOGIN: &str = "auth.login";
    pub const LOGIN_FAILED: &str = "auth.login_failed";
    pub const LOGOUT: &str = "auth.logout";
    /// A platform admin's password sign-in to a tenant that allows only single sign-on.
    pub const LOGIN_BREAK_GLASS: &str = "auth.login_break_glass";
    /// A single sign-on attempt that did not sign anyone in (the reason in the details).
    pub const SSO_LOGIN_FAILED: &str = "sso.login_failed";
    pub const SSO_CONFIGURED: &str = "sso.configured";
    pub const SSO_REMOVED: &str = "sso.removed";
    /// A user's account made at their first single sign-on (just-in-time provisioning).
    pub const SSO_USER_PROVISIONED: &str = "sso.user_provisioned";
    /// An e-mail domain a tenant claims (pending), proved (DNS or the operator) or gives up.
    pub const DOMAIN_CLAIMED: &str = "domain.claimed";
    pub const DOMAIN_VERIFIED: &str = "domain.verified";
    pub const DOMAIN_REMOVED: &str = "domain.removed";
    pub const PASSWORD_CHANGED: &str = "auth.password_changed";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const USER_ENABLED: &str = "user.enabled";
    pub const ROLE_CHANGED: &str = "user.role_changed";
    pub const AUDIT_EXPORTED: &str = "audit.exported";
    pub const SESSIONS_REVOKED: &str = "user.sessions_revoked";
    pub const MEMBERSHIP_ADDED: &str = "user.membership_added";
    pub const TENANT_CREATED: &str = "tenant.created";
    pub const TENANT_DISABLED: &str = "tenant.disabled";
    pub const TENANT_ENABLED: &str = "tenant.enabled";
    pub const PLATFORM_ADMIN_GRANTED: &str = "platform.admin_granted";
    pub const SETUP_COMPLETED: &str = "platform.setup_completed";
    pub const MODEL_SET: &str = "catalogue.model_set";
    pub const MODEL_DELETED: &str = "catalogue.model_deleted";
    pub const PROVIDER_KEY_SET: &str = "provider.key_set";
    pub const PROVIDER_KEY_DELETED: &str = "provider.key_deleted";
    pub const PRESET_CREATED: &str = "preset.created";
    pub const PRESET_UPDATED: &str = "preset.updated";
    pub const PRESET_DELETED: &str = "preset.deleted";
    pub const PRESET_MODELS_SET: &str = "preset.allowed_models_set";
    pub const QUOTA_SET: &str = "quota.set";
    pub const QUOTA_DELETED: &str = "quota.deleted";
    pub const SHARE_CREATED: &str = "share.created";
    pub const SHARE_REVOKED: &str = "share.revoked";
    pub const SHARING_SETTINGS_CHANGED: &str = "share.settings_changed";
    pub const PLUGIN_UPLOADED: &str = "plugin.uploaded";
    pub const PLUGIN_CONFIGURED: &str = "plugin.configured";
    pub const PLUGIN_REMOVED: &str = "plugin.removed";
    pub const PLUGIN_CHAIN_ORDERED: &str = "plugin.chain_ordered";
    pub const AUDIT_SINK_CREATED: &str = "audit_sink.created";
    pub const AUDIT_SINK_UPDATED: &str = "audit_sink.updated";
    pub const AUDIT_SINK_DELETED: &str = "audit_sink.deleted";
    /// A test event sent to a sink on an admin's request (outcome: whether it was delivered).
    pub const AUDIT_SINK_TESTED: &str = "audit_sink.tested";
    /// A batch of stored secrets re-sealed under the current master key (counts only).
    pub const SECRETS_RESEALED: &str = "secrets.resealed";
    /// A user downloaded their own data (`GET /v1/me/export`; counts only).
    pub const USER_DATA_EXPORTED: &str = "user.data_exported";
    /// A user saved a conversation they had kept in their browser (counts only).
    pub const CONVERSATION_IMPORTED: &str = "conversation.imported";
    pub const FILE_UPLOADED: &str = "file.uploaded";
    pub const FILE_DELETED: &str = "file.deleted";
    /// A call of the OpenAI-compatible endpoint (metadata only, never content).
    pub const COMPLETION: &str = "openai.chat_completion";
    /// A private-mode turn of the web chat (metadata only: the server keeps no content of it).
    pub const PRIVATE_TURN: &str = "chat.private_turn";
    /// A tenant admin turned private mode on or off.
    pub const PRIVATE_MODE_SET: &str = "tenant.private_mode_set";
    /// The first entry of a scope's chain (it commits to the legacy global chain's head).
    pub const AUDIT_CHAIN_STARTED: &str = crate::store::audit::CHAIN_STARTED;
    /// A checkpoint left by a purge of the scope's oldest entries (counts and hashes, no content).
    pub const AUDIT_PURGED: &str = crate::store::audit::PURGED;
    pub const RETENTION_POLICY_SET: &str = "retention.policy_set";
    pub const RETENTION_PLATFORM_SET: &str = "retention.platform_policy_set";
    /// One batch of the purge (counts per kind, never content).
    pub const RETENTION_PURGED: &str = "retention.purged";
    pub const LEGAL_HOLD_PLACED: &str = "legal_hold.placed";
    pub const LEGAL_HOLD_RELEASED: &str = "legal_hold.released";
    /// A user's erasure (GDPR art. 17), with counts only.
    pub const USER_ERASED: &str = "user.erased";
    /// A new identity (platform log only): whether an e-mail address had an account before is
    /// not for a tenant to know, so tenants see `user.created` either way.
    pub const ACCOUNT_CREATED: &str = "platform.account_created";
    pub const SCIM_TOKEN_CREATED: &str = "scim.token_created";
    pub const SCIM_TOKEN_REVOKED: &str = "scim.token_revoked";
    pub const SCIM_USER_PROVISIONED: &str = "scim.user_provisioned";
    pub const SCIM_USER_UPDATED: &str = "scim.user_updated";
    pub const SCIM_USER_DEPROVISIONED: &str = "scim.user_deprovisioned";
    pub const SCIM_USER_DELETED: &str = "scim.user_deleted";
    pub const SCIM_GROUP_CREATED: &str = "scim.group_created";
    pub const SCIM_GROUP_UPDATED: &str = "scim.group_updated";
    pub const SCIM_GROUP_DELETED: &str = "scim.group_deleted";
    pub const ROLE_MAPPINGS_SET: &str = "tenant.role_mappings_set";
}

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Who did it: a user, or the operator at the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: String,
}

impl Actor {
    pub fn user(id: UserId, email: &str) -> Self {
        Self { user_id: Some(id), label: email.to_string() }
    }

    pub fn cli() -> Self {
        Self { user_id: None, label: "cli".into() }
    }

    pub fn anonymous(label: &str) -> Self {
        Self { user_id: None, label: label.chars().take(254).collect() }
    }
}

/// An entry to record: built with its tenant, actor and action, then target, outcome and details.
pub struct NewEntry(NewRow);

impl NewEntry {
    pub fn new(tenant: Option<TenantId>, actor: &Actor, action: &'static str) -> Self {
        Self(NewRow {
            tenant_id: tenant,
            actor_user_id: actor.user_id,
            actor_label: actor.label.clone(),
            action,
            target_type: None,
            target_id: None,
            outcome: Outcome::Success.as_str(),
            details: "{}".into(),
        })
    }

    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.0.target_type = Some(kind);
        self.0.target_id = Some(id.to_string());
        self
    }

    pub fn failed(mut self) -> Self {
        self.0.outcome = Outcome::Failure.as_str();
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.0.details = details.to_string();
        self
    }
}

/// Appends an entry inside the caller's transaction.
pub async fn record(conn: &impl store::Conn, entry: NewEntry) -> AppResult<()> {
    store::audit::append(conn, entry.0).await.map(|_| ())
}

/// Appends an entry in a transaction of its own (for actions that change nothing else, such as
/// an export of the log).
pub async fn record_alone(store: &Store, entry: NewEntry) -> AppResult<()> {
    let txn = store.begin().await?;
    record(&*txn, entry).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list(store: &Store, scope: AuditScope, filter: &AuditFilter, limit: u64) -> AppResult<Vec<Entry>> {
    store::audit::list(store.conn(), scope, filter, limit).await
}

/// The result of checking every chain.
#[derive(Debug, Clone)]
pub enum Verification {
    Intact {
        entries: i64,
    },
    Broken {
        seq: i64,
        id: uuid::Uuid,
        reason: String,
    },
    /// The chain is consistent but its head records a later entry than the last one stored.
    Truncated {
        /// `legacy` or the scope's chain (`tenant:<uuid>`, `platform`).
        chain: String,
        expected: i64,
        found: i64,
    },
}

/// Checks the legacy global chain, then every scope's chain, and names the first entry that does
/// not hold.
pub async fn verify(store: &Store) -> AppResult<Verification> {
    let mut checked = 0i64;
    let legacy = match verify_legacy(store).await? {
        Ok((entries, head)) => {
            checked += entries;
            head
        }
        Err(v) => return Ok(v),
    };
    for (scope, head) in store::audit::heads(store.conn()).await? {
        match verify_scope(store, scope, head, &legacy).await? {
            Ok(entries) => checked += entries,
            Err(v) => return Ok(v),
        }
    }
    Ok(Verification::Intact { entries: checked })
}

/// One scope's chain only (a tenant's own evidence); legacy entries are not part of it.
pub async fn verify_scope_chain(store: &Store, scope: AuditScope) -> AppResult<Verification> {
    let Some(head) = store::audit::scope_head(store.conn(), scope).await? else {
        return Ok(Verification::Intact { entries: 0 });
    };
    let legacy = store::audit::legacy_head(store.conn()).await?;
    Ok(match verify_scope(store, scope, head, &legacy).await? {
        Ok(entries) => Verification::Intact { entries },
        Err(v) => v,
    })
}

/// The legacy chain: `seq` from 1 without gaps, each linking to the one before, up to its head.
async fn verify_legacy(store: &Store) -> AppResult<Result<(i64, store::audit::ChainLink), Verification>> {
    let mut prev_hash = GENESIS_PREV_HASH.to_string();
    let mut last_seq = 0i64;
    loop {
        let page = store::audit::legacy_page(store.conn(), last_seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            let broken = |reason: &str| Verification::Broken { seq: entry.seq, id: entry.id, reason: reason.into() };
            if entry.seq != last_seq + 1 {
                return Ok(Err(broken(&format!("sequence gap: expected {} before it", last_seq + 1))));
            }
            if entry.prev_hash != prev_hash {
                return Ok(Err(broken("does not link to the previous entry's hash")));
            }
            if entry_hash(&entry) != entry.hash {
                return Ok(Err(broken("contents do not match its hash (the row was altered)")));
            }
            prev_hash = entry.hash.clone();
            last_seq = entry.seq;
        }
    }
    let head = store::audit::legacy_head(store.conn()).await?;
    if head.seq != last_seq || (last_seq > 0 && head.hash != prev_hash) {
        return Ok(Err(Verification::Truncated { chain: "legacy".into(), expected: head.seq, found: last_seq }));
    }
    Ok(Ok((last_seq, head)))
}

/// A scope's chain, read up to the head as it was when the walk began (later appends are the
/// next walk's business): it starts at its genesis entry or at the checkpoint of a purge, has no
/// gaps, links hash to hash, and ends at the head.
async fn verify_scope(
    store: &Store,
    scope: AuditScope,
    head: store::audit::ChainLink,
    legacy: &store::audit::ChainLink,
) -> AppResult<Result<i64, Verification>> {
    let mut last: Option<(i64, String)> = None;
    let mut checked = 0i64;
    loop {
        let after = last.as_ref().map_or(0, |l| l.0);
        let page = store::audit::scope_page(store.conn(), scope, after, head.seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            let chain_seq = entry.chain_seq.unwrap_or(0);
            let broken = |reason: String| Verification::Broken {
                seq: entry.seq,
                id: entry.id,
                reason: format!("{} chain #{chain_seq}: {reason}", scope.key()),
            };
            match &last {
                None => {
                    if let Err(reason) = check_chain_start(store, scope, &entry, legacy).await? {
                        return Ok(Err(broken(reason)));
                    }
                }
                Some((prev_seq, prev_hash)) => {
                    if chain_seq != prev_seq + 1 {
                        return Ok(Err(broken(format!("sequence gap: expected #{} before it", prev_seq + 1))));
                    }
                    if &entry.prev_hash != prev_hash {
                        return Ok(Err(broken("does not link to the previous entry's hash".into())));
                    }
                }
            }
            if entry_hash(&entry) != entry.hash {
                return Ok(Err(broken("contents do not match its hash (the row was altered)".into())));
            }
            checked += 1;
            last = Some((chain_seq, entry.hash));
        }
    }
    let (found, hash) = last.unwrap_or((0, GENESIS_PREV_HASH.to_string()));
    if found != head.seq || hash != head.hash {
        return Ok(Err(Verification::Truncated { chain: scope.key(), expected: head.seq, found }));
    }
    Ok(Ok(checked))
}

/// Where a scope's chain may start: its genesis entry (committing to the legacy head), or the
/// entry after a purged prefix, which the scope's latest checkpoint vouches for.
async fn check_chain_start(
    store: &Store,
    scope: AuditScope,
    first: &Entry,
    legacy: &store::audit::ChainLink,
) -> AppResult<Result<(), String>> {
    let chain_seq = first.chain_seq.unwrap_or(0);
    if chain_seq == 1 {
        if first.prev_hash != GENESIS_PREV_HASH {
            return Ok(Err("the chain's first entry does not start from the genesis hash".into()));
        }
        let details: serde_json::Value = serde_json::from_str(&first.details).unwrap_or_default();
        if first.action != action::AUDIT_CHAIN_STARTED
            || details["legacy_seq"].as_i64() != Some(legacy.seq)
            || details["legacy_hash"].as_str() != Some(legacy.hash.as_str())
        {
            return Ok(Err("the chain's genesis entry does not commit to the legacy chain's head".into()));
        }
        return Ok(Ok(()));
    }
    let Some(checkpoint) = store::audit::latest_checkpoint(store.conn(), scope).await? else {
        return Ok(Err(format!("entries #1 to #{} are missing and no checkpoint records their purge", chain_seq - 1)));
    };
    let c = Checkpoint::of(&checkpoint);
    if c.as_ref().map(|c| (c.last_chain_seq, c.last_hash.as_str())) != Some((chain_seq - 1, first.prev_hash.as_str())) {
        return Ok(Err(format!(
            "entries before it are missing and the latest checkpoint (#{}) does not account for them",
            checkpoint.chain_seq.unwrap_or(0)
        )));
    }
    Ok(Ok(()))
}

/// What a checkpoint entry's details commit to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub removed: u64,
    pub first_chain_seq: i64,
    pub last_chain_seq: i64,
    pub last_hash: String,
}

impl Checkpoint {
    /// The checkpoint an `audit.purged` entry records; `None` for any other entry.
    pub fn of(entry: &Entry) -> Option<Self> {
        if entry.action != action::AUDIT_PURGED {
            return None;
        }
        let d: serde_json::Value = serde_json::from_str(&entry.details).ok()?;
        Some(Checkpoint {
            removed: d["removed"].as_u64()?,
            first_chain_seq: d["first_chain_seq"].as_i64()?,
            last_chain_seq: d["last_chain_seq"].as_i64()?,
            last_hash: d["last_hash"].as_str()?.to_string(),
        })
    }
}

/// What [`purge_before`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Entries removed.
    pub removed: u64,
    /// Transactions (batches) that removed some; each left one checkpoint entry.
    pub batches: u32,
    /// The newest checkpoint's place in the chain (the one the chain now starts from).
    pub checkpoint_chain_seq: Option<i64>,
}

/// Retention of audit entries: removes the scope's entries written before `cutoff`, oldest first,
/// in transactions of at most `batch` entries. Each batch appends a checkpoint entry
/// (`audit.purged`: count, first and last chain position, hash of the last removed entry), so the
/// remaining chain still verifies — in the database and from an export. Entries of the legacy
/// global chain (written before per-scope chains) are never removed: other scopes' entries link
/// through them. Safe to run while entries are appended, and to resume after a crash (a batch is
/// all or nothing).
pub async fn purge_before(
    store: &Store,
    scope: AuditScope,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> AppResult<PurgeOutcome> {
    let batch = batch.clamp(1, 100_000);
    let mut outcome = PurgeOutcome::default();
    loop {
        let txn = store.begin().await?;
        let Some(done) = store::audit::purge_batch(&*txn, scope, cutoff, batch).await? else {
            txn.commit().await?;
            return Ok(outcome);
        };
        txn.commit().await?;
        outcome.removed += done.removed;
        outcome.batches += 1;
        outcome.checkpoint_chain_seq = done.checkpoint.chain_seq;
        tracing::info!(scope = %scope.key(), removed = done.removed, "audit entries purged behind a checkpoint");
        if done.removed < batch {
            return Ok(outcome);
        }
    }
}
