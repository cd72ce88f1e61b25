//! Request and response bodies of the v1 API. Request bodies deny unknown fields, so a role or
//! tenant smuggled into a body is refused rather than silently considered.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use confab_core::audit::Entry;
use confab_core::domain::Principal;
use confab_core::domain::{Role, Status};
use confab_core::error::AppError;
use confab_core::store::api_tokens::ApiToken;
use confab_core::store::memberships::{TenantMember, UserTenant};
use confab_core::store::tenants::Tenant;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleName {
    Member,
    Auditor,
    TenantAdmin,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Member => Role::Member,
            RoleName::Auditor => Role::Auditor,
            RoleName::TenantAdmin => Role::TenantAdmin,
        }
    }
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Member => RoleName::Member,
            Role::Auditor => RoleName::Auditor,
            Role::TenantAdmin => RoleName::TenantAdmin,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusName {
    Active,
    Disabled,
}

impl From<Status> for StatusName {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => StatusName::Active,
            Status::Disabled => StatusName::Disabled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiToken,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Slug of the tenant to start in; the user's first tenant when absent.
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct TenantMembershipView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub role: RoleName,
}

#[derive(Debug, Clone, Object)]
pub struct MeView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    /// How this request was authenticated.
    pub credential: CredentialKind,
    /// The tenant requests act in (an API token's own tenant), with the effective role.
    pub active_tenant: Option<TenantMembershipView>,
    /// Every tenant the user may switch to.
    pub tenants: Vec<TenantMembershipView>,
    /// Send as `X-CSRF-Token` on cookie-authenticated POST/PUT/PATCH/DELETE requests.
    pub csrf_token: Option<String>,
}

