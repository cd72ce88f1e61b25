//! Serving: open the store, build the state, start background work, and run the HTTP server
//! with the API, the web pages and the middleware every request goes through.

use crate::state::{AppState, Opening, anyhow_app, open_store};
use crate::{api, web};
use anyhow::Context;
use confab_core::config::{Config, ExposeSecret};
use confab_core::domain::Surface;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, EndpointExt, IntoResponse};
use std::sync::Arc;
use std::time::Duration;

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
                .bootstrap(&confab_core::audit::Actor::cli(), email, password.expose_secret(), &tenant, None)
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
            let token = state.accounts.issue_setup_token().await.map_err(anyhow_app)?;
            println!(
                "confab: no administrator yet. Open this one-time link within 24 hours to create one:\n\n    {}/setup?token={token}\n",
                state.config.base_url()
            );
        }
    }
    Ok(())
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config, Opening::Serve).await?;
    // PostgreSQL: every connection of the pool runs a turn's statements once (rolled back), so the
    // first turns after a start do not pay for new connections' empty caches.
    let warmed = store.warm_up().await;
    if warmed > 0 {
        tracing::debug!(connections = warmed, "warmed the database pool");
    }
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
    // The admin console's listener is bound before anything starts, so a taken port fails fast.
    let admin_acceptor = match config.admin.listen_addr() {
        Some(admin_listen) => Some(NoDelay(
            TcpListener::bind(admin_listen.to_string())
                .into_acceptor()
                .await
                .with_context(|| format!("cannot listen on {admin_listen} for the admin console (admin.listen)"))?,
        )),
        None => None,
    };
    // So is the metrics listener's, when `/metrics` has one of its own.
    let metrics_acceptor = match config.metrics.listen_addr() {
        Some(metrics_listen) => Some(
            TcpListener::bind(metrics_listen.to_string())
                .into_acceptor()
                .await
                .with_context(|| format!("cannot listen on {metrics_listen} for metrics (metrics.listen)"))?,
        ),
        None => None,
    };
    let state = AppState::build(config, store).await?;
    let settled = state.chat.settle_interrupted_messages().await.map_err(anyhow_app)?;
    if settled > 0 {
        tracing::warn!(settled, "settled answers interrupted by the previous shutdown (partial or failed)");
    }
    if state.cluster.is_some() {
        // Replicas come and go: answers a vanished replica was writing are settled by the others.
        let sweeper = state.clone();
        let every = Duration::from_secs(sweeper.config.redis.orphan_after_secs.min(30));
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
    // Every replica runs the SIEM delivery loop; a lease on each sink lets one deliver it at a time.
    tokio::spawn(state.siem.clone().run(background.clone()));
    spawn_retention(&state, background.clone());
    let app = app(state.clone());
    // SIGTERM starts the drain; the listeners close once it is over.
    let stopping = tokio_util::sync::CancellationToken::new();
    let closing = closing_time(grace);
    tokio::spawn({
        let (stopping, state) = (stopping.clone(), state.clone());
        async move {
            shutdown_signal().await;
            drain(&state, grace).await;
            stopping.cancel();
        }
    });
    let admin_server = match admin_acceptor {
        Some(acceptor) => {
            let admin_addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied());
            if let Some(admin_addr) = admin_addr {
                println!("confab: admin console on http://{admin_addr}");
                tracing::info!(%admin_addr, "admin console listening");
            }
            let admin = admin_app(state.clone());
            let stopping = stopping.clone();
            Some(tokio::spawn(async move {
                poem::Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(admin, stopping.cancelled_owned(), Some(closing))
                    .await
            }))
        }
        None => None,
    };
    let metrics_server = metrics_acceptor.map(|acceptor| {
        if let Some(metrics_addr) = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()) {
            println!("confab: metrics on http://{metrics_addr}/metrics");
            tracing::info!(%metrics_addr, "metrics listening");
        }
        let routes = api::middleware::stack(api::metrics_routes(), state.clone());
        let stopping = stopping.clone();
        tokio::spawn(async move {
            poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(routes, stopping.cancelled_owned(), Some(grace))
                .await
        })
    });
    if state.config.admin.mount_on_main {
        println!("confab: admin console also at {}/admin/", state.config.base_url());
    }
    println!("confab: listening on http://{addr} (API docs at {}/docs)", state.config.base_url());
    tracing::info!(%addr, "listening");
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, stopping.clone().cancelled_owned(), Some(closing))
        .await?;
    stopping.cancel();
    if let Some(admin_server) = admin_server {
        admin_server.await.context("the admin console's server stopped abnormally")??;
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.await.context("the metrics server stopped abnormally")??;
    }
    // Completions whose callers were cut off record their usage on the way out.
    let _ = tokio::time::timeout(Duration::from_secs(1), state.chat.engine().drain().idle()).await;
    background.cancel();
    tracing::info!("stopped");
    Ok(())
}

/// The part of `server.shutdown_grace_secs` kept after the drain's deadline for the interrupted
/// answers' records and the last bytes of every response.
fn closing_time(grace: Duration) -> Duration {
    (grace / 4).min(Duration::from_secs(3))
}

