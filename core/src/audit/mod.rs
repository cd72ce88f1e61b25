//! The audit log: append-only and hash-chained. Each entry commits to the previous entry's hash,
//! and is written in the same transaction as the change it records.

use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::store::{self, Store, audit::AuditScope};

use crate::store::audit::NewRow;
pub use crate::store::audit::{AuditFilter, Entry, entry_hash};

/// Audited actions. The strings are part of the API (filters, exports): never rename one.
pub mod action {
    pub const LOGIN: &str = "auth.login";
    pub const LOGIN_FAILED: &str = "auth.login_failed";
    pub const LOGOUT: &str = "auth.logout";
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
    /// A batch of stored secrets re-sealed under the current master key (counts only).
    pub const SECRETS_RESEALED: &str = "secrets.resealed";
    /// A user downloaded their own data (`GET /v1/me/export`; counts only).
    pub const USER_DATA_EXPORTED: &str = "user.data_exported";
    /// A call of the OpenAI-compatible endpoint (metadata only, never content).
    pub const COMPLETION: &str = "openai.chat_completion";
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

/// The result of checking the whole chain.
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
        expected: i64,
        found: i64,
    },
}

/// Walks the chain from the first entry and names the first entry that does not hold.
pub async fn verify(store: &Store) -> AppResult<Verification> {
    let mut prev_hash = "0".repeat(64);
    let mut last_seq = 0i64;
    loop {
        let page = store::audit::chain_page(store.conn(), last_seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            let broken = |reason: &str| Verification::Broken { seq: entry.seq, id: entry.id, reason: reason.into() };
            if entry.seq != last_seq + 1 {
                return Ok(broken(&format!("sequence gap: expected {} before it", last_seq + 1)));
            }
            if entry.prev_hash != prev_hash {
                return Ok(broken("does not link to the previous entry's hash"));
            }
            if entry_hash(&entry) != entry.hash {
                return Ok(broken("contents do not match its hash (the row was altered)"));
            }
            prev_hash = entry.hash.clone();
            last_seq = entry.seq;
        }
    }
    let head = store::audit::head(store.conn()).await?;
    if head.seq != last_seq || (last_seq > 0 && head.hash != prev_hash) {
        return Ok(Verification::Truncated { expected: head.seq, found: last_seq });
    }
    Ok(Verification::Intact { entries: last_seq })
}
