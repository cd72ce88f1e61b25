//! Plugins: platform admins upload versions; tenant admins choose which run on their tenant's
//! prompts, in what order, configured how, failing open or closed, within what time.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use base64::Engine;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::error::AppError;
use confab_core::plugins::{ChainEntryInfo, Settings, VersionSummary};
use confab_core::plugins::{FailurePolicy, Hook};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

/// Largest upload body: a 16 MiB component in base64 plus its manifest.
pub const MAX_UPLOAD_BODY_BYTES: usize = 23 << 20;

#[derive(Default)]
pub struct PluginsApi;

/// One plugin call, as recorded with the answer it ran for.
#[derive(Debug, Object)]
pub struct PluginCallView {
    /// The answer it ran for.
    pub message_id: Uuid,
    /// That answer's conversation.
    pub conversation_id: Uuid,
    /// When the answer finished.
    pub at: DateTime<Utc>,
    /// The plugin's name.
    pub plugin: String,
    /// The version that ran.
    pub version: String,
    /// `unchanged`, `changed`, `rejected`, `failed_open` or `failed`.
    pub outcome: String,
    /// The plugin's reason for a rejection, or what went wrong; null otherwise.
    #[oai(nullable)]
    pub detail: Option<String>,
    /// How long the call took, in microseconds.
    pub elapsed_us: u64,
}

/// Recent plugin calls, newest first.
#[derive(Debug, Object)]
pub struct PluginCallList {
    /// The calls.
    pub items: Vec<PluginCallView>,
}

/// What a turn does when a plugin fails (traps, times out, exceeds a limit): `fail_closed` refuses
/// the turn, `fail_open` goes on without the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "FailurePolicy", rename_all = "snake_case")]
pub enum FailurePolicyName {
    /// Go on without the plugin's contribution, and record that it failed.
    FailOpen,
    /// End the turn as `failed` (`plugin_failed`); nothing is sent upstream.
    FailClosed,
}

impl From<FailurePolicy> for FailurePolicyName {
    fn from(p: FailurePolicy) -> Self {
        match p {
            FailurePolicy::FailOpen => FailurePolicyName::FailOpen,
            FailurePolicy::FailClosed => FailurePolicyName::FailClosed,
        }
    }
}

impl From<FailurePolicyName> for FailurePolicy {
    fn from(p: FailurePolicyName) -> Self {
        match p {
            FailurePolicyName::FailOpen => FailurePolicy::FailOpen,
            FailurePolicyName::FailClosed => FailurePolicy::FailClosed,
        }
    }
}

/// A plugin version to upload: its manifest and WebAssembly component.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UploadPlugin {
    /// The manifest: `name`, `version` (semver), `description`, `hooks` (`presets`,
    /// `transform_request`, `transform_response`), `config_schema`, `failure_policy`.
    pub manifest: serde_json::Value,
    /// The WebAssembly component, base64.
    pub component_base64: String,
}

