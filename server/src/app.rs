//! Wiring: the only place that knows every part.

use crate::accounts::Accounts;
use crate::api;
use crate::auth::{AuthService, secrets};
use crate::authz::Authorizer;
use crate::chat::ChatService;
use crate::config::{Config, ExposeSecret};
use crate::error::AppError;
use crate::limits::InProcessLimiter;
use crate::metrics::Metrics;
use crate::providers::Catalogue;
use crate::store::{self, Store};
use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpListener};
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub authz: Arc<Authorizer>,
    pub auth: Arc<AuthService>,
    pub accounts: Accounts,
    pub chat: ChatService,
    pub presets: Arc<crate::presets::PresetService>,
    pub usage: Arc<crate::usage::UsageService>,
    pub plugins: Arc<crate::plugins::PluginService>,
    pub search: crate::search::SearchService,
    pub shares: crate::shares::ShareService,
    pub metrics: Arc<Metrics>,
    /// Redis, when this is one of several replicas (scale-out tier).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl AppState {
    /// Connects to a database whose schema is current and loads the policy.
    pub async fn build(config: Config, store: Store) -> anyhow::Result<Arc<Self>> {
        let authz = Arc::new(Authorizer::load(store.clone()).await.map_err(anyhow_app)?);
        let max_window = Duration::from_secs(config.auth.login_window_secs.max(60));
        let cluster = match &config.redis.url {
            Some(_) => Some(crate::cluster::Cluster::connect(&config.redis)?),
            None => None,
        };
        let limiter: Arc<dyn crate::limits::RateLimiter> = match &cluster {
            Some(c) => Arc::new(crate::cluster::limits::RedisLimiter::new(c.clone(), max_window)),
            None => Arc::new(InProcessLimiter::new(max_window)),
        };
        let auth = Arc::new(AuthService::new(store.clone(), config.auth.clone(), limiter.clone()));
        let accounts = Accounts::new(store.clone(), authz.clone(), auth.clone());
        let catalogue =
            Arc::new(Catalogue::new(store.clone(), &config).map_err(|e| anyhow::anyhow!("catalogue: {e}"))?);
        let metrics = Arc::new(Metrics::default());
        let presets = Arc::new(crate::presets::PresetService::new(store.clone(), catalogue.clone()));
        let stored_usage = Arc::new(crate::usage::StoredUsage(store.clone()));
        let ledger: Arc<dyn crate::limits::quota::QuotaLedger> = match &cluster {
            Some(c) => Arc::new(crate::cluster::quota::RedisLedger::new(c.clone(), stored_usage)),
            None => Arc::new(crate::limits::quota::InProcessLedger::new(stored_usage)),
        };
        let usage = Arc::new(crate::usage::UsageService::new(store.clone(), ledger));
        let plugins = Arc::new(crate::plugins::PluginService::new(store.clone()).map_err(anyhow_app)?);
        let chat = ChatService::new(
            store.clone(),
            config.chat.clone(),
            crate::chat::Collaborators {
                catalogue,
                limiter,
                metrics: metrics.clone(),
                presets: presets.clone(),
                usage: usage.clone(),
                plugins: plugins.clone(),
            },
        );
        let search =
            crate::search::SearchService::new(store.clone(), &config).map_err(|e| anyhow::anyhow!("search: {e}"))?;
        let share_key =
            config.secrets.master_key.as_ref().map(|k| crate::crypto::MasterKey::parse(k.expose_secret())).transpose();
        let shares = crate::shares::ShareService::new(
            store.clone(),
            share_key.map_err(|e| anyhow::anyhow!("secrets.master_key: {e}"))?,
        );
        if let Some(c) = &cluster {
            let bus = crate::cluster::bus::Bus::new(c.clone());
            auth.set_bus(bus.clone());
            chat.engine().set_shared(crate::chat::engine::Shared { cluster: c.clone(), bus: bus.clone() });
            follow_bus(&bus, auth.clone(), authz.clone(), chat.engine().clone());
            bus.run();
        }
        Ok(Arc::new(Self {
            config,
            store,
            authz,
            auth,
            accounts,
            chat,
            presets,
            usage,
            plugins,
            search,
            shares,
            metrics,
            cluster,
        }))
    }

    pub fn session_cookie_name(&self) -> &'static str {
        if self.config.is_tls() { api::extract::SECURE_SESSION_COOKIE } else { api::extract::SESSION_COOKIE }
    }
}

