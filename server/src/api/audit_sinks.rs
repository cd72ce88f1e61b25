//! SIEM sinks of the audit log: a tenant's (tenant admins manage, auditors read) and the
//! installation's own (platform admins). Secrets go in and are never returned.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::AuditSinkId;
use confab_core::siem::{NewSink, SinkKind, SinkPatch, SinkStatus};
use confab_core::store::audit::AuditScope;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct AuditSinksApi;

/// How a sink receives entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AuditSinkKindView {
    /// Signed HTTPS POSTs of JSON batches (see the README for the format and signature).
    Webhook,
    /// RFC 5424 messages over TLS (`tls://host:port`), octet-counting framing.
    Syslog,
}

impl From<AuditSinkKindView> for SinkKind {
    fn from(k: AuditSinkKindView) -> Self {
        match k {
            AuditSinkKindView::Webhook => SinkKind::Webhook,
            AuditSinkKindView::Syslog => SinkKind::Syslog,
        }
    }
}

/// A sink and how its delivery goes.
#[derive(Debug, Object)]
pub struct AuditSinkView {
    /// The sink's id (sent to webhooks as `X-Confab-Sink`).
    pub id: Uuid,
    /// Its name for people.
    pub name: String,
    /// How it receives entries.
    pub kind: AuditSinkKindView,
    /// Where entries go.
    pub url: String,
    /// Whether delivery runs.
    pub enabled: bool,
    /// Whether a signing secret is stored (webhooks); the secret itself is never shown.
    pub has_secret: bool,
    /// `ok`, `failing` (the last attempt failed; retrying with backoff) or `disabled`.
    pub status: String,
    /// The `seq` of the last audit entry delivered.
    pub delivered_seq: i64,
    /// Entries of the sink's scope waiting to be delivered.
    pub backlog: u64,
    /// Failed attempts since the last success.
    pub attempts: i32,
    /// Why the last attempt failed; null after a success.
    #[oai(nullable)]
    pub last_error: Option<String>,
    /// When an attempt last failed.
    #[oai(nullable)]
    pub last_error_at: Option<DateTime<Utc>>,
    /// When a batch was last delivered.
    #[oai(nullable)]
    pub last_success_at: Option<DateTime<Utc>>,
    /// When the next retry is due; null when not waiting to retry.
    #[oai(nullable)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the sink was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<SinkStatus> for AuditSinkView {
    fn from(s: SinkStatus) -> Self {
        AuditSinkView {
            id: s.id.0,
            status: s.state().into(),
            name: s.name,
            kind: match s.kind {
                SinkKind::Webhook => AuditSinkKindView::Webhook,
                SinkKind::Syslog => AuditSinkKindView::Syslog,
            },
            url: s.url,
            enabled: s.enabled,
            has_secret: s.has_secret,
            delivered_seq: s.delivered_seq,
            backlog: s.backlog,
            attempts: s.attempts,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            last_success_at: s.last_success_at,
            next_attempt_at: s.next_attempt_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The sinks of a scope, oldest first.
#[derive(Debug, Object)]
pub struct AuditSinkList {
    /// The sinks.
    pub items: Vec<AuditSinkView>,
}

/// A new sink.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateAuditSink {
    /// Its name for people (1–100 characters).
    pub name: String,
    /// How it receives entries.
    pub kind: AuditSinkKindView,
    /// `https://…` for a webhook, `tls://host:port` for syslog. Tenant sinks must point at public
    /// addresses.
    pub url: String,
    /// The webhook's signing secret (16–256 characters; required for webhooks, refused for
    /// syslog). Stored encrypted; never shown again.
    #[oai(nullable)]
    pub secret: Option<String>,
    /// Whether delivery starts at once (default true).
    #[oai(default = "default_true")]
    pub enabled: bool,
    /// Deliver the scope's entries from this `seq` on (e.g. 1: the whole log); absent: from the
    /// sink's own creation entry on.
    #[oai(nullable)]
    pub from_seq: Option<i64>,
}

fn default_true() -> bool {
    true
}

/// Changes to a sink; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateAuditSink {
    /// A new name.
    #[oai(nullable)]
    pub name: Option<String>,
    /// A new URL (same rules as on creation).
    #[oai(nullable)]
    pub url: Option<String>,
    /// A new signing secret (webhooks); the old one stops being used at once.
    #[oai(nullable)]
    pub secret: Option<String>,
    /// Pause (false) or resume (true) delivery; resuming retries at once.
    #[oai(nullable)]
    pub enabled: Option<bool>,
}

/// What sending a test event did.
#[derive(Debug, Object)]
pub struct AuditSinkTestResult {
    /// Whether the sink accepted the test event.
    pub delivered: bool,
    /// Why not; null when delivered.
    #[oai(nullable)]
    pub error: Option<String>,
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The sink, delivering from its own creation entry (or `from_seq`) on.
    #[oai(status = 201)]
    Created(Json<AuditSinkView>),
}

impl AuditSinksApi {
    async fn scope(state: &AppState, auth: &Auth, manage: bool, platform: bool) -> ApiResult<AuditScope> {
        Ok(if platform {
            let perm =
                if manage { Permission::PLATFORM_AUDIT_SINKS_MANAGE } else { Permission::PLATFORM_AUDIT_SINKS_READ };
            state.authz.require_platform(&auth.0, perm).await?;
            AuditScope::Platform
        } else {
            let perm = if manage { Permission::AUDIT_SINKS_MANAGE } else { Permission::AUDIT_SINKS_READ };
            AuditScope::Tenant(state.authz.require_tenant(&auth.0, perm).await?.tenant)
        })
    }

