//! Presets: tenant presets (tenant admins) and personal presets (everyone), their immutable
//! versions and diffs, and the tenant's list of models presets may use.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::PresetId;
use confab_core::presets::{Change, LineOp, PresetInput};
use confab_core::store::presets::{Preset, PresetVersion};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct PresetsApi;

/// Who owns a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PresetSource {
    /// Managed by the tenant's admins, offered to everyone in the tenant.
    Tenant,
    /// The caller's own.
    Personal,
}

/// One immutable version of a preset.
#[derive(Debug, Object)]
pub struct PresetVersionView {
    /// The version's id.
    pub id: Uuid,
    /// The preset's id.
    pub preset_id: Uuid,
    /// 1 for the first version, one more for each edit.
    pub version: i32,
    /// The preset's name at this version.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The model turns use when the sender names none; the tenant's default when absent.
    #[oai(nullable)]
    pub model: Option<String>,
    /// The system prompt.
    pub system_prompt: String,
    /// Sampling temperature; null for the provider's default.
    #[oai(nullable)]
    pub temperature: Option<f64>,
    /// Caps the answer length (never above the model's own maximum).
    #[oai(nullable)]
    pub max_tokens: Option<i64>,
    /// The user who saved this version; null when that user is gone.
    #[oai(nullable)]
    pub created_by: Option<Uuid>,
    /// When this version was saved.
    pub created_at: DateTime<Utc>,
}

impl From<PresetVersion> for PresetVersionView {
    fn from(v: PresetVersion) -> Self {
        Self {
            id: v.id.0,
            preset_id: v.preset_id.0,
            version: v.version,
            name: v.settings.name,
            description: v.settings.description,
            model: v.settings.model,
            system_prompt: v.settings.system_prompt,
            temperature: v.settings.temperature,
            max_tokens: v.settings.max_tokens,
            created_by: v.created_by.map(|u| u.0),
            created_at: v.created_at,
        }
    }
}

/// A preset and its latest version.
#[derive(Debug, Object)]
pub struct PresetView {
    /// The preset's id.
    pub id: Uuid,
    /// Who owns it.
    pub source: PresetSource,
    /// Deleted presets are kept for the conversations pinned to them.
    pub deleted: bool,
    /// The current version.
    pub current: PresetVersionView,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its latest version was saved.
    pub updated_at: DateTime<Utc>,
}

