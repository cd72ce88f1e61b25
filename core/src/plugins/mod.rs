//! Plugins in the server: uploads (platform admins), each tenant's chain (tenant admins), and
//! running the chain on a chat turn's outgoing request. The sandbox itself is
//! `confab-plugin-host`; this module decides who may do what, keeps components in the store,
//! compiles each version once per process, and turns plugin outcomes into turn outcomes.

use crate::audit::{self, Actor, NewEntry, action};
use crate::domain::PlatformScope;
use crate::domain::TenantScope;
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::providers::{ChatMessage, ChatRequest, Role};
use crate::store::plugins::{ChainSettings, NewVersion, Plugin, TenantPlugin, VersionMeta};
use crate::store::{self, Store};
use confab_plugin_host as host;
use host::{Call, FailurePolicy, Hook, LoadedPlugin, Manifest, PluginConfig, PluginError, PluginRuntime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Bounds on the per-call time budget a tenant admin may choose.
pub const MIN_TIME_BUDGET_MS: i32 = 1;
pub const MAX_TIME_BUDGET_MS: i32 = 2_000;
pub const DEFAULT_TIME_BUDGET_MS: i32 = 50;

/// A plugin with all its versions (no bytes).
#[derive(Debug, Clone)]
pub struct PluginSummary {
    pub plugin: Plugin,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Clone)]
pub struct VersionSummary {
    pub meta: VersionMeta,
    pub manifest: Manifest,
}

/// One entry of a tenant's chain, as admins see it.
#[derive(Debug, Clone)]
pub struct ChainEntryInfo {
    pub name: String,
    pub version: String,
    pub version_id: Uuid,
    pub hooks: Vec<Hook>,
    pub enabled: bool,
    pub position: i32,
    pub config: serde_json::Value,
    pub failure_policy: FailurePolicy,
    pub time_budget_ms: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a tenant admin sets for one plugin.
pub struct Settings {
    pub version: String,
    pub enabled: bool,
    pub config: Option<serde_json::Value>,
    pub failure_policy: Option<FailurePolicy>,
    pub time_budget_ms: Option<i32>,
}

pub struct PluginService {
    store: Store,
    runtime: PluginRuntime,
    /// Compiled versions, by version id. Versions are immutable, so entries never go stale.
    loaded: Mutex<HashMap<Uuid, Arc<LoadedPlugin>>>,
}

fn from_plugin(e: PluginError) -> AppError {
    match e {
        PluginError::Invalid(msg) => AppError::Validation { field: "component", reason: msg },
        PluginError::Config(msg) => AppError::Validation { field: "config", reason: msg },
        other => AppError::Internal(other.to_string()),
    }
}

fn policy_str(p: FailurePolicy) -> &'static str {
    match p {
        FailurePolicy::FailOpen => "fail_open",
        FailurePolicy::FailClosed => "fail_closed",
    }
}

fn parse_policy(s: &str) -> FailurePolicy {
    if s == "fail_open" { FailurePolicy::FailOpen } else { FailurePolicy::FailClosed }
}

