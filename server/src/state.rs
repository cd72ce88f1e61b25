//! The application state: every service of the core, built once in dependency order (Redis and
//! its bus first, then the services that use them), and shared by the API and the web pages.

use anyhow::Context;
use confab_core::accounts::Accounts;
use confab_core::auth::AuthService;
use confab_core::authz::Authorizer;
use confab_core::chat::ChatService;
use confab_core::config::{Config, ExposeSecret};
use confab_core::error::AppError;
use confab_core::limits::InProcessLimiter;
use confab_core::metrics::Metrics;
use confab_core::providers::Catalogue;
use confab_core::store::{PoolSize, Store};
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub authz: Arc<Authorizer>,
    pub auth: Arc<AuthService>,
    pub accounts: Accounts,
    /// SCIM provisioning and the group → role mapping.
    pub provisioning: confab_core::identity::Provisioning,
    pub sso: confab_core::identity::sso::SsoService,
    pub domains: confab_core::identity::domains::DomainService,
    pub chat: ChatService,
    pub presets: Arc<confab_core::presets::PresetService>,
    pub usage: Arc<confab_core::usage::UsageService>,
    pub plugins: Arc<confab_core::plugins::PluginService>,
    pub search: confab_core::search::SearchService,
    pub shares: confab_core::shares::ShareService,
    /// SIEM sinks of the audit log and their delivery.
    pub siem: Arc<confab_core::siem::SiemService>,
    pub retention: confab_core::retention::RetentionService,
    pub metrics: Arc<Metrics>,
    /// Redis, when this is one of several replicas (scale-out tier).
    pub cluster: Option<Arc<confab_core::cluster::Cluster>>,
    /// When this process started serving (the console's system health shows the uptime).
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl AppState {
    /// Connects to a database whose schema is current and loads the policy.
    pub async fn build(config: Config, store: Store) -> anyhow::Result<Arc<Self>> {
        let authz = Arc::new(Authorizer::load(store.clone()).await.map_err(anyhow_app)?);
        let max_window = Duration::from_secs(config.auth.login_window_secs.max(60));
        let cluster = match &config.redis.url {
            Some(_) => Some(confab_core::cluster::Cluster::connect(&config.redis)?),
            None => None,
        };
        let limiter: Arc<dyn confab_core::limits::RateLimiter> = match &cluster {
            Some(c) => Arc::new(confab_core::cluster::limits::RedisLimiter::new(c.clone(), max_window)),
            None => Arc::new(InProcessLimiter::new(max_window)),
        };
        let bus = cluster.as_ref().map(|c| confab_core::cluster::bus::Bus::new(c.clone()));
        let auth = Arc::new(AuthService::new(store.clone(), config.auth.clone(), limiter.clone(), bus.clone()));
        let accounts = Accounts::new(store.clone(), authz.clone(), auth.clone());
        let provisioning = confab_core::identity::Provisioning::new(store.clone(), auth.clone(), authz.clone());
        let catalogue = Arc::new(
            Catalogue::new(store.clone(), &config, bus.clone()).map_err(|e| anyhow::anyhow!("catalogue: {e}"))?,
        );
        let metrics = Arc::new(Metrics::new(config.metrics.tenant_label));
        let presets = Arc::new(confab_core::presets::PresetService::new(store.clone(), catalogue.clone()));
        let stored_usage = Arc::new(confab_core::usage::StoredUsage(store.clone()));
        let ledger: Arc<dyn confab_core::limits::quota::QuotaLedger> = match &cluster {
            Some(c) => Arc::new(confab_core::cluster::quota::RedisLedger::new(c.clone(), stored_usage)),
            None => Arc::new(confab_core::limits::quota::InProcessLedger::new(stored_usage)),
        };
        let usage = Arc::new(confab_core::usage::UsageService::new(store.clone(), ledger, bus.clone()));
        let plugins =
            Arc::new(confab_core::plugins::PluginService::new(store.clone(), bus.clone()).map_err(anyhow_app)?);
        let files = Arc::new(confab_core::files::FileService::new(
            store.clone(),
            confab_core::files::storage::from_config(&config.files).map_err(|e| anyhow::anyhow!("file store: {e}"))?,
            config.files.clone(),
        ));
        let file_service = files.clone();
        let chat = ChatService::new(
            store.clone(),
            config.chat.clone(),
            confab_core::chat::Collaborators {
                catalogue,
                limiter,
                metrics: metrics.clone(),
                presets: presets.clone(),
                usage: usage.clone(),
                plugins: plugins.clone(),
                files,
                shared: cluster
                    .clone()
                    .zip(bus.clone())
                    .map(|(cluster, bus)| confab_core::chat::engine::Shared { cluster, bus }),
            },
        );
        let search = confab_core::search::SearchService::new(store.clone(), &config)
            .map_err(|e| anyhow::anyhow!("search: {e}"))?;
        let share_key = confab_core::crypto::Keyring::from_config(&config.secrets).map_err(|e| anyhow::anyhow!(e))?;
        let sso_key = confab_core::crypto::Keyring::from_config(&config.secrets).map_err(|e| anyhow::anyhow!(e))?;
        let sso = confab_core::identity::sso::SsoService::new(store.clone(), auth.clone(), authz.clone(), sso_key)
            .map_err(|e| anyhow::anyhow!("single sign-on: {e}"))?;
        let domains =
            confab_core::identity::domains::DomainService::new(store.clone(), config.auth.domain_dns_server.as_deref())
                .map_err(|e| anyhow::anyhow!("domain verification: {e}"))?;
        let shares = confab_core::shares::ShareService::new(store.clone(), share_key);
        let siem = Arc::new(
            confab_core::siem::SiemService::new(store.clone(), &config).map_err(|e| anyhow::anyhow!("siem: {e}"))?,
        );
        let retention =
            confab_core::retention::RetentionService::new(store.clone(), auth.clone(), authz.clone(), cluster.clone())
                .with_files(file_service);
        if let Some(bus) = &bus {
            follow_bus(bus, auth.clone(), authz.clone(), chat.engine().clone());
            bus.run();
        }
        Ok(Arc::new(Self {
            config,
            store,
            authz,
            auth,
            accounts,
            provisioning,
            sso,
            domains,
            chat,
            presets,
            usage,
            plugins,
            search,
            shares,
            siem,
            retention,
            metrics,
            cluster,
            started_at: chrono::Utc::now(),
        }))
    }

    pub fn session_cookie_name(&self, surface: confab_core::domain::Surface) -> &'static str {
        crate::cookie::cookie_name(&self.config, surface)
    }
}

