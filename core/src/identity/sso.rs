//! OpenID Connect single sign-on per tenant: the relying party (authorization code flow with
//! PKCE, `state` and `nonce`), built on the `openidconnect` crate — discovery, the token request
//! and every ID-token check (signature through the provider's JWKS, issuer, audience, expiry,
//! nonce) are the library's; Confab adds clock-skew tolerance, a JWKS refetch when a token names
//! an unknown key (the provider rotated its keys), and what a sign-in means here.
//!
//! A sign-in under way is a database row keyed by the digest of its `state`, holding the nonce
//! and PKCE verifier, bound to the browser by a cookie's digest and taken (deleted) by the
//! callback, so it works across replicas and each `state`/`nonce` signs in at most once.
//!
//! A signed-in user gets the same session cookie as a password sign-in, bound to the tenant whose
//! provider vouched for them (it cannot switch to the user's other tenants, and carries no
//! platform rights). With a groups claim configured, the tenant's group → role mapping (the one
//! SCIM uses) sets the member's role at every sign-in; a changed role ends their other sessions.

use super::role_for_groups;
use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::{AuthService, IssuedSession, secrets};
use crate::authz::Authorizer;
use crate::crypto::Keyring;
use crate::domain::{Email, Principal, Role, Status, TenantId, display_name};
use crate::error::{AppError, AppResult};
use crate::store::sso::SsoProvider;
use crate::store::{self, Store, now};
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IssuerUrl, JsonWebKeySet, LogoutRequest, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a started sign-in may take at the provider.
pub const LOGIN_TTL_SECS: i64 = 600;
/// How long discovery (endpoints and keys) is cached.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// A token naming an unknown key refetches the JWKS at most this often per tenant.
const JWKS_REFETCH_MIN: Duration = Duration::from_secs(5);
/// The path of the redirect URI every provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/v1/auth/oidc/callback";

/// Every claim of an ID token beyond the registered ones, so the tenant's claim mapping can name
/// any (`groups`, `roles`, `upn` …).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub claims: serde_json::Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

type ExtIdToken = IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
type Rp = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A tenant's provider settings as an admin sends them.
#[derive(Debug, Clone)]
pub struct SsoInput {
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the stored secret; `Some("")` removes it (a public client).
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub allowed_domains: Vec<String>,
    pub email_claim: Option<String>,
    pub name_claim: Option<String>,
    pub groups_claim: Option<String>,
    pub jit_provisioning: bool,
    pub allow_passwords: bool,
    pub enabled: bool,
}

/// What a sign-in page shows for a tenant: its button.
#[derive(Debug, Clone)]
pub struct SsoButton {
    pub tenant_slug: String,
    pub display_name: String,
    /// Whether the tenant's members may also sign in with a password.
    pub passwords_allowed: bool,
}

/// A sign-in started: where to send the browser, and the browser-binding cookie value.
pub struct Started {
    pub url: String,
    pub browser: String,
}

/// What the provider sent back to the callback.
pub struct Callback<'a> {
    /// The server's public URL, as at the start.
    pub origin: &'a str,
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    /// The browser-binding cookie.
    pub browser: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Why a sign-in failed: a short code for the browser (the sign-in page explains it), and the
/// full reason for the audit log only.
#[derive(Debug)]
pub struct SsoFailure {
    pub code: &'static str,
    reason: String,
    tenant: Option<TenantId>,
}

/// A refused callback: the code to show, and the tenant the sign-in was for when the callback
/// named a known `state` (its sign-in page shows the tenant's button again).
#[derive(Debug)]
pub struct CallbackFailure {
    pub code: &'static str,
    pub tenant_slug: Option<String>,
}

/// The codes a failed sign-in redirects with (`/?sso_error=<code>`).
pub mod codes {
    /// The tenant has no (enabled) single sign-on.
    pub const NOT_CONFIGURED: &str = "not_configured";
    /// The provider could not be reached or its discovery document is unusable.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The sign-in was unknown, already used, from another browser, or too old.
    pub const EXPIRED: &str = "expired";
    /// The provider refused (or the user cancelled).
    pub const DENIED: &str = "denied";
    /// The code exchange failed or the ID token did not pass validation.
    pub const INVALID: &str = "invalid_token";
    /// The e-mail address is missing, unverified, or outside the tenant's domains.
    pub const EMAIL: &str = "email_not_allowed";
    /// No usable account in the tenant (and no just-in-time provisioning), or it is disabled.
    pub const NO_ACCOUNT: &str = "no_account";
    /// Platform admins sign in with their password.
    pub const USE_PASSWORD: &str = "use_password";
    /// Something on Confab's side failed.
    pub const ERROR: &str = "error";
}

