//! Health, readiness and metrics, for load balancers and Prometheus; the same readiness, typed,
//! for the admin console's system health page (platform admins).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::authz::Permission;
use confab_core::config::ExposeSecret;
use confab_core::error::AppError;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response};
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;

/// Alive: the process answers.
#[handler]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// What the readiness checks found.
struct Readiness {
    database: bool,
    /// Why the schema is not the expected one; `None` when current (or unknown: no database).
    schema: Option<String>,
    /// The next release's migration, when the schema is ahead of this binary (still ready).
    newer_schema: Option<String>,
    opensearch: bool,
    search_ok: bool,
    backlog: Option<u64>,
    /// `None` without Redis.
    redis: Option<bool>,
    /// The SIEM sinks' delivery, reported only: a failing sink never makes a replica unready.
    audit_sinks: Option<confab_core::siem::SinksHealth>,
}

impl Readiness {
    async fn check(state: &AppState) -> Readiness {
        let database = state.store.ping().await;
        let (schema, newer_schema) = match database {
            false => (None, None),
            true => match state.store.check_schema().await {
                Ok(newer) => (None, newer),
                Err(e) => (Some(e.to_string()), None),
            },
        };
        let (opensearch, search_ok, backlog) = match state.search.opensearch() {
            None => (false, database, None),
            Some(os) => {
                let reachable = os.ping(std::time::Duration::from_secs(2)).await.is_ok();
                let backlog = if database {
                    confab_core::search::opensearch::indexer::backlog(&state.store).await.ok()
                } else {
                    None
                };
                (true, reachable, backlog)
            }
        };
        let redis = match &state.cluster {
            None => None,
            Some(c) => Some(c.ping().await.is_ok()),
        };
        let audit_sinks = if database { state.siem.health().await.ok() } else { None };
        Readiness { database, schema, newer_schema, opensearch, search_ok, backlog, redis, audit_sinks }
    }

    fn ready(&self) -> bool {
        self.database && self.schema.is_none()
    }

    fn status(&self) -> &'static str {
        if !self.ready() {
            "unavailable"
        } else if !self.search_ok || self.redis == Some(false) {
            "degraded"
        } else {
            "ready"
        }
    }

    fn schema_state(&self) -> String {
        match (&self.schema, self.database) {
            (None, true) => match &self.newer_schema {
                None => "current".to_string(),
                Some(m) => format!("newer ({m}): this is the previous release, running on the next one's schema"),
            },
            (Some(e), _) => e.clone(),
            (None, false) => "unknown".into(),
        }
    }
}

fn ok(v: bool) -> &'static str {
    if v { "ok" } else { "unreachable" }
}

