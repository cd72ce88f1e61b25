//! Signing in and out, the caller's own profile, tenant switching and password changes.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::{Auth, surface};
use super::models::*;
use crate::cookie::session_cookie;
use crate::state::AppState;
use confab_core::authz::Permission;
use confab_core::context;
use confab_core::store;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;

#[derive(Default)]
pub struct SessionApi;

#[derive(ApiResponse)]
pub enum SignedIn {
    /// Signed in: the session cookie is set; keep `csrf_token` for unsafe requests.
    #[oai(status = 200)]
    Ok(Json<MeView>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum SignedOut {
    /// Signed out; the cookie is cleared.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum PasswordChanged {
    /// Changed. Every other session is signed out; a browser caller gets a fresh session cookie.
    #[oai(status = 200)]
    Ok(Json<MeView>, #[oai(header = "Set-Cookie")] Option<String>),
}

#[OpenApi(tag = "ApiTags::Session")]
impl SessionApi {
    /// Sign in with e-mail and password.
    ///
    /// Rate limited per account and per client address. The error never says whether the
    /// account exists.
    ///
    /// On the admin console's listener only tenant admins, auditors and platform admins may sign
    /// in (others get 403), and the session is a console session with its own cookie.
    #[oai(path = "/auth/login", method = "post", operation_id = "auth_login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<SignedIn> {
        let ctx = context::current();
        let surface = surface(req);
        let issued = state
            .auth
            .login(
                &body.email,
                &body.password,
                body.tenant.as_deref(),
                surface,
                ctx.ip.as_deref(),
                ctx.user_agent.as_deref(),
            )
            .await?;
        let tenants = store::memberships::tenants_of(state.store.conn(), issued.principal.user_id)
            .await
            .map_err(Into::into) as ApiResult<_>;
        let cookie = session_cookie(&state.config, surface, Some(&issued.token));
        Ok(SignedIn::Ok(Json(MeView::new(&issued.principal, tenants?)), cookie))
    }

    /// Sign out of this browser session.
    #[oai(path = "/auth/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(&self, state: Data<&Arc<AppState>>, req: &poem::Request, auth: Auth) -> ApiResult<SignedOut> {
        state.auth.logout(&auth.0).await?;
        Ok(SignedOut::NoContent(session_cookie(&state.config, surface(req), None)))
    }

    /// Who am I: the user, the active tenant and role, and the tenants I can switch to.
    #[oai(path = "/me", method = "get", operation_id = "me_get")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<MeView>> {
        let tenants = store::memberships::tenants_of(state.store.conn(), auth.0.user_id).await?;
        Ok(Json(MeView::new(&auth.0, tenants)))
    }

    /// Switch this session's active tenant.
    #[oai(path = "/me/active-tenant", method = "put", operation_id = "me_set_active_tenant")]
    async fn switch_tenant(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<SwitchTenantRequest>,
    ) -> ApiResult<Json<MeView>> {
        state.auth.switch_tenant(&auth.0, confab_core::domain::TenantId(body.tenant_id)).await?;
        let mut principal = auth.0;
        let tenants = store::memberships::tenants_of(state.store.conn(), principal.user_id).await?;
        principal.tenant =
            tenants.iter().find(|t| t.tenant_id.0 == body.tenant_id).map(|t| confab_core::domain::ActiveTenant {
                id: t.tenant_id,
                slug: t.slug.clone(),
                name: t.name.clone(),
                role: t.role,
            });
        Ok(Json(MeView::new(&principal, tenants)))
    }

    /// Change my password. Signs out every session of mine.
    #[oai(path = "/me/password", method = "post", operation_id = "me_change_password")]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<ChangePasswordRequest>,
    ) -> ApiResult<PasswordChanged> {
        if auth.0.tenant.is_some() {
            state.authz.require_tenant(&auth.0, Permission::PROFILE_UPDATE).await?;
        }
        let ctx = context::current();
        let issued = state
            .auth
            .change_password(
                &auth.0,
                &body.current_password,
                &body.new_password,
                ctx.ip.as_deref(),
                ctx.user_agent.as_deref(),
            )
            .await?;
        let tenants = store::memberships::tenants_of(state.store.conn(), auth.0.user_id).await?;
        Ok(match issued {
            Some(s) => PasswordChanged::Ok(
                Json(MeView::new(&s.principal, tenants)),
                Some(session_cookie(&state.config, s.principal.surface(), Some(&s.token))),
            ),
            None => PasswordChanged::Ok(Json(MeView::new(&auth.0, tenants)), None),
        })
    }
}
