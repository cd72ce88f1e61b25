//! Authentication: local accounts (argon2id), browser sessions and API tokens.
//!
//! Every credential is a 256-bit random token; only its digest is stored. Resolved principals
//! are cached briefly in-process and dropped whenever anything that could change them changes.

pub(crate) mod password;
pub mod secrets;

use crate::audit::{self, Actor, NewEntry, action};
use crate::config::AuthConfig;
use crate::domain::{
    ActiveTenant, ApiTokenId, Credential, Email, KeepMode, NewPassword, Principal, Role, Status, Surface, TenantId,
    TenantScope, UserId,
};
use crate::error::{AppError, AppResult};
use crate::limits::RateLimiter;
use crate::store::api_tokens::{ApiToken, NewApiToken};
use crate::store::sessions::NewSession;
use crate::store::users::User;
use crate::store::{self, Store, now};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;

const NOT_SIGNED_IN: &str = "sign in, or send a valid API token as `Authorization: Bearer …`";
/// How stale `last_seen_at` / `last_used_at` may get before a request writes them again
/// (at most half the idle timeout, so activity always keeps a session alive).
const TOUCH_INTERVAL_SECS: i64 = 60;

pub struct AuthService {
    store: Store,
    config: AuthConfig,
    limiter: Arc<dyn RateLimiter>,
    /// Resolved principals by credential digest, with the instant they stop being valid.
    principals: Cache<String, (Principal, DateTime<Utc>)>,
    /// Other replicas to tell when cached principals go stale (scale-out tier).
    bus: Option<Arc<crate::cluster::bus::Bus>>,
    /// Bumped whenever cached principals are dropped (here or by another replica's word), so
    /// long-lived requests (answer streams) re-check their credential.
    changes: tokio::sync::watch::Sender<u64>,
}

/// A new browser session: the cookie value (shown only now) and its CSRF token.
pub struct IssuedSession {
    pub token: String,
    pub csrf_token: String,
    pub principal: Principal,
}

impl AuthService {
    /// `bus` connects the principal cache to the other replicas (scale-out tier).
    pub fn new(
        store: Store,
        config: AuthConfig,
        limiter: Arc<dyn RateLimiter>,
        bus: Option<Arc<crate::cluster::bus::Bus>>,
    ) -> Self {
        let principals = Cache::builder().max_capacity(50_000).time_to_live(Duration::from_secs(5)).build();
        Self { store, config, limiter, principals, bus, changes: tokio::sync::watch::Sender::new(0) }
    }