/// One uploaded version of a plugin.
#[derive(Debug, Object)]
pub struct PluginVersionView {
    /// The version's id.
    pub id: Uuid,
    /// The plugin's name.
    pub name: String,
    /// The version (semver).
    pub version: String,
    /// What the plugin does.
    pub description: String,
    /// The hooks it implements: `presets`, `transform_request`, `transform_response`.
    pub hooks: Vec<String>,
    /// JSON Schema (a subset) of the per-tenant configuration.
    #[oai(nullable)]
    pub config_schema: Option<serde_json::Value>,
    /// The failure policy a tenant gets unless it chooses another.
    pub default_failure_policy: FailurePolicyName,
    /// SHA-256 of the component (hex).
    pub sha256: String,
    /// The component's size in bytes.
    pub size_bytes: i64,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

fn version_view(name: &str, v: &VersionSummary) -> PluginVersionView {
    PluginVersionView {
        id: v.meta.id,
        name: name.to_string(),
        version: v.meta.version.clone(),
        description: v.manifest.description().to_string(),
        hooks: v.manifest.hooks().iter().map(|h| h.name().to_string()).collect(),
        config_schema: v.manifest.config_schema().cloned(),
        default_failure_policy: v.manifest.failure_policy().into(),
        sha256: v.meta.sha256.clone(),
        size_bytes: v.meta.size_bytes,
        created_at: v.meta.created_at,
    }
}

/// A plugin and its uploaded versions.
#[derive(Debug, Object)]
pub struct PluginView {
    /// The plugin's name.
    pub name: String,
    /// Oldest first.
    pub versions: Vec<PluginVersionView>,
}

/// The plugins uploaded to the installation.
#[derive(Debug, Object)]
pub struct PluginList {
    /// The plugins.
    pub items: Vec<PluginView>,
}

/// One plugin in the tenant's chain, with its configuration.
#[derive(Debug, Object)]
pub struct ChainEntryView {
    /// The plugin's name.
    pub name: String,
    /// The version that runs (semver).
    pub version: String,
    /// The id of the uploaded version that runs.
    pub version_id: Uuid,
    /// The hooks this version implements: `presets`, `transform_request`, `transform_response`.
    pub hooks: Vec<String>,
    /// Whether it runs; a disabled plugin keeps its place and configuration.
    pub enabled: bool,
    /// 1 runs first.
    pub position: i32,
    /// The tenant's configuration for it, valid against the plugin's `config_schema`.
    pub config: serde_json::Value,
    /// What a turn does when this plugin fails.
    pub failure_policy: FailurePolicyName,
    /// The most time one call of the plugin may take, in milliseconds.
    pub time_budget_ms: i32,
    /// When the tenant last changed this entry.
    pub updated_at: DateTime<Utc>,
}

impl From<ChainEntryInfo> for ChainEntryView {
    fn from(e: ChainEntryInfo) -> Self {
        Self {
            name: e.name,
            version: e.version,
            version_id: e.version_id,
            hooks: e.hooks.iter().map(|h: &Hook| h.name().to_string()).collect(),
            enabled: e.enabled,
            position: e.position,
            config: e.config,
            failure_policy: e.failure_policy.into(),
            time_budget_ms: e.time_budget_ms,
            updated_at: e.updated_at,
        }
    }
}

/// The tenant's plugin chain.
#[derive(Debug, Object)]
pub struct TenantPlugins {
    /// The tenant's chain, in the order it runs.
    pub chain: Vec<ChainEntryView>,
}

/// Adds a plugin to the tenant's chain or changes its configuration.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ConfigurePlugin {
    /// The version to run (an uploaded one).
    pub version: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Checked against the version's configuration schema; `{}` when absent.
    #[oai(nullable)]
    pub config: Option<serde_json::Value>,
    /// The plugin manifest's default when absent.
    #[oai(nullable)]
    pub failure_policy: Option<FailurePolicyName>,
    /// Per call, 1–2000 ms; 50 when absent.
    #[oai(nullable)]
    pub time_budget_ms: Option<i32>,
}

/// The order of the tenant's plugin chain.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OrderChain {
    /// Every plugin of the chain, once, in the order to run them.
    pub names: Vec<String>,
}

#[derive(ApiResponse)]
pub enum PluginUploaded {
    #[oai(status = 201)]
    Created(Json<PluginVersionView>),
}