/// Applies what other replicas say: stale caches, turns to stop.
fn follow_bus(
    bus: &Arc<crate::cluster::bus::Bus>,
    auth: Arc<AuthService>,
    authz: Arc<Authorizer>,
    engine: Arc<crate::chat::engine::Engine>,
) {
    use crate::cluster::bus::Signal;
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

/// Opens the configured database. The embedded SQLite database is migrated on the spot; a
/// PostgreSQL schema must already be current (`confab migrate`, a Helm job in clusters).
pub async fn open_store(config: &Config, migrate_embedded: bool) -> anyhow::Result<Store> {
    let store = Store::connect(config.database.url.expose_secret(), config.database.max_connections)
        .await
        .with_context(|| format!("database {}", config.database.url))?;
    if migrate_embedded && config.database.url.scheme() == "sqlite" {
        let applied = store.migrate().await?;
        if applied > 0 {
            tracing::info!(applied, "migrated the embedded database");
        }
    }
    store.check_schema().await?;
    Ok(store)
}

/// First run: create the first admin from the bootstrap settings, or print a setup link.
async fn first_run(state: &AppState) -> anyhow::Result<()> {
    if state.accounts.has_users().await.map_err(anyhow_app)? {
        return Ok(());
    }
    let b = &state.config.bootstrap;
    match (&b.email, &b.password) {
        (Some(email), Some(password)) => {
            let tenant = b.tenant.clone().unwrap_or_else(|| "Default".into());
            let done = state
                .accounts
                .bootstrap(&crate::audit::Actor::cli(), email, password.expose_secret(), &tenant, None)
                .await
                .map_err(|e| anyhow::anyhow!("bootstrap account: {e}"))?;
            println!(
                "confab: created the first administrator {} and tenant \"{}\"; sign in at {}/",
                done.user.email,
                done.tenant.name,
                state.config.base_url()
            );
        }
        _ => {
            let token = secrets::random_token();
            let expires = store::now() + chrono::Duration::hours(24);
            store::setup_tokens::insert(state.store.conn(), &secrets::digest(&token), expires)
                .await
                .map_err(anyhow_app)?;
            println!(
                "confab: no administrator yet. Open this one-time link within 24 hours to create one:\n\n    {}/setup?token={token}\n",
                state.config.base_url()
            );
        }
    }
    Ok(())
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config, true).await?;
    let listen = config.server.listen.clone();
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let acceptor = NoDelay(
        TcpListener::bind(listen.clone())
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {listen}"))?,
    );
    let addr =
        acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()).context("listener has no address")?;
    let mut config = config;
    if config.server.public_url.is_none() {
        // Port 0 means "pick one": tell users the real one.
        config.server.listen = addr.to_string();
    }
    let state = AppState::build(config, store).await?;
    let settled = state.chat.settle_interrupted_messages().await.map_err(anyhow_app)?;
    if settled > 0 {
        tracing::warn!(settled, "settled answers interrupted by the previous shutdown (partial or failed)");
    }
    if let Some(cluster) = &state.cluster {
        // Replicas come and go: answers a vanished replica was writing are settled by the others.
        let sweeper = state.clone();
        let every = Duration::from_secs(cluster.config.orphan_after_secs.min(30));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match sweeper.chat.settle_interrupted_messages().await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(settled = n, "settled answers whose replica stopped writing them"),
                    Err(e) => tracing::warn!(error = %e, "cannot settle interrupted answers"),
                }
            }
        });
    }
    first_run(&state).await?;
    let background = tokio_util::sync::CancellationToken::new();
    spawn_search_indexing(&state, background.clone());
    let app = api::routes(state.clone()).await;
    println!("confab: listening on http://{addr} (API docs at {}/docs)", state.config.base_url());
    tracing::info!(%addr, "listening");
    poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(app, shutdown_signal(), Some(grace)).await?;
    background.cancel();
    tracing::info!("stopped");
    Ok(())
}

/// With OpenSearch, this replica drains the search outbox (others may too); without it, rows
/// nobody will drain are pruned.
fn spawn_search_indexing(state: &AppState, stop: tokio_util::sync::CancellationToken) {
    use crate::search::opensearch::indexer;
    match state.search.opensearch() {
        Some(os) => {
            let c = &state.config.opensearch;
            let worker = indexer::Indexer::new(
                state.store.clone(),
                os.clone(),
                c.batch_size,
                Duration::from_millis(c.poll_interval_ms),
            );
            tracing::info!(url = os.display_url(), index = os.index_name(), "search: OpenSearch, indexer started");
            tokio::spawn(worker.run(stop));
        }
        None => {
            tokio::spawn(indexer::prune_undrained(state.store.clone(), stop));
        }
    }
}

/// Accepts TCP connections with Nagle's algorithm off: a streamed token is a small write, and
/// without this it waits for the client's delayed ACK (about 40 ms) before leaving.
struct NoDelay(poem::listener::TcpAcceptor);

impl Acceptor for NoDelay {
    type Io = tokio::net::TcpStream;

    fn local_addr(&self) -> Vec<poem::web::LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> std::io::Result<(Self::Io, poem::web::LocalAddr, poem::web::RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        if let Err(e) = io.set_nodelay(true) {
            tracing::debug!(error = %e, "could not disable Nagle's algorithm");
        }
        Ok((io, local, remote, scheme))
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

pub fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log.format {
        crate::config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
        crate::config::LogFormat::Human => builder.try_init(),
    };
}
