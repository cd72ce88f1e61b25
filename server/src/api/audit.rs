//! Reading the audit log (tenant admins and auditors; platform admins for platform entries).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::*;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::audit::{self, AuditFilter};
use confab_core::authz::Permission;
use confab_core::domain::UserId;
use confab_core::store::audit::AuditScope;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct AuditApi;

#[allow(clippy::too_many_arguments)]
async fn read(
    state: &AppState,
    scope: AuditScope,
    actor: Option<Uuid>,
    action: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    cursor: Option<Cursor>,
    limit: Option<PageLimit>,
) -> ApiResult<Json<AuditPage>> {
    let limit = page_limit(limit)?;
    let filter = AuditFilter {
        actor: actor.map(UserId),
        action,
        since,
        until,
        before_seq: decode_cursor::<i64>(cursor.as_deref())?,
    };
    let items = audit::list(&state.store, scope, &filter, limit).await?;
    let next_cursor = next_cursor(&items, limit, |e| e.seq);
    Ok(Json(AuditPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// The active tenant's audit entries, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/audit", method = "get", operation_id = "audit_list")]
    async fn tenant_audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `auth.login_failed`.
        action: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<AuditPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::AUDIT_READ).await?;
        read(&state, AuditScope::Tenant(scope.tenant), actor.0, action.0, since.0, until.0, cursor.0, limit.0).await
    }

    /// Installation-wide entries that belong to no tenant (tenant changes, setup, unknown
    /// sign-ins).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/platform/audit", method = "get", operation_id = "platform_audit_list")]
    async fn platform_audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `tenant.created`.
        action: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<AuditPage>> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_AUDIT_READ).await?;
        read(&state, AuditScope::Platform, actor.0, action.0, since.0, until.0, cursor.0, limit.0).await
    }
}