    async fn list(state: &AppState, auth: &Auth, platform: bool) -> ApiResult<Json<AuditSinkList>> {
        let scope = Self::scope(state, auth, false, platform).await?;
        let items = state.siem.list(scope).await?.into_iter().map(Into::into).collect();
        Ok(Json(AuditSinkList { items }))
    }

    async fn create(state: &AppState, auth: &Auth, body: CreateAuditSink, platform: bool) -> ApiResult<Created> {
        let scope = Self::scope(state, auth, true, platform).await?;
        let new = NewSink {
            name: body.name,
            kind: body.kind.into(),
            url: body.url,
            secret: body.secret,
            enabled: body.enabled,
            from_seq: body.from_seq,
        };
        let sink = state.siem.create(scope, &actor_of(&auth.0), new).await?;
        Ok(Created::Created(Json(sink.into())))
    }

    async fn get(state: &AppState, auth: &Auth, id: Uuid, platform: bool) -> ApiResult<Json<AuditSinkView>> {
        let scope = Self::scope(state, auth, false, platform).await?;
        Ok(Json(state.siem.get(scope, AuditSinkId(id)).await?.into()))
    }

    async fn update(
        state: &AppState,
        auth: &Auth,
        id: Uuid,
        body: UpdateAuditSink,
        platform: bool,
    ) -> ApiResult<Json<AuditSinkView>> {
        let scope = Self::scope(state, auth, true, platform).await?;
        let patch = SinkPatch { name: body.name, url: body.url, secret: body.secret, enabled: body.enabled };
        Ok(Json(state.siem.update(scope, &actor_of(&auth.0), AuditSinkId(id), patch).await?.into()))
    }

    async fn delete(state: &AppState, auth: &Auth, id: Uuid, platform: bool) -> ApiResult<Deleted> {
        let scope = Self::scope(state, auth, true, platform).await?;
        state.siem.delete(scope, &actor_of(&auth.0), AuditSinkId(id)).await?;
        Ok(Deleted::NoContent)
    }

