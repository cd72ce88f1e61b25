//! Single sign-on per tenant: the tenant's OpenID provider settings, the provider identities
//! (issuer + subject) linked to users, and sign-ins under way. Every query names the tenant,
//! except the lookups that find it (by state digest, by e-mail domain).
use super::entities::{sso_identity, sso_login, sso_provider, tenant_domain};
use super::{Conn, now};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

/// A tenant's OpenID provider, as stored (the client secret sealed).
#[derive(Debug, Clone)]
pub struct SsoProvider {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    /// `openid` first.
    pub scopes: Vec<String>,
    /// Lower-case; empty allows any.
    pub allowed_domains: Vec<String>,
    pub email_claim: String,
    pub name_claim: String,
    pub groups_claim: Option<String>,
    pub jit_provisioning: bool,
    pub allow_passwords: bool,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

impl From<sso_provider::Model> for SsoProvider {
    fn from(m: sso_provider::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: TenantId(m.tenant_id),
            display_name: m.display_name,
            issuer: m.issuer,
            client_id: m.client_id,
            client_secret_sealed: m.client_secret_sealed,
            scopes: words(&m.scopes),
            allowed_domains: words(&m.allowed_domains),
            email_claim: m.email_claim,
            name_claim: m.name_claim,
            groups_claim: m.groups_claim,
            jit_provisioning: m.jit_provisioning,
            allow_passwords: m.allow_passwords,
            enabled: m.enabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub async fn provider(conn: &impl Conn, tenant: TenantId) -> AppResult<Option<SsoProvider>> {
    Ok(sso_provider::Entity::find()
        .filter(sso_provider::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .map(Into::into))
}

/// Inserts or replaces the tenant's provider (`p.id` is kept when one exists).
pub async fn put_provider(conn: &impl Conn, p: &SsoProvider) -> AppResult<()> {
    let model = sso_provider::ActiveModel {
        id: Set(p.id),
        tenant_id: Set(p.tenant_id.0),
        display_name: Set(p.display_name.clone()),
        issuer: Set(p.issuer.clone()),
        client_id: Set(p.client_id.clone()),
        client_secret_sealed: Set(p.client_secret_sealed.clone()),
        scopes: Set(p.scopes.join(" ")),
        allowed_domains: Set(p.allowed_domains.join(" ")),
        email_claim: Set(p.email_claim.clone()),
        name_claim: Set(p.name_claim.clone()),
        groups_claim: Set(p.groups_claim.clone()),
        jit_provisioning: Set(p.jit_provisioning),
        allow_passwords: Set(p.allow_passwords),
        enabled: Set(p.enabled),
        created_at: Set(p.created_at),
        updated_at: Set(now()),
    };
    if provider(conn, p.tenant_id).await?.is_some() {
        model.update(conn).await?;
    } else {
        model.insert(conn).await?;
    }
    Ok(())
}

pub async fn delete_provider(conn: &impl Conn, tenant: TenantId) -> AppResult<bool> {
    let res =
        sso_provider::Entity::delete_many().filter(sso_provider::Column::TenantId.eq(tenant.0)).exec(conn).await?;
    Ok(res.rows_affected > 0)
}

/// Whether members of `tenant` may sign in with a local password (true without SSO).
pub async fn passwords_allowed(conn: &impl Conn, tenant: TenantId) -> AppResult<bool> {
    Ok(provider(conn, tenant).await?.is_none_or(|p| !p.enabled || p.allow_passwords))
}

/// The user a provider identity is linked to in the tenant.
pub async fn identity_user(conn: &impl Conn, tenant: TenantId, subject_key: &str) -> AppResult<Option<UserId>> {
    Ok(sso_identity::Entity::find()
        .filter(sso_identity::Column::TenantId.eq(tenant.0))
        .filter(sso_identity::Column::SubjectKey.eq(subject_key))
        .one(conn)
        .await?
        .map(|m| UserId(m.user_id)))
}

pub async fn link_identity(
    conn: &impl Conn,
    tenant: TenantId,
    subject_key: &str,
    issuer: &str,
    subject: &str,
    user: UserId,
) -> AppResult<()> {
    let at = now();
    sso_identity::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        subject_key: Set(subject_key.to_string()),
        issuer: Set(issuer.chars().take(2048).collect()),
        subject: Set(subject.chars().take(512).collect()),
        user_id: Set(user.0),
        created_at: Set(at),
        last_sign_in_at: Set(Some(at)),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn touch_identity(conn: &impl Conn, tenant: TenantId, subject_key: &str) -> AppResult<()> {
    sso_identity::Entity::update_many()
        .col_expr(sso_identity::Column::LastSignInAt, Some(now()).into())
        .filter(sso_identity::Column::TenantId.eq(tenant.0))
        .filter(sso_identity::Column::SubjectKey.eq(subject_key))
        .exec(conn)
        .await?;
    Ok(())
}

/// A sign-in under way: what the callback needs to finish it.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub tenant_id: TenantId,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_login(
    conn: &impl Conn,
    tenant: TenantId,
    state_hash: &str,
    browser_hash: &str,
    nonce: &str,
    pkce_verifier: &str,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    sso_login::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        state_hash: Set(state_hash.to_string()),
        browser_hash: Set(browser_hash.to_string()),
        nonce: Set(nonce.to_string()),
        pkce_verifier: Set(pkce_verifier.to_string()),
        created_at: Set(now()),
        expires_at: Set(expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Takes the sign-in a `state` names: it is deleted in the same statement's transaction, so a
/// state (and its nonce) is good for one callback only.
pub async fn take_login(conn: &impl Conn, state_hash: &str) -> AppResult<Option<PendingLogin>> {
    let Some(m) = sso_login::Entity::find().filter(sso_login::Column::StateHash.eq(state_hash)).one(conn).await? else {
        return Ok(None);
    };
    let res = sso_login::Entity::delete_many().filter(sso_login::Column::Id.eq(m.id)).exec(conn).await?;
    if res.rows_affected != 1 {
        // Another callback took it first.
        return Ok(None);
    }
    Ok(Some(PendingLogin {
        tenant_id: TenantId(m.tenant_id),
        browser_hash: m.browser_hash,
        nonce: m.nonce,
        pkce_verifier: m.pkce_verifier,
        expires_at: m.expires_at,
    }))
}

/// Drops sign-ins that were never finished.
pub async fn purge_expired_logins(conn: &impl Conn) -> AppResult<u64> {
    Ok(sso_login::Entity::delete_many().filter(sso_login::Column::ExpiresAt.lt(now())).exec(conn).await?.rows_affected)
}

/// An e-mail domain a tenant claims, pending or verified.
#[derive(Debug, Clone)]
pub struct TenantDomain {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub domain: String,
    /// What the `_confab-challenge.<domain>` TXT record must hold.
    pub token: String,
    pub verified_at: Option<DateTime<Utc>>,
    /// `dns` or `operator`.
    pub verified_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<tenant_domain::Model> for TenantDomain {
    fn from(m: tenant_domain::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: TenantId(m.tenant_id),
            domain: m.domain,
            token: m.token,
            verified_at: m.verified_at,
            verified_by: m.verified_by,
            created_at: m.created_at,
        }
    }
}

pub async fn domains(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<TenantDomain>> {
    Ok(tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.0))
        .order_by_asc(tenant_domain::Column::Domain)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn domain(conn: &impl Conn, tenant: TenantId, domain: &str) -> AppResult<Option<TenantDomain>> {
    Ok(tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.0))
        .filter(tenant_domain::Column::Domain.eq(domain))
        .one(conn)
        .await?
        .map(Into::into))
}

/// The tenant that verified `domain`, if one has.
pub async fn verified_owner(conn: &impl Conn, domain: &str) -> AppResult<Option<TenantId>> {
    Ok(tenant_domain::Entity::find()
        .filter(tenant_domain::Column::VerifiedDomain.eq(domain))
        .one(conn)
        .await?
        .map(|m| TenantId(m.tenant_id)))
}

pub async fn insert_domain(conn: &impl Conn, tenant: TenantId, domain: &str, token: &str) -> AppResult<TenantDomain> {
    let m = tenant_domain::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        domain: Set(domain.to_string()),
        token: Set(token.to_string()),
        verified_at: Set(None),
        verified_by: Set(None),
        verified_domain: Set(None),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    Ok(m.into())
}

/// Marks the claim verified. The unique `verified_domain` refuses a second tenant (the caller
/// checks first, so that is only a race).
pub async fn mark_domain_verified(conn: &impl Conn, tenant: TenantId, domain: &str, by: &str) -> AppResult<()> {
    tenant_domain::Entity::update_many()
        .col_expr(tenant_domain::Column::VerifiedAt, Some(now()).into())
        .col_expr(tenant_domain::Column::VerifiedBy, Some(by.to_string()).into())
        .col_expr(tenant_domain::Column::VerifiedDomain, Some(domain.to_string()).into())
        .filter(tenant_domain::Column::TenantId.eq(tenant.0))
        .filter(tenant_domain::Column::Domain.eq(domain))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn delete_domain(conn: &impl Conn, tenant: TenantId, domain: &str) -> AppResult<bool> {
    let res = tenant_domain::Entity::delete_many()
        .filter(tenant_domain::Column::TenantId.eq(tenant.0))
        .filter(tenant_domain::Column::Domain.eq(domain))
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}
