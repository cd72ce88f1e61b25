//! API tokens: my own, and (tenant admins) everyone's in the tenant.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::*;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::{ApiTokenId, UserId};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct TokensApi;

#[derive(ApiResponse)]
pub enum TokenCreated {
    #[oai(status = 201)]
    Created(Json<CreatedToken>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    #[oai(status = 204)]
    NoContent,
}

fn page(items: Vec<confab_core::store::api_tokens::ApiToken>, limit: u64) -> TokenPage {
    let next_cursor = next_cursor(&items, limit, |t| t.id.0);
    TokenPage { items: items.into_iter().map(Into::into).collect(), next_cursor }
}

#[OpenApi(tag = "ApiTags::Tokens")]
impl TokensApi {
    /// List my API tokens in the active tenant, newest first.
    #[oai(path = "/me/tokens", method = "get", operation_id = "my_tokens_list")]
    async fn list_mine(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<TokenPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::OWN_TOKENS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ApiTokenId);
        Ok(Json(page(state.auth.list_tokens(&scope, Some(scope.user), before, limit).await?, limit)))
    }

    /// Create an API token bound to the active tenant. The secret is shown once.
    #[oai(path = "/me/tokens", method = "post", operation_id = "my_tokens_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreateTokenRequest>,
    ) -> ApiResult<TokenCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::OWN_TOKENS_CREATE).await?;
        let body = body.0;
        let (token, secret) = state
            .auth
            .create_token(
                &scope,
                &actor_of(&auth.0),
                &body.name,
                body.role.map(Into::into),
                body.expires_in_days,
                body.keep.map(Into::into),
            )
            .await?;
        Ok(TokenCreated::Created(Json(CreatedToken { token: secret, details: token.into() })))
    }

    /// Revoke one of my API tokens.
    #[oai(path = "/me/tokens/:id", method = "delete", operation_id = "my_tokens_revoke")]
    async fn revoke_mine(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The token's id.
        id: Path<Uuid>,
    ) -> ApiResult<Revoked> {
        let scope = state.authz.require_tenant(&auth.0, Permission::OWN_TOKENS_REVOKE).await?;
        state.auth.revoke_token(&scope, &actor_of(&auth.0), ApiTokenId(id.0), false).await?;
        Ok(Revoked::NoContent)
    }

    /// List every API token in the active tenant, or one user's (tenant admins).
    #[oai(path = "/tokens", method = "get", operation_id = "tokens_list")]
    async fn list_all(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only this user's tokens.
        user_id: Query<Option<Uuid>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<TokenPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TOKENS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ApiTokenId);
        Ok(Json(page(state.auth.list_tokens(&scope, user_id.0.map(UserId), before, limit).await?, limit)))
    }

    /// Revoke any API token in the active tenant (tenant admins).
    #[oai(path = "/tokens/:id", method = "delete", operation_id = "tokens_revoke")]
    async fn revoke_any(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The token's id.
        id: Path<Uuid>,
    ) -> ApiResult<Revoked> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TOKENS_REVOKE).await?;
        state.auth.revoke_token(&scope, &actor_of(&auth.0), ApiTokenId(id.0), true).await?;
        Ok(Revoked::NoContent)
    }
}
