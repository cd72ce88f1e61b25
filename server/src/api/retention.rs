//! Retention policies (the tenant's and the platform's bounds), the purge preview, legal holds and
//! a user's erasure. Auditors read; tenant admins change; platform admins set the bounds.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::UserId;
use confab_core::retention::{HoldSubject, KindCount, LegalHold, PlatformSettings, Policy, TenantPolicy};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct RetentionApi;

/// Retention periods in days; `null` keeps forever (where the platform's ceiling allows).
#[derive(Debug, Clone, Copy, Object)]
#[oai(deny_unknown_fields)]
pub struct RetentionPeriods {
    /// Conversations by last activity, with their messages, branches, plugin runs, idempotency
    /// keys, search documents and stream copies (1–36500).
    #[oai(nullable)]
    pub conversation_days: Option<i64>,
    /// How long a conversation its owner deleted stays, hidden, before it is purged (0–36500).
    #[oai(nullable)]
    pub deleted_grace_days: Option<i64>,
    /// Share snapshots (by creation) and their viewer logs (by view) (1–36500).
    #[oai(nullable)]
    pub share_days: Option<i64>,
    /// Usage events, folded into daily totals before they go, so usage charts stay right (1–36500).
    #[oai(nullable)]
    pub usage_days: Option<i64>,
    /// Audit entries (1–36500); `null` keeps them forever.
    #[oai(nullable)]
    pub audit_days: Option<i64>,
}

impl From<Policy> for RetentionPeriods {
    fn from(p: Policy) -> Self {
        Self {
            conversation_days: p.conversation_days,
            deleted_grace_days: p.deleted_grace_days,
            share_days: p.share_days,
            usage_days: p.usage_days,
            audit_days: p.audit_days,
        }
    }
}

impl From<RetentionPeriods> for Policy {
    fn from(p: RetentionPeriods) -> Self {
        Self {
            conversation_days: p.conversation_days,
            deleted_grace_days: p.deleted_grace_days,
            share_days: p.share_days,
            usage_days: p.usage_days,
            audit_days: p.audit_days,
        }
    }
}

/// The platform's default retention and the floor and ceiling every tenant policy stays within.
#[derive(Debug, Clone, Copy, Object)]
#[oai(deny_unknown_fields)]
pub struct PlatformRetention {
    /// What tenants without a policy of their own keep.
    pub default: RetentionPeriods,
    /// The least each tenant keeps (`null`: no minimum).
    pub floor: RetentionPeriods,
    /// The most each tenant keeps (`null`: no maximum, so tenants may keep forever).
    pub ceiling: RetentionPeriods,
}

impl From<PlatformSettings> for PlatformRetention {
    fn from(s: PlatformSettings) -> Self {
        Self { default: s.default.into(), floor: s.floor.into(), ceiling: s.ceiling.into() }
    }
}

/// A tenant's retention: its own policy, what applies, and the platform's bounds.
#[derive(Debug, Object)]
pub struct TenantRetention {
    /// The tenant's own policy, or `null` when it follows the platform default.
    #[oai(nullable)]
    pub policy: Option<RetentionPeriods>,
    /// What the purge applies: the tenant's policy (or the default) within the current bounds.
    pub effective: RetentionPeriods,
    /// The platform's default and bounds.
    pub platform: PlatformRetention,
    /// When the tenant's policy last changed.
    #[oai(nullable)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<TenantPolicy> for TenantRetention {
    fn from(t: TenantPolicy) -> Self {
        Self {
            policy: t.own.map(Into::into),
            effective: t.effective.into(),
            platform: t.platform.into(),
            updated_at: t.updated_at,
        }
    }
}

/// How many rows of one kind the purge would delete now, and the oldest of them.
#[derive(Debug, Object)]
pub struct RetentionKindCount {
    /// `conversations`, `messages`, `deleted_conversations`, `deleted_messages`, `files`
    /// (uploads no kept conversation carries), `unattached_files` (uploads never sent, after
    /// `files.unattached_days`), `shares`, `share_views`, `usage_events` or `audit_entries`.
    pub kind: String,
    /// Rows due.
    pub count: u64,
    /// The oldest due row's date (last activity, deletion, creation, view or turn).
    #[oai(nullable)]
    pub oldest: Option<DateTime<Utc>>,
}

impl From<KindCount> for RetentionKindCount {
    fn from(k: KindCount) -> Self {
        Self { kind: k.kind.to_string(), count: k.count, oldest: k.oldest }
    }
}

/// What the next purge would delete in the tenant, before anything does.
#[derive(Debug, Object)]
pub struct RetentionPreview {
    /// The policy the counts follow.
    pub effective: RetentionPeriods,
    /// Counts per kind.
    pub items: Vec<RetentionKindCount>,
}

/// What a legal hold covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum HoldScope {
    /// All of the tenant's data.
    Tenant,
    /// Everything one user owns in the tenant.
    User,
    /// One conversation and its shares.
    Conversation,
}

