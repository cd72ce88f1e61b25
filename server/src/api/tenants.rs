//! Tenants (platform admins).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::*;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::{Status, TenantId};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct TenantsApi;

#[derive(ApiResponse)]
pub enum TenantCreated {
    #[oai(status = 201)]
    Created(Json<TenantView>),
}

#[OpenApi(tag = "ApiTags::Tenants")]
impl TenantsApi {
    /// List tenants.
    #[oai(path = "/tenants", method = "get", operation_id = "tenants_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<TenantPage>> {
        let scope = state.authz.require_platform(&auth.0, Permission::TENANTS_READ).await?;
        let limit = page_limit(limit.0)?;
        let after = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(TenantId);
        let items = state.accounts.tenants(&scope, after, limit).await?;
        let next_cursor = next_cursor(&items, limit, |t| t.id.0);
        Ok(Json(TenantPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// Create a tenant, optionally with an existing user as its first tenant admin.
    #[oai(path = "/tenants", method = "post", operation_id = "tenants_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateTenantRequest>,
    ) -> ApiResult<TenantCreated> {
        state.authz.require_platform(&auth.0, Permission::TENANTS_CREATE).await?;
        let tenant = state
            .accounts
            .create_tenant(&actor_of(&auth.0), &body.name, body.slug.as_deref(), body.admin_email.as_deref())
            .await?;
        Ok(TenantCreated::Created(Json(tenant.into())))
    }

    /// One tenant.
    #[oai(path = "/tenants/:id", method = "get", operation_id = "tenants_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The tenant's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<TenantView>> {
        let scope = state.authz.require_platform(&auth.0, Permission::TENANTS_READ).await?;
        Ok(Json(state.accounts.tenant(&scope, TenantId(id.0)).await?.into()))
    }

    /// Disable a tenant: its members can no longer act in it and its API tokens stop working.
    #[oai(path = "/tenants/:id/disable", method = "post", operation_id = "tenants_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The tenant's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<TenantView>> {
        state.authz.require_platform(&auth.0, Permission::TENANTS_UPDATE).await?;
        Ok(Json(state.accounts.set_tenant_status(&actor_of(&auth.0), TenantId(id.0), Status::Disabled).await?.into()))
    }

    /// Re-enable a tenant.
    #[oai(path = "/tenants/:id/enable", method = "post", operation_id = "tenants_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The tenant's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<TenantView>> {
        state.authz.require_platform(&auth.0, Permission::TENANTS_UPDATE).await?;
        Ok(Json(state.accounts.set_tenant_status(&actor_of(&auth.0), TenantId(id.0), Status::Active).await?.into()))
    }
}