/// After SIGTERM, while the listeners stay open: `/readyz` answers 503 `draining` (the load
/// balancer stops sending requests here), new turns and completions are refused with 503
/// `draining` and `Retry-After` (the client retries elsewhere), responses close their
/// connections, and the running turns finish. At the deadline (the grace less the closing time)
/// the turns still running are settled `partial` with every token they produced — the user
/// continues them on another replica — and the event streams still open end, their readers
/// reattaching elsewhere with `Last-Event-ID`.
async fn drain(state: &AppState, grace: Duration) {
    let drain = state.chat.engine().drain().clone();
    drain.begin();
    let deadline = grace.saturating_sub(closing_time(grace));
    tracing::info!(
        running = drain.running(),
        deadline_secs = deadline.as_secs_f32(),
        "draining: not ready, no new answers; running answers finish"
    );
    if tokio::time::timeout(deadline, drain.idle()).await.is_err() {
        tracing::warn!(
            running = drain.running(),
            "drain deadline: the answers still running are kept as partial, to be continued elsewhere"
        );
        drain.interrupt();
        let _ = tokio::time::timeout(closing_time(grace) / 2, drain.idle()).await;
    }
    // The readers of interrupted answers take their final events before the streams end.
    tokio::time::sleep(Duration::from_millis(100)).await;
    drain.close_streams();
    tracing::info!("drained: closing the listeners");
}

/// While draining, every HTTP/1.1 response closes its connection, so clients' next requests
/// open new ones, which the load balancer sends to another replica.
fn close_connections_while_draining(
    drain: Arc<confab_core::chat::drain::Drain>,
    ep: impl Endpoint + 'static,
) -> impl Endpoint + 'static {
    ep.around(move |ep, req| {
        let drain = drain.clone();
        async move {
            let http1 = req.version() == poem::http::Version::HTTP_11;
            let mut resp = ep.call(req).await?.into_response();
            if http1 && drain.is_draining() {
                resp.headers_mut()
                    .insert(poem::http::header::CONNECTION, poem::http::HeaderValue::from_static("close"));
            }
            Ok(resp)
        }
    })
}

/// Everything this server answers: the API and its documents, the web pages, and the middleware
/// every request goes through.
pub fn app(state: Arc<AppState>) -> impl poem::Endpoint {
    let web_dir = state.config.server.web_dir.clone();
    let mut routes = web::mount(api::routes(), &web_dir);
    if state.config.admin.mount_on_main {
        // `/admin` itself goes to `/admin/`, so the console's relative asset paths resolve.
        let console = admin_routes(state.config.admin.dir.clone()).around(|ep, req| async move {
            if req.original_uri().path() == "/admin" {
                return Ok(poem::web::Redirect::permanent("/admin/").into_response());
            }
            ep.call(req).await.map(poem::IntoResponse::into_response)
        });
        routes = routes.nest("/admin", console);
    }
    let drain = state.chat.engine().drain().clone();
    close_connections_while_draining(drain, api::middleware::stack(routes.data(Surface::Chat), state))
}

/// The admin console's listener: the console and the whole API under it, with console sessions.
pub fn admin_app(state: Arc<AppState>) -> impl poem::Endpoint {
    let routes = admin_routes(state.config.admin.dir.clone());
    let drain = state.chat.engine().drain().clone();
    close_connections_while_draining(drain, api::middleware::stack(routes, state))
}

/// The console's pages and the API, marked as the admin surface (its own session cookie, its
/// sign-in limited to tenant admins, auditors and platform admins).
fn admin_routes(admin_dir: std::path::PathBuf) -> impl poem::Endpoint + 'static {
    web::mount_admin(api::routes(), &admin_dir).data(Surface::Admin)
}

/// With OpenSearch, this replica drains the search outbox (others may too); without it, rows
/// nobody will drain are pruned.
fn spawn_search_indexing(state: &AppState, stop: tokio_util::sync::CancellationToken) {
    use confab_core::search::opensearch::indexer;
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

/// The background purge: every `retention.interval_secs`, the replica that takes the purge lease
/// applies every tenant's retention policy (the others find the lease taken and wait for the next
/// tick). Off when the interval is 0.
fn spawn_retention(state: &Arc<AppState>, stop: tokio_util::sync::CancellationToken) {
    use confab_core::retention::{Lease, PURGE_LEASE, RunOptions};
    let c = state.config.retention.clone();
    if c.interval_secs == 0 {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let opts = RunOptions::from_config(&c, None);
        let lease = Lease::new(state.store.clone(), PURGE_LEASE, opts.lease);
        let mut tick = tokio::time::interval(Duration::from_secs(c.interval_secs));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match lease.try_acquire().await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "retention: cannot take the purge lease");
                    continue;
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                result = state.retention.run(&lease, None, opts) => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "retention: the purge stopped; the next run continues it");
                    }
                }
            }
            if let Err(e) = lease.release().await {
                tracing::warn!(error = %e, "retention: cannot release the purge lease (it lapses on its own)");
            }
        }
    });
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

/// Logs to stderr as `log` says and, when `[telemetry]` names an OTLP endpoint, exports traces;
/// the returned handle flushes the last spans at exit.
pub fn init_logging(config: &Config) -> Option<confab_core::telemetry::Tracing> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    let filter = EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match config.log.format {
        confab_core::config::LogFormat::Json => fmt.json().flatten_event(true).boxed(),
        confab_core::config::LogFormat::Human => fmt.boxed(),
    };
    // `log.level` filters the log only: traces have their own filter, so a quiet log still traces.
    let (otel, tracing) = match confab_core::telemetry::layer(&config.telemetry) {
        Ok(Some((layer, tracing))) => (Some(layer), Some(tracing)),
        Ok(None) => (None, None),
        Err(e) => {
            eprintln!("confab: traces are off: cannot set up the OTLP exporter: {e}");
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry().with(fmt.with_filter(filter)).with(otel).try_init();
    tracing
}