fn fail(code: &'static str, reason: impl Into<String>, tenant: Option<TenantId>) -> SsoFailure {
    SsoFailure { code, reason: reason.into(), tenant }
}

impl From<AppError> for SsoFailure {
    fn from(e: AppError) -> Self {
        fail(codes::ERROR, e.to_string(), None)
    }
}

/// Discovery as fetched: endpoints, keys (refreshed on an unknown `kid`), logout endpoint.
struct Discovered {
    /// The settings it was fetched for (issuer), so a changed configuration refetches.
    issuer: String,
    metadata: ProviderMetadataWithLogout,
    /// When a token with an unknown key last made us refetch the JWKS.
    jwks_refetched: Option<Instant>,
}

pub struct SsoService {
    store: Store,
    auth: Arc<AuthService>,
    authz: Arc<Authorizer>,
    keyring: Option<Keyring>,
    http: reqwest::Client,
    skew: chrono::Duration,
    discovered: moka::future::Cache<TenantId, Arc<Discovered>>,
}

/// The associated data a tenant's client secret is sealed with (master-key rotation rebuilds it).
pub fn secret_context(tenant: Uuid, id: Uuid) -> String {
    format!("confab/sso-client-secret/{tenant}/{id}")
}

/// The lookup key of a provider identity: issuer and subject together.
fn subject_key(issuer: &str, subject: &str) -> String {
    hex::encode(Sha256::digest(format!("{issuer}\n{subject}").as_bytes()))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "[::1]" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Validation { field, reason: reason.into() }
}

/// An issuer URL: https (plain http only on this machine, for development and tests), no query
/// or fragment.
fn check_issuer(raw: &str) -> AppResult<String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|e| invalid("issuer", format!("is not a URL ({e})")))?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        _ => return Err(invalid("issuer", "must be an https:// URL")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || raw.len() > 2048 {
        return Err(invalid("issuer", "must be the provider's issuer identifier (no query, fragment or user)"));
    }
    Ok(raw.to_string())
}

/// RFC 6749 scope tokens; `openid` first and always there.
fn check_scopes(scopes: Option<Vec<String>>) -> AppResult<Vec<String>> {
    let given = scopes.unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
    let mut out = vec!["openid".to_string()];
    for s in given {
        let s = s.trim().to_string();
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.chars().all(|c| c.is_ascii() && c != '"' && c != '\\' && ('!'..='~').contains(&c));
        if !ok {
            return Err(invalid("scopes", format!("`{s}` is not a scope (1–100 printable ASCII, no spaces)")));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.len() > 20 {
        return Err(invalid("scopes", "at most 20"));
    }
    Ok(out)
}

/// E-mail domains: lower-case host names.
fn check_domains(domains: Vec<String>) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = super::domains::parse(&d).map_err(|reason| invalid("allowed_domains", reason))?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 50 {
        return Err(invalid("allowed_domains", "at most 50"));
    }
    Ok(out)
}

fn check_claim(field: &'static str, raw: Option<String>, default: &str) -> AppResult<String> {
    let value = raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| default.to_string());
    if value.chars().count() > 100 || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(field, "must be a claim name (1–100 characters, no spaces)"));
    }
    Ok(value)
}

/// A claim as text: the registered accessors first, then any other claim by name.
fn text_claim(claims: &IdTokenClaims<ExtraClaims, CoreGenderClaim>, name: &str) -> Option<String> {
    let registered = match name {
        "email" => claims.email().map(|e| e.as_str().to_string()),
        "name" => claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
        "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_string()),
        "sub" => Some(claims.subject().as_str().to_string()),
        _ => None,
    };
    registered.or_else(|| match claims.additional_claims().claims.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    })
}

