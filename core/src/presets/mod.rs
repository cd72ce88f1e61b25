//! Presets: named model settings and system prompts. Tenant presets are managed by tenant
//! admins and offered to everyone in the tenant; personal presets belong to one user. Every edit
//! writes a new immutable version; conversations pin a version and change it only when their
//! owner switches explicitly, so an admin's edit never changes a conversation under way.

use crate::audit::{self, Actor, NewEntry, action};
use crate::domain::TenantScope;
use crate::domain::{PresetId, PresetVersionId};
use crate::error::{AppError, AppResult};
use crate::providers::Catalogue;
use crate::store::presets::{Preset, PresetSettings, PresetVersion};
use crate::store::{self, Store};
use std::sync::Arc;

pub const MAX_SYSTEM_PROMPT_CHARS: usize = 20_000;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
pub const MAX_NAME_CHARS: usize = 100;

/// A preset's settings as a client sent them, before validation.
#[derive(Debug, Clone, Default)]
pub struct PresetInput {
    pub name: String,
    pub description: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

/// One changed field between two versions.
#[derive(Debug, Clone)]
pub enum Change {
    /// A scalar field: its JSON value before and after.
    Field { field: &'static str, from: serde_json::Value, to: serde_json::Value },
    /// The system prompt, line by line.
    Text { field: &'static str, lines: Vec<(LineOp, String)> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    Equal,
    Delete,
    Insert,
}

pub struct PresetService {
    store: Store,
    catalogue: Arc<Catalogue>,
}

impl PresetService {
    pub fn new(store: Store, catalogue: Arc<Catalogue>) -> Self {
        Self { store, catalogue }
    }

    pub async fn list(&self, scope: &TenantScope) -> AppResult<Vec<Preset>> {
        store::presets::list(self.store.conn(), scope.tenant, scope.user).await
    }

    /// A preset the caller may see; others' personal presets and other tenants' are not found.
    pub async fn get(&self, scope: &TenantScope, id: PresetId) -> AppResult<Preset> {
        store::presets::get(self.store.conn(), scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("preset"))
    }

    /// Checks and normalises settings against the tenant's catalogue and its preset policy.
    async fn validate(&self, scope: &TenantScope, input: PresetInput) -> AppResult<PresetSettings> {
        let conn = self.store.conn();
        let name = crate::domain::display_name("name", &input.name, MAX_NAME_CHARS)?;
        let description = input.description.unwrap_or_default().trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(AppError::Validation {
                field: "description",
                reason: format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            });
        }
        let system_prompt = input.system_prompt.unwrap_or_default();
        if system_prompt.chars().count() > MAX_SYSTEM_PROMPT_CHARS {
            return Err(AppError::Validation {
                field: "system_prompt",
                reason: format!("must be at most {MAX_SYSTEM_PROMPT_CHARS} characters"),
            });
        }
        if let Some(t) = input.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(AppError::Validation { field: "temperature", reason: "must be between 0 and 2".into() });
        }
        let model = match input.model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(id) => {
                let spec = self.catalogue.resolve(conn, scope.tenant, Some(id)).await?;
                if let Some(allowed) = store::presets::allowed_models(conn, scope.tenant).await?
                    && !allowed.iter().any(|a| a == id)
                {
                    return Err(AppError::Validation {
                        field: "model",
                        reason: format!(
                            "`{id}` is not allowed for presets in this tenant (allowed: {})",
                            if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                        ),
                    });
                }
                if let Some(max) = input.max_tokens
                    && max > i64::from(spec.max_output_tokens)
                {
                    return Err(AppError::Validation {
                        field: "max_tokens",
                        reason: format!("must be at most {} for {id}", spec.max_output_tokens),
                    });
                }
                Some(spec.id)
            }
            None => None,
        };
        if let Some(max) = input.max_tokens
            && !(1..=1_000_000).contains(&max)
        {
            return Err(AppError::Validation { field: "max_tokens", reason: "must be between 1 and 1000000".into() });
        }
        Ok(PresetSettings {
            name,
            description,
            model,
            system_prompt,
            temperature: input.temperature,
            max_tokens: input.max_tokens,
        })
    }

