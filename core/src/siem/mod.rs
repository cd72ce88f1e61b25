//! SIEM streaming of the audit log: sinks (HTTPS webhooks, RFC 5424 syslog over TCP/TLS) per
//! tenant and for the installation, and the delivery worker that pushes every new entry to them
//! in order.
//!
//! The audit log is the outbox: each sink keeps the `seq` of the last entry it received, and the
//! worker sends what follows, in batches, moving the cursor only after a delivery succeeded. One
//! replica at a time delivers a sink (a lease on its row, fenced on every write), failures back
//! off exponentially with jitter, and delivery is at least once: a receiver dedupes on the
//! entry's `id`. A tenant sink receives its tenant's entries; a platform sink receives the
//! installation's own (platform-scope) entries, the ones platform admins may read.

mod transport;
pub mod wire;

use crate::audit::{self, Actor, NewEntry, action};
use crate::config::{Config, SiemConfig};
use crate::crypto::Keyring;
use crate::domain::AuditSinkId;
use crate::error::{AppError, AppResult};
use crate::store::audit::{AuditScope, Entry};
use crate::store::audit_sinks::{self, Sink, SinkChanges};
use crate::store::{self, Store};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

pub use transport::is_internal;

/// Where a sink sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    Webhook,
    Syslog,
}

impl SinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Webhook => "webhook",
            SinkKind::Syslog => "syslog",
        }
    }

    fn parse(s: &str) -> AppResult<Self> {
        match s {
            "webhook" => Ok(SinkKind::Webhook),
            "syslog" => Ok(SinkKind::Syslog),
            other => Err(AppError::Internal(format!("stored audit sink of unknown kind {other:?}"))),
        }
    }
}

/// A sink's URL, parsed and checked: where to connect and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: url::Url,
    pub host: String,
    pub port: u16,
    /// `https://` or `tls://`.
    pub encrypted: bool,
    /// Tenant sinks may reach public addresses only.
    pub public_only: bool,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Validation { field, reason: reason.into() }
}

/// The host as an address when it is one. Non-special schemes (`tls://`, `tcp://`) leave an IP
/// literal as an opaque host name, so it is parsed here.
fn host_ip(host: &url::Host<&str>) -> Option<std::net::IpAddr> {
    match host {
        url::Host::Domain(d) => d.trim_start_matches('[').trim_end_matches(']').parse().ok(),
        url::Host::Ipv4(ip) => Some((*ip).into()),
        url::Host::Ipv6(ip) => Some((*ip).into()),
    }
}