impl MeView {
    pub fn new(p: &Principal, tenants: Vec<UserTenant>) -> Self {
        use confab_core::domain::Credential;
        let (credential, csrf_token) = match &p.credential {
            Credential::Session { csrf_token, .. } => (CredentialKind::Session, Some(csrf_token.clone())),
            Credential::ApiToken { .. } => (CredentialKind::ApiToken, None),
        };
        let tenants = tenants
            .into_iter()
            .filter(|t| t.status == Status::Active && t.tenant_status == Status::Active)
            .filter(|t| {
                matches!(credential, CredentialKind::Session) || p.tenant.as_ref().is_some_and(|a| a.id == t.tenant_id)
            })
            .map(|t| TenantMembershipView { id: t.tenant_id.0, slug: t.slug, name: t.name, role: t.role.into() })
            .collect();
        Self {
            id: p.user_id.0,
            email: p.email.clone(),
            display_name: p.display_name.clone(),
            is_platform_admin: p.is_platform_admin,
            credential,
            active_tenant: p.tenant.as_ref().map(|t| TenantMembershipView {
                id: t.id.0,
                slug: t.slug.clone(),
                name: t.name.clone(),
                role: t.role.into(),
            }),
            tenants,
            csrf_token,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SwitchTenantRequest {
    pub tenant_id: Uuid,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. "CI reporting".
    pub name: String,
    /// The most the token may do; at most your own role. Defaults to your role.
    pub role: Option<RoleName>,
    /// Lifetime in days (0 = never expires). Defaults to the installation's setting.
    pub expires_in_days: Option<u32>,
    /// What the OpenAI-compatible endpoint (`/openai/v1`) keeps of this token's calls.
    /// Defaults to `metadata`.
    pub keep: Option<KeepModeName>,
}

#[derive(Debug, Object)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub role: RoleName,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the OpenAI-compatible endpoint (`/openai/v1`) keeps of this token's calls.
    pub keep: KeepModeName,
}

/// What the OpenAI-compatible endpoint keeps of an API token's calls; the usage event (tokens
/// and cost) is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KeepModeName {
    /// Only the usage event.
    Nothing,
    /// An audit entry per call (model, tokens, cost, outcome), never content.
    Metadata,
    /// The audit entry, and the exchange as a conversation in the token owner's history.
    Conversation,
}

impl From<KeepModeName> for confab_core::domain::KeepMode {
    fn from(k: KeepModeName) -> Self {
        match k {
            KeepModeName::Nothing => Self::Nothing,
            KeepModeName::Metadata => Self::Metadata,
            KeepModeName::Conversation => Self::Conversation,
        }
    }
}

impl From<confab_core::domain::KeepMode> for KeepModeName {
    fn from(k: confab_core::domain::KeepMode) -> Self {
        use confab_core::domain::KeepMode;
        match k {
            KeepMode::Nothing => Self::Nothing,
            KeepMode::Metadata => Self::Metadata,
            KeepMode::Conversation => Self::Conversation,
        }
    }
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            prefix: t.prefix,
            role: t.role.into(),
            user_id: t.user_id.0,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            keep: t.keep.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct CreatedToken {
    /// The secret. Shown only in this response; store it now.
    pub token: String,
    pub details: TokenView,
}

#[derive(Debug, Object)]
pub struct TokenPage {
    pub items: Vec<TokenView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: Option<String>,
    /// The initial password; the user should change it.
    pub password: String,
    pub role: RoleName,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetRoleRequest {
    pub role: RoleName,
}

#[derive(Debug, Object)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: RoleName,
    /// The user's status in this tenant.
    pub status: StatusName,
    pub created_at: DateTime<Utc>,
}

impl From<TenantMember> for UserView {
    fn from(m: TenantMember) -> Self {
        let status = if m.user.status == Status::Disabled { Status::Disabled } else { m.status };
        Self {
            id: m.user.id.0,
            email: m.user.email,
            display_name: m.user.display_name,
            role: m.role.into(),
            status: status.into(),
            created_at: m.user.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTenantRequest {
    pub name: String,
    /// URL-safe short name; derived from the name when absent.
    pub slug: Option<String>,
    /// An existing user to make the tenant's first tenant admin.
    pub admin_email: Option<String>,
}

#[derive(Debug, Object)]
pub struct TenantView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: StatusName,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self { id: t.id.0, slug: t.slug, name: t.name, status: t.status.into(), created_at: t.created_at }
    }
}

#[derive(Debug, Object)]
pub struct TenantPage {
    pub items: Vec<TenantView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct AuditEntryView {
    pub id: Uuid,
    /// Position in the installation-wide hash chain.
    pub seq: i64,
    pub tenant_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    /// The actor's e-mail address at the time, or `cli` for operator commands.
    pub actor: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub hash: String,
}

impl From<Entry> for AuditEntryView {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            seq: e.seq,
            tenant_id: e.tenant_id.map(|t| t.0),
            actor_user_id: e.actor_user_id.map(|u| u.0),
            actor: e.actor_label,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            outcome: e.outcome,
            ip: e.ip,
            request_id: e.request_id,
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            created_at: e.created_at,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Object)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// Page size: 1–200, 50 by default.
pub fn page_limit(limit: Option<u32>) -> Result<u64, AppError> {
    match limit {
        None => Ok(50),
        Some(l @ 1..=200) => Ok(l as u64),
        Some(_) => Err(AppError::Validation { field: "limit", reason: "must be between 1 and 200".into() }),
    }
}

pub fn encode_cursor(value: impl ToString) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Decodes an opaque cursor produced by `encode_cursor`.
pub fn decode_cursor<T: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<T>, AppError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let invalid = || AppError::Validation { field: "cursor", reason: "is not a cursor this endpoint returned".into() };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.parse().map(Some).map_err(|_| invalid())
}

/// Builds `next_cursor` when the page is full.
pub fn next_cursor<T, K: ToString>(items: &[T], limit: u64, key: impl Fn(&T) -> K) -> Option<String> {
    if items.len() as u64 == limit { items.last().map(|i| encode_cursor(key(i))) } else { None }
}