/// Applies what other replicas say: stale caches (principals and the policy; the per-tenant caches
/// of `cluster::tenant_cache` follow the bus themselves), turns to stop.
fn follow_bus(
    bus: &Arc<confab_core::cluster::bus::Bus>,
    auth: Arc<AuthService>,
    authz: Arc<Authorizer>,
    engine: Arc<confab_core::chat::engine::Engine>,
) {
    use confab_core::cluster::bus::Signal;
    use tokio::sync::broadcast::error::RecvError;
    let mut signals = bus.subscribe();
    tokio::spawn(async move {
        loop {
            match signals.recv().await {
                Ok(Signal::Invalidate) | Err(RecvError::Lagged(_)) => {
                    auth.forget_local();
                    if let Err(e) = authz.reload().await {
                        tracing::warn!(error = %e, "cannot reload the authorization policy");
                    }
                }
                Ok(Signal::Cancel(id)) => {
                    engine.cancel(id);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

pub fn anyhow_app(e: AppError) -> anyhow::Error {
    anyhow::anyhow!(e.to_string())
}

/// How a command uses the database it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// `confab serve`: the embedded database is migrated (unless `database.migrate_on_start` is
    /// off) and the pool's connections are kept open (`PoolSize::Kept`).
    Serve,
    /// A command that may migrate the embedded database, then runs and exits.
    CommandMigrating,
    /// A command that runs on the schema as it is, then exits.
    Command,
}

/// Opens the configured database. The embedded SQLite database is migrated on the spot unless
/// `database.migrate_on_start` is off; a PostgreSQL schema must already be current
/// (`confab migrate`, a Helm job in clusters).
pub async fn open_store(config: &Config, opening: Opening) -> anyhow::Result<Store> {
    let max = config.database.max_connections;
    let size = if opening == Opening::Serve { PoolSize::Kept(max) } else { PoolSize::UpTo(max) };
    let migrate_embedded = opening != Opening::Command;
    let store = Store::open(config.database.url.expose_secret(), size)
        .await
        .with_context(|| format!("database {}", config.database.url))?;
    if migrate_embedded && config.database.migrate_on_start && config.database.url.scheme() == "sqlite" {
        let applied = store.migrate().await?;
        if applied > 0 {
            tracing::info!(applied, "migrated the embedded database");
        }
    }
    if let Some(newer) = store.check_schema().await? {
        tracing::warn!(
            migration = %newer,
            "the database schema is newer than this Confab version (an upgrade in progress, or a rollback); \
             running on it, as the expand/contract rule allows for one release"
        );
    }
    Ok(store)
}
