//! OpenID Connect single sign-on: the active tenant's provider settings (tenant admins; platform
//! admins acting in the tenant), and the browser's sign-in — which button to show, the redirect
//! to the provider, the callback that opens the session, and the sign-out that also ends the
//! provider's session where it offers RP-initiated logout.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::{Auth, surface};
use crate::cookie::session_cookie;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::context;
use confab_core::domain::Surface;
use confab_core::error::AppError;
use confab_core::identity::domains;
use confab_core::identity::sso::{Callback, SsoButton, SsoInput, SsoService};
use confab_core::store::sso::{SsoProvider, TenantDomain};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Default)]
pub struct SsoApi;

/// The browser-binding cookie of a sign-in under way (the `state` alone is not enough: it must
/// come back to the browser that started it).
const BINDING_COOKIE: &str = "confab_sso";
const SECURE_BINDING_COOKIE: &str = "__Host-confab_sso";

/// The server's public URL: `server.public_url` when set, else what the request came to.
fn origin(state: &AppState, req: &poem::Request) -> String {
    match &state.config.server.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = req.headers().get(poem::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

fn binding_name(state: &AppState) -> &'static str {
    if state.config.is_tls() { SECURE_BINDING_COOKIE } else { BINDING_COOKIE }
}

fn binding_cookie(state: &AppState, value: Option<&str>) -> String {
    let name = binding_name(state);
    let secure = if state.config.is_tls() { "; Secure" } else { "" };
    match value {
        // Lax: the provider's redirect back is a top-level navigation, which carries it.
        Some(v) => format!(
            "{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            confab_core::identity::sso::LOGIN_TTL_SECS
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// A tenant's OpenID provider settings (the client secret is never shown).
#[derive(Debug, Object)]
pub struct SsoSettingsView {
    /// The button's label: "Sign in with {display_name}".
    pub display_name: String,
    /// The provider's issuer identifier (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// The client id Confab is registered with at the provider.
    pub client_id: String,
    /// Whether a client secret is stored (sealed under the master key).
    pub has_client_secret: bool,
    /// Scopes requested, `openid` first.
    pub scopes: Vec<String>,
    /// E-mail domains that may sign in (lower-case); empty allows any.
    pub allowed_domains: Vec<String>,
    /// The claim holding the e-mail address.
    pub email_claim: String,
    /// The claim holding the person's name.
    pub name_claim: String,
    /// The claim listing the person's groups; when set, the tenant's role mappings decide the
    /// role at every sign-in.
    #[oai(nullable)]
    pub groups_claim: Option<String>,
    /// Whether a first sign-in creates the account and membership.
    pub jit_provisioning: bool,
    /// Whether members may still sign in with a password (platform admins always may).
    pub allow_passwords: bool,
    /// Whether the sign-in button is offered.
    pub enabled: bool,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    /// When the settings last changed.
    pub updated_at: DateTime<Utc>,
}

impl SsoSettingsView {
    fn new(p: SsoProvider, redirect_uri: &str) -> Self {
        Self {
            display_name: p.display_name,
            issuer: p.issuer,
            client_id: p.client_id,
            has_client_secret: p.client_secret_sealed.is_some(),
            scopes: p.scopes,
            allowed_domains: p.allowed_domains,
            email_claim: p.email_claim,
            name_claim: p.name_claim,
            groups_claim: p.groups_claim,
            jit_provisioning: p.jit_provisioning,
            allow_passwords: p.allow_passwords,
            enabled: p.enabled,
            redirect_uri: redirect_uri.to_string(),
            updated_at: p.updated_at,
        }
    }
}

/// The tenant's OpenID provider settings. The issuer must answer OpenID discovery when saved.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SsoSettingsRequest {
    /// The button's label (1–100 characters), e.g. "Okta".
    pub display_name: String,
    /// The issuer identifier: `https://…` (plain `http://` only for localhost).
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret (write-only). Omit to keep the stored one; an empty string removes it
    /// (a public client, PKCE only).
    #[oai(nullable)]
    pub client_secret: Option<String>,
    /// Scopes to request (default `openid email profile`; `openid` is always added).
    #[oai(nullable)]
    pub scopes: Option<Vec<String>>,
    /// E-mail domains that may sign in; required for just-in-time provisioning, which also needs
    /// each of them verified by the tenant (`/v1/tenant/domains`).
    #[oai(default)]
    pub allowed_domains: Vec<String>,
    /// The e-mail claim (default `email`).
    #[oai(nullable)]
    pub email_claim: Option<String>,
    /// The name claim (default `name`).
    #[oai(nullable)]
    pub name_claim: Option<String>,
    /// The groups claim (e.g. `groups`); omit to leave roles to the tenant's admins.
    #[oai(nullable)]
    pub groups_claim: Option<String>,
    /// Create the account and membership at a first sign-in (default false).
    #[oai(default)]
    pub jit_provisioning: bool,
    /// Let members keep signing in with passwords (default true).
    #[oai(default = "yes")]
    pub allow_passwords: bool,
    /// Offer the sign-in button (default true).
    #[oai(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(ApiResponse)]
pub enum SsoRemoved {
    /// Removed: members sign in with passwords again.
    #[oai(status = 204)]
    NoContent,
}

/// The single sign-on button a sign-in page shows, if any.
#[derive(Debug, Object)]
pub struct SsoDiscovery {
    /// The button, or null when the address's domain (or the tenant) has no single sign-on.
    #[oai(nullable)]
    pub sso: Option<SsoButtonView>,
}

/// A "Sign in with …" button.
#[derive(Debug, Object)]
pub struct SsoButtonView {
    /// The tenant whose provider it is; start at `/v1/auth/oidc/{tenant_slug}/start`.
    pub tenant_slug: String,
    /// The provider's label.
    pub display_name: String,
    /// Whether the tenant's members may also sign in with a password.
    pub passwords_allowed: bool,
    /// Where the button leads.
    pub start_url: String,
}

impl From<SsoButton> for SsoButtonView {
    fn from(b: SsoButton) -> Self {
        Self {
            start_url: format!("/v1/auth/oidc/{}/start", b.tenant_slug),
            tenant_slug: b.tenant_slug,
            display_name: b.display_name,
            passwords_allowed: b.passwords_allowed,
        }
    }
}

#[derive(ApiResponse)]
pub enum SsoRedirect {
    /// To the provider (or, on failure, back to the sign-in page with `?sso_error=<code>`).
    #[oai(status = 303)]
    SeeOther(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// After signing out: where the browser goes next.
#[derive(Debug, Object)]
pub struct SignedOutView {
    /// The provider's end-session URL when the session came from single sign-on and the provider
    /// offers RP-initiated logout; null otherwise (show the sign-in page).
    #[oai(nullable)]
    pub redirect: Option<String>,
}

#[derive(ApiResponse)]
pub enum SsoSignedOut {
    /// Signed out; the cookie is cleared.
    #[oai(status = 200)]
    Ok(Json<SignedOutView>, #[oai(header = "Set-Cookie")] String),
}

/// An e-mail domain the tenant claims. Until `verified`, publish `txt_value` as a TXT record at
/// `txt_name` and ask for verification.
#[derive(Debug, Object)]
pub struct DomainView {
    /// The domain name, lower-case.
    pub domain: String,
    /// Whether the tenant proved it controls the domain.
    pub verified: bool,
    /// When it was verified.
    #[oai(nullable)]
    pub verified_at: Option<DateTime<Utc>>,
    /// `dns` (the TXT record) or `operator` (`confab admin verify-domain`).
    #[oai(nullable)]
    pub verified_by: Option<String>,
    /// The DNS name of the TXT record, e.g. `_confab-challenge.example.com`.
    pub txt_name: String,
    /// The value the TXT record must hold.
    pub txt_value: String,
    /// When the tenant claimed it.
    pub created_at: DateTime<Utc>,
}

impl From<TenantDomain> for DomainView {
    fn from(d: TenantDomain) -> Self {
        Self {
            txt_name: domains::txt_name(&d.domain),
            txt_value: domains::txt_value(&d.token),
            domain: d.domain,
            verified: d.verified_at.is_some(),
            verified_at: d.verified_at,
            verified_by: d.verified_by,
            created_at: d.created_at,
        }
    }
}

/// The e-mail domains a tenant claims.
#[derive(Debug, Object)]
pub struct DomainList {
    /// By name.
    pub domains: Vec<DomainView>,
}

/// A domain to claim.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DomainClaim {
    /// A domain name, e.g. `example.com`.
    pub domain: String,
}

#[derive(ApiResponse)]
pub enum DomainClaimed {
    /// The claim (new, or the one the tenant already had).
    #[oai(status = 201)]
    Created(Json<DomainView>),
}

#[derive(ApiResponse)]
pub enum DomainRemoved {
    #[oai(status = 204)]
    NoContent,
}

fn input(b: SsoSettingsRequest) -> SsoInput {
    SsoInput {
        display_name: b.display_name,
        issuer: b.issuer,
        client_id: b.client_id,
        client_secret: b.client_secret,
        scopes: b.scopes,
        allowed_domains: b.allowed_domains,
        email_claim: b.email_claim,
        name_claim: b.name_claim,
        groups_claim: b.groups_claim,
        jit_provisioning: b.jit_provisioning,
        allow_passwords: b.allow_passwords,
        enabled: b.enabled,
    }
}

/// To the sign-in page with `?sso_error=<code>`, and `&tenant=<slug>` when the sign-in was for a
/// tenant whose slug is well-formed (the page shows that tenant's button again).
fn back_to_sign_in(state: &AppState, code: &str, tenant: Option<&str>) -> SsoRedirect {
    let mut location = format!("/?sso_error={code}");
    if let Some(slug) = tenant.filter(|slug| {
        !slug.is_empty()
            && slug.len() <= 64
            && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }) {
        location.push_str(&format!("&tenant={slug}"));
    }
    SsoRedirect::SeeOther(location, binding_cookie(state, None), "no-store".into())
}

#[OpenApi(tag = "ApiTags::Identity")]
impl SsoApi {
    /// The active tenant's single sign-on settings (404 when none).
    #[oai(path = "/tenant/sso", method = "get", operation_id = "sso_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        auth: Auth,
    ) -> ApiResult<Json<SsoSettingsView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_READ).await?;
        let p = state.sso.get(scope.tenant).await?.ok_or(AppError::NotFound("single sign-on"))?;
        Ok(Json(SsoSettingsView::new(p, &SsoService::redirect_uri(&origin(&state, req)))))
    }

    /// Set the active tenant's OpenID provider. The issuer must answer discovery now (422 with
    /// the reason otherwise); the client secret is sealed under the master key and never shown.
    #[oai(path = "/tenant/sso", method = "put", operation_id = "sso_set")]
    async fn put(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        auth: Auth,
        body: Json<SsoSettingsRequest>,
    ) -> ApiResult<Json<SsoSettingsView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let p = state.sso.put(scope.tenant, &actor_of(&auth.0), input(body.0)).await?;
        Ok(Json(SsoSettingsView::new(p, &SsoService::redirect_uri(&origin(&state, req)))))
    }

    /// Remove the active tenant's single sign-on (members sign in with passwords again).
    #[oai(path = "/tenant/sso", method = "delete", operation_id = "sso_delete")]
    async fn delete(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<SsoRemoved> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        state.sso.delete(scope.tenant, &actor_of(&auth.0)).await?;
        Ok(SsoRemoved::NoContent)
    }

    /// The e-mail domains the active tenant claims. A verified domain routes sign-ins by e-mail
    /// address to the tenant's provider and allows just-in-time provisioning for its addresses.
    #[oai(path = "/tenant/domains", method = "get", operation_id = "domains_list")]
    async fn domains(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<DomainList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_READ).await?;
        let list = state.domains.list(scope.tenant).await?;
        Ok(Json(DomainList { domains: list.into_iter().map(Into::into).collect() }))
    }

    /// Claim an e-mail domain for the active tenant: the answer names the TXT record that proves
    /// control. Claiming a domain the tenant already has answers that claim.
    #[oai(path = "/tenant/domains", method = "post", operation_id = "domains_claim")]
    async fn claim_domain(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<DomainClaim>,
    ) -> ApiResult<DomainClaimed> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let d = state.domains.claim(scope.tenant, &actor_of(&auth.0), &body.0.domain).await?;
        Ok(DomainClaimed::Created(Json(d.into())))
    }

    /// Check the domain's TXT record now: 200 when it holds the claim's value (the domain is
    /// verified), 422 saying what was found otherwise, 409 when another tenant verified the
    /// domain first, 503 when DNS cannot be asked.
    #[oai(path = "/tenant/domains/:domain/verify", method = "post", operation_id = "domains_verify")]
    async fn verify_domain(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The domain name.
        domain: Path<String>,
    ) -> ApiResult<Json<DomainView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let d = state.domains.verify(scope.tenant, &actor_of(&auth.0), &domain.0).await?;
        Ok(Json(d.into()))
    }

    /// Give up a domain claim (verified or not). Sign-ins stop routing by it and just-in-time
    /// provisioning stops for its addresses; existing accounts stay.
    #[oai(path = "/tenant/domains/:domain", method = "delete", operation_id = "domains_remove")]
    async fn remove_domain(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The domain name.
        domain: Path<String>,
    ) -> ApiResult<DomainRemoved> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        state.domains.remove(scope.tenant, &actor_of(&auth.0), &domain.0).await?;
        Ok(DomainRemoved::NoContent)
    }

    /// Which "Sign in with …" button to show, by e-mail address (its domain only: no account is
    /// looked up) or by tenant slug. Needs no sign-in.
    #[oai(path = "/auth/oidc/discover", method = "get", operation_id = "sso_discover")]
    async fn discover(
        &self,
        state: Data<&Arc<AppState>>,
        /// An e-mail address; only its domain is used.
        email: Query<Option<String>>,
        /// A tenant slug.
        tenant: Query<Option<String>>,
    ) -> ApiResult<Json<SsoDiscovery>> {
        let button = match (email.0, tenant.0) {
            (_, Some(t)) => state.sso.for_tenant(&t).await?,
            (Some(e), None) => state.sso.for_email(&e).await?,
            (None, None) => {
                return Err(AppError::Validation { field: "email", reason: "give `email` or `tenant`".into() }.into());
            }
        };
        Ok(Json(SsoDiscovery { sso: button.map(Into::into) }))
    }

    /// Start signing in through the tenant's provider: a redirect there (authorization code flow
    /// with PKCE, `state` and `nonce`). Failures redirect to the sign-in page with
    /// `?sso_error=<code>`.
    #[oai(path = "/auth/oidc/:tenant/start", method = "get", operation_id = "sso_start")]
    async fn start(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        /// The tenant's slug.
        tenant: Path<String>,
        /// An e-mail address to pass on as `login_hint`.
        login_hint: Query<Option<String>>,
    ) -> ApiResult<SsoRedirect> {
        Ok(match state.sso.start(&origin(&state, req), &tenant.0, login_hint.0.as_deref()).await {
            Ok(s) => SsoRedirect::SeeOther(s.url, binding_cookie(&state, Some(&s.browser)), "no-store".into()),
            // Back on the tenant's own sign-in page (its button), when the slug is one.
            Err(f) => back_to_sign_in(&state, f.code, Some(&tenant.0)),
        })
    }

    /// Where the provider sends the browser back: validates the answer and the ID token, opens a
    /// web chat session (the session cookie) and redirects to the web chat; any failure
    /// redirects to the sign-in page with `?sso_error=<code>` (`expired`, `denied`,
    /// `invalid_token`, `email_not_allowed`, `no_account`, `use_password`, `unavailable`,
    /// `not_configured`, `error`) and is audited.
    #[oai(path = "/auth/oidc/callback", method = "get", operation_id = "sso_callback")]
    async fn callback(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        /// The `state` sent to the provider.
        #[oai(name = "state")]
        state_param: Query<Option<String>>,
        /// The authorization code.
        code: Query<Option<String>>,
        /// The provider's error code, when it refused.
        error: Query<Option<String>>,
    ) -> ApiResult<SsoRedirect> {
        let ctx = context::current();
        let origin = origin(&state, req);
        let browser = req.cookie().get(binding_name(&state)).map(|c| c.value_str().to_string());
        let cb = Callback {
            origin: &origin,
            state: state_param.0.as_deref(),
            code: code.0.as_deref(),
            error: error.0.as_deref(),
            browser: browser.as_deref(),
            ip: ctx.ip.as_deref(),
            user_agent: ctx.user_agent.as_deref(),
        };
        Ok(match state.sso.finish(cb).await {
            Ok(issued) => SsoRedirect::SeeOther(
                "/".into(),
                session_cookie(&state.config, Surface::Chat, Some(&issued.token)),
                "no-store".into(),
            ),
            Err(f) => back_to_sign_in(&state, f.code, f.tenant_slug.as_deref()),
        })
    }

    /// Sign out of this browser session; when the session came from single sign-on and the
    /// provider offers RP-initiated logout, `redirect` is its end-session URL (send the browser
    /// there to end the provider's session too).
    #[oai(path = "/auth/oidc/logout", method = "post", operation_id = "sso_logout")]
    async fn logout(&self, state: Data<&Arc<AppState>>, req: &poem::Request, auth: Auth) -> ApiResult<SsoSignedOut> {
        let redirect = state.sso.logout_url(&auth.0, &origin(&state, req)).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot build the provider's logout URL");
            None
        });
        state.auth.logout(&auth.0).await?;
        Ok(SsoSignedOut::Ok(Json(SignedOutView { redirect }), session_cookie(&state.config, surface(req), None)))
    }
}