/// The groups claim: a list of names (or one name); absent means no groups.
fn groups_claim(claims: &IdTokenClaims<ExtraClaims, CoreGenderClaim>, name: &str) -> Vec<String> {
    match claims.additional_claims().claims.get(name) {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

impl SsoService {
    pub fn new(
        store: Store,
        auth: Arc<AuthService>,
        authz: Arc<Authorizer>,
        keyring: Option<Keyring>,
    ) -> Result<Self, String> {
        // No redirects: a provider's endpoints answer directly (and a redirect could point the
        // server anywhere).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let skew = chrono::Duration::seconds(auth.config().sso_clock_skew_secs.min(3600) as i64);
        Ok(Self {
            store,
            auth,
            authz,
            keyring,
            http,
            skew,
            discovered: moka::future::Cache::builder().max_capacity(10_000).time_to_live(METADATA_TTL).build(),
        })
    }

    /// The redirect URI to register at every provider, for the server at `origin` (its public
    /// URL, e.g. `https://chat.example.com`).
    pub fn redirect_uri(origin: &str) -> String {
        format!("{}{CALLBACK_PATH}", origin.trim_end_matches('/'))
    }

    // ---- Configuration (tenant admins, platform admins, the operator's command) ----

    pub async fn get(&self, tenant: TenantId) -> AppResult<Option<SsoProvider>> {
        store::sso::provider(self.store.conn(), tenant).await
    }

    /// Validates, checks the issuer's discovery document, seals the secret, stores and audits.
    pub async fn put(&self, tenant: TenantId, actor: &Actor, input: SsoInput) -> AppResult<SsoProvider> {
        let display = display_name("display_name", &input.display_name, 100)?;
        let issuer = check_issuer(&input.issuer)?;
        let client_id = display_name("client_id", &input.client_id, 512)?;
        let scopes = check_scopes(input.scopes)?;
        let allowed_domains = check_domains(input.allowed_domains)?;
        let email_claim = check_claim("email_claim", input.email_claim, "email")?;
        let name_claim = check_claim("name_claim", input.name_claim, "name")?;
        let groups_claim = match input.groups_claim.map(|g| g.trim().to_string()).filter(|g| !g.is_empty()) {
            Some(g) => Some(check_claim("groups_claim", Some(g), "")?),
            None => None,
        };
        if input.jit_provisioning && allowed_domains.is_empty() {
            return Err(invalid(
                "allowed_domains",
                "just-in-time provisioning needs at least one allowed e-mail domain (the tenant's own)",
            ));
        }
        if let Some(s) = &input.client_secret
            && s.len() > 4096
        {
            return Err(invalid("client_secret", "is at most 4096 characters"));
        }
        let conn = self.store.conn();
        if input.jit_provisioning {
            for d in &allowed_domains {
                if store::sso::verified_owner(conn, d).await? != Some(tenant) {
                    return Err(invalid(
                        "allowed_domains",
                        format!(
                            "just-in-time provisioning needs domains the tenant has verified; {d} is not \
                             (add it under /v1/tenant/domains and publish its TXT record)"
                        ),
                    ));
                }
            }
        }
        // The issuer must answer OpenID discovery for itself now: a typo is a 422 here, not a
        // failed sign-in later.
        let issuer_url = IssuerUrl::new(issuer.clone()).map_err(|e| invalid("issuer", e.to_string()))?;
        ProviderMetadataWithLogout::discover_async(issuer_url, &self.http).await.map_err(|e| {
            invalid(
                "issuer",
                format!("OpenID discovery at {issuer}/.well-known/openid-configuration failed: {}", error_chain(&e)),
            )
        })?;

        let before = store::sso::provider(conn, tenant).await?;
        let id = before.as_ref().map_or_else(Uuid::now_v7, |p| p.id);
        let (sealed, secret_change) = match (&input.client_secret, &before) {
            (Some(s), _) if s.is_empty() => (None, "removed"),
            (Some(s), _) => {
                let key = self.keyring.as_ref().ok_or_else(|| {
                    AppError::Conflict(
                        "storing a client secret needs a master key (secrets.master_key); ask the operator".into(),
                    )
                })?;
                (Some(key.encrypt(s, &secret_context(tenant.0, id)).map_err(AppError::Internal)?), "set")
            }
            (None, Some(b)) => {
                (b.client_secret_sealed.clone(), if b.client_secret_sealed.is_some() { "kept" } else { "none" })
            }
            (None, None) => (None, "none"),
        };
        let at = now();
        let provider = SsoProvider {
            id,
            tenant_id: tenant,
            display_name: display,
            issuer,
            client_id,
            client_secret_sealed: sealed,
            scopes,
            allowed_domains,
            email_claim,
            name_claim,
            groups_claim,
            jit_provisioning: input.jit_provisioning,
            allow_passwords: input.allow_passwords,
            enabled: input.enabled,
            created_at: before.as_ref().map_or(at, |b| b.created_at),
            updated_at: at,
        };
        let txn = self.store.begin().await?;
        store::sso::put_provider(&*txn, &provider).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::SSO_CONFIGURED).target("sso_provider", id).details(json!({
                "issuer": provider.issuer, "client_id": provider.client_id, "client_secret": secret_change,
                "scopes": provider.scopes, "allowed_domains": provider.allowed_domains,
                "email_claim": provider.email_claim, "name_claim": provider.name_claim,
                "groups_claim": provider.groups_claim, "jit_provisioning": provider.jit_provisioning,
                "allow_passwords": provider.allow_passwords, "enabled": provider.enabled,
                "previous_issuer": before.as_ref().map(|b| b.issuer.clone()),
            })),
        )
        .await?;
        txn.commit().await?;
        self.discovered.invalidate(&tenant).await;
        // Whether passwords reach the tenant just changed for every cached session.
        self.auth.forget_cached();
        store::sso::provider(self.store.conn(), tenant).await?.ok_or(AppError::NotFound("single sign-on"))
    }

    pub async fn delete(&self, tenant: TenantId, actor: &Actor) -> AppResult<()> {
        let txn = self.store.begin().await?;
        let before = store::sso::provider(&*txn, tenant).await?.ok_or(AppError::NotFound("single sign-on"))?;
        store::sso::delete_provider(&*txn, tenant).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::SSO_REMOVED)
                .target("sso_provider", before.id)
                .details(json!({ "issuer": before.issuer })),
        )
        .await?;
        txn.commit().await?;
        self.discovered.invalidate(&tenant).await;
        self.auth.forget_cached();
        Ok(())
    }

    // ---- Which button to show (no account is looked up) ----

    async fn button(&self, p: &SsoProvider) -> AppResult<Option<SsoButton>> {
        let Some(t) = store::tenants::get(self.store.conn(), p.tenant_id).await? else { return Ok(None) };
        if t.status != Status::Active || !p.enabled {
            return Ok(None);
        }
        Ok(Some(SsoButton {
            tenant_slug: t.slug,
            display_name: p.display_name.clone(),
            passwords_allowed: p.allow_passwords,
        }))
    }

    /// The tenant's button, if its single sign-on is on.
    pub async fn for_tenant(&self, slug: &str) -> AppResult<Option<SsoButton>> {
        let conn = self.store.conn();
        let Some(t) = store::tenants::find_by_slug(conn, slug).await? else { return Ok(None) };
        match store::sso::provider(conn, t.id).await? {
            Some(p) => self.button(&p).await,
            None => Ok(None),
        }
    }

    /// The button for an e-mail address: the provider of the tenant that verified the address's
    /// domain, by the domain only (whether an account exists is not looked up, so the answer
    /// tells nothing about people). An unverified claim routes nobody.
    pub async fn for_email(&self, email: &str) -> AppResult<Option<SsoButton>> {
        let Some((_, domain)) = email.trim().rsplit_once('@') else { return Ok(None) };
        let domain = domain.to_ascii_lowercase();
        if domain.is_empty() || domain.len() > 253 {
            return Ok(None);
        }
        let conn = self.store.conn();
        let Some(owner) = store::sso::verified_owner(conn, &domain).await? else { return Ok(None) };
        match store::sso::provider(conn, owner).await? {
            // Only where the provider would let the address in.
            Some(p) if p.allowed_domains.is_empty() || p.allowed_domains.contains(&domain) => self.button(&p).await,
            _ => Ok(None),
        }
    }

    // ---- Discovery ----

    async fn discovered(&self, p: &SsoProvider) -> Result<Arc<Discovered>, SsoFailure> {
        if let Some(d) = self.discovered.get(&p.tenant_id).await
            && d.issuer == p.issuer
        {
            return Ok(d);
        }
        let issuer_url =
            IssuerUrl::new(p.issuer.clone()).map_err(|e| fail(codes::UNAVAILABLE, e.to_string(), Some(p.tenant_id)))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer_url, &self.http)
            .await
            .map_err(|e| fail(codes::UNAVAILABLE, format!("discovery: {}", error_chain(&e)), Some(p.tenant_id)))?;
        let d = Arc::new(Discovered { issuer: p.issuer.clone(), metadata, jwks_refetched: None });
        self.discovered.insert(p.tenant_id, d.clone()).await;
        Ok(d)
    }

    /// The provider's current keys (a token named a key we do not have: it rotated).
    async fn refetch_jwks(&self, p: &SsoProvider, d: &Discovered) -> Result<Option<Arc<Discovered>>, SsoFailure> {
        if d.jwks_refetched.is_some_and(|at| at.elapsed() < JWKS_REFETCH_MIN) {
            return Ok(None);
        }
        let jwks = JsonWebKeySet::fetch_async(d.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| fail(codes::UNAVAILABLE, format!("JWKS: {}", error_chain(&e)), Some(p.tenant_id)))?;
        let fresh = Arc::new(Discovered {
            issuer: d.issuer.clone(),
            metadata: d.metadata.clone().set_jwks(jwks),
            jwks_refetched: Some(Instant::now()),
        });
        self.discovered.insert(p.tenant_id, fresh.clone()).await;
        Ok(Some(fresh))
    }

    fn client(&self, p: &SsoProvider, d: &Discovered, origin: &str) -> Result<Rp, SsoFailure> {
        let redirect = RedirectUrl::new(Self::redirect_uri(origin))
            .map_err(|e| fail(codes::ERROR, format!("redirect URI: {e}"), Some(p.tenant_id)))?;
        let secret = match &p.client_secret_sealed {
            Some(sealed) => {
                let key = self
                    .keyring
                    .as_ref()
                    .ok_or_else(|| fail(codes::ERROR, "no master key to open the client secret", Some(p.tenant_id)))?;
                let plain = key
                    .decrypt(sealed, &secret_context(p.tenant_id.0, p.id))
                    .map_err(|e| fail(codes::ERROR, e, Some(p.tenant_id)))?;
                Some(ClientSecret::new(plain))
            }
            None => None,
        };
        Ok(CoreClient::from_provider_metadata(d.metadata.clone(), ClientId::new(p.client_id.clone()), secret)
            .set_redirect_uri(redirect))
    }

    // ---- Signing in ----

    async fn enabled_provider(&self, tenant: TenantId) -> Result<SsoProvider, SsoFailure> {
        store::sso::provider(self.store.conn(), tenant)
            .await?
            .filter(|p| p.enabled)
            .ok_or_else(|| fail(codes::NOT_CONFIGURED, "single sign-on is off", Some(tenant)))
    }

    /// Starts a sign-in for the tenant: the provider's authorization URL (code flow, PKCE S256,
    /// fresh `state` and `nonce`) and the browser-binding cookie value.
    /// `origin`: the server's public URL (the redirect URI is built from it).
    pub async fn start(&self, origin: &str, slug: &str, login_hint: Option<&str>) -> Result<Started, SsoFailure> {
        let result = self.try_start(origin, slug, login_hint).await;
        if let Err(f) = &result {
            self.audit_failure(f).await;
        }
        result
    }

    async fn try_start(&self, origin: &str, slug: &str, login_hint: Option<&str>) -> Result<Started, SsoFailure> {
        let conn = self.store.conn();
        let tenant = store::tenants::find_by_slug(conn, slug)
            .await?
            .filter(|t| t.status == Status::Active)
            .ok_or_else(|| fail(codes::NOT_CONFIGURED, "no such active tenant", None))?;
        let p = self.enabled_provider(tenant.id).await?;
        let d = self.discovered(&p).await?;
        let client = self.client(&p, &d, origin)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for s in p.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(s.clone()));
        }
        if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty() && h.len() <= 320) {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        let (url, state, nonce) = request.url();
        let browser = secrets::random_token();
        store::sso::purge_expired_logins(conn).await?;
        store::sso::insert_login(
            conn,
            tenant.id,
            &secrets::digest(state.secret()),
            &secrets::digest(&browser),
            nonce.secret(),
            verifier.secret(),
            now() + chrono::Duration::seconds(LOGIN_TTL_SECS),
        )
        .await?;
        Ok(Started { url: url.to_string(), browser })
    }

    /// Finishes a sign-in at the callback. Every failure is audited with its reason; the caller
    /// gets only the code.
    pub async fn finish(&self, cb: Callback<'_>) -> Result<IssuedSession, CallbackFailure> {
        match self.try_finish(&cb).await {
            Ok(issued) => Ok(issued),
            Err(f) => {
                tracing::info!(code = f.code, reason = %f.reason, "single sign-on refused");
                self.audit_failure(&f).await;
                // Known once the `state` was: the browser goes back to that tenant's sign-in page.
                let tenant_slug = match f.tenant {
                    Some(t) => {
                        store::tenants::get(self.store.conn(), t).await.ok().flatten().map(|t| t.slug.to_string())
                    }
                    None => None,
                };
                Err(CallbackFailure { code: f.code, tenant_slug })
            }
        }
    }

    async fn audit_failure(&self, f: &SsoFailure) {
        let entry = NewEntry::new(f.tenant, &Actor::anonymous("sso"), action::SSO_LOGIN_FAILED)
            .failed()
            .details(json!({ "code": f.code, "reason": f.reason.chars().take(1000).collect::<String>() }));
        let recorded = async {
            let txn = self.store.begin().await?;
            audit::record(&*txn, entry).await?;
            txn.commit().await?;
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "cannot audit a failed single sign-on");
        }
    }

    fn verify(
        &self,
        client: &Rp,
        token: &ExtIdToken,
        nonce: &Nonce,
    ) -> Result<IdTokenClaims<ExtraClaims, CoreGenderClaim>, ClaimsVerificationError> {
        let skew = self.skew;
        let verifier = client.id_token_verifier().set_time_fn(move || Utc::now() - skew).set_issue_time_verifier_fn(
            move |iat: DateTime<Utc>| {
                if iat > Utc::now() + skew { Err(format!("issued in the future ({iat})")) } else { Ok(()) }
            },
        );
        token.claims(&verifier, nonce).cloned()
    }

    async fn try_finish(&self, cb: &Callback<'_>) -> Result<IssuedSession, SsoFailure> {
        let state = cb.state.ok_or_else(|| fail(codes::EXPIRED, "no state", None))?;
        let conn = self.store.conn();
        let login = store::sso::take_login(conn, &secrets::digest(state))
            .await?
            .ok_or_else(|| fail(codes::EXPIRED, "unknown, used or expired state", None))?;
        let tenant = login.tenant_id;
        if cb.browser.map(secrets::digest).as_deref() != Some(login.browser_hash.as_str()) {
            return Err(fail(codes::EXPIRED, "the state belongs to another browser", Some(tenant)));
        }
        if login.expires_at <= now() {
            return Err(fail(codes::EXPIRED, "the sign-in took too long", Some(tenant)));
        }
        if let Some(e) = cb.error {
            let e: String = e.chars().filter(|c| !c.is_control()).take(100).collect();
            return Err(fail(codes::DENIED, format!("the provider answered error={e}"), Some(tenant)));
        }
        let code = cb.code.ok_or_else(|| fail(codes::INVALID, "no authorization code", Some(tenant)))?;
        let p = self.enabled_provider(tenant).await?;
        let d = self.discovered(&p).await?;
        let client = self.client(&p, &d, cb.origin)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| fail(codes::UNAVAILABLE, format!("provider has no token endpoint: {e}"), Some(tenant)))?
            .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| fail(codes::INVALID, format!("code exchange: {}", error_chain(&e)), Some(tenant)))?;
        let raw = response
            .id_token()
            .ok_or_else(|| fail(codes::INVALID, "the token response has no id_token", Some(tenant)))?
            .to_string();
        let id_token: ExtIdToken =
            raw.parse().map_err(|e| fail(codes::INVALID, format!("unreadable ID token: {e}"), Some(tenant)))?;
        let nonce = Nonce::new(login.nonce.clone());
        let claims = match self.verify(&client, &id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                // A key we have not seen: the provider may have rotated its keys.
                match self.refetch_jwks(&p, &d).await? {
                    Some(fresh) => self.verify(&self.client(&p, &fresh, cb.origin)?, &id_token, &nonce),
                    None => {
                        Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                    }
                }
            }
            other => other,
        }
        .map_err(|e| fail(codes::INVALID, format!("ID token refused: {}", error_chain(&e)), Some(tenant)))?;
        self.sign_in(&p, &claims, cb).await
    }

    async fn sign_in(
        &self,
        p: &SsoProvider,
        claims: &IdTokenClaims<ExtraClaims, CoreGenderClaim>,
        cb: &Callback<'_>,
    ) -> Result<IssuedSession, SsoFailure> {
        let tenant = p.tenant_id;
        let subject = claims.subject().as_str().to_string();
        let issuer = claims.issuer().as_str().to_string();
        let raw_email = text_claim(claims, &p.email_claim)
            .ok_or_else(|| fail(codes::EMAIL, format!("no `{}` claim", p.email_claim), Some(tenant)))?;
        let email = Email::parse(&raw_email)
            .map_err(|_| fail(codes::EMAIL, format!("`{}` is not an e-mail address", p.email_claim), Some(tenant)))?;
        if p.email_claim == "email" && claims.email_verified() == Some(false) {
            return Err(fail(codes::EMAIL, "the provider says the e-mail address is not verified", Some(tenant)));
        }
        let domain = email.as_str().rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
        if !p.allowed_domains.is_empty() && !p.allowed_domains.contains(&domain) {
            return Err(fail(codes::EMAIL, format!("domain {domain} is not allowed"), Some(tenant)));
        }
        let name = text_claim(claims, &p.name_claim)
            .and_then(|n| display_name("name", &n, 200).ok())
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_string());
        let key = subject_key(&issuer, &subject);
        let sso_actor = Actor::anonymous(&format!("sso:{}", p.display_name));

        // Creating or adopting an account is for addresses of a domain the tenant proved it
        // controls (an unverified claim could name anyone's domain).
        let may_provision =
            p.jit_provisioning && store::sso::verified_owner(self.store.conn(), &domain).await? == Some(tenant);
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let linked = store::sso::identity_user(&*txn, tenant, &key).await?;
        let mut created = false;
        let user_id = match linked {
            Some(u) => u,
            None => match store::users::find_by_email(&*txn, &email).await? {
                Some(u) => u.id,
                None if may_provision => {
                    let u = store::users::insert_provisioned(&*txn, &email, &name, None).await?;
                    audit::record(
                        &*txn,
                        NewEntry::new(None, &sso_actor, action::ACCOUNT_CREATED)
                            .target("user", u.id)
                            .details(json!({ "tenant": tenant, "via": "sso" })),
                    )
                    .await?;
                    created = true;
                    u.id
                }
                None => {
                    return Err(fail(
                        codes::NO_ACCOUNT,
                        "no account, and provisioning is off or the domain is not verified",
                        Some(tenant),
                    ));
                }
            },
        };
        let user = store::users::get(&*txn, user_id).await?.ok_or_else(|| fail(codes::ERROR, "user vanished", None))?;
        if user.is_platform_admin {
            return Err(fail(codes::USE_PASSWORD, "platform admins sign in with their password", Some(tenant)));
        }
        if user.status != Status::Active {
            return Err(fail(codes::NO_ACCOUNT, "the account is disabled", Some(tenant)));
        }
        let role_before = match store::memberships::get(&*txn, tenant, user.id).await? {
            Some(m) if m.status != Status::Active => {
                return Err(fail(codes::NO_ACCOUNT, "the membership is disabled", Some(tenant)));
            }
            Some(m) => m.role,
            None if may_provision => {
                store::memberships::insert(&*txn, tenant, user.id, Role::Member).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(Some(tenant), &sso_actor, action::SSO_USER_PROVISIONED)
                        .target("user", user.id)
                        .details(json!({ "email": email.as_str(), "issuer": issuer })),
                )
                .await?;
                created = true;
                Role::Member
            }
            None => {
                return Err(fail(
                    codes::NO_ACCOUNT,
                    "not a member, and provisioning is off or the domain is not verified",
                    Some(tenant),
                ));
            }
        };
        if linked.is_some() {
            store::sso::touch_identity(&*txn, tenant, &key).await?;
        } else {
            store::sso::link_identity(&*txn, tenant, &key, &issuer, &subject, user.id).await?;
        }
        // The provider's groups decide the role, at every sign-in.
        let mut role_changed = false;
        let mut groups = Vec::new();
        if let Some(claim) = &p.groups_claim {
            groups = groups_claim(claims, claim);
            let mappings = store::identity::role_mappings(&*txn, tenant).await?;
            let role = role_for_groups(&mappings, groups.iter().map(String::as_str));
            if role != role_before {
                store::memberships::set_role(&*txn, tenant, user.id, role).await?;
                let revoked = store::sessions::revoke_all_for_user(&*txn, user.id).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(Some(tenant), &sso_actor, action::ROLE_CHANGED).target("user", user.id).details(
                        json!({ "from": role_before.as_str(), "to": role.as_str(), "via": "sso_groups", "sessions_revoked": revoked }),
                    ),
                )
                .await?;
                role_changed = true;
            }
        }
        txn.commit().await.map_err(AppError::from)?;
        if role_changed || created {
            self.auth.forget_cached();
            self.authz.reload().await?;
        }
        let details = json!({
            "surface": "chat", "via": "sso", "issuer": issuer,
            "groups": groups.into_iter().take(50).collect::<Vec<_>>(),
        });
        Ok(self.auth.open_sso_session(user.id, tenant, cb.ip, cb.user_agent, details).await?)
    }

    /// Where to send the browser after signing out of a session the tenant's provider opened:
    /// the provider's `end_session_endpoint` (RP-initiated logout), if it has one.
    pub async fn logout_url(&self, principal: &Principal, origin: &str) -> AppResult<Option<String>> {
        let Some(tenant) = self.auth.sso_tenant_of(principal).await? else { return Ok(None) };
        let Some(p) = store::sso::provider(self.store.conn(), tenant).await?.filter(|p| p.enabled) else {
            return Ok(None);
        };
        let Ok(d) = self.discovered(&p).await else { return Ok(None) };
        let Some(end) = d.metadata.additional_metadata().end_session_endpoint.clone() else { return Ok(None) };
        let mut request = LogoutRequest::from(end).set_client_id(ClientId::new(p.client_id.clone()));
        if let Ok(uri) = PostLogoutRedirectUrl::new(format!("{}/", origin.trim_end_matches('/'))) {
            request = request.set_post_logout_redirect_uri(uri);
        }
        Ok(Some(request.http_get_url().to_string()))
    }
}

