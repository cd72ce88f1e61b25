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

/// Where a browser session was opened: the web chat, or the admin console (its own listener,
/// cookie and shorter idle timeout). A session works only on its own surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Surface {
    #[default]
    Chat,
    Admin,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Chat => "chat",
            Surface::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Surface {
        if raw == "admin" { Surface::Admin } else { Surface::Chat }
    }
}

#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        id: SessionId,
        csrf_token: String,
        surface: Surface,
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

    /// The surface a browser session belongs to (API tokens act like the chat's).
    pub fn surface(&self) -> Surface {
        match self.credential {
            Credential::Session { surface, .. } => surface,
            Credential::ApiToken { .. } => Surface::Chat,
        }
    }

    pub fn session_id(&self) -> Option<SessionId> {
        match self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::ApiToken { .. } => None,
        }
    }
}
