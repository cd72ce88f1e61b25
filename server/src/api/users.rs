//! Users of the active tenant (tenant admins).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::*;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use confab_core::accounts::NewUser;
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::{Status, UserId};
use confab_core::error::AppError;
use confab_core::store::memberships::MemberFilter;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct UsersApi;

#[derive(ApiResponse)]
pub enum UserCreated {
    #[oai(status = 201)]
    Created(Json<UserView>),
}

#[derive(ApiResponse)]
pub enum SessionsRevoked {
    /// Signed out everywhere.
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// List the users of the active tenant, optionally narrowed by a search and by status or
    /// role.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/users", method = "get", operation_id = "users_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only users whose e-mail address or name contains this (case-insensitive, 1–100
        /// characters).
        q: Query<Option<String>>,
        /// Only users with this status in the tenant.
        status: Query<Option<StatusName>>,
        /// Only users with this role in the tenant.
        role: Query<Option<RoleName>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<UserPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_READ).await?;
        let limit = page_limit(limit.0)?;
        let after = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(UserId);
        let text = q.0.map(|q| q.trim().to_string());
        if text.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 100) {
            return Err(AppError::Validation { field: "q", reason: "must be 1 to 100 characters".into() }.into());
        }
        // No address or name holds one, and PostgreSQL refuses one in any text.
        if text.as_ref().is_some_and(|t| t.contains('\0')) {
            return Err(AppError::Validation { field: "q", reason: "must not contain a NUL character".into() }.into());
        }
        let filter = MemberFilter { text, status: status.0.map(Into::into), role: role.0.map(Into::into) };
        let items = state.accounts.members(&scope, &filter, after, limit).await?;
        let next_cursor = next_cursor(&items, limit, |m| m.user.id.0);
        Ok(Json(UserPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// Create a user in the active tenant.
    #[oai(path = "/users", method = "post", operation_id = "users_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateUserRequest>,
    ) -> ApiResult<UserCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_CREATE).await?;
        let new = NewUser {
            email: &body.email,
            display_name: body.display_name.as_deref(),
            password: &body.password,
            role: body.role.into(),
        };
        let member = state.accounts.create_user(&scope, &actor_of(&auth.0), new).await?;
        Ok(UserCreated::Created(Json(member.into())))
    }

    /// One user of the active tenant.
    #[oai(path = "/users/:id", method = "get", operation_id = "users_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_READ).await?;
        Ok(Json(state.accounts.member(&scope, UserId(id.0)).await?.into()))
    }

    /// Set a user's role in the active tenant. Signs the user out everywhere.
    #[oai(path = "/users/:id/role", method = "put", operation_id = "users_set_role")]
    async fn set_role(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
        body: Json<SetRoleRequest>,
    ) -> ApiResult<Json<UserView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_UPDATE).await?;
        let member = state.accounts.set_role(&scope, &actor_of(&auth.0), UserId(id.0), body.role.into()).await?;
        Ok(Json(member.into()))
    }

    /// Disable a user in the active tenant: their sessions end and their tokens for this tenant
    /// stop working.
    #[oai(path = "/users/:id/disable", method = "post", operation_id = "users_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_UPDATE).await?;
        let member =
            state.accounts.set_member_status(&scope, &actor_of(&auth.0), UserId(id.0), Status::Disabled).await?;
        Ok(Json(member.into()))
    }

    /// Sign a user of the active tenant out everywhere: every browser session (web chat and admin
    /// console) ends at once. Their API tokens keep working; revoke those separately.
    #[oai(path = "/users/:id/sessions/revoke", method = "post", operation_id = "users_revoke_sessions")]
    async fn revoke_sessions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<SessionsRevoked> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_UPDATE).await?;
        state.accounts.revoke_sessions(&scope, &actor_of(&auth.0), UserId(id.0)).await?;
        Ok(SessionsRevoked::NoContent)
    }

    /// Re-enable a disabled user in the active tenant.
    #[oai(path = "/users/:id/enable", method = "post", operation_id = "users_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USERS_UPDATE).await?;
        let member = state.accounts.set_member_status(&scope, &actor_of(&auth.0), UserId(id.0), Status::Active).await?;
        Ok(Json(member.into()))
    }
}