/// Places a legal hold.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateLegalHold {
    /// What it covers.
    pub scope: HoldScope,
    /// The user's or conversation's id; `null` (or absent) for a tenant hold.
    #[oai(nullable)]
    pub subject_id: Option<Uuid>,
    /// The matter it is for (1–200 characters).
    pub case_name: String,
    /// Why (1–2000 characters).
    pub reason: String,
}

/// A legal hold: while active, nothing it covers is purged, hard-deleted or erased.
#[derive(Debug, Object)]
pub struct LegalHoldView {
    /// The hold's id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// What it covers.
    pub scope: HoldScope,
    /// The user or conversation; `null` for a tenant hold.
    #[oai(nullable)]
    pub subject_id: Option<Uuid>,
    /// The matter it is for.
    pub case_name: String,
    /// Why.
    pub reason: String,
    /// Who placed it (their label at the time).
    pub created_by: String,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it was released; `null` while active.
    #[oai(nullable)]
    pub released_at: Option<DateTime<Utc>>,
    /// Who released it.
    #[oai(nullable)]
    pub released_by: Option<String>,
}

impl From<LegalHold> for LegalHoldView {
    fn from(h: LegalHold) -> Self {
        let scope = match h.subject {
            HoldSubject::Tenant => HoldScope::Tenant,
            HoldSubject::User(_) => HoldScope::User,
            HoldSubject::Conversation(_) => HoldScope::Conversation,
        };
        Self {
            id: h.id,
            tenant_id: h.tenant_id.0,
            scope,
            subject_id: h.subject.subject_id(),
            case_name: h.case_name,
            reason: h.reason,
            created_by: h.created_by_label,
            created_at: h.created_at,
            released_at: h.released_at,
            released_by: h.released_by_label,
        }
    }
}

/// A page of legal holds, newest first.
#[derive(Debug, Object)]
pub struct LegalHoldPage {
    /// The holds.
    pub items: Vec<LegalHoldView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// What an erasure removed, in counts (the audit log records the same, never content).
#[derive(Debug, Object)]
pub struct ErasureResult {
    /// Conversations deleted (with their messages, search documents and stream copies).
    pub conversations: u64,
    /// Messages deleted.
    pub messages: u64,
    /// Conversations a legal hold keeps.
    pub conversations_kept_by_hold: u64,
    /// Personal presets deleted.
    pub presets: u64,
    /// Shares deleted.
    pub shares: u64,
    /// Views of shares by the user, deleted.
    pub share_views: u64,
    /// Idempotency keys deleted.
    pub idempotency_keys: u64,
    /// API tokens deleted.
    pub api_tokens: u64,
    /// Browser sessions ended.
    pub sessions: u64,
    /// Uploaded files deleted (those a held conversation's messages carry are kept).
    pub files: u64,
    /// The tenant's directory records of the user deleted: single sign-on identities (issuer and
    /// subject) and SCIM records (user name, external id, attributes; group memberships with them).
    pub identity_links: u64,
    /// Whether the user record was anonymised (no e-mail or name left). `false` when the user
    /// also belongs to another tenant: only their membership here is disabled.
    pub user_anonymised: bool,
}

#[derive(ApiResponse)]
pub enum HoldCreated {
    /// The hold, now active.
    #[oai(status = 201)]
    Created(Json<LegalHoldView>),
}

#[OpenApi(tag = "ApiTags::Retention")]
impl RetentionApi {
    /// The active tenant's retention policy, what applies, and the platform's bounds.
    #[oai(path = "/tenant/retention", method = "get", operation_id = "retention_get")]
    async fn get(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<TenantRetention>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_READ).await?;
        Ok(Json(state.retention.tenant_policy(scope.tenant).await?.into()))
    }

