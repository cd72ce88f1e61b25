//! The model catalogue: what members may use, and (tenant admins) the tenant's own models and
//! provider keys. Keys go in and are never returned.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use confab_core::audit::{self, NewEntry, action};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::config::ProviderKind;
use confab_core::error::AppError;
use confab_core::providers::catalogue::Source;
use confab_core::store::{self, catalogue::TenantModel};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;

#[derive(Default)]
pub struct CatalogueApi;

/// Where a model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ModelSource {
    /// The built-in demo (not a real model).
    BuiltIn,
    /// Configured by the operator for every tenant.
    Installation,
    /// Added by this tenant's admins.
    Tenant,
}

/// A model of the catalogue.
#[derive(Debug, Object)]
pub struct ModelView {
    /// The id to send as `model`.
    pub id: String,
    /// Its name for people.
    pub display_name: String,
    /// The provider that serves it.
    pub provider: String,
    /// True for the built-in demo model, which streams a fixed text.
    pub is_demo: bool,
    /// Where it comes from.
    pub source: ModelSource,
    /// The most tokens of prompt and answer together.
    pub context_window: u32,
    /// The most tokens of one answer.
    pub max_output_tokens: u32,
    /// Price of a million prompt tokens, in the installation's currency (0 when unknown).
    pub input_price_per_million: f64,
    /// Price of a million answer tokens, in the installation's currency (0 when unknown).
    pub output_price_per_million: f64,
    /// The model takes images: pictures may be attached to messages sent to it.
    pub vision: bool,
}

/// The models the caller may use in the active tenant.
#[derive(Debug, Object)]
pub struct ModelList {
    /// The models, in catalogue order.
    pub items: Vec<ModelView>,
}

/// A model the tenant adds to its catalogue (or changes).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PutModel {
    /// A provider configured by the operator (`GET /v1/providers`).
    pub provider: String,
    /// The provider's model name (Azure: the deployment); defaults to the id.
    #[oai(nullable)]
    pub upstream_model: Option<String>,
    /// Its name for people; the id when absent.
    #[oai(nullable)]
    pub display_name: Option<String>,
    /// The most tokens of prompt and answer together.
    pub context_window: u32,
    /// The most tokens of one answer.
    pub max_output_tokens: u32,
    /// Price of a million prompt tokens (for usage reports).
    pub input_price_per_million: f64,
    /// Price of a million answer tokens (for usage reports).
    pub output_price_per_million: f64,
    /// The model takes images (false when absent): pictures may be attached to messages sent
    /// to it; other models refuse them.
    #[oai(nullable)]
    pub vision: Option<bool>,
}

/// The wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "ProviderKind", rename_all = "snake_case")]
pub enum ProviderKindView {
    Openai,
    Anthropic,
}

/// A model provider: where models are served from.
#[derive(Debug, Object)]
pub struct ProviderView {
    /// The provider's name in the configuration.
    pub name: String,
    /// The wire protocol it speaks.
    pub kind: ProviderKindView,
    /// The operator configured a key for everyone.
    pub installation_key: bool,
    /// This tenant stored its own key (used instead).
    pub tenant_key: bool,
}

/// The model providers of the installation and the active tenant.
#[derive(Debug, Object)]
pub struct ProviderList {
    /// The providers.
    pub items: Vec<ProviderView>,
}

