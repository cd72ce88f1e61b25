//! The admin side of plugins: platform admins upload versions; tenant admins add, configure,
//! order and remove plugins in their tenant's chain. Also the compiled-version cache that the
//! chain and the presets draw on.

use crate::audit::{self, Actor, NewEntry, action};
use crate::cluster::tenant_cache::TenantCache;
use crate::domain::TenantId;
use crate::domain::{PlatformScope, TenantScope};
use crate::error::{AppError, AppResult};
use crate::store::plugins::{ChainSettings, NewVersion, Plugin, TenantPlugin, VersionMeta};
use crate::store::{self, Store};
use confab_plugin_host as host;
use host::{FailurePolicy, Hook, LoadedPlugin, Manifest, PluginError, PluginRuntime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

use super::chain::ChainEntry;

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
    pub(super) store: Store,
    runtime: PluginRuntime,
    /// Compiled versions, by version id. Versions are immutable, so entries never go stale.
    loaded: Mutex<HashMap<Uuid, Arc<LoadedPlugin>>>,
    /// Each tenant's chain as stored, which every turn reads.
    chains: TenantCache<Vec<TenantPlugin>>,
}

pub(super) fn from_plugin(e: PluginError) -> AppError {
    match e {
        PluginError::Invalid(msg) => AppError::Validation { field: "component", reason: msg },
        e @ PluginError::UnsupportedInterface { .. } => {
            AppError::Validation { field: "manifest", reason: e.to_string() }
        }
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

pub(super) fn parse_policy(s: &str) -> FailurePolicy {
    if s == "fail_open" { FailurePolicy::FailOpen } else { FailurePolicy::FailClosed }
}

impl PluginService {
    /// `bus`: several replicas on Redis, which drop their cached chains on each other's changes.
    pub fn new(store: Store, bus: Option<Arc<crate::cluster::bus::Bus>>) -> AppResult<Self> {
        let runtime = PluginRuntime::new(host::Limits::default()).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Self { store, runtime, loaded: Mutex::new(HashMap::new()), chains: TenantCache::new(bus) })
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
        self.chains.changed(scope.tenant).await;
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
        self.chains.changed(scope.tenant).await;
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
        self.chains.changed(scope.tenant).await;
        self.chain(scope.tenant).await
    }

    /// A compiled version, compiling it on first use in this process.
    pub(super) async fn load(&self, version_id: Uuid) -> AppResult<Arc<LoadedPlugin>> {
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

    /// The tenant's enabled plugins that `wants`, in chain order, compiled and with their
    /// settings.
    pub(super) async fn enabled_entries(
        &self,
        tenant: TenantId,
        wants: impl Fn(&Manifest) -> bool,
    ) -> AppResult<Vec<ChainEntry>> {
        let mut out = Vec::new();
        let chain = self.chains.get_or_load(tenant, || store::plugins::chain(self.store.conn(), tenant)).await?;
        for entry in chain.iter().filter(|e| e.enabled) {
            let plugin = self.load(entry.version_id).await?;
            if wants(plugin.manifest()) {
                out.push(ChainEntry::new(entry.version_id, plugin, entry)?);
            }
        }
        Ok(out)
    }
}

/// One plugin call recorded with an answer.
#[derive(Debug, Clone)]
pub struct RecordedRun {
    pub message: crate::domain::MessageId,
    pub conversation: crate::domain::ConversationId,
    pub at: chrono::DateTime<chrono::Utc>,
    pub plugin: String,
    pub version: String,
    pub outcome: String,
    pub detail: Option<String>,
    pub elapsed_us: u64,
}

/// Answers a "recent runs" request looks through at most, so a tenant whose plugins never fail
/// still gets a bounded answer.
const RUNS_SCAN_LIMIT: u64 = 5000;

impl PluginService {
    /// The tenant's most recent plugin calls, newest first: of one plugin, or only the failed
    /// and rejecting ones, as asked.
    pub async fn recent_runs(
        &self,
        scope: &TenantScope,
        plugin: Option<&str>,
        failures_only: bool,
        limit: usize,
    ) -> AppResult<Vec<RecordedRun>> {
        let conn = self.store.conn();
        let mut out = Vec::new();
        let mut before = None;
        let mut scanned = 0u64;
        while out.len() < limit && scanned < RUNS_SCAN_LIMIT {
            let page = store::messages::with_plugin_runs(conn, scope.tenant, before, 200).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.message);
            scanned += page.len() as u64;
            for answer in &page {
                let Some(runs) = answer.runs.as_array() else { continue };
                for run in runs {
                    let name = run["plugin"].as_str().unwrap_or_default();
                    let outcome = run["outcome"].as_str().unwrap_or_default();
                    if plugin.is_some_and(|p| p != name)
                        || (failures_only && !matches!(outcome, "failed" | "failed_open" | "rejected"))
                    {
                        continue;
                    }
                    out.push(RecordedRun {
                        message: answer.message,
                        conversation: answer.conversation,
                        at: answer.at,
                        plugin: name.to_string(),
                        version: run["version"].as_str().unwrap_or_default().to_string(),
                        outcome: outcome.to_string(),
                        detail: run["detail"].as_str().map(str::to_string),
                        elapsed_us: run["elapsed_us"].as_u64().unwrap_or(0),
                    });
                }
            }
            if page.len() < 200 {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}