impl From<Preset> for PresetView {
    fn from(p: Preset) -> Self {
        Self {
            id: p.id.0,
            source: if p.owner_id.is_some() { PresetSource::Personal } else { PresetSource::Tenant },
            deleted: p.archived,
            current: p.current.into(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// The presets the caller may use: the tenant's and their own.
#[derive(Debug, Object)]
pub struct PresetList {
    /// Tenant presets first, then the caller's own, each by name.
    pub items: Vec<PresetView>,
    /// Presets offered by the tenant's enabled plugins (source `plugin`). Pin one with
    /// `plugin_preset` when starting or switching a conversation.
    pub plugin_items: Vec<PluginPresetView>,
}

/// A preset a plugin offers.
#[derive(Debug, Object)]
pub struct PluginPresetView {
    /// Always `plugin`.
    pub source: String,
    /// The plugin that provides it.
    pub plugin: String,
    /// The plugin version offering it; a conversation using it pins this version.
    pub plugin_version: String,
    /// The plugin version that provides it.
    pub plugin_version_id: Uuid,
    /// The preset's id within the plugin.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The model it uses; null to use the conversation's model.
    #[oai(nullable)]
    pub model: Option<String>,
    /// Its sampling temperature; null for the provider's default.
    #[oai(nullable)]
    pub temperature: Option<f32>,
    /// Suggested first messages.
    pub starters: Vec<String>,
}

/// A new preset: a named model, settings and system prompt (its version 1).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreatePreset {
    /// `personal` (default) or `tenant` (tenant admins only).
    #[oai(nullable)]
    pub source: Option<PresetSource>,
    /// Its name, unique among the presets of the same source.
    pub name: String,
    /// What it is for.
    #[oai(nullable)]
    pub description: Option<String>,
    /// The model it uses; the conversation's model when absent.
    #[oai(nullable)]
    pub model: Option<String>,
    /// The system prompt it puts first in every turn.
    #[oai(nullable)]
    pub system_prompt: Option<String>,
    /// Sampling temperature, 0–2; the provider's default when absent.
    #[oai(nullable)]
    pub temperature: Option<f64>,
    /// The most tokens an answer may have; the model's limit when absent.
    #[oai(nullable)]
    pub max_tokens: Option<i64>,
}

/// The complete settings of the next version.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdatePreset {
    /// The version the edit started from; a newer current version is a conflict (409).
    #[oai(nullable)]
    pub base_version: Option<i32>,
    /// A new name; unchanged when absent.
    pub name: String,
    /// A new description; unchanged when absent.
    #[oai(nullable)]
    pub description: Option<String>,
    /// A new model; unchanged when absent.
    #[oai(nullable)]
    pub model: Option<String>,
    /// A new system prompt; unchanged when absent.
    #[oai(nullable)]
    pub system_prompt: Option<String>,
    /// A new temperature; unchanged when absent.
    #[oai(nullable)]
    pub temperature: Option<f64>,
    /// A new answer size limit; unchanged when absent.
    #[oai(nullable)]
    pub max_tokens: Option<i64>,
}

/// Every version of a preset, newest first.
#[derive(Debug, Object)]
pub struct PresetVersionList {
    /// Newest first.
    pub items: Vec<PresetVersionView>,
}

/// A diff line's kind: `equal` (in both), `delete` (old only), `insert` (new only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Delete,
    Insert,
}

/// One line of a text diff.
#[derive(Debug, Object)]
pub struct DiffLine {
    /// Whether the line is in both versions, only the old one or only the new one.
    pub op: DiffOp,
    /// The line, without its line break.
    pub text: String,
}

/// One changed field. Scalar fields carry `from` and `to`; the system prompt carries `lines`.
#[derive(Debug, Object)]
pub struct FieldChange {
    /// The setting, e.g. `model`, `temperature`, `system_prompt`.
    pub field: String,
    /// The old value (null when unset); absent for `system_prompt`, which has `lines`.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub from: Option<serde_json::Value>,
    /// The new value (null when unset); absent for `system_prompt`, which has `lines`.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub to: Option<serde_json::Value>,
    /// For `system_prompt`: a line diff; absent otherwise.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub lines: Option<Vec<DiffLine>>,
}

/// What changed between two versions of a preset.
#[derive(Debug, Object)]
pub struct PresetDiff {
    /// The older version's number.
    pub from: i32,
    /// The newer version's number.
    pub to: i32,
    /// Empty when the versions are the same.
    pub changes: Vec<FieldChange>,
}

/// The tenant's rules for presets.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PresetPolicy {
    /// Model ids presets may use; `null` allows every model of the tenant's catalogue.
    #[oai(nullable)]
    pub allowed_models: Option<Vec<String>>,
}

#[derive(ApiResponse)]
pub enum PresetCreated {
    #[oai(status = 201)]
    Created(Json<PresetView>),
}

