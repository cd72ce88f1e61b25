//! Identity provisioning settings of the active tenant (tenant admins): SCIM tokens for the
//! identity provider, and the group → role mapping that SCIM groups (and single sign-on's groups
//! claim) go through. The SCIM endpoint itself is `/scim/v2/{tenant}` (see `crate::scim`).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::RoleName;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::identity::{RoleMapping, ScimToken};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct IdentityApi;

/// A new SCIM token's name.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateScimTokenRequest {
    /// What it is for (e.g. "Okta"), 1–100 characters.
    pub name: String,
}

/// A SCIM token of the tenant (never the secret).
#[derive(Debug, Object)]
pub struct ScimTokenView {
    /// The token's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The secret's first characters, to recognise it.
    pub prefix: String,
    /// Who created it.
    #[oai(nullable)]
    pub created_by: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the identity provider last used it (to the minute).
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; null while it works.
    #[oai(nullable)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ScimToken> for ScimTokenView {
    fn from(t: ScimToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_by: t.created_by.map(|u| u.0),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new SCIM token: the secret is shown only in this answer.
#[derive(Debug, Object)]
pub struct CreatedScimToken {
    /// The token.
    pub token: ScimTokenView,
    /// The bearer secret to give the identity provider (`cfs_…`).
    pub secret: String,
    /// The SCIM base URL path for this tenant, `/scim/v2/{tenant slug}` (prefix it with the server's URL).
    pub endpoint: String,
}

/// The tenant's SCIM tokens, newest first.
#[derive(Debug, Object)]
pub struct ScimTokenList {
    /// The tokens, revoked ones included.
    pub items: Vec<ScimTokenView>,
}

/// A group and the role its members get.
#[derive(Debug, Object)]
pub struct RoleMappingItem {
    /// The group's display name or external id, as the identity provider names it (case-insensitive).
    pub group: String,
    /// The role members of the group get; a member of several mapped groups gets the highest.
    pub role: RoleName,
}

/// The tenant's group → role mapping. Provisioned users in no mapped group are members.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RoleMappings {
    /// The mappings (at most 200, each group once).
    pub mappings: Vec<RoleMappingItem>,
}

fn view(mappings: Vec<RoleMapping>) -> RoleMappings {
    RoleMappings {
        mappings: mappings.into_iter().map(|m| RoleMappingItem { group: m.group, role: m.role.into() }).collect(),
    }
}

#[derive(ApiResponse)]
pub enum ScimTokenCreated {
    /// Created; the secret is in this answer only.
    #[oai(status = 201)]
    Created(Json<CreatedScimToken>),
}

#[derive(ApiResponse)]
pub enum ScimTokenRevoked {
    /// Revoked: the identity provider's next request with it is refused.
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(tag = "ApiTags::Identity")]
impl IdentityApi {
    /// Create a SCIM token for the active tenant's identity provider. The secret is shown once.
    #[oai(path = "/tenant/scim/tokens", method = "post", operation_id = "scim_tokens_create")]
    async fn create_token(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateScimTokenRequest>,
    ) -> ApiResult<ScimTokenCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let (token, secret) = state.provisioning.create_token(&scope, &actor_of(&auth.0), &body.name).await?;
        let slug = auth.0.tenant.as_ref().map(|t| t.slug.clone()).unwrap_or_default();
        Ok(ScimTokenCreated::Created(Json(CreatedScimToken {
            token: token.into(),
            secret,
            endpoint: format!("/scim/v2/{slug}"),
        })))
    }

    /// The active tenant's SCIM tokens, newest first.
    #[oai(path = "/tenant/scim/tokens", method = "get", operation_id = "scim_tokens_list")]
    async fn list_tokens(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<ScimTokenList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let items = state.provisioning.tokens(&scope).await?;
        Ok(Json(ScimTokenList { items: items.into_iter().map(Into::into).collect() }))
    }

    /// Revoke a SCIM token of the active tenant.
    #[oai(path = "/tenant/scim/tokens/:id", method = "delete", operation_id = "scim_tokens_revoke")]
    async fn revoke_token(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The token's id.
        id: Path<Uuid>,
    ) -> ApiResult<ScimTokenRevoked> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        state.provisioning.revoke_token(&scope, &actor_of(&auth.0), id.0).await?;
        Ok(ScimTokenRevoked::NoContent)
    }

    /// The active tenant's group → role mapping.
    #[oai(path = "/tenant/role-mappings", method = "get", operation_id = "role_mappings_get")]
    async fn get_mappings(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<RoleMappings>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_READ).await?;
        Ok(Json(view(state.provisioning.role_mappings(&scope).await?)))
    }

    /// Replace the active tenant's group → role mapping. Provisioned users' roles are recomputed
    /// at once; a user whose role changes is signed out everywhere.
    #[oai(path = "/tenant/role-mappings", method = "put", operation_id = "role_mappings_set")]
    async fn set_mappings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<RoleMappings>,
    ) -> ApiResult<Json<RoleMappings>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::IDENTITY_MANAGE).await?;
        let mappings =
            body.0.mappings.into_iter().map(|m| RoleMapping { group: m.group.trim().to_string(), role: m.role.into() });
        Ok(Json(view(state.provisioning.set_role_mappings(&scope, &actor_of(&auth.0), mappings.collect()).await?)))
    }
}