/// Ready: the database answers and its schema is the one this binary expects.
///
/// With OpenSearch, a `search` check reports whether the cluster answers and how many changes wait
/// in the outbox. An unreachable OpenSearch makes the status `degraded` but keeps the replica
/// ready (200): chat works without it (only search answers 503), and taking every replica out
/// of the load balancer would turn a search outage into a full one. Likewise with Redis
/// (`checks.redis`): without it a replica still serves reads, so it stays in the load balancer.
/// `checks.audit_sinks` reports the SIEM sinks (how many enabled, how many failing, entries
/// waiting) and never changes the status: a SIEM outage is the SIEM's, and the log keeps the
/// backlog until it returns.
/// After SIGTERM the status is `draining` (503) at once: the replica finishes its running
/// answers but takes no new ones.
#[handler]
pub async fn readyz(state: Data<&Arc<AppState>>) -> Response {
    let r = Readiness::check(&state).await;
    let search = if r.opensearch {
        serde_json::json!({ "backend": "opensearch", "status": ok(r.search_ok), "outbox_backlog": r.backlog })
    } else {
        serde_json::json!({ "backend": "sql", "status": ok(r.search_ok) })
    };
    let mut body = serde_json::json!({
        "status": r.status(),
        "checks": {
            "database": ok(r.database),
            "schema": r.schema_state(),
            "search": search,
        }
    });
    if let Some(redis) = r.redis {
        body["checks"]["redis"] = serde_json::json!(ok(redis));
    }
    if let Some(sinks) = &r.audit_sinks {
        body["checks"]["audit_sinks"] = serde_json::json!({
            "status": if sinks.failing > 0 { "failing" } else { "ok" },
            "sinks": sinks.sinks,
            "failing": sinks.failing,
            "backlog": sinks.backlog,
        });
    }
    // Shutting down (SIGTERM): out of the load balancer, whatever the checks say.
    if state.chat.engine().drain().is_draining() {
        body["status"] = serde_json::json!("draining");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let status = if r.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// `/metrics` on the API (and admin console) listener: served there unless `metrics.listen`
/// gives it a listener of its own; with `metrics.token`, only to a scraper that sends it.
#[handler]
pub async fn metrics(state: Data<&Arc<AppState>>, req: &poem::Request) -> Response {
    if state.config.metrics.listen_addr().is_some() {
        return super::error::ApiError::from(AppError::NotFound("endpoint")).into_response();
    }
    scrape(&state, req).await
}

/// `/metrics` on the metrics listener.
#[handler]
pub async fn metrics_listener(state: Data<&Arc<AppState>>, req: &poem::Request) -> Response {
    scrape(&state, req).await
}

async fn scrape(state: &AppState, req: &poem::Request) -> Response {
    if let Some(expected) = &state.config.metrics.token {
        let sent = req
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .unwrap_or_default();
        if !same_secret(sent.trim(), expected.expose_secret().trim()) {
            let refused = AppError::Unauthenticated("send the metrics token as `Authorization: Bearer …`");
            let mut resp = super::error::ApiError::from(refused).into_response();
            resp.headers_mut().insert("WWW-Authenticate", poem::http::HeaderValue::from_static("Bearer"));
            return resp;
        }
    }
    let probes = probe(state).await;
    let accept = req.headers().get(poem::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = confab_core::metrics::Format::from_accept(accept);
    Response::builder().content_type(format.content_type()).body(state.metrics.render_as(&probes, format))
}

/// Compares a sent token with the configured one in constant time (over their SHA-256 digests,
/// so neither the content nor the length leaks through timing).
fn same_secret(sent: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(sent.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The dependencies' health and latency, measured at each scrape.
async fn probe(state: &AppState) -> confab_core::metrics::Probes {
    let m = &state.metrics;
    let started = std::time::Instant::now();
    let database_up = state.store.ping().await;
    m.database_latency("ping", started.elapsed());
    let redis_up = match &state.cluster {
        None => None,
        Some(c) => {
            let started = std::time::Instant::now();
            let up = c.ping().await.is_ok();
            m.redis_latency("ping", started.elapsed());
            Some(up)
        }
    };
    let (search_up, search_backlog) = match state.search.opensearch() {
        None => (None, None),
        Some(os) => {
            let up = os.ping(std::time::Duration::from_secs(2)).await.is_ok();
            let backlog = if database_up {
                confab_core::search::opensearch::indexer::backlog(&state.store).await.ok()
            } else {
                None
            };
            (Some(up), backlog)
        }
    };
    confab_core::metrics::Probes { database_up, redis_up, search_up, search_backlog }
}

/// One readiness check.
#[derive(Debug, Object)]
pub struct HealthCheckView {
    /// `database`, `schema`, `search`, `redis` or `audit_sinks`.
    pub name: String,
    /// Whether it passes.
    pub ok: bool,
    /// What it found, e.g. `current`, `unreachable`, `sql`, `opensearch`.
    pub detail: String,
}

/// This replica's health, as the readiness probe sees it, with its version and uptime.
#[derive(Debug, Object)]
pub struct PlatformHealthView {
    /// `ready`, `degraded` (serving without search or Redis) or `unavailable`.
    pub status: String,
    /// Whether this replica takes traffic (`/readyz` answers 200).
    pub ready: bool,
    /// The server's version.
    pub version: String,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    /// Seconds since then.
    pub uptime_secs: i64,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
    /// `sql` (the database's full-text search) or `opensearch`.
    pub search_backend: String,
    /// Changes waiting for OpenSearch; null with SQL search or when unknown.
    #[oai(nullable)]
    pub search_backlog: Option<u64>,
    /// Whether Redis answers; null when this installation runs without it (one replica).
    #[oai(nullable)]
    pub redis_ok: Option<bool>,
    /// Each check.
    pub checks: Vec<HealthCheckView>,
}

#[derive(Default)]
pub struct SystemApi;

#[OpenApi(tag = "ApiTags::Tenants")]
impl SystemApi {
    /// This replica's health (platform admins): readiness checks, search backlog, Redis, version
    /// and uptime.
    #[oai(path = "/platform/health", method = "get", operation_id = "platform_health_get")]
    async fn health(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
    ) -> ApiResult<poem_openapi::payload::Json<PlatformHealthView>> {
        state.authz.require_platform(&auth.0, Permission::TENANTS_READ).await?;
        let r = Readiness::check(&state).await;
        let mut checks = vec![
            HealthCheckView { name: "database".into(), ok: r.database, detail: ok(r.database).into() },
            HealthCheckView { name: "schema".into(), ok: r.ready(), detail: r.schema_state() },
            HealthCheckView {
                name: "search".into(),
                ok: r.search_ok,
                detail: format!("{} ({})", if r.opensearch { "opensearch" } else { "sql" }, ok(r.search_ok)),
            },
        ];
        if let Some(redis) = r.redis {
            checks.push(HealthCheckView { name: "redis".into(), ok: redis, detail: ok(redis).into() });
        }
        if let Some(sinks) = &r.audit_sinks
            && sinks.sinks > 0
        {
            checks.push(HealthCheckView {
                name: "audit_sinks".into(),
                ok: sinks.failing == 0,
                detail: format!("{} sinks, {} failing, {} entries waiting", sinks.sinks, sinks.failing, sinks.backlog),
            });
        }
        let now = Utc::now();
        Ok(poem_openapi::payload::Json(PlatformHealthView {
            status: r.status().into(),
            ready: r.ready(),
            version: env!("CARGO_PKG_VERSION").into(),
            started_at: state.started_at,
            uptime_secs: (now - state.started_at).num_seconds(),
            database_backend: state.store.backend_name().into(),
            search_backend: if r.opensearch { "opensearch" } else { "sql" }.into(),
            search_backlog: r.backlog,
            redis_ok: r.redis,
            checks,
        }))
    }
}
