//! The model catalogue: which models a tenant may use and which provider serves each. The
//! installation's models come from configuration; a tenant admin may add or override models
//! and store the tenant's own provider keys (encrypted under the master key).

use super::anthropic::Anthropic;
use super::demo::Demo;
use super::openai::OpenAi;
use super::{DEMO_MODEL, DEMO_PROVIDER, Provider};
use crate::cluster::bus::Bus;
use crate::cluster::tenant_cache::TenantCache;
use crate::config::{Config, ProviderKind, SecretString};
use crate::crypto::Keyring;
use crate::domain::TenantId;
use crate::error::{AppError, AppResult};
use crate::store::catalogue::TenantModel;
use crate::store::{self, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Where a catalogue entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    Installation,
    Tenant,
}

#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub id: String,
    pub display_name: String,
    pub provider: String,
    /// `None` for the demo.
    pub kind: Option<ProviderKind>,
    pub upstream_model: String,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub input_price_per_million: f64,
    pub output_price_per_million: f64,
    /// Takes images as message parts.
    pub vision: bool,
    pub source: Source,
}

impl ModelSpec {
    pub fn is_demo(&self) -> bool {
        self.provider == DEMO_PROVIDER
    }
}

/// A configured provider, as tenant admins see it.
pub struct ProviderInfo {
    pub name: String,
    pub kind: ProviderKind,
    pub installation_key: bool,
    pub tenant_key: bool,
}

pub struct Catalogue {
    store: Store,
    config: Config,
    providers: BTreeMap<String, Arc<dyn Provider>>,
    demo: Arc<dyn Provider>,
    master_key: Option<Keyring>,
    /// Each tenant's own models and sealed keys, which every turn needs.
    tenants: TenantCache<TenantEntries>,
}

/// A tenant's own catalogue rows, as stored (keys still sealed: no plaintext key is kept).
#[derive(Debug, Default)]
struct TenantEntries {
    models: Vec<TenantModel>,
    keys: BTreeMap<String, String>,
}

fn demo_spec() -> ModelSpec {
    ModelSpec {
        id: DEMO_MODEL.into(),
        display_name: "Demo model (not a real LLM)".into(),
        provider: DEMO_PROVIDER.into(),
        kind: None,
        upstream_model: DEMO_MODEL.into(),
        context_window: 8192,
        max_output_tokens: 1024,
        input_price_per_million: 0.0,
        output_price_per_million: 0.0,
        vision: true,
        source: Source::BuiltIn,
    }
}

impl Catalogue {
    /// `bus`: several replicas on Redis, which drop their cached catalogues on each other's changes.
    pub fn new(store: Store, config: &Config, bus: Option<Arc<Bus>>) -> Result<Self, String> {
        let providers = config
            .providers
            .iter()
            .map(|(name, p)| {
                let provider: Arc<dyn Provider> = match p.kind {
                    ProviderKind::Openai => Arc::new(OpenAi::new(p.clone())),
                    ProviderKind::Anthropic => Arc::new(Anthropic::new(p.clone())),
                };
                (name.clone(), provider)
            })
            .collect();
        let master_key = Keyring::from_config(&config.secrets)?;
        Ok(Self {
            store,
            config: config.clone(),
            providers,
            demo: Arc::new(Demo { delay: Duration::from_millis(25) }),
            master_key,
            tenants: TenantCache::new(bus),
        })
    }

    /// A tenant's models or keys changed (after the change committed): dropped here at once,
    /// and on the other replicas through the bus.
    pub async fn changed(&self, tenant: TenantId) {
        self.tenants.changed(tenant).await;
    }

    /// The tenant's own rows, from the cache or read through `conn`.
    async fn tenant_entries(&self, conn: &impl store::Conn, tenant: TenantId) -> AppResult<Arc<TenantEntries>> {
        self.tenants
            .get_or_load(tenant, || async {
                Ok(TenantEntries {
                    models: store::catalogue::models(conn, tenant).await?,
                    keys: store::catalogue::provider_keys(conn, tenant).await?.into_iter().collect(),
                })
            })
            .await
    }

    /// Every model the tenant may use: the installation's, the tenant's own (which win on the
    /// same id), and the demo when enabled.
    pub async fn models(&self, conn: &impl store::Conn, tenant: TenantId) -> AppResult<Vec<ModelSpec>> {
        let mut out: Vec<ModelSpec> = self
            .config
            .models
            .iter()
            .map(|m| ModelSpec {
                id: m.id.clone(),
                display_name: m.display_name.clone().unwrap_or_else(|| m.id.clone()),
                provider: m.provider.clone(),
                kind: self.config.providers.get(&m.provider).map(|p| p.kind),
                upstream_model: m.upstream_model.clone().unwrap_or_else(|| m.id.clone()),
                context_window: m.context_window,
                max_output_tokens: m.max_output_tokens,
                input_price_per_million: m.input_price_per_million,
                output_price_per_million: m.output_price_per_million,
                vision: m.vision,
                source: Source::Installation,
            })
            .collect();
        let entries = self.tenant_entries(conn, tenant).await?;
        for t in &entries.models {
            let spec = ModelSpec {
                kind: self.config.providers.get(&t.provider).map(|p| p.kind),
                id: t.model_id.clone(),
                display_name: t.display_name.clone(),
                provider: t.provider.clone(),
                upstream_model: t.upstream_model.clone(),
                context_window: t.context_window,
                max_output_tokens: t.max_output_tokens,
                input_price_per_million: t.input_price_per_million,
                output_price_per_million: t.output_price_per_million,
                vision: t.vision,
                source: Source::Tenant,
            };
            match out.iter_mut().find(|m| m.id == spec.id) {
                Some(existing) => *existing = spec,
                None => out.push(spec),
            }
        }
        if self.config.chat.demo_model {
            out.push(demo_spec());
        }
        Ok(out)
    }