#[derive(ApiResponse)]
pub enum PluginRemoved {
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(tag = "ApiTags::Plugins")]
impl PluginsApi {
    /// Upload a plugin version (platform admins). The component must import nothing but
    /// Confab's host interface and export exactly the hooks its manifest declares; versions are
    /// immutable.
    #[oai(path = "/plugins", method = "post", operation_id = "plugins_upload")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<UploadPlugin>,
    ) -> ApiResult<PluginUploaded> {
        let scope = state.authz.require_platform(&auth.0, Permission::PLUGINS_MANAGE).await?;
        let Json(body) = body;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.component_base64.trim())
            .map_err(|_| AppError::Validation { field: "component_base64", reason: "is not valid base64".into() })?;
        let manifest = body.manifest.to_string();
        let version = state.plugins.upload(&scope, &actor_of(&auth.0), &manifest, bytes).await?;
        let name = version.manifest.name().as_str().to_string();
        Ok(PluginUploaded::Created(Json(version_view(&name, &version))))
    }

    /// Every plugin and version of the installation (platform admins).
    #[oai(path = "/plugins", method = "get", operation_id = "plugins_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PluginList>> {
        state.authz.require_platform(&auth.0, Permission::PLUGINS_READ).await?;
        available(&state).await
    }

    /// The plugins a tenant admin can add to the chain.
    #[oai(path = "/tenant/plugins/available", method = "get", operation_id = "tenant_plugins_available")]
    async fn available(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PluginList>> {
        state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_MANAGE).await?;
        available(&state).await
    }

    /// The tenant's most recent plugin calls, newest first (tenant admins and auditors): of one
    /// plugin, or only failures and rejections, as asked. Looks through the latest 5,000 answers
    /// that ran plugins.
    #[oai(path = "/tenant/plugins/runs", method = "get", operation_id = "tenant_plugin_runs_list")]
    async fn runs(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only this plugin's calls.
        plugin: Query<Option<String>>,
        /// Only calls that failed or rejected the request.
        failed_only: Query<Option<bool>>,
        /// How many, 1–200 (default 50).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<PluginCallList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::AUDIT_READ).await?;
        let limit = limit.0.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::Validation { field: "limit", reason: "must be between 1 and 200".into() }.into());
        }
        let runs = state
            .plugins
            .recent_runs(&scope, plugin.0.as_deref(), failed_only.0.unwrap_or(false), limit as usize)
            .await?;
        Ok(Json(PluginCallList {
            items: runs
                .into_iter()
                .map(|r| PluginCallView {
                    message_id: r.message.0,
                    conversation_id: r.conversation.0,
                    at: r.at,
                    plugin: r.plugin,
                    version: r.version,
                    outcome: r.outcome,
                    detail: r.detail,
                    elapsed_us: r.elapsed_us,
                })
                .collect(),
        }))
    }

    /// The tenant's plugin chain: which plugins run on its prompts, in order. Everyone in the
    /// tenant may see it; configurations are shown to tenant admins only.
    #[oai(path = "/tenant/plugins", method = "get", operation_id = "tenant_plugins_list")]
    async fn chain(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<TenantPlugins>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_READ).await?;
        let admin = state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_MANAGE).await.is_ok();
        let chain = state.plugins.chain(scope.tenant).await?;
        Ok(Json(TenantPlugins {
            chain: chain
                .into_iter()
                .map(|e| {
                    let mut view = ChainEntryView::from(e);
                    if !admin {
                        view.config = serde_json::json!({});
                    }
                    view
                })
                .collect(),
        }))
    }

    /// Add a plugin to the tenant's chain (at the end) or change its entry (tenant admins).
    #[oai(path = "/tenant/plugins/:name", method = "put", operation_id = "tenant_plugins_set")]
    async fn configure(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The plugin's name.
        name: Path<String>,
        body: Json<ConfigurePlugin>,
    ) -> ApiResult<Json<TenantPlugins>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_MANAGE).await?;
        let Json(b) = body;
        let chain = state
            .plugins
            .configure(
                &scope,
                &actor_of(&auth.0),
                &name.0,
                Settings {
                    version: b.version,
                    enabled: b.enabled,
                    config: b.config,
                    failure_policy: b.failure_policy.map(Into::into),
                    time_budget_ms: b.time_budget_ms,
                },
            )
            .await?;
        Ok(Json(TenantPlugins { chain: chain.into_iter().map(Into::into).collect() }))
    }

    /// Remove a plugin from the tenant's chain (tenant admins).
    #[oai(path = "/tenant/plugins/:name", method = "delete", operation_id = "tenant_plugins_remove")]
    async fn remove(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The plugin's name.
        name: Path<String>,
    ) -> ApiResult<PluginRemoved> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_MANAGE).await?;
        state.plugins.remove(&scope, &actor_of(&auth.0), &name.0).await?;
        Ok(PluginRemoved::NoContent)
    }

    /// Order the tenant's chain (tenant admins).
    #[oai(path = "/tenant/plugin-order", method = "put", operation_id = "tenant_plugin_order_set")]
    async fn order(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<OrderChain>,
    ) -> ApiResult<Json<TenantPlugins>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_PLUGINS_MANAGE).await?;
        let chain = state.plugins.order(&scope, &actor_of(&auth.0), &body.names).await?;
        Ok(Json(TenantPlugins { chain: chain.into_iter().map(Into::into).collect() }))
    }
}

async fn available(state: &AppState) -> ApiResult<Json<PluginList>> {
    let items = state
        .plugins
        .catalogue()
        .await?
        .into_iter()
        .map(|p| PluginView {
            versions: p.versions.iter().map(|v| version_view(&p.plugin.name, v)).collect(),
            name: p.plugin.name,
        })
        .collect();
    Ok(Json(PluginList { items }))
}