/// The tenant's own API key for a provider.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PutProviderKey {
    /// Stored encrypted; never shown again.
    pub api_key: String,
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(tag = "ApiTags::Models")]
impl CatalogueApi {
    /// The models I may use in the active tenant.
    #[oai(path = "/models", method = "get", operation_id = "models_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<ModelList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::MODELS_READ).await?;
        let items = state
            .chat
            .catalogue()
            .models(state.store.conn(), scope.tenant)
            .await?
            .into_iter()
            .map(|m| ModelView {
                is_demo: m.is_demo(),
                source: match m.source {
                    Source::BuiltIn => ModelSource::BuiltIn,
                    Source::Installation => ModelSource::Installation,
                    Source::Tenant => ModelSource::Tenant,
                },
                id: m.id,
                display_name: m.display_name,
                provider: m.provider,
                context_window: m.context_window,
                max_output_tokens: m.max_output_tokens,
                input_price_per_million: m.input_price_per_million,
                output_price_per_million: m.output_price_per_million,
                vision: m.vision,
            })
            .collect();
        Ok(Json(ModelList { items }))
    }

    /// Add or replace one of the tenant's own models (tenant admins).
    #[oai(path = "/models/:id", method = "put", operation_id = "models_set")]
    async fn put(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The model's id in the catalogue.
        id: Path<String>,
        body: Json<PutModel>,
    ) -> ApiResult<Json<ModelView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::MODELS_MANAGE).await?;
        let body = body.0;
        let model = TenantModel {
            upstream_model: body.upstream_model.clone().unwrap_or_else(|| id.0.clone()),
            display_name: body.display_name.clone().unwrap_or_else(|| id.0.clone()),
            model_id: id.0.clone(),
            provider: body.provider,
            context_window: body.context_window,
            max_output_tokens: body.max_output_tokens,
            input_price_per_million: body.input_price_per_million,
            output_price_per_million: body.output_price_per_million,
            vision: body.vision.unwrap_or(false),
        };
        state.chat.catalogue().validate_tenant_model(&model)?;
        let txn = state.store.begin().await.map_err(AppError::from)?;
        store::catalogue::upsert_model(&*txn, scope.tenant, &model).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), &actor_of(&auth.0), action::MODEL_SET)
                .target("model", &model.model_id)
                .details(serde_json::json!({
                    "provider": model.provider, "upstream_model": model.upstream_model,
                    "context_window": model.context_window, "max_output_tokens": model.max_output_tokens,
                    "input_price_per_million": model.input_price_per_million,
                    "output_price_per_million": model.output_price_per_million,
                    "vision": model.vision,
                })),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        state.chat.catalogue().changed(scope.tenant).await;
        Ok(Json(ModelView {
            id: model.model_id,
            display_name: model.display_name,
            provider: model.provider,
            is_demo: false,
            source: ModelSource::Tenant,
            context_window: model.context_window,
            max_output_tokens: model.max_output_tokens,
            input_price_per_million: model.input_price_per_million,
            output_price_per_million: model.output_price_per_million,
            vision: model.vision,
        }))
    }

    /// Remove one of the tenant's own models (tenant admins).
    #[oai(path = "/models/:id", method = "delete", operation_id = "models_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The model's id in the catalogue.
        id: Path<String>,
    ) -> ApiResult<Done> {
        let scope = state.authz.require_tenant(&auth.0, Permission::MODELS_MANAGE).await?;
        let txn = state.store.begin().await.map_err(AppError::from)?;
        if !store::catalogue::delete_model(&*txn, scope.tenant, &id.0).await? {
            return Err(AppError::NotFound("model").into());
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), &actor_of(&auth.0), action::MODEL_DELETED).target("model", &id.0),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        state.chat.catalogue().changed(scope.tenant).await;
        Ok(Done::NoContent)
    }

    /// The providers the operator configured, and whether keys are set (tenant admins).
    #[oai(path = "/providers", method = "get", operation_id = "providers_list")]
    async fn providers(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<ProviderList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PROVIDERS_MANAGE).await?;
        let items = state
            .chat
            .catalogue()
            .providers(scope.tenant)
            .await?
            .into_iter()
            .map(|p| ProviderView {
                name: p.name,
                kind: match p.kind {
                    ProviderKind::Openai => ProviderKindView::Openai,
                    ProviderKind::Anthropic => ProviderKindView::Anthropic,
                },
                installation_key: p.installation_key,
                tenant_key: p.tenant_key,
            })
            .collect();
        Ok(Json(ProviderList { items }))
    }

    /// Store the tenant's own key for a provider, encrypted (tenant admins).
    #[oai(path = "/providers/:name/key", method = "put", operation_id = "provider_keys_set")]
    async fn put_key(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The provider's name.
        name: Path<String>,
        body: Json<PutProviderKey>,
    ) -> ApiResult<Done> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PROVIDERS_MANAGE).await?;
        let key = body.api_key.trim();
        if key.is_empty() || key.len() > 4096 {
            return Err(AppError::Validation { field: "api_key", reason: "must be 1–4096 characters".into() }.into());
        }
        let sealed = state.chat.catalogue().seal_key(scope.tenant, &name.0, key)?;
        let txn = state.store.begin().await.map_err(AppError::from)?;
        store::catalogue::set_provider_key(&*txn, scope.tenant, &name.0, &sealed).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), &actor_of(&auth.0), action::PROVIDER_KEY_SET).target("provider", &name.0),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        state.chat.catalogue().changed(scope.tenant).await;
        Ok(Done::NoContent)
    }

    /// Remove the tenant's own key for a provider (tenant admins).
    #[oai(path = "/providers/:name/key", method = "delete", operation_id = "provider_keys_delete")]
    async fn delete_key(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The provider's name.
        name: Path<String>,
    ) -> ApiResult<Done> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PROVIDERS_MANAGE).await?;
        let txn = state.store.begin().await.map_err(AppError::from)?;
        if !store::catalogue::delete_provider_key(&*txn, scope.tenant, &name.0).await? {
            return Err(AppError::NotFound("provider key").into());
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), &actor_of(&auth.0), action::PROVIDER_KEY_DELETED)
                .target("provider", &name.0),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        state.chat.catalogue().changed(scope.tenant).await;
        Ok(Done::NoContent)
    }
}