    /// Ticks whenever credentials, roles or memberships may have changed (on any replica).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Whether the credential behind `principal` still stands, read from the database: the
    /// session or token is live, the user active, and (with a tenant) the membership active. A
    /// database error counts as yes: a blip must not cut streams.
    pub async fn still_valid(&self, principal: &Principal) -> bool {
        match self.check_still_valid(principal).await {
            Ok(valid) => valid,
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-check a credential");
                true
            }
        }
    }

    async fn check_still_valid(&self, principal: &Principal) -> AppResult<bool> {
        let conn = self.store.conn();
        let at = now();
        let live = match &principal.credential {
            Credential::Session { id, .. } => {
                store::sessions::get(conn, *id).await?.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > at)
            }
            Credential::ApiToken { id, .. } => match &principal.tenant {
                Some(t) => store::api_tokens::get(conn, t.id, *id)
                    .await?
                    .is_some_and(|r| r.revoked_at.is_none() && r.expires_at.is_none_or(|e| e > at)),
                None => false,
            },
        };
        if !live {
            return Ok(false);
        }
        let Some(user) = store::users::get(conn, principal.user_id).await? else { return Ok(false) };
        if user.status != Status::Active {
            return Ok(false);
        }
        Ok(match &principal.tenant {
            Some(t) => self.active_tenant(user.id, t.id, None).await?.is_some(),
            None => true,
        })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Drops every cached principal; called after changes to users, roles, tenants or sessions.
    pub fn forget_cached(&self) {
        self.principals.invalidate_all();
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
        if let Some(bus) = &self.bus {
            bus.publish(crate::cluster::bus::Signal::Invalidate);
        }
    }

    /// Drops cached principals here only (another replica said they are stale).
    pub fn forget_local(&self) {
        self.principals.invalidate_all();
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        tenant_slug: Option<&str>,
        surface: Surface,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> AppResult<IssuedSession> {
        let window = Duration::from_secs(self.config.login_window_secs);
        let ip_key = format!("login-ip:{}", ip.unwrap_or("unknown"));
        self.limiter.check(&ip_key, self.config.login_failures_per_ip, window).await?;
        let email = Email::parse(email)?;
        let account_key = format!("login-account:{email}");
        self.limiter.check(&account_key, self.config.login_failures_per_account, window).await?;

        let creds = store::users::credentials_by_email(self.store.conn(), &email).await?;
        let (user, hash) = match creds {
            Some(c) => (Some(c.user), c.password_hash),
            None => (None, None),
        };
        let password_ok = password::verify(password, hash).await?;
        let tenants = match &user {
            Some(u) => store::memberships::tenants_of(self.store.conn(), u.id).await?,
            None => vec![],
        };
        let usable: Vec<_> =
            tenants.iter().filter(|t| t.status == Status::Active && t.tenant_status == Status::Active).collect();

        let failure = match &user {
            None => Some("unknown_account"),
            Some(_) if !password_ok => Some("wrong_password"),
            Some(u) if u.status != Status::Active => Some("user_disabled"),
            Some(u) if usable.is_empty() && !u.is_platform_admin => Some("no_active_tenant"),
            Some(_) => None,
        };
        if let Some(reason) = failure {
            let _ = self.limiter.hit(&account_key, self.config.login_failures_per_account, window).await;
            let _ = self.limiter.hit(&ip_key, self.config.login_failures_per_ip, window).await;
            let tenant = tenants.first().map(|t| t.tenant_id);
            let actor = match &user {
                Some(u) => Actor::user(u.id, &u.email),
                None => Actor::anonymous(email.as_str()),
            };
            let txn = self.store.begin().await?;
            audit::record(
                &*txn,
                NewEntry::new(tenant, &actor, action::LOGIN_FAILED)
                    .failed()
                    .details(serde_json::json!({ "reason": reason })),
            )
            .await?;
            txn.commit().await?;
            tracing::info!(reason, "sign-in refused");
            return Err(AppError::InvalidCredentials);
        }
        let Some(user) = user else { return Err(AppError::InvalidCredentials) };
        self.limiter.reset(&account_key).await;

        // Tenants that sign in only through their identity provider are out of a password's
        // reach, except for platform admins (break-glass access, audited below).
        let mut sso_only = Vec::new();
        for t in &usable {
            if !store::sso::passwords_allowed(self.store.conn(), t.tenant_id).await? {
                sso_only.push(t.tenant_id);
            }
        }
        let usable: Vec<_> = if user.is_platform_admin {
            usable
        } else {
            let reachable: Vec<_> = usable.into_iter().filter(|t| !sso_only.contains(&t.tenant_id)).collect();
            if reachable.is_empty() && !sso_only.is_empty() {
                let txn = self.store.begin().await?;
                audit::record(
                    &*txn,
                    NewEntry::new(sso_only.first().copied(), &Actor::user(user.id, &user.email), action::LOGIN_FAILED)
                        .failed()
                        .details(serde_json::json!({ "reason": "password_sign_in_disabled" })),
                )
                .await?;
                txn.commit().await?;
                return Err(AppError::Forbidden(
                    "Your organization signs in with single sign-on: use its \"Sign in with …\" button.".into(),
                ));
            }
            reachable
        };

        // The console is for tenant admins, auditors and platform admins: there, the active
        // tenant is one the user administers or audits.
        let usable: Vec<_> = match surface {
            Surface::Chat => usable,
            Surface::Admin => {
                let governed: Vec<_> =
                    usable.into_iter().filter(|t| matches!(t.role, Role::TenantAdmin | Role::Auditor)).collect();
                if governed.is_empty() && !user.is_platform_admin {
                    let txn = self.store.begin().await?;
                    audit::record(
                        &*txn,
                        NewEntry::new(
                            tenants.first().map(|t| t.tenant_id),
                            &Actor::user(user.id, &user.email),
                            action::LOGIN_FAILED,
                        )
                        .failed()
                        .details(serde_json::json!({ "reason": "console_not_allowed" })),
                    )
                    .await?;
                    txn.commit().await?;
                    return Err(AppError::Forbidden(
                        "The admin console is for tenant admins, auditors and platform admins; \
                         your account can use the web chat."
                            .into(),
                    ));
                }
                governed
            }
        };
        let active = match tenant_slug {
            Some(slug) => Some(usable.iter().find(|t| t.slug == slug).ok_or(AppError::NotFound("tenant"))?),
            None => usable.first(),
        };
        let active_id = active.map(|t| t.tenant_id);
        if let Some(t) = active_id.filter(|t| sso_only.contains(t)) {
            // Only platform admins get here: a password into a single-sign-on tenant.
            let txn = self.store.begin().await?;
            audit::record(
                &*txn,
                NewEntry::new(Some(t), &Actor::user(user.id, &user.email), action::LOGIN_BREAK_GLASS)
                    .details(serde_json::json!({ "surface": surface.as_str() })),
            )
            .await?;
            txn.commit().await?;
            tracing::warn!(user = %user.id, tenant = %t, "break-glass password sign-in to a single-sign-on tenant");
        }
        let details = serde_json::json!({ "surface": surface.as_str() });
        self.open_session(&user, active_id, None, surface, ip, user_agent, details).await
    }

    /// A chat session that `tenant`'s identity provider vouched for: bound to that tenant.
    pub async fn open_sso_session(
        &self,
        user: UserId,
        tenant: TenantId,
        ip: Option<&str>,
        user_agent: Option<&str>,
        details: serde_json::Value,
    ) -> AppResult<IssuedSession> {
        let user = store::users::get(self.store.conn(), user).await?.ok_or(AppError::NotFound("user"))?;
        self.open_session(&user, Some(tenant), Some(tenant), Surface::Chat, ip, user_agent, details).await
    }

    /// Opens a session (audited as a sign-in) and returns its secret.
    #[allow(clippy::too_many_arguments)]
    async fn open_session(
        &self,
        user: &User,
        active_id: Option<TenantId>,
        sso_tenant: Option<TenantId>,
        surface: Surface,
        ip: Option<&str>,
        user_agent: Option<&str>,
        details: serde_json::Value,
    ) -> AppResult<IssuedSession> {
        let token = secrets::random_token();
        let txn = self.store.begin().await?;
        let session = store::sessions::insert(
            &*txn,
            NewSession {
                token_hash: &secrets::digest(&token),
                user_id: user.id,
                active_tenant_id: active_id,
                ip: ip.map(str::to_string),
                user_agent: user_agent.map(str::to_string),
                expires_at: now() + ChronoDuration::seconds(self.config.session_absolute_secs as i64),
                surface,
                sso_tenant_id: sso_tenant,
            },
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(active_id, &Actor::user(user.id, &user.email), action::LOGIN)
                .target("session", session.id)
                .details(details),
        )
        .await?;
        txn.commit().await?;
        let principal = self.session_principal(user, active_id, sso_tenant, session.id, surface, &token).await?;
        Ok(IssuedSession { csrf_token: secrets::csrf_token(&token), token, principal })
    }

    pub async fn logout(&self, principal: &Principal) -> AppResult<()> {
        let Some(session) = principal.session_id() else {
            return Err(AppError::Validation {
                field: "credential",
                reason: "API tokens do not sign out; revoke the token instead".into(),
            });
        };
        let txn = self.store.begin().await?;
        store::sessions::revoke(&*txn, session).await?;
        audit::record(
            &*txn,
            NewEntry::new(principal.tenant.as_ref().map(|t| t.id), &actor_of(principal), action::LOGOUT)
                .target("session", session),
        )
        .await?;
        txn.commit().await?;
        self.forget_cached();
        Ok(())
    }

    /// Resolves a session cookie. Unsafe methods must carry the session's CSRF token.
    pub async fn authenticate_session(
        &self,
        token: &str,
        csrf_header: Option<&str>,
        unsafe_method: bool,
        surface: Surface,
    ) -> AppResult<Principal> {
        let key = format!("s:{}:{}", surface.as_str(), secrets::digest(token));
        let principal = match self.principals.get(&key).await {
            Some((p, valid_until)) if now() < valid_until => p,
            _ => {
                let (p, valid_until) = self.load_session_principal(token, surface).await?;
                self.principals.insert(key, (p.clone(), valid_until)).await;
                p
            }
        };
        if unsafe_method {
            let expected = secrets::csrf_token(token);
            if !csrf_header.is_some_and(|h| secrets::constant_time_eq(h, &expected)) {
                return Err(AppError::CsrfFailed);
            }
        }
        Ok(principal)
    }

    /// A session's idle timeout: the console's is shorter than the chat's.
    fn idle_secs(&self, surface: Surface) -> u64 {
        match surface {
            Surface::Chat => self.config.session_idle_secs,
            Surface::Admin => self.config.admin_session_idle_secs,
        }
    }

    async fn load_session_principal(&self, token: &str, surface: Surface) -> AppResult<(Principal, DateTime<Utc>)> {
        let conn = self.store.conn();
        let session = store::sessions::find_by_token_hash(conn, &secrets::digest(token))
            .await?
            .filter(|s| s.surface == surface)
            .ok_or(AppError::Unauthenticated(NOT_SIGNED_IN))?;
        let at = now();
        let idle_deadline = session.last_seen_at + ChronoDuration::seconds(self.idle_secs(surface) as i64);
        if session.revoked_at.is_some() || session.expires_at <= at || idle_deadline <= at {
            return Err(AppError::Unauthenticated("your session has ended; sign in again"));
        }
        let user = store::users::get(conn, session.user_id).await?.ok_or(AppError::Unauthenticated(NOT_SIGNED_IN))?;
        if user.status != Status::Active {
            return Err(AppError::Unauthenticated(NOT_SIGNED_IN));
        }
        let idle = ChronoDuration::seconds(self.idle_secs(surface) as i64);
        let touch_every = ChronoDuration::seconds(TOUCH_INTERVAL_SECS).min(idle / 2);
        let mut last_seen = session.last_seen_at;
        if at - last_seen >= touch_every {
            store::sessions::touch(conn, session.id).await?;
            last_seen = at;
        }
        // The cached principal lapses when the session would, or when it is time to record
        // activity again (so an active session's idle deadline keeps moving).
        let valid_until = session.expires_at.min(last_seen + idle).min(last_seen + touch_every);
        let principal = self
            .session_principal(&user, session.active_tenant_id, session.sso_tenant_id, session.id, surface, token)
            .await?;
        Ok((principal, valid_until))
    }

    /// `sso_tenant`: the tenant whose single sign-on opened the session; the session acts only
    /// there, and without platform rights.
    async fn session_principal(
        &self,
        user: &User,
        active_tenant: Option<TenantId>,
        sso_tenant: Option<TenantId>,
        session: crate::domain::SessionId,
        surface: Surface,
        token: &str,
    ) -> AppResult<Principal> {
        let tenant = match sso_tenant.or(active_tenant) {
            Some(t) => self.active_tenant(user.id, t, None).await?,
            None => None,
        };
        // A password session does not reach a tenant that signs in only through its provider
        // (platform admins excepted: break-glass), even when the tenant switched after sign-in.
        let tenant = match tenant {
            Some(t)
                if sso_tenant.is_none()
                    && !user.is_platform_admin
                    && !store::sso::passwords_allowed(self.store.conn(), t.id).await? =>
            {
                None
            }
            other => other,
        };
        Ok(Principal {
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            is_platform_admin: user.is_platform_admin && sso_tenant.is_none(),
            tenant,
            credential: Credential::Session { id: session, csrf_token: secrets::csrf_token(token), surface },
        })
    }

    /// The tenant as the user may act in it now, or `None` if the membership or tenant is off.
    async fn active_tenant(
        &self,
        user: UserId,
        tenant: TenantId,
        scope: Option<Role>,
    ) -> AppResult<Option<ActiveTenant>> {
        let conn = self.store.conn();
        let Some(membership) = store::memberships::get(conn, tenant, user).await? else { return Ok(None) };
        let Some(t) = store::tenants::get(conn, tenant).await? else { return Ok(None) };
        if membership.status != Status::Active || t.status != Status::Active {
            return Ok(None);
        }
        let role = scope.map_or(membership.role, |s| s.min(membership.role));
        Ok(Some(ActiveTenant { id: t.id, slug: t.slug, name: t.name, role }))
    }

    pub async fn authenticate_api_token(&self, token: &str) -> AppResult<Principal> {
        let key = format!("t:{}", secrets::digest(token));
        if let Some((p, valid_until)) = self.principals.get(&key).await
            && now() < valid_until
        {
            return Ok(p);
        }
        let (p, valid_until) = self.load_token_principal(token).await?;
        self.principals.insert(key, (p.clone(), valid_until)).await;
        Ok(p)
    }

    async fn load_token_principal(&self, token: &str) -> AppResult<(Principal, DateTime<Utc>)> {
        const BAD_TOKEN: &str = "the API token is invalid, expired or revoked";
        if !token.starts_with(secrets::API_TOKEN_PREFIX) {
            return Err(AppError::Unauthenticated(BAD_TOKEN));
        }
        let conn = self.store.conn();
        let record = store::api_tokens::find_by_token_hash(conn, &secrets::digest(token))
            .await?
            .ok_or(AppError::Unauthenticated(BAD_TOKEN))?;
        let at = now();
        if record.revoked_at.is_some() || record.expires_at.is_some_and(|e| e <= at) {
            return Err(AppError::Unauthenticated(BAD_TOKEN));
        }
        let user = store::users::get(conn, record.user_id).await?.ok_or(AppError::Unauthenticated(BAD_TOKEN))?;
        if user.status != Status::Active {
            return Err(AppError::Unauthenticated(BAD_TOKEN));
        }
        let tenant = self
            .active_tenant(user.id, record.tenant_id, Some(record.role))
            .await?
            .ok_or(AppError::Unauthenticated(BAD_TOKEN))?;
        if record.last_used_at.is_none_or(|t| (at - t).num_seconds() >= TOUCH_INTERVAL_SECS) {
            store::api_tokens::touch(conn, record.id).await?;
        }
        let principal = Principal {
            user_id: user.id,
            email: user.email,
            display_name: user.display_name,
            is_platform_admin: user.is_platform_admin,
            tenant: Some(tenant),
            credential: Credential::ApiToken { id: record.id, scope: record.role, keep: record.keep },
        };
        Ok((principal, record.expires_at.unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)))
    }

    /// The tenant whose single sign-on opened the caller's session, if one did.
    pub async fn sso_tenant_of(&self, principal: &Principal) -> AppResult<Option<TenantId>> {
        let Some(session) = principal.session_id() else { return Ok(None) };
        Ok(store::sessions::get(self.store.conn(), session).await?.and_then(|s| s.sso_tenant_id))
    }

    /// Switches a session's active tenant to another of the user's tenants.
    pub async fn switch_tenant(&self, principal: &Principal, tenant: TenantId) -> AppResult<()> {
        let Some(session) = principal.session_id() else {
            return Err(AppError::Validation {
                field: "credential",
                reason: "an API token is bound to one tenant and cannot switch".into(),
            });
        };
        if self.active_tenant(principal.user_id, tenant, None).await?.is_none() {
            return Err(AppError::NotFound("tenant"));
        }
        let conn = self.store.conn();
        let bound = store::sessions::get(conn, session).await?.and_then(|s| s.sso_tenant_id);
        if bound.is_some_and(|b| b != tenant) {
            return Err(AppError::Forbidden(
                "this session came from your organization's single sign-on and stays in that tenant; \
                 sign in again to use another one"
                    .into(),
            ));
        }
        if bound.is_none() && !principal.is_platform_admin && !store::sso::passwords_allowed(conn, tenant).await? {
            return Err(AppError::Forbidden(
                "that tenant signs in with single sign-on: sign out and use its \"Sign in with …\" button".into(),
            ));
        }
        store::sessions::set_active_tenant(self.store.conn(), session, tenant).await?;
        self.forget_cached();
        Ok(())
    }

    /// Changes the caller's password, ends every session of theirs, and (for a browser) opens a
    /// fresh one so the caller stays signed in.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> AppResult<Option<IssuedSession>> {
        let conn = self.store.conn();
        let hash = store::users::password_hash(conn, principal.user_id).await?;
        if !password::verify(current, hash).await? {
            return Err(AppError::Validation { field: "current_password", reason: "is incorrect".into() });
        }
        let email = Email::parse(&principal.email).ok();
        let new = NewPassword::parse(new, self.config.min_password_length, email.as_ref())?;
        let new_hash = password::hash(&new).await?;
        let tenant = principal.tenant.as_ref().map(|t| t.id);
        let txn = self.store.begin().await?;
        store::users::set_password_hash(&*txn, principal.user_id, &new_hash).await?;
        let revoked = store::sessions::revoke_all_for_user(&*txn, principal.user_id).await?;
        audit::record(
            &*txn,
            NewEntry::new(tenant, &actor_of(principal), action::PASSWORD_CHANGED)
                .target("user", principal.user_id)
                .details(serde_json::json!({ "sessions_revoked": revoked })),
        )
        .await?;
        let issued = match principal.credential {
            Credential::Session { surface, .. } => {
                let token = secrets::random_token();
                let session = store::sessions::insert(
                    &*txn,
                    NewSession {
                        token_hash: &secrets::digest(&token),
                        user_id: principal.user_id,
                        active_tenant_id: tenant,
                        ip: ip.map(str::to_string),
                        user_agent: user_agent.map(str::to_string),
                        expires_at: now() + ChronoDuration::seconds(self.config.session_absolute_secs as i64),
                        surface,
                        sso_tenant_id: None,
                    },
                )
                .await?;
                Some((token, session.id, surface))
            }
            Credential::ApiToken { .. } => None,
        };
        txn.commit().await?;
        self.forget_cached();
        match issued {
            Some((token, session, surface)) => {
                let user = store::users::get(conn, principal.user_id).await?.ok_or(AppError::NotFound("user"))?;
                let principal = self.session_principal(&user, tenant, None, session, surface, &token).await?;
                Ok(Some(IssuedSession { csrf_token: secrets::csrf_token(&token), token, principal }))
            }
            None => Ok(None),
        }
    }

    /// Creates an API token for the caller in the scope's tenant. The secret is returned once.
    pub async fn create_token(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        name: &str,
        role: Option<Role>,
        expires_in_days: Option<u32>,
        keep: Option<KeepMode>,
    ) -> AppResult<(ApiToken, String)> {
        let keep = keep.unwrap_or_default();
        let name = crate::domain::display_name("name", name, 100)?;
        let role = role.unwrap_or(scope.role);
        if role > scope.role {
            return Err(AppError::Validation {
                field: "role",
                reason: format!("cannot exceed your own role ({})", scope.role),
            });
        }
        let days = expires_in_days.unwrap_or(self.config.api_token_default_days);
        if days > 3650 {
            return Err(AppError::Validation { field: "expires_in_days", reason: "must be at most 3650".into() });
        }
        let expires_at = (days > 0).then(|| now() + ChronoDuration::days(days as i64));
        let secret = format!("{}{}", secrets::API_TOKEN_PREFIX, secrets::random_token());
        let prefix: String = secret.chars().take(12).collect();
        let txn = self.store.begin().await?;
        let token = store::api_tokens::insert(
            &*txn,
            NewApiToken {
                tenant_id: scope.tenant,
                user_id: scope.user,
                name: &name,
                prefix: &prefix,
                token_hash: &secrets::digest(&secret),
                role,
                expires_at,
                keep,
            },
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::TOKEN_CREATED)
                .target("api_token", token.id)
                .details(serde_json::json!({ "name": name, "role": role.as_str(), "expires_at": expires_at,
                    "keep": keep.as_str() })),
        )
        .await?;
        txn.commit().await?;
        Ok((token, secret))
    }

    /// API tokens in the scope's tenant: one user's, or (`None`) everyone's.
    pub async fn list_tokens(
        &self,
        scope: &TenantScope,
        user: Option<UserId>,
        before: Option<ApiTokenId>,
        limit: u64,
    ) -> AppResult<Vec<ApiToken>> {
        store::api_tokens::list(self.store.conn(), scope.tenant, user, before, limit).await
    }

    /// Revokes a token in the scope's tenant; only the caller's own unless `any`.
    pub async fn revoke_token(&self, scope: &TenantScope, actor: &Actor, id: ApiTokenId, any: bool) -> AppResult<()> {
        let txn = self.store.begin().await?;
        let token = store::api_tokens::get(&*txn, scope.tenant, id).await?.ok_or(AppError::NotFound("API token"))?;
        if !any && token.user_id != scope.user {
            return Err(AppError::NotFound("API token"));
        }
        if !store::api_tokens::revoke(&*txn, scope.tenant, id).await? {
            return Err(AppError::Conflict("the token is already revoked".into()));
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::TOKEN_REVOKED)
                .target("api_token", id)
                .details(serde_json::json!({ "owner": token.user_id })),
        )
        .await?;
        txn.commit().await?;
        self.forget_cached();
        Ok(())
    }
}

pub fn actor_of(principal: &Principal) -> Actor {
    Actor::user(principal.user_id, &principal.email)
}
