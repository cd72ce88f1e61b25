//! The `presets` hook: the presets the tenant's plugins offer in the picker, pinned to a plugin
//! version when a conversation picks one, and rendered for each of its turns.

use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::store;
use confab_plugin_host as host;
use host::{Hook, PluginError};
use uuid::Uuid;

use super::PluginService;
use super::chain::{ChainEntry, context};

/// A preset a plugin offers, with the plugin version that offers it.
#[derive(Debug, Clone)]
pub struct PluginPreset {
    pub plugin: String,
    pub version: String,
    pub version_id: Uuid,
    pub preset: host::Preset,
}

/// A plugin preset rendered for one turn.
#[derive(Debug, Clone)]
pub struct RenderedPreset {
    pub system_prompt: String,
    pub model: Option<String>,
    pub temperature: Option<f32>,
}

impl PluginService {
    /// The presets the tenant's enabled plugins offer this user. A plugin that fails to list is
    /// left out (and logged): a broken plugin must not take the preset picker down with it.
    pub async fn presets(&self, tenant: TenantId, user: UserId) -> AppResult<Vec<PluginPreset>> {
        let mut out = Vec::new();
        let ctx = context(tenant, user, "");
        for e in self.enabled_entries(tenant, |m| m.has_hook(Hook::Presets)).await? {
            match e.call(&ctx, |p, call| p.list_presets(call)).await {
                Ok(presets) => out.extend(presets.into_iter().map(|preset| PluginPreset {
                    plugin: e.name.clone(),
                    version: e.version.clone(),
                    version_id: e.version_id,
                    preset,
                })),
                Err(err) => tracing::warn!(plugin = %e.name, error = %err, "plugin could not list its presets"),
            }
        }
        Ok(out)
    }

    /// The version to pin for one of a plugin's presets: the version the tenant runs now.
    pub async fn pin_preset(&self, tenant: TenantId, user: UserId, plugin: &str, preset_id: &str) -> AppResult<Uuid> {
        self.presets(tenant, user)
            .await?
            .into_iter()
            .find(|p| p.plugin == plugin && p.preset.id == preset_id)
            .map(|p| p.version_id)
            .ok_or(AppError::NotFound("plugin preset"))
    }

    /// Renders a pinned plugin preset for a turn, with the pinned version (the tenant's current
    /// configuration). The plugin must still be enabled in the tenant's chain.
    pub async fn render_preset(
        &self,
        tenant: TenantId,
        user: UserId,
        version_id: Uuid,
        preset_id: &str,
        model: &str,
    ) -> AppResult<RenderedPreset> {
        let plugin = self.load(version_id).await?;
        let conn = self.store.conn();
        let meta = store::plugins::version(conn, version_id).await?.ok_or(AppError::NotFound("plugin version"))?;
        let entry = store::plugins::chain(conn, tenant)
            .await?
            .into_iter()
            .find(|e| e.enabled && e.plugin_id == meta.plugin_id)
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "the {} plugin, which provides this conversation's preset, is no longer enabled; switch the preset",
                    plugin.manifest().name().as_str()
                ))
            })?;
        let e = ChainEntry::new(version_id, plugin, &entry)?;
        let id = preset_id.to_string();
        let (presets, system_prompt) = e
            .call(&context(tenant, user, model), move |p, call| {
                Ok((p.list_presets(call)?, p.render_system_prompt(call, &id)?))
            })
            .await
            .map_err(|err: PluginError| {
                AppError::Unavailable(format!(
                    "the {} plugin could not render this conversation's preset ({err})",
                    e.name
                ))
            })?;
        let preset = presets.into_iter().find(|p| p.id == preset_id);
        Ok(RenderedPreset {
            system_prompt,
            model: preset.as_ref().and_then(|p| p.model.clone()),
            temperature: preset.and_then(|p| p.temperature),
        })
    }
}
