//! Request and response bodies of the v1 API. Request bodies deny unknown fields, so a role or
//! tenant smuggled into a body is refused rather than silently considered.

use chrono::{DateTime, Utc};
use confab_core::audit::Entry;
use confab_core::domain::Principal;
use confab_core::domain::{Role, Status};
use confab_core::store::api_tokens::ApiToken;
use confab_core::store::memberships::{TenantMember, UserTenant};
use confab_core::store::tenants::Tenant;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// A user's role in a tenant: `member` (chat), `auditor` (also reads audit and usage) or
/// `tenant_admin` (manages the tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "TenantRole", rename_all = "snake_case")]
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

/// Whether an account or tenant may sign in and be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "ActivationStatus", rename_all = "snake_case")]
pub enum StatusName {
    Active,
    Disabled,
}

impl From<StatusName> for Status {
    fn from(s: StatusName) -> Self {
        match s {
            StatusName::Active => Status::Active,
            StatusName::Disabled => Status::Disabled,
        }
    }
}

impl From<Status> for StatusName {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => StatusName::Active,
            Status::Disabled => StatusName::Disabled,
        }
    }
}

/// How the caller is signed in: a browser `session` or an `api_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiToken,
}

/// An e-mail address and password to sign in with.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's e-mail address.
    pub email: String,
    /// The account's password.
    pub password: String,
    /// Slug of the tenant to start in; the user's first tenant when absent.
    #[oai(nullable)]
    pub tenant: Option<String>,
}

/// A tenant the caller belongs to, and their role in it.
#[derive(Debug, Clone, Object)]
pub struct TenantMembershipView {
    /// The tenant's id.
    pub id: Uuid,
    /// Its short name (in URLs and sign-in).
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// The caller's role in it.
    pub role: RoleName,
}

/// The signed-in caller: who they are, their tenants and the active one.
#[derive(Debug, Clone, Object)]
pub struct MeView {
    /// The user's id.
    pub id: Uuid,
    /// The user's e-mail address.
    pub email: String,
    /// The user's name as others see it.
    pub display_name: String,
    /// Whether the user operates the installation (manages tenants).
    pub is_platform_admin: bool,
    /// How this request was authenticated.
    pub credential: CredentialKind,
    /// The tenant requests act in (an API token's own tenant), with the effective role.
    #[oai(nullable)]
    pub active_tenant: Option<TenantMembershipView>,
    /// Every tenant the user may switch to.
    pub tenants: Vec<TenantMembershipView>,
    /// Send as `X-CSRF-Token` on cookie-authenticated POST/PUT/PATCH/DELETE requests.
    #[oai(nullable)]
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

/// A new password for the signed-in user.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password, at least the installation's minimum length (`auth.min_password_length`).
    pub new_password: String,
}

/// The tenant to make active for this session.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SwitchTenantRequest {
    /// One of the caller's tenants.
    pub tenant_id: Uuid,
}

/// A new API token for the caller (shown once).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. "CI reporting".
    pub name: String,
    /// The most the token may do; at most your own role. Defaults to your role.
    #[oai(nullable)]
    pub role: Option<RoleName>,
    /// Lifetime in days (0 = never expires). Defaults to the installation's setting.
    #[oai(nullable)]
    pub expires_in_days: Option<u32>,
    /// What the OpenAI-compatible endpoint (`/openai/v1`) keeps of this token's calls.
    /// Defaults to `metadata`.
    #[oai(nullable)]
    pub keep: Option<KeepModeName>,
}

/// An API token (never its secret).
#[derive(Debug, Object)]
pub struct TokenView {
    /// The token's id.
    pub id: Uuid,
    /// Its name, to tell tokens apart.
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// The role it acts with.
    pub role: RoleName,
    /// Its owner.
    pub user_id: Uuid,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working; null for never.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request; null when never used.
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; null while not revoked.
    #[oai(nullable)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the OpenAI-compatible endpoint (`/openai/v1`) keeps of this token's calls.
    pub keep: KeepModeName,
}

/// What the OpenAI-compatible endpoint keeps of an API token's calls; the usage event (tokens
/// and cost) is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "KeepMode", rename_all = "snake_case")]
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