/// An error with its sources, for the audit log and validation messages.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn issuers_are_https_except_on_this_machine() {
        assert!(check_issuer("https://login.example.com/realms/acme").is_ok());
        assert!(check_issuer("http://127.0.0.1:8080/").is_ok());
        assert!(check_issuer("http://localhost:8080").is_ok());
        assert!(check_issuer("http://idp.example.com").is_err());
        assert!(check_issuer("https://idp.example.com/?x=1").is_err());
        assert!(check_issuer("not a url").is_err());
    }

    #[test]
    fn scopes_start_with_openid_and_are_tokens() {
        assert_eq!(check_scopes(None).unwrap(), vec!["openid", "email", "profile"]);
        assert_eq!(check_scopes(Some(vec!["email".into(), "openid".into()])).unwrap(), vec!["openid", "email"]);
        assert!(check_scopes(Some(vec!["has space".into()])).is_err());
        assert!(check_scopes(Some(vec!["".into()])).is_err());
    }

    #[test]
    fn domains_are_lower_case_host_names() {
        assert_eq!(check_domains(vec!["@Example.COM".into(), "example.com".into()]).unwrap(), vec!["example.com"]);
        assert!(check_domains(vec!["localhost".into()]).is_err());
        assert!(check_domains(vec!["bad_domain.com".into()]).is_err());
        assert!(check_domains(vec!["-x.com".into()]).is_err());
    }

    #[test]
    fn the_subject_key_separates_issuers() {
        assert_ne!(subject_key("https://a", "1"), subject_key("https://b", "1"));
        assert_eq!(subject_key("https://a", "1").len(), 64);
    }
}