#[derive(ApiResponse)]
pub enum PresetDeleted {
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(tag = "ApiTags::Presets")]
impl PresetsApi {
    /// The presets I can use: the tenant's and my own.
    #[oai(path = "/presets", method = "get", operation_id = "presets_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PresetList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        let items = state.presets.list(&scope).await?;
        let plugin_items = state
            .plugins
            .presets(scope.tenant, scope.user)
            .await?
            .into_iter()
            .map(|p| PluginPresetView {
                source: "plugin".into(),
                plugin: p.plugin,
                plugin_version: p.version,
                plugin_version_id: p.version_id,
                id: p.preset.id,
                name: p.preset.name,
                description: p.preset.description,
                model: p.preset.model,
                temperature: p.preset.temperature,
                starters: p.preset.starters,
            })
            .collect();
        Ok(Json(PresetList { items: items.into_iter().map(Into::into).collect(), plugin_items }))
    }

    /// Create a personal preset, or a tenant preset (tenant admins).
    #[oai(path = "/presets", method = "post", operation_id = "presets_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<CreatePreset>,
    ) -> ApiResult<PresetCreated> {
        let tenant_wide = body.source == Some(PresetSource::Tenant);
        let perm = if tenant_wide { Permission::TENANT_PRESETS_MANAGE } else { Permission::PRESETS_WRITE };
        let scope = state.authz.require_tenant(&auth.0, perm).await?;
        let Json(b) = body;
        let input = PresetInput {
            name: b.name,
            description: b.description,
            model: b.model,
            system_prompt: b.system_prompt,
            temperature: b.temperature,
            max_tokens: b.max_tokens,
        };
        let preset = state.presets.create(&scope, &actor_of(&auth.0), tenant_wide, input).await?;
        Ok(PresetCreated::Created(Json(preset.into())))
    }

    /// One preset with its current version.
    #[oai(path = "/presets/:id", method = "get", operation_id = "presets_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<PresetView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        Ok(Json(state.presets.get(&scope, PresetId(id.0)).await?.into()))
    }

    /// Edit a preset: writes a new version. Conversations pinned to an older version keep it.
    #[oai(path = "/presets/:id", method = "put", operation_id = "presets_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
        body: Json<UpdatePreset>,
    ) -> ApiResult<Json<PresetView>> {
        let scope = editable(&state, &auth, PresetId(id.0)).await?;
        let Json(b) = body;
        let input = PresetInput {
            name: b.name,
            description: b.description,
            model: b.model,
            system_prompt: b.system_prompt,
            temperature: b.temperature,
            max_tokens: b.max_tokens,
        };
        let preset = state.presets.update(&scope, &actor_of(&auth.0), PresetId(id.0), b.base_version, input).await?;
        Ok(Json(preset.into()))
    }

    /// Delete a preset from the pickers. Conversations pinned to it keep working.
    #[oai(path = "/presets/:id", method = "delete", operation_id = "presets_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
    ) -> ApiResult<PresetDeleted> {
        let scope = editable(&state, &auth, PresetId(id.0)).await?;
        state.presets.delete(&scope, &actor_of(&auth.0), PresetId(id.0)).await?;
        Ok(PresetDeleted::NoContent)
    }

    /// Every version of a preset, newest first.
    #[oai(path = "/presets/:id/versions", method = "get", operation_id = "preset_versions_list")]
    async fn versions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<PresetVersionList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        let items = state.presets.versions(&scope, PresetId(id.0)).await?;
        Ok(Json(PresetVersionList { items: items.into_iter().map(Into::into).collect() }))
    }

    /// One version of a preset.
    #[oai(path = "/presets/:id/versions/:version", method = "get", operation_id = "preset_versions_get")]
    async fn version(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
        /// The version's number (1, 2, …).
        version: Path<i32>,
    ) -> ApiResult<Json<PresetVersionView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        Ok(Json(state.presets.version(&scope, PresetId(id.0), version.0).await?.into()))
    }

    /// What changed between two versions of a preset.
    #[oai(path = "/presets/:id/diff", method = "get", operation_id = "presets_diff")]
    async fn diff(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The preset's id.
        id: Path<Uuid>,
        /// The older version's number.
        from: Query<i32>,
        /// The newer version's number.
        to: Query<i32>,
    ) -> ApiResult<Json<PresetDiff>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        let changes = state.presets.diff(&scope, PresetId(id.0), from.0, to.0).await?;
        let changes = changes
            .into_iter()
            .map(|c| match c {
                Change::Field { field, from, to } => {
                    FieldChange { field: field.into(), from: Some(from), to: Some(to), lines: None }
                }
                Change::Text { field, lines } => FieldChange {
                    field: field.into(),
                    from: None,
                    to: None,
                    lines: Some(
                        lines
                            .into_iter()
                            .map(|(op, text)| DiffLine {
                                op: match op {
                                    LineOp::Equal => DiffOp::Equal,
                                    LineOp::Delete => DiffOp::Delete,
                                    LineOp::Insert => DiffOp::Insert,
                                },
                                text,
                            })
                            .collect(),
                    ),
                },
            })
            .collect();
        Ok(Json(PresetDiff { from: from.0, to: to.0, changes }))
    }

    /// The models presets of this tenant may use.
    #[oai(path = "/tenant/preset-policy", method = "get", operation_id = "preset_policy_get")]
    async fn policy(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<PresetPolicy>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_READ).await?;
        Ok(Json(PresetPolicy { allowed_models: state.presets.allowed_models(&scope).await? }))
    }

    /// Restrict the models presets may use (tenant admins). Applies to new versions; existing
    /// versions are immutable.
    #[oai(path = "/tenant/preset-policy", method = "put", operation_id = "preset_policy_set")]
    async fn set_policy(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<PresetPolicy>,
    ) -> ApiResult<Json<PresetPolicy>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_PRESETS_MANAGE).await?;
        let Json(b) = body;
        let allowed_models = state.presets.set_allowed_models(&scope, &actor_of(&auth.0), b.allowed_models).await?;
        Ok(Json(PresetPolicy { allowed_models }))
    }
}

/// Edits need `presets:write` for one's own presets and `tenant_presets:manage` for the
/// tenant's. Others' personal presets are not found.
async fn editable(state: &AppState, auth: &Auth, id: PresetId) -> ApiResult<confab_core::domain::TenantScope> {
    let scope = state.authz.require_tenant(&auth.0, Permission::PRESETS_WRITE).await?;
    let preset = state.presets.get(&scope, id).await?;
    if preset.owner_id.is_none() {
        Ok(state.authz.require_tenant(&auth.0, Permission::TENANT_PRESETS_MANAGE).await?)
    } else {
        Ok(scope)
    }
}