impl PluginService {
    pub fn new(store: Store) -> AppResult<Self> {
        let runtime = PluginRuntime::new(host::Limits::default()).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Self { store, runtime, loaded: Mutex::new(HashMap::new()) })
    }

    /// Checks and stores a new plugin version. The component is compiled and inspected here
    /// (imports, exports against the manifest, limits) so a bad upload is refused at once.
    pub async fn upload(
        &self,
        _scope: &PlatformScope,
        actor: &Actor,
        manifest_json: &str,
        component: Vec<u8>,
    ) -> AppResult<VersionSummary> {
        let manifest = Manifest::parse(manifest_json).map_err(|e| match e {
            PluginError::Invalid(msg) => AppError::Validation {
                field: "manifest",
                reason: msg.strip_prefix("manifest: ").unwrap_or(&msg).to_string(),
            },
            other => from_plugin(other),
        })?;
        let runtime = self.runtime.clone();
        let checked = manifest.clone();
        let (info, component) = tokio::task::spawn_blocking(move || {
            let info = runtime.validate(&checked, &component);
            (info, component)
        })
        .await
        .map_err(|e| AppError::Internal(format!("plugin validation task: {e}")))?;
        let info = info.map_err(from_plugin)?;
        let name = manifest.name().as_str().to_string();
        let version = manifest.version().to_string();
        let txn = self.store.begin().await?;
        let plugin = match store::plugins::plugin_by_name(&*txn, &name).await? {
            Some(p) => p,
            None => store::plugins::insert_plugin(&*txn, &name).await?,
        };
        if store::plugins::version_of(&*txn, plugin.id, &version).await?.is_some() {
            return Err(AppError::Conflict(format!(
                "{name} {version} is already uploaded; versions are immutable, so upload a new version number"
            )));
        }
        let meta = store::plugins::insert_version(
            &*txn,
            NewVersion {
                plugin_id: plugin.id,
                version: &version,
                manifest: &manifest.to_json(),
                component: &component,
                sha256: &info.sha256,
                uploaded_by: actor.user_id,
            },
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(None, actor, action::PLUGIN_UPLOADED).target("plugin_version", meta.id).details(
                serde_json::json!({
                    "name": name, "version": version, "sha256": info.sha256, "size_bytes": info.size_bytes,
                    "hooks": manifest.hooks().iter().map(|h| h.name()).collect::<Vec<_>>(),
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(VersionSummary { meta, manifest })
    }

    /// Every plugin and version of the installation.
    pub async fn catalogue(&self) -> AppResult<Vec<PluginSummary>> {
        let conn = self.store.conn();
        let plugins = store::plugins::plugins(conn).await?;
        let mut versions: HashMap<Uuid, Vec<VersionSummary>> = HashMap::new();
        for meta in store::plugins::versions(conn).await? {
            let manifest = Manifest::parse(&meta.manifest).map_err(|e| AppError::Internal(e.to_string()))?;
            versions.entry(meta.plugin_id).or_default().push(VersionSummary { meta, manifest });
        }
        Ok(plugins
            .into_iter()
            .map(|plugin| {
                let versions = versions.remove(&plugin.id).unwrap_or_default();
                PluginSummary { plugin, versions }
            })
            .collect())
    }

    /// The tenant's chain, in order.
    pub async fn chain(&self, tenant: TenantId) -> AppResult<Vec<ChainEntryInfo>> {
        let conn = self.store.conn();
        let names: HashMap<Uuid, String> =
            store::plugins::plugins(conn).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let mut out = Vec::new();
        for entry in store::plugins::chain(conn, tenant).await? {
            let meta = store::plugins::version(conn, entry.version_id)
                .await?
                .ok_or_else(|| AppError::Internal("a chain entry names a missing version".into()))?;
            let manifest = Manifest::parse(&meta.manifest).map_err(|e| AppError::Internal(e.to_string()))?;
            out.push(ChainEntryInfo {
                name: names.get(&entry.plugin_id).cloned().unwrap_or_default(),
                version: meta.version,
                version_id: meta.id,
                hooks: manifest.hooks().iter().copied().collect(),
                enabled: entry.enabled,
                position: entry.position,
                config: serde_json::from_str(&entry.config).unwrap_or(serde_json::json!({})),
                failure_policy: parse_policy(&entry.failure_policy),
                time_budget_ms: entry.time_budget_ms,
                updated_at: entry.updated_at,
            });
        }
        Ok(out)
    }

    /// Adds a plugin to the tenant's chain or changes its entry: version, on/off, configuration
    /// (checked against the version's schema), failure policy and time budget.
    pub async fn configure(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        name: &str,
        s: Settings,
    ) -> AppResult<Vec<ChainEntryInfo>> {
        let conn = self.store.conn();
        let plugin = store::plugins::plugin_by_name(conn, name).await?.ok_or(AppError::NotFound("plugin"))?;
        let meta = store::plugins::version_of(conn, plugin.id, &s.version).await?.ok_or_else(|| {
            AppError::Validation { field: "version", reason: format!("{name} has no version {}", s.version) }
        })?;
        let manifest = Manifest::parse(&meta.manifest).map_err(|e| AppError::Internal(e.to_string()))?;
        let config = s.config.unwrap_or_else(|| serde_json::json!({}));
        manifest.parse_config(&config).map_err(from_plugin)?;
        let budget = s.time_budget_ms.unwrap_or(DEFAULT_TIME_BUDGET_MS);
        if !(MIN_TIME_BUDGET_MS..=MAX_TIME_BUDGET_MS).contains(&budget) {
            return Err(AppError::Validation {
                field: "time_budget_ms",
                reason: format!("must be between {MIN_TIME_BUDGET_MS} and {MAX_TIME_BUDGET_MS}"),
            });
        }
        let policy = s.failure_policy.unwrap_or(manifest.failure_policy());
        let config_text = config.to_string();
        let txn = self.store.begin().await?;
        store::plugins::upsert(
            &*txn,
            scope.tenant,
            plugin.id,
            ChainSettings {
                version_id: meta.id,
                enabled: s.enabled,
                config: &config_text,
                failure_policy: policy_str(policy),
                time_budget_ms: budget,
            },
        )
        .await?;
        // The configuration itself may hold tenant text: record its shape, not its values.
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PLUGIN_CONFIGURED).target("plugin", name).details(
                serde_json::json!({
                    "version": s.version, "enabled": s.enabled, "failure_policy": policy_str(policy),
                    "time_budget_ms": budget,
                    "config_keys": config.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.chain(scope.tenant).await
    }

    pub async fn remove(&self, scope: &TenantScope, actor: &Actor, name: &str) -> AppResult<()> {
        let plugin =
            store::plugins::plugin_by_name(self.store.conn(), name).await?.ok_or(AppError::NotFound("plugin"))?;
        let txn = self.store.begin().await?;
        if !store::plugins::remove(&*txn, scope.tenant, plugin.id).await? {
            return Err(AppError::NotFound("plugin"));
        }
        audit::record(&*txn, NewEntry::new(Some(scope.tenant), actor, action::PLUGIN_REMOVED).target("plugin", name))
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Orders the chain: `names` must list every plugin in it exactly once.
    pub async fn order(&self, scope: &TenantScope, actor: &Actor, names: &[String]) -> AppResult<Vec<ChainEntryInfo>> {
        let current = self.chain(scope.tenant).await?;
        let mut expected: Vec<&str> = current.iter().map(|e| e.name.as_str()).collect();
        let mut given: Vec<&str> = names.iter().map(String::as_str).collect();
        expected.sort_unstable();
        given.sort_unstable();
        if expected != given {
            return Err(AppError::Validation {
                field: "names",
                reason: format!("must list each plugin of the chain exactly once: {}", expected.join(", ")),
            });
        }
        let conn = self.store.conn();
        let txn = self.store.begin().await?;
        for (i, name) in names.iter().enumerate() {
            if let Some(p) = store::plugins::plugin_by_name(conn, name).await? {
                store::plugins::set_position(&*txn, scope.tenant, p.id, i as i32 + 1).await?;
            }
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::PLUGIN_CHAIN_ORDERED)
                .details(serde_json::json!({ "order": names })),
        )
        .await?;
        txn.commit().await?;
        self.chain(scope.tenant).await
    }

    /// A compiled version, compiling it on first use in this process.
    async fn load(&self, version_id: Uuid) -> AppResult<Arc<LoadedPlugin>> {
        if let Some(p) = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&version_id) {
            return Ok(p.clone());
        }
        let conn = self.store.conn();
        let meta = store::plugins::version(conn, version_id).await?.ok_or(AppError::NotFound("plugin version"))?;
        let bytes = store::plugins::component(conn, version_id).await?.ok_or(AppError::NotFound("plugin version"))?;
        let manifest = Manifest::parse(&meta.manifest).map_err(|e| AppError::Internal(e.to_string()))?;
        let runtime = self.runtime.clone();
        let loaded = tokio::task::spawn_blocking(move || runtime.load(manifest, &bytes))
            .await
            .map_err(|e| AppError::Internal(format!("plugin compile task: {e}")))?
            .map_err(|e| AppError::Internal(format!("stored plugin version {version_id} does not load: {e}")))?;
        self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(version_id, loaded.clone());
        Ok(loaded)
    }

    /// The transforms a turn runs, in chain order: the tenant's enabled plugins with the
    /// `transform_request` or `transform_response` hook. `None` when there are none.
    pub async fn request_chain(&self, tenant: TenantId, user: UserId, model: &str) -> AppResult<Option<RequestChain>> {
        let entries = store::plugins::chain(self.store.conn(), tenant).await?;
        let mut out = Vec::new();
        for entry in entries.into_iter().filter(|e| e.enabled) {
            let plugin = self.load(entry.version_id).await?;
            let manifest = plugin.manifest();
            if !manifest.has_hook(Hook::TransformRequest) && !manifest.has_hook(Hook::TransformResponse) {
                continue;
            }
            out.push(chain_entry(plugin, &entry)?);
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(RequestChain { ctx: context(tenant, user, model), entries: out }))
    }
}

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
        for entry in store::plugins::chain(self.store.conn(), tenant).await?.into_iter().filter(|e| e.enabled) {
            let plugin = self.load(entry.version_id).await?;
            if !plugin.manifest().has_hook(Hook::Presets) {
                continue;
            }
            let e = chain_entry(plugin.clone(), &entry)?;
            let ctx = context(tenant, user, "");
            let (config, budget) = (e.config.clone(), e.budget);
            match plugin.spawn(move |p| p.list_presets(Call::new(&ctx, &config).with_time_budget(budget))).await {
                Ok(presets) => out.extend(presets.into_iter().map(|preset| PluginPreset {
                    plugin: e.name.clone(),
                    version: e.version.clone(),
                    version_id: entry.version_id,
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
        let e = chain_entry(plugin.clone(), &entry)?;
        let ctx = context(tenant, user, model);
        let (config, budget, id) = (e.config.clone(), e.budget, preset_id.to_string());
        let failed = |err: PluginError| {
            AppError::Unavailable(format!("the {} plugin could not render this conversation's preset ({err})", e.name))
        };
        let (presets, system_prompt) = plugin
            .spawn(move |p| {
                let call = Call::new(&ctx, &config).with_time_budget(budget);
                Ok((p.list_presets(call)?, p.render_system_prompt(call, &id)?))
            })
            .await
            .map_err(failed)?;
        let preset = presets.into_iter().find(|p| p.id == preset_id);
        Ok(RenderedPreset {
            system_prompt,
            model: preset.as_ref().and_then(|p| p.model.clone()),
            temperature: preset.and_then(|p| p.temperature),
        })
    }
}

fn chain_entry(plugin: Arc<LoadedPlugin>, entry: &TenantPlugin) -> AppResult<ChainEntry> {
    let config_value: serde_json::Value = serde_json::from_str(&entry.config).unwrap_or(serde_json::json!({}));
    let config = plugin.manifest().parse_config(&config_value).map_err(from_plugin)?;
    Ok(ChainEntry {
        name: plugin.manifest().name().as_str().to_string(),
        version: plugin.manifest().version().to_string(),
        plugin,
        config,
        policy: parse_policy(&entry.failure_policy),
        budget: Duration::from_millis(entry.time_budget_ms.max(1) as u64),
    })
}

/// What a plugin call knows about whom it runs for. No secrets; user attributes come later
/// (when tenant admins can choose which to share).
fn context(tenant: TenantId, user: UserId, model: &str) -> host::Context {
    host::Context {
        tenant_id: tenant.to_string(),
        user_id: user.to_string(),
        attributes: Vec::new(),
        date: chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string(),
        model: model.to_string(),
        locale: "en".to_string(),
    }
}

struct ChainEntry {
    name: String,
    version: String,
    plugin: Arc<LoadedPlugin>,
    config: PluginConfig,
    policy: FailurePolicy,
    budget: Duration,
}

/// A turn's request transforms, ready to run.
pub struct RequestChain {
    ctx: host::Context,
    entries: Vec<ChainEntry>,
}

/// What one plugin did to a turn, recorded with the answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub plugin: String,
    pub version: String,
    /// `unchanged`, `changed`, `rejected`, `failed_open` or `failed`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub elapsed_us: u64,
}

/// The chain's verdict on a request.
pub struct ChainResult {
    pub request: ChatRequest,
    pub runs: Vec<Run>,
    /// Set when the turn must stop: (error code, message for the user).
    pub stop: Option<(&'static str, String)>,
}

impl RequestChain {
    /// Runs every transform in order, each on the previous one's result. A rejection stops the
    /// turn (`plugin_rejected`); a failure stops it under `fail_closed` (`plugin_failed`) and is
    /// skipped under `fail_open`.
    pub async fn run(&self, request: ChatRequest) -> ChainResult {
        let mut request = request;
        let mut runs = Vec::with_capacity(self.entries.len());
        for entry in self.entries.iter().filter(|e| e.plugin.manifest().has_hook(Hook::TransformRequest)) {
            let started = Instant::now();
            let input = to_plugin(&request);
            let ctx = self.ctx.clone();
            let config = entry.config.clone();
            let budget = entry.budget;
            let result = entry
                .plugin
                .spawn(move |p| p.transform_request(Call::new(&ctx, &config).with_time_budget(budget), &input))
                .await;
            let elapsed_us = started.elapsed().as_micros() as u64;
            let run = |outcome: &'static str, detail: Option<String>| Run {
                plugin: entry.name.clone(),
                version: entry.version.clone(),
                outcome,
                detail,
                elapsed_us,
            };
            let failure = match result {
                Ok(host::Outcome::Unchanged) => {
                    runs.push(run("unchanged", None));
                    continue;
                }
                Ok(host::Outcome::Replace(new)) => match from_plugin_request(&request, new) {
                    Ok(new) => {
                        request = new;
                        runs.push(run("changed", None));
                        continue;
                    }
                    Err(why) => why,
                },
                Ok(host::Outcome::Reject(reason)) => {
                    runs.push(run("rejected", Some(reason.clone())));
                    let stop = Some(("plugin_rejected", reason));
                    return ChainResult { request, runs, stop };
                }
                Err(e) => e.to_string(),
            };
            tracing::warn!(plugin = %entry.name, version = %entry.version, error = %failure, "plugin call failed");
            match entry.policy {
                FailurePolicy::FailOpen => runs.push(run("failed_open", Some(failure))),
                FailurePolicy::FailClosed => {
                    runs.push(run("failed", Some(failure.clone())));
                    let message =
                        format!("the {} plugin could not check this request ({failure}); it was not sent", entry.name);
                    return ChainResult { request, runs, stop: Some(("plugin_failed", message)) };
                }
            }
        }
        ChainResult { request, runs, stop: None }
    }
}

/// The chain's verdict on a finished answer.
pub struct ResponseResult {
    /// The text to keep instead, when a plugin replaced it.
    pub text: Option<String>,
    pub runs: Vec<Run>,
    /// Set when the answer must not be kept: (error code, message).
    pub stop: Option<(&'static str, String)>,
}

impl RequestChain {
    /// Whether any plugin of the chain transforms answers.
    pub fn has_response_hooks(&self) -> bool {
        self.entries.iter().any(|e| e.plugin.manifest().has_hook(Hook::TransformResponse))
    }

    /// Runs every answer transform in order on a completed answer. A failure under
    /// `fail_closed` means the answer is not kept (`plugin_failed`); under `fail_open` it is
    /// kept as the previous plugin left it.
    pub async fn run_response(&self, text: &str) -> ResponseResult {
        let mut current: Option<String> = None;
        let mut runs = Vec::new();
        for entry in self.entries.iter().filter(|e| e.plugin.manifest().has_hook(Hook::TransformResponse)) {
            let started = Instant::now();
            let input = current.clone().unwrap_or_else(|| text.to_string());
            let (ctx, config, budget) = (self.ctx.clone(), entry.config.clone(), entry.budget);
            let result = entry
                .plugin
                .spawn(move |p| p.transform_response(Call::new(&ctx, &config).with_time_budget(budget), &input))
                .await;
            let elapsed_us = started.elapsed().as_micros() as u64;
            let run = |outcome: &'static str, detail: Option<String>| Run {
                plugin: entry.name.clone(),
                version: entry.version.clone(),
                outcome,
                detail,
                elapsed_us,
            };
            match result {
                Ok(None) => runs.push(run("unchanged", None)),
                Ok(Some(new)) => {
                    current = Some(new);
                    runs.push(run("changed", None));
                }
                Err(e) => {
                    tracing::warn!(plugin = %entry.name, error = %e, "answer transform failed");
                    match entry.policy {
                        FailurePolicy::FailOpen => runs.push(run("failed_open", Some(e.to_string()))),
                        FailurePolicy::FailClosed => {
                            runs.push(run("failed", Some(e.to_string())));
                            let message =
                                format!("the {} plugin could not check this answer ({e}); it was not kept", entry.name);
                            return ResponseResult { text: current, runs, stop: Some(("plugin_failed", message)) };
                        }
                    }
                }
            }
        }
        ResponseResult { text: current, runs, stop: None }
    }
}

fn to_plugin(r: &ChatRequest) -> host::ChatRequest {
    let mut messages = Vec::with_capacity(r.messages.len() + 1);
    if let Some(system) = &r.system {
        messages.push(host::ChatMessage { role: host::Role::System, content: system.clone() });
    }
    messages.extend(r.messages.iter().map(|m| host::ChatMessage {
        role: match m.role {
            Role::User => host::Role::User,
            Role::Assistant => host::Role::Assistant,
        },
        content: m.content.clone(),
    }));
    host::ChatRequest { messages, model: r.model.clone(), temperature: r.temperature, max_tokens: Some(r.max_tokens) }
}

/// A plugin's replacement, within what plugins may change: the messages (system text is
/// gathered into the system prompt), a lower output cap, the temperature. Not the model.
fn from_plugin_request(original: &ChatRequest, new: host::ChatRequest) -> Result<ChatRequest, String> {
    if new.model != original.model {
        return Err(format!("plugins may not change the model (asked for `{}`)", new.model));
    }
    let mut system: Vec<String> = Vec::new();
    let mut messages = Vec::with_capacity(new.messages.len());
    for m in new.messages {
        match m.role {
            host::Role::System => system.push(m.content),
            host::Role::User => messages.push(ChatMessage { role: Role::User, content: m.content }),
            host::Role::Assistant => messages.push(ChatMessage { role: Role::Assistant, content: m.content }),
        }
    }
    if !messages.iter().any(|m| m.role == Role::User) {
        return Err("the replaced request has no user message".into());
    }
    Ok(ChatRequest {
        model: original.model.clone(),
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        messages,
        max_tokens: new.max_tokens.map_or(original.max_tokens, |m| m.min(original.max_tokens)),
        temperature: new.temperature,
    })
}
