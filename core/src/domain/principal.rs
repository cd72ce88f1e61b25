//! Who is calling, in which tenant, with which credential.
use crate::domain::{ApiTokenId, KeepMode, Role, SessionId, TenantId, UserId};

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
    Session {
        id: SessionId,
        csrf_token: String,
    },
    /// `keep`: what the OpenAI-compatible endpoint keeps of this token's calls.
    ApiToken {
        id: ApiTokenId,
        scope: Role,
        keep: KeepMode,
    },
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

    /// The API token and what its calls keep; `None` for a browser session.
    pub fn api_token(&self) -> Option<(ApiTokenId, KeepMode)> {
        match self.credential {
            Credential::ApiToken { id, keep, .. } => Some((id, keep)),
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