    /// The model to use: the one asked for, or the first in the catalogue.
    /// Reads through `conn`, so a caller inside a transaction never waits for a second
    /// connection from the pool.
    pub async fn resolve(
        &self,
        conn: &impl store::Conn,
        tenant: TenantId,
        model: Option<&str>,
    ) -> AppResult<ModelSpec> {
        let models = self.models(conn, tenant).await?;
        match model {
            Some(id) => models.into_iter().find(|m| m.id == id).ok_or_else(|| AppError::Validation {
                field: "model",
                reason: format!("`{id}` is not in this tenant's catalogue (GET /v1/models lists it)"),
            }),
            None => models.into_iter().next().ok_or_else(|| AppError::Validation {
                field: "model",
                reason: "no model is configured for this tenant".into(),
            }),
        }
    }

    /// The provider that serves a model and the key to use (the tenant's own, else the
    /// installation's).
    pub async fn provider_for(
        &self,
        conn: &impl store::Conn,
        tenant: TenantId,
        spec: &ModelSpec,
    ) -> AppResult<(Arc<dyn Provider>, Option<SecretString>)> {
        if spec.is_demo() {
            return Ok((self.demo.clone(), None));
        }
        let provider = self.providers.get(&spec.provider).cloned().ok_or_else(|| {
            AppError::Unavailable(format!("the provider `{}` is not configured any more", spec.provider))
        })?;
        let entries = self.tenant_entries(conn, tenant).await?;
        let tenant_key = match entries.keys.get(&spec.provider) {
            Some(sealed) => {
                let key = self.master_key.as_ref().ok_or_else(|| {
                    AppError::Unavailable("a stored provider key cannot be used: no master key is configured".into())
                })?;
                let plain = key.decrypt(sealed, &key_context(tenant, &spec.provider)).map_err(|e| {
                    AppError::Unavailable(format!("the tenant's {} key cannot be used: {e}", spec.provider))
                })?;
                Some(SecretString::from(plain))
            }
            None => None,
        };
        let key = tenant_key.or_else(|| self.config.providers.get(&spec.provider).and_then(|p| p.api_key.clone()));
        Ok((provider, key))
    }

    pub async fn providers(&self, tenant: TenantId) -> AppResult<Vec<ProviderInfo>> {
        let with_keys: Vec<String> =
            store::catalogue::provider_keys(self.store.conn(), tenant).await?.into_iter().map(|(p, _)| p).collect();
        Ok(self
            .config
            .providers
            .iter()
            .map(|(name, p)| ProviderInfo {
                name: name.clone(),
                kind: p.kind,
                installation_key: p.api_key.is_some(),
                tenant_key: with_keys.contains(name),
            })
            .collect())
    }

    /// Checks a tenant model definition against the configuration.
    pub fn validate_tenant_model(&self, m: &TenantModel) -> AppResult<()> {
        let invalid = |field: &'static str, reason: &str| AppError::Validation { field, reason: reason.into() };
        let id_ok = !m.model_id.is_empty()
            && m.model_id.len() <= 128
            && m.model_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c));
        if !id_ok {
            return Err(invalid("id", "must be 1–128 letters, digits or - _ . : /"));
        }
        if m.model_id == DEMO_MODEL {
            return Err(invalid("id", "is reserved for the built-in demo"));
        }
        if !self.config.providers.contains_key(&m.provider) {
            return Err(invalid(
                "provider",
                "is not a provider configured by the operator (GET /v1/providers lists them)",
            ));
        }
        if m.upstream_model.is_empty() || m.upstream_model.len() > 128 {
            return Err(invalid("upstream_model", "must be 1–128 characters"));
        }
        if m.max_output_tokens == 0 || m.context_window <= m.max_output_tokens {
            return Err(invalid("context_window", "must exceed max_output_tokens, which must be above zero"));
        }
        let price_ok = |p: f64| p.is_finite() && p >= 0.0;
        if !price_ok(m.input_price_per_million) || !price_ok(m.output_price_per_million) {
            return Err(invalid("input_price_per_million", "prices must be zero or more"));
        }
        Ok(())
    }

    /// Seals a provider key for storage; refused when no master key is configured.
    pub fn seal_key(&self, tenant: TenantId, provider: &str, api_key: &str) -> AppResult<String> {
        if !self.config.providers.contains_key(provider) {
            return Err(AppError::NotFound("provider"));
        }
        let key = self.master_key.as_ref().ok_or_else(|| {
            AppError::Conflict("storing provider keys needs a master key (secrets.master_key); ask the operator".into())
        })?;
        key.encrypt(api_key, &key_context(tenant, provider)).map_err(AppError::Internal)
    }
}

pub(crate) fn key_context(tenant: TenantId, provider: &str) -> String {
    format!("confab/provider-key/{}/{provider}", tenant.0)
}