    /// Creates a personal preset, or with `tenant_wide` a tenant preset (the caller must hold
    /// the right to manage tenant presets; the API checks it).
    pub async fn create(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant_wide: bool,
        input: PresetInput,
    ) -> AppResult<Preset> {
        let settings = self.validate(scope, input).await?;
        let owner = (!tenant_wide).then_some(scope.user);
        let txn = self.store.begin().await?;
        let preset = store::presets::insert(&*txn, scope.tenant, owner, scope.user, &settings).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PRESET_CREATED)
                .target("preset", preset.id)
                .details(audit_details(&preset, &settings)),
        )
        .await?;
        txn.commit().await?;
        Ok(preset)
    }

    /// Writes a new version. `expected` is the version the editor started from, if known.
    pub async fn update(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: PresetId,
        expected: Option<i32>,
        input: PresetInput,
    ) -> AppResult<Preset> {
        let preset = self.get(scope, id).await?;
        if preset.archived {
            return Err(AppError::Conflict("the preset is deleted; it can no longer be edited".into()));
        }
        let base = expected.unwrap_or(preset.current.version);
        let settings = self.validate(scope, input).await?;
        if settings == preset.current.settings && base == preset.current.version {
            return Ok(preset);
        }
        let txn = self.store.begin().await?;
        let version = store::presets::add_version(&*txn, scope.tenant, id, base, scope.user, &settings).await?;
        let updated = Preset { current: version, updated_at: store::now(), ..preset };
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PRESET_UPDATED)
                .target("preset", id)
                .details(audit_details(&updated, &settings)),
        )
        .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Deletes a preset from the pickers. Its versions stay: conversations pinned to one keep
    /// answering with it.
    pub async fn delete(&self, scope: &TenantScope, actor: &Actor, id: PresetId) -> AppResult<()> {
        let preset = self.get(scope, id).await?;
        if preset.archived {
            return Ok(());
        }
        let txn = self.store.begin().await?;
        store::presets::set_archived(&*txn, scope.tenant, id, true).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PRESET_DELETED).target("preset", id).details(
                serde_json::json!({ "name": preset.current.settings.name, "tenant_wide": preset.owner_id.is_none() }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn versions(&self, scope: &TenantScope, id: PresetId) -> AppResult<Vec<PresetVersion>> {
        self.get(scope, id).await?;
        store::presets::versions(self.store.conn(), scope.tenant, id).await
    }

    pub async fn version(&self, scope: &TenantScope, id: PresetId, n: i32) -> AppResult<PresetVersion> {
        self.get(scope, id).await?;
        store::presets::version(self.store.conn(), scope.tenant, id, n)
            .await?
            .ok_or(AppError::NotFound("preset version"))
    }

    /// A version by id, if the caller may see its preset.
    pub async fn version_by_id(&self, scope: &TenantScope, id: PresetVersionId) -> AppResult<Option<PresetVersion>> {
        let Some(version) = store::presets::version_by_id(self.store.conn(), scope.tenant, id).await? else {
            return Ok(None);
        };
        // Visibility is the preset's: the owner's personal preset or a tenant one.
        Ok(store::presets::get(self.store.conn(), scope.tenant, scope.user, version.preset_id).await?.map(|_| version))
    }

    /// What changed from version `from` to version `to`.
    pub async fn diff(&self, scope: &TenantScope, id: PresetId, from: i32, to: i32) -> AppResult<Vec<Change>> {
        let a = self.version(scope, id, from).await?;
        let b = self.version(scope, id, to).await?;
        Ok(diff(&a.settings, &b.settings))
    }

    /// The version a new conversation (or an explicit switch) pins: the preset's current one.
    pub async fn pin(&self, scope: &TenantScope, id: PresetId) -> AppResult<PresetVersion> {
        let preset = self.get(scope, id).await?;
        if preset.archived {
            return Err(AppError::Validation { field: "preset_id", reason: "names a deleted preset".into() });
        }
        Ok(preset.current)
    }

    pub async fn allowed_models(&self, scope: &TenantScope) -> AppResult<Option<Vec<String>>> {
        store::presets::allowed_models(self.store.conn(), scope.tenant).await
    }

    /// Restricts the models presets may use (`None` lifts the restriction). Existing versions
    /// are immutable and keep their model; new versions must comply.
    pub async fn set_allowed_models(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        models: Option<Vec<String>>,
    ) -> AppResult<Option<Vec<String>>> {
        let models = match models {
            Some(list) => {
                let known = self.catalogue.models(self.store.conn(), scope.tenant).await?;
                let mut out: Vec<String> = Vec::new();
                for id in list {
                    if !known.iter().any(|m| m.id == id) {
                        return Err(AppError::Validation {
                            field: "allowed_models",
                            reason: format!("`{id}` is not in this tenant's catalogue"),
                        });
                    }
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
                Some(out)
            }
            None => None,
        };
        let txn = self.store.begin().await?;
        store::presets::set_allowed_models(&*txn, scope.tenant, models.as_deref()).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PRESET_MODELS_SET)
                .details(serde_json::json!({ "allowed_models": models })),
        )
        .await?;
        txn.commit().await?;
        Ok(models)
    }
}

fn audit_details(preset: &Preset, s: &PresetSettings) -> serde_json::Value {
    serde_json::json!({
        "version": preset.current.version,
        "tenant_wide": preset.owner_id.is_none(),
        "name": s.name,
        "model": s.model,
        "temperature": s.temperature,
        "max_tokens": s.max_tokens,
        "system_prompt_chars": s.system_prompt.chars().count(),
    })
}

/// Field by field; the system prompt line by line.
pub fn diff(a: &PresetSettings, b: &PresetSettings) -> Vec<Change> {
    use serde_json::json;
    let mut out = Vec::new();
    let mut field = |field: &'static str, from: serde_json::Value, to: serde_json::Value| {
        if from != to {
            out.push(Change::Field { field, from, to });
        }
    };
    field("name", json!(a.name), json!(b.name));
    field("description", json!(a.description), json!(b.description));
    field("model", json!(a.model), json!(b.model));
    field("temperature", json!(a.temperature), json!(b.temperature));
    field("max_tokens", json!(a.max_tokens), json!(b.max_tokens));
    if a.system_prompt != b.system_prompt {
        let text = similar::TextDiff::from_lines(&a.system_prompt, &b.system_prompt);
        let lines = text
            .iter_all_changes()
            .map(|c| {
                let op = match c.tag() {
                    similar::ChangeTag::Equal => LineOp::Equal,
                    similar::ChangeTag::Delete => LineOp::Delete,
                    similar::ChangeTag::Insert => LineOp::Insert,
                };
                (op, c.value().trim_end_matches('\n').to_string())
            })
            .collect();
        out.push(Change::Text { field: "system_prompt", lines });
    }
    out
}