    /// Set the active tenant's retention policy (tenant admins). Each period must be within the
    /// platform's floor and ceiling; the error names the bound.
    #[oai(path = "/tenant/retention", method = "put", operation_id = "retention_set")]
    async fn set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<RetentionPeriods>,
    ) -> ApiResult<Json<TenantRetention>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_MANAGE).await?;
        Ok(Json(state.retention.set_tenant_policy(&scope, &actor_of(&auth.0), body.0.into()).await?.into()))
    }

    /// What the next purge would delete in the active tenant: counts per kind and the oldest
    /// date of each. Nothing is deleted.
    #[oai(path = "/tenant/retention/preview", method = "get", operation_id = "retention_preview")]
    async fn preview(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<RetentionPreview>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_READ).await?;
        let effective = state.retention.tenant_policy(scope.tenant).await?.effective;
        let items = state.retention.preview(scope.tenant).await?;
        Ok(Json(RetentionPreview { effective: effective.into(), items: items.into_iter().map(Into::into).collect() }))
    }

    /// What the next purge would delete in the active tenant if the given periods were its
    /// policy: a preview of a draft before it is saved. The periods are checked as `PUT
    /// /v1/tenant/retention` checks them (same errors); nothing is saved or deleted.
    #[oai(path = "/tenant/retention/preview", method = "post", operation_id = "retention_preview_draft")]
    async fn preview_draft(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<RetentionPeriods>,
    ) -> ApiResult<Json<RetentionPreview>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::RETENTION_READ).await?;
        let (effective, items) = state.retention.preview_draft(scope.tenant, body.0.into()).await?;
        Ok(Json(RetentionPreview { effective: effective.into(), items: items.into_iter().map(Into::into).collect() }))
    }

    /// The active tenant's legal holds, newest first (released ones too, unless `active`).
    #[oai(path = "/tenant/legal-holds", method = "get", operation_id = "legal_holds_list")]
    async fn holds(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only holds not yet released.
        active: Query<Option<bool>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<LegalHoldPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::LEGAL_HOLDS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?;
        let items = state.retention.holds(Some(scope.tenant), active.0.unwrap_or(false), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |h| h.id);
        Ok(Json(LegalHoldPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// Place a legal hold on the tenant, a user of it or a conversation of it (tenant admins).
    #[oai(path = "/tenant/legal-holds", method = "post", operation_id = "legal_holds_create")]
    async fn create_hold(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateLegalHold>,
    ) -> ApiResult<HoldCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::LEGAL_HOLDS_MANAGE).await?;
        let subject = match (body.scope, body.subject_id) {
            (HoldScope::Tenant, None) => HoldSubject::Tenant,
            (HoldScope::User, Some(id)) => HoldSubject::User(id),
            (HoldScope::Conversation, Some(id)) => HoldSubject::Conversation(id),
            (HoldScope::Tenant, Some(_)) => {
                return Err(confab_core::error::AppError::Validation {
                    field: "subject_id",
                    reason: "must be null for a tenant hold".into(),
                }
                .into());
            }
            (_, None) => {
                return Err(confab_core::error::AppError::Validation {
                    field: "subject_id",
                    reason: "is required for a user or conversation hold".into(),
                }
                .into());
            }
        };
        let hold =
            state.retention.place_hold(&scope, &actor_of(&auth.0), subject, &body.case_name, &body.reason).await?;
        Ok(HoldCreated::Created(Json(hold.into())))
    }

    /// Release a legal hold (tenant admins). The next purge catches up with what it kept.
    #[oai(path = "/tenant/legal-holds/:id/release", method = "post", operation_id = "legal_holds_release")]
    async fn release_hold(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The hold's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<LegalHoldView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::LEGAL_HOLDS_MANAGE).await?;
        Ok(Json(state.retention.release_hold(&scope, &actor_of(&auth.0), id.0).await?.into()))
    }

    /// Erase a user of the active tenant (GDPR art. 17; tenant admins): their conversations,
    /// presets, shares, search documents, stream copies, tokens and sessions go, except what a
    /// legal hold keeps; their membership is disabled and the user record anonymised.
    #[oai(path = "/users/:id/erase", method = "post", operation_id = "users_erase")]
    async fn erase(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<ErasureResult>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_ERASE).await?;
        let e = state.retention.erase_user(&scope, &actor_of(&auth.0), UserId(id.0)).await?;
        Ok(Json(ErasureResult {
            conversations: e.conversations,
            messages: e.messages,
            conversations_kept_by_hold: e.conversations_kept_by_hold,
            presets: e.presets,
            shares: e.shares,
            share_views: e.share_views,
            idempotency_keys: e.idempotency_keys,
            api_tokens: e.api_tokens,
            sessions: e.sessions,
            files: e.files,
            identity_links: e.identity_links,
            user_anonymised: e.user_anonymised,
        }))
    }

    /// The platform's default retention and the bounds tenant policies stay within (platform admins).
    #[oai(path = "/platform/retention", method = "get", operation_id = "platform_retention_get")]
    async fn platform_get(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PlatformRetention>> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_RETENTION_READ).await?;
        Ok(Json(state.retention.platform_settings().await?.into()))
    }

    /// Set the platform's default retention, floor and ceiling (platform admins). Tenant policies
    /// set earlier are applied within the new bounds.
    #[oai(path = "/platform/retention", method = "put", operation_id = "platform_retention_set")]
    async fn platform_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<PlatformRetention>,
    ) -> ApiResult<Json<PlatformRetention>> {
        let scope = state.authz.require_platform(&auth.0, Permission::PLATFORM_RETENTION_MANAGE).await?;
        let settings =
            PlatformSettings { default: body.default.into(), floor: body.floor.into(), ceiling: body.ceiling.into() };
        Ok(Json(state.retention.set_platform_settings(&scope, &actor_of(&auth.0), settings).await?.into()))
    }

    /// Legal holds of every tenant, newest first (platform admins; read-only).
    #[oai(path = "/platform/legal-holds", method = "get", operation_id = "platform_legal_holds_list")]
    async fn platform_holds(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only holds not yet released.
        active: Query<Option<bool>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<LegalHoldPage>> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_LEGAL_HOLDS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?;
        let items = state.retention.holds(None, active.0.unwrap_or(false), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |h| h.id);
        Ok(Json(LegalHoldPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }
}