/// Checks a sink URL: `https://host[:port]/path` for webhooks, `tls://host:port` for syslog;
/// `http://` and `tcp://` only to loopback when `siem.allow_loopback` is on. No credentials in
/// the URL (the secret is the signature key), no fragment; a tenant sink's literal address
/// must be public.
pub fn parse_target(raw: &str, kind: SinkKind, scope: AuditScope, config: &SiemConfig) -> AppResult<Target> {
    let raw = raw.trim();
    if raw.len() > 2048 {
        return Err(invalid("url", "must be at most 2048 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| invalid("url", "is not an absolute URL"))?;
    let (secure, plain, default_port) = match kind {
        SinkKind::Webhook => ("https", "http", url.port_or_known_default()),
        SinkKind::Syslog => ("tls", "tcp", url.port()),
    };
    let host = url.host().ok_or_else(|| invalid("url", "has no host"))?;
    let ip = host_ip(&host);
    let loopback = match ip {
        Some(ip) => ip.is_loopback(),
        None => matches!(host, url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost")),
    };
    let encrypted = url.scheme() == secure;
    if !encrypted {
        let allowed = url.scheme() == plain && loopback && config.allow_loopback;
        if !allowed {
            return Err(invalid(
                "url",
                match kind {
                    SinkKind::Webhook => "must be an https:// URL",
                    SinkKind::Syslog => "must be a tls://host:port URL",
                },
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("url", "must not carry credentials (the signing secret is set separately)"));
    }
    if url.fragment().is_some() {
        return Err(invalid("url", "must not have a fragment"));
    }
    if kind == SinkKind::Syslog && (url.path().len() > 1 || url.query().is_some()) {
        return Err(invalid("url", "must be tls://host:port, without a path"));
    }
    let port = default_port.ok_or_else(|| invalid("url", "needs a port"))?;
    let public_only = matches!(scope, AuditScope::Tenant(_));
    let literal_internal = ip.map_or(loopback, transport::is_internal);
    if public_only && literal_internal && !(loopback && config.allow_loopback) {
        return Err(invalid("url", "must point at a public address (tenant sinks cannot reach internal networks)"));
    }
    let host = match (ip, host) {
        (Some(ip), _) => ip.to_string(),
        (None, url::Host::Domain(d)) => d.to_string(),
        (None, other) => other.to_string(),
    };
    Ok(Target { host, port, encrypted, public_only, url })
}

/// The URL as shown in audit details: without its query, which may carry a receiver's token.
fn url_for_audit(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            u.set_query(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "must be 1–100 characters"));
    }
    Ok(name.to_string())
}

fn check_secret(secret: &str) -> AppResult<()> {
    if secret.len() < 16 || secret.len() > 256 {
        return Err(invalid("secret", "must be 16–256 characters"));
    }
    Ok(())
}

/// A sink to create.
pub struct NewSink {
    pub name: String,
    pub kind: SinkKind,
    pub url: String,
    /// The webhook's signing secret (required for webhooks; syslog takes none).
    pub secret: Option<String>,
    pub enabled: bool,
    /// Deliver from this entry on (of the sink's scope); `None`: from the sink's own creation.
    pub from_seq: Option<i64>,
}

/// A change to a sink; `None` keeps a field.
#[derive(Default)]
pub struct SinkPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

/// A sink with its delivery status, as the API shows it (never the secret).
#[derive(Debug, Clone)]
pub struct SinkStatus {
    pub id: AuditSinkId,
    pub name: String,
    pub kind: SinkKind,
    pub url: String,
    pub enabled: bool,
    pub has_secret: bool,
    /// The last entry delivered.
    pub delivered_seq: i64,
    /// Entries waiting to be delivered.
    pub backlog: u64,
    /// Consecutive failed attempts.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SinkStatus {
    /// `disabled`, `failing` (the last attempt failed) or `ok`.
    pub fn state(&self) -> &'static str {
        if !self.enabled {
            "disabled"
        } else if self.attempts > 0 {
            "failing"
        } else {
            "ok"
        }
    }
}

/// What a test event did.
pub struct TestOutcome {
    pub delivered: bool,
    pub error: Option<String>,
}

/// Every sink of the installation, summed up for `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct SinksHealth {
    pub sinks: usize,
    pub failing: usize,
    pub backlog: u64,
}

pub struct SiemService {
    store: Store,
    config: SiemConfig,
    master_key: Option<Keyring>,
    /// `siem.ca_cert`, parsed once.
    extra_roots: transport::ExtraRoots,
    /// This replica's name in the sinks' lease column.
    owner: String,
}

/// How long a replica holds a sink while delivering it; renewed with every batch.
const LEASE: Duration = Duration::from_secs(30);

fn seal_context(scope: AuditScope, id: AuditSinkId) -> String {
    sealed_secret_context(scope_tenant(scope).map(|t| t.0), id.0)
}

/// The associated data a sink's secret is sealed with (master-key rotation rebuilds it from the row).
pub fn sealed_secret_context(tenant: Option<uuid::Uuid>, id: uuid::Uuid) -> String {
    match tenant {
        Some(t) => format!("confab/audit-sink/{t}/{id}"),
        None => format!("confab/audit-sink/platform/{id}"),
    }
}

fn scope_tenant(scope: AuditScope) -> Option<crate::domain::TenantId> {
    match scope {
        AuditScope::Tenant(t) => Some(t),
        AuditScope::Platform => None,
    }
}

impl SiemService {
    pub fn new(store: Store, config: &Config) -> Result<Self, String> {
        let master_key = Keyring::from_config(&config.secrets)?;
        let extra_roots = transport::extra_roots(&config.siem)?;
        Ok(Self {
            store,
            config: config.siem.clone(),
            master_key,
            extra_roots,
            owner: uuid::Uuid::new_v4().to_string(),
        })
    }

    fn seal(&self, scope: AuditScope, id: AuditSinkId, secret: &str) -> AppResult<String> {
        let key = self.master_key.as_ref().ok_or_else(|| {
            AppError::Conflict(
                "storing a sink's secret needs a master key (secrets.master_key); ask the operator".into(),
            )
        })?;
        key.encrypt(secret, &seal_context(scope, id)).map_err(AppError::Internal)
    }

    fn unseal(&self, sink: &Sink) -> Result<String, String> {
        let sealed = sink.secret_sealed.as_deref().ok_or("the webhook has no signing secret")?;
        let key = self.master_key.as_ref().ok_or("no master key is configured to open the sink's secret")?;
        key.decrypt(sealed, &seal_context(sink.scope, sink.id))
    }

    async fn status(&self, sink: Sink) -> AppResult<SinkStatus> {
        let backlog = audit_sinks::backlog(self.store.conn(), sink.scope, sink.cursor_seq).await?;
        Ok(SinkStatus {
            id: sink.id,
            kind: SinkKind::parse(&sink.kind)?,
            has_secret: sink.secret_sealed.is_some(),
            name: sink.name,
            url: sink.url,
            enabled: sink.enabled,
            delivered_seq: sink.cursor_seq,
            backlog,
            attempts: sink.attempts,
            last_error: sink.last_error,
            last_error_at: sink.last_error_at,
            last_success_at: sink.last_success_at,
            next_attempt_at: sink.next_attempt_at,
            created_at: sink.created_at,
            updated_at: sink.updated_at,
        })
    }

    pub async fn list(&self, scope: AuditScope) -> AppResult<Vec<SinkStatus>> {
        let mut out = Vec::new();
        for sink in audit_sinks::list(self.store.conn(), scope).await? {
            out.push(self.status(sink).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, scope: AuditScope, id: AuditSinkId) -> AppResult<SinkStatus> {
        let sink = audit_sinks::get(self.store.conn(), scope, id).await?.ok_or(AppError::NotFound("audit sink"))?;
        self.status(sink).await
    }

    /// Creates a sink (audited). It starts from its own creation entry unless `from_seq` says
    /// otherwise.
    pub async fn create(&self, scope: AuditScope, actor: &Actor, new: NewSink) -> AppResult<SinkStatus> {
        let name = check_name(&new.name)?;
        let target = parse_target(&new.url, new.kind, scope, &self.config)?;
        let id = AuditSinkId::new();
        let secret_sealed = match (new.kind, &new.secret) {
            (SinkKind::Webhook, Some(secret)) => {
                check_secret(secret)?;
                Some(self.seal(scope, id, secret)?)
            }
            (SinkKind::Webhook, None) => {
                return Err(invalid("secret", "is required for a webhook (16–256 characters)"));
            }
            (SinkKind::Syslog, Some(_)) => return Err(invalid("secret", "is not used by syslog sinks; leave it out")),
            (SinkKind::Syslog, None) => None,
        };
        if let Some(from) = new.from_seq
            && from < 1
        {
            return Err(invalid("from_seq", "must be 1 or more"));
        }
        let url = target.url.to_string();
        let txn = self.store.begin().await?;
        audit::record(
            &*txn,
            NewEntry::new(scope_tenant(scope), actor, action::AUDIT_SINK_CREATED).target("audit_sink", id).details(
                serde_json::json!({ "name": name, "kind": new.kind.as_str(), "url": url_for_audit(&url), "enabled": new.enabled }),
            ),
        )
        .await?;
        // The creation entry holds the chain head: this is its seq, and nothing can come between.
        let head = store::audit::newest_seq(&*txn, scope)
            .await?
            .ok_or_else(|| AppError::Internal("the sink's creation entry is missing".into()))?;
        let cursor_seq = match new.from_seq {
            None => head - 1,
            Some(from) => (from - 1).min(head - 1),
        };
        let now = Utc::now();
        let sink = Sink {
            id,
            scope,
            name,
            kind: new.kind.as_str().into(),
            url,
            secret_sealed,
            enabled: new.enabled,
            cursor_seq,
            attempts: 0,
            last_error: None,
            last_error_at: None,
            last_success_at: None,
            next_attempt_at: None,
            created_at: now,
            updated_at: now,
        };
        audit_sinks::insert(&*txn, &sink).await?;
        txn.commit().await?;
        self.get(scope, id).await
    }

    /// Changes a sink (audited; a new secret is recorded as "rotated", never shown).
    pub async fn update(
        &self,
        scope: AuditScope,
        actor: &Actor,
        id: AuditSinkId,
        patch: SinkPatch,
    ) -> AppResult<SinkStatus> {
        let current = audit_sinks::get(self.store.conn(), scope, id).await?.ok_or(AppError::NotFound("audit sink"))?;
        let kind = SinkKind::parse(&current.kind)?;
        let mut changes = SinkChanges::default();
        let mut details = serde_json::Map::new();
        if let Some(name) = &patch.name {
            let name = check_name(name)?;
            details.insert("name".into(), name.clone().into());
            changes.name = Some(name);
        }
        if let Some(url) = &patch.url {
            let url = parse_target(url, kind, scope, &self.config)?.url.to_string();
            details.insert("url".into(), url_for_audit(&url).into());
            changes.url = Some(url);
        }
        if let Some(secret) = &patch.secret {
            if kind == SinkKind::Syslog {
                return Err(invalid("secret", "is not used by syslog sinks; leave it out"));
            }
            check_secret(secret)?;
            changes.secret_sealed = Some(self.seal(scope, id, secret)?);
            details.insert("secret_rotated".into(), true.into());
        }
        if let Some(enabled) = patch.enabled {
            details.insert("enabled".into(), enabled.into());
            changes.enabled = Some(enabled);
        }
        let txn = self.store.begin().await?;
        if !audit_sinks::update(&*txn, scope, id, changes).await? {
            return Err(AppError::NotFound("audit sink"));
        }
        audit::record(
            &*txn,
            NewEntry::new(scope_tenant(scope), actor, action::AUDIT_SINK_UPDATED)
                .target("audit_sink", id)
                .details(serde_json::Value::Object(details)),
        )
        .await?;
        txn.commit().await?;
        self.get(scope, id).await
    }

    pub async fn delete(&self, scope: AuditScope, actor: &Actor, id: AuditSinkId) -> AppResult<()> {
        let txn = self.store.begin().await?;
        let sink = audit_sinks::get(&*txn, scope, id).await?.ok_or(AppError::NotFound("audit sink"))?;
        audit_sinks::delete(&*txn, scope, id).await?;
        audit::record(
            &*txn,
            NewEntry::new(scope_tenant(scope), actor, action::AUDIT_SINK_DELETED)
                .target("audit_sink", id)
                .details(serde_json::json!({ "name": sink.name, "kind": sink.kind })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sends one test event (not an entry of the log: `seq` 0, action `audit_sink.test`) now,
    /// whatever the sink's retry schedule, and records the attempt in the audit log.
    pub async fn test(&self, scope: AuditScope, actor: &Actor, id: AuditSinkId) -> AppResult<TestOutcome> {
        let sink = audit_sinks::get(self.store.conn(), scope, id).await?.ok_or(AppError::NotFound("audit sink"))?;
        let probe = Entry {
            id: uuid::Uuid::now_v7(),
            seq: 0,
            chain_seq: None,
            tenant_id: scope_tenant(scope),
            actor_user_id: actor.user_id,
            actor_label: actor.label.clone(),
            action: "audit_sink.test".into(),
            target_type: Some("audit_sink".into()),
            target_id: Some(id.to_string()),
            outcome: "success".into(),
            ip: None,
            request_id: None,
            details: "{}".into(),
            created_at: store::now(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let result = self.send(&sink, std::slice::from_ref(&probe), true).await;
        let mut entry = NewEntry::new(scope_tenant(scope), actor, action::AUDIT_SINK_TESTED)
            .target("audit_sink", id)
            .details(serde_json::json!({ "delivered": result.is_ok() }));
        if result.is_err() {
            entry = entry.failed();
        }
        audit::record_alone(&self.store, entry).await?;
        Ok(TestOutcome { delivered: result.is_ok(), error: result.err() })
    }

    async fn send(&self, sink: &Sink, entries: &[Entry], test: bool) -> Result<(), String> {
        let kind = SinkKind::parse(&sink.kind).map_err(|e| e.to_string())?;
        let target = parse_target(&sink.url, kind, sink.scope, &self.config).map_err(|e| e.to_string())?;
        match kind {
            SinkKind::Webhook => {
                let secret = self.unseal(sink)?;
                transport::send_webhook(&target, &self.config, &self.extra_roots, &secret, sink.id.0, test, entries)
                    .await
            }
            SinkKind::Syslog => transport::send_syslog(&target, &self.config, &self.extra_roots, entries, test).await,
        }
    }

    /// The installation's sinks summed up: how many, how many failing, entries waiting.
    pub async fn health(&self) -> AppResult<SinksHealth> {
        let mut health = SinksHealth::default();
        for sink in audit_sinks::list_all(self.store.conn()).await? {
            if !sink.enabled {
                continue;
            }
            health.sinks += 1;
            if sink.attempts > 0 {
                health.failing += 1;
            }
            health.backlog += audit_sinks::backlog(self.store.conn(), sink.scope, sink.cursor_seq).await?;
        }
        Ok(health)
    }

    /// The delivery loop of this replica: every `poll_interval_ms`, each sink that is due and
    /// not leased elsewhere is drained in order until it is caught up or fails.
    pub async fn run(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        let every = Duration::from_millis(self.config.poll_interval_ms.max(10));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let due = match audit_sinks::due(self.store.conn()).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "audit sinks: cannot list the sinks due");
                    continue;
                }
            };
            for sink in due {
                if stop.is_cancelled() {
                    return;
                }
                if let Err(e) = self.drain(sink).await {
                    tracing::warn!(error = %e, "audit sinks: delivery bookkeeping failed");
                }
            }
        }
    }

    /// Delivers one sink's backlog under its lease.
    async fn drain(&self, listed: Sink) -> AppResult<()> {
        let conn = self.store.conn();
        let started = std::time::Instant::now();
        let until = Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
        if !audit_sinks::claim(conn, listed.id, &self.owner, until).await? {
            return Ok(());
        }
        // The listing was read before the lease was taken: another replica may have delivered
        // (moving the cursor) or failed (pushing the next attempt back) in between, so the row is
        // read again under the lease. Starting from the listed cursor would send those entries twice.
        let sink = match audit_sinks::get(conn, listed.scope, listed.id).await? {
            Some(fresh) if fresh.enabled && fresh.next_attempt_at.is_none_or(|t| t <= Utc::now()) => fresh,
            _ => return audit_sinks::release(conn, listed.id, &self.owner).await,
        };
        let mut cursor = sink.cursor_seq;
        loop {
            let until = Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
            if !audit_sinks::claim(conn, sink.id, &self.owner, until).await? {
                return Ok(());
            }
            let batch =
                audit_sinks::entries_after(conn, sink.scope, cursor, u64::from(self.config.batch_size.max(1))).await?;
            let Some(last) = batch.last().map(|e| e.seq) else { break };
            match self.send(&sink, &batch, false).await {
                Ok(()) => {
                    if !audit_sinks::delivered(conn, sink.id, &self.owner, last).await? {
                        // Another replica took over (our lease lapsed): it resumes from the cursor.
                        return Ok(());
                    }
                    cursor = last;
                }
                Err(error) => {
                    let attempts = sink.attempts.saturating_add(1);
                    let retry_at = Utc::now() + chrono::Duration::from_std(self.backoff(attempts)).unwrap_or_default();
                    tracing::warn!(sink = %sink.id, attempts, error = %error, "audit sink delivery failed; will retry");
                    audit_sinks::failed(conn, sink.id, &self.owner, &error, retry_at).await?;
                    break;
                }
            }
            // Leave the lease before it could lapse mid-request; the next poll picks it up again.
            if started.elapsed() > LEASE / 2 {
                break;
            }
        }
        audit_sinks::release(conn, sink.id, &self.owner).await
    }

    /// 1 s, 2 s, 4 s … up to `max_backoff_secs`, each between half and all of it (jitter, so
    /// sinks that failed together do not retry together).
    fn backoff(&self, attempts: i32) -> Duration {
        let exp = attempts.clamp(1, 20) as u32 - 1;
        let ceiling = (1u64 << exp).min(self.config.max_backoff_secs.max(1)) as f64;
        Duration::from_secs_f64(ceiling * rand::thread_rng().gen_range(0.5..=1.0))
    }
}