    async fn test(state: &AppState, auth: &Auth, id: Uuid, platform: bool) -> ApiResult<Json<AuditSinkTestResult>> {
        let scope = Self::scope(state, auth, true, platform).await?;
        let outcome = state.siem.test(scope, &actor_of(&auth.0), AuditSinkId(id)).await?;
        Ok(Json(AuditSinkTestResult { delivered: outcome.delivered, error: outcome.error }))
    }
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditSinksApi {
    /// The tenant's SIEM sinks with their delivery status (tenant admins and auditors).
    #[oai(path = "/tenant/audit-sinks", method = "get", operation_id = "audit_sinks_list")]
    async fn tenant_list(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<AuditSinkList>> {
        Self::list(&state, &auth, false).await
    }

    /// Stream the tenant's audit entries to a new sink (tenant admins).
    #[oai(path = "/tenant/audit-sinks", method = "post", operation_id = "audit_sinks_create")]
    async fn tenant_create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateAuditSink>,
    ) -> ApiResult<Created> {
        Self::create(&state, &auth, body.0, false).await
    }

    /// One of the tenant's sinks (tenant admins and auditors).
    #[oai(path = "/tenant/audit-sinks/:id", method = "get", operation_id = "audit_sinks_get")]
    async fn tenant_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<AuditSinkView>> {
        Self::get(&state, &auth, id.0, false).await
    }

    /// Rename, re-point, rotate the secret of, pause or resume a sink (tenant admins).
    #[oai(path = "/tenant/audit-sinks/:id", method = "patch", operation_id = "audit_sinks_update")]
    async fn tenant_update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
        body: Json<UpdateAuditSink>,
    ) -> ApiResult<Json<AuditSinkView>> {
        Self::update(&state, &auth, id.0, body.0, false).await
    }

    /// Remove a sink; its undelivered backlog is not sent (tenant admins).
    #[oai(path = "/tenant/audit-sinks/:id", method = "delete", operation_id = "audit_sinks_delete")]
    async fn tenant_delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        Self::delete(&state, &auth, id.0, false).await
    }

    /// Send a test event (`action` `audit_sink.test`, `seq` 0, `test: true`) now and say whether
    /// the sink took it (tenant admins).
    #[oai(path = "/tenant/audit-sinks/:id/test", method = "post", operation_id = "audit_sinks_test")]
    async fn tenant_test(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<AuditSinkTestResult>> {
        Self::test(&state, &auth, id.0, false).await
    }

    /// The installation's SIEM sinks, which receive platform-scope entries (platform admins).
    #[oai(path = "/platform/audit-sinks", method = "get", operation_id = "platform_audit_sinks_list")]
    async fn platform_list(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<AuditSinkList>> {
        Self::list(&state, &auth, true).await
    }

    /// Stream the installation's own audit entries to a new sink (platform admins).
    #[oai(path = "/platform/audit-sinks", method = "post", operation_id = "platform_audit_sinks_create")]
    async fn platform_create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateAuditSink>,
    ) -> ApiResult<Created> {
        Self::create(&state, &auth, body.0, true).await
    }

    /// One of the installation's sinks (platform admins).
    #[oai(path = "/platform/audit-sinks/:id", method = "get", operation_id = "platform_audit_sinks_get")]
    async fn platform_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<AuditSinkView>> {
        Self::get(&state, &auth, id.0, true).await
    }

    /// Change one of the installation's sinks (platform admins).
    #[oai(path = "/platform/audit-sinks/:id", method = "patch", operation_id = "platform_audit_sinks_update")]
    async fn platform_update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
        body: Json<UpdateAuditSink>,
    ) -> ApiResult<Json<AuditSinkView>> {
        Self::update(&state, &auth, id.0, body.0, true).await
    }

    /// Remove one of the installation's sinks (platform admins).
    #[oai(path = "/platform/audit-sinks/:id", method = "delete", operation_id = "platform_audit_sinks_delete")]
    async fn platform_delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        Self::delete(&state, &auth, id.0, true).await
    }

    /// Send a test event to one of the installation's sinks (platform admins).
    #[oai(path = "/platform/audit-sinks/:id/test", method = "post", operation_id = "platform_audit_sinks_test")]
    async fn platform_test(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The sink's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<AuditSinkTestResult>> {
        Self::test(&state, &auth, id.0, true).await
    }
}