/// A newly created API token: the secret is in this response only.
#[derive(Debug, Object)]
pub struct CreatedToken {
    /// The secret. Shown only in this response; store it now.
    pub token: String,
    /// The token's details, as listed later.
    pub details: TokenView,
}

/// A page of API tokens, newest first.
#[derive(Debug, Object)]
pub struct TokenPage {
    /// This page's items.
    pub items: Vec<TokenView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// A new user in the active tenant.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Their e-mail address, used to sign in.
    pub email: String,
    /// Their name as others see it; the e-mail address when absent.
    #[oai(nullable)]
    pub display_name: Option<String>,
    /// The initial password; the user should change it.
    pub password: String,
    /// Their role in the tenant.
    pub role: RoleName,
}

/// A user's new role in the active tenant.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetRoleRequest {
    /// The new role.
    pub role: RoleName,
}

/// A user of the active tenant.
#[derive(Debug, Object)]
pub struct UserView {
    /// The user's id.
    pub id: Uuid,
    /// Their e-mail address.
    pub email: String,
    /// Their name as others see it.
    pub display_name: String,
    /// Their role in the tenant.
    pub role: RoleName,
    /// The user's status in this tenant.
    pub status: StatusName,
    /// When the user joined the tenant (for an account made by the tenant, when it was created).
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
            created_at: m.joined_at,
        }
    }
}

/// A page of the tenant's users.
#[derive(Debug, Object)]
pub struct UserPage {
    /// This page's items.
    pub items: Vec<UserView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// A new tenant.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// Its display name.
    pub name: String,
    /// URL-safe short name; derived from the name when absent.
    #[oai(nullable)]
    pub slug: Option<String>,
    /// An existing user to make the tenant's first tenant admin.
    #[oai(nullable)]
    pub admin_email: Option<String>,
}

/// A tenant: one organisation's isolated space.
#[derive(Debug, Object)]
pub struct TenantView {
    /// The tenant's id.
    pub id: Uuid,
    /// Its short name (in URLs and sign-in).
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Whether its users may sign in.
    pub status: StatusName,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self { id: t.id.0, slug: t.slug, name: t.name, status: t.status.into(), created_at: t.created_at }
    }
}

/// A page of the installation's tenants.
#[derive(Debug, Object)]
pub struct TenantPage {
    /// This page's items.
    pub items: Vec<TenantView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// One entry of the hash-chained audit log: who did what to which object, with what outcome.
#[derive(Debug, Object)]
pub struct AuditEntryView {
    /// The entry's id.
    pub id: Uuid,
    /// The entry's number: unique across the installation, increasing along its scope's hash chain
    /// (the chain position itself is in the `chain=true` export).
    pub seq: i64,
    /// The tenant the action belongs to; null for installation-wide actions.
    #[oai(nullable)]
    pub tenant_id: Option<Uuid>,
    /// The user who acted; null for the system or an unknown sign-in.
    #[oai(nullable)]
    pub actor_user_id: Option<Uuid>,
    /// The actor's e-mail address at the time, or `cli` for operator commands.
    pub actor: String,
    /// What happened, `<object>.<verb>`, e.g. `auth.login`, `conversation.deleted`.
    pub action: String,
    /// The kind of object acted on, e.g. `user`, `conversation`; null when none.
    #[oai(nullable)]
    pub target_type: Option<String>,
    /// The id of the object acted on; null when none.
    #[oai(nullable)]
    pub target_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// The client's IP address; null for actions without a request (the CLI, background work).
    #[oai(nullable)]
    pub ip: Option<String>,
    /// The request that caused it (matches the server's logs); null without a request.
    #[oai(nullable)]
    pub request_id: Option<String>,
    /// Action-specific facts (never message content or secrets).
    pub details: serde_json::Value,
    /// When it happened (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// SHA-256 over this entry and the previous entry's hash in its scope's chain (hex): the chain
    /// that makes tampering evident (docs/audit-verification.md).
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

/// A page of audit entries, newest first.
#[derive(Debug, Object)]
pub struct AuditPage {
    /// This page's items.
    pub items: Vec<AuditEntryView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
