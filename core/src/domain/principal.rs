//! Who is calling, in which tenant, with which credential.
use crate::domain::{ApiTokenId, Role, SessionId, TenantId, UserId};

#[derive(Debug, Clone)]
pub struct ActiveTenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    /// The effective role: for an API token, the lesser of its scope and the user's role.
    pub role: Role,
}

#[derive(Debug, Clone)]
pub enum Credential {
    Session { id: SessionId, csrf_token: String },
    ApiToken { id: ApiTokenId, scope: Role },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    pub tenant: Option<ActiveTenant>,
    pub credential: Credential,
}

impl Principal {
    pub fn token_scope(&self) -> Option<Role> {
        match self.credential {
            Credential::ApiToken { scope, .. } => Some(scope),
            Credential::Session { .. } => None,
        }
    }

    pub fn session_id(&self) -> Option<SessionId> {
        match self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::ApiToken { .. } => None,
        }
    }
}
