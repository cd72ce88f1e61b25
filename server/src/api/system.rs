//! Health, readiness and metrics, for load balancers and Prometheus.
use crate::state::AppState;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response};
use std::sync::Arc;

/// Alive: the process answers.
#[handler]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready: the database answers and its schema is the one this binary expects.
///
/// With OpenSearch, a `search` check reports whether the cluster answers and how many changes wait
/// in the outbox. An unreachable OpenSearch makes the status `degraded` but keeps the replica
/// ready (200): chat works without it (only search answers 503), and taking every replica out
/// of the load balancer would turn a search outage into a full one. Likewise with Redis
/// (`checks.redis`): without it a replica still serves reads, so it stays in the load balancer.
#[handler]
pub async fn readyz(state: Data<&Arc<AppState>>) -> Response {
    let database = state.store.ping().await;
    let schema = if database { state.store.check_schema().await.err().map(|e| e.to_string()) } else { None };
    let ready = database && schema.is_none();
    let search = match state.search.opensearch() {
        None => serde_json::json!({ "backend": "sql", "status": if database { "ok" } else { "unreachable" } }),
        Some(os) => {
            let reachable = os.ping(std::time::Duration::from_secs(2)).await.is_ok();
            let backlog = if database {
                confab_core::search::opensearch::indexer::backlog(&state.store).await.ok()
            } else {
                None
            };
            serde_json::json!({
                "backend": "opensearch",
                "status": if reachable { "ok" } else { "unreachable" },
                "outbox_backlog": backlog,
            })
        }
    };
    let redis = match &state.cluster {
        None => None,
        Some(c) => Some(if c.ping().await.is_ok() { "ok" } else { "unreachable" }),
    };
    let degraded = search.get("status").and_then(|s| s.as_str()) != Some("ok") || redis == Some("unreachable");
    let mut body = serde_json::json!({
        "status": if !ready { "unavailable" } else if degraded { "degraded" } else { "ready" },
        "checks": {
            "database": if database { "ok" } else { "unreachable" },
            "schema": match (&schema, database) { (None, true) => "current".to_string(), (Some(e), _) => e.clone(), (None, false) => "unknown".into() },
            "search": search,
        }
    });
    if let Some(redis) = redis {
        body["checks"]["redis"] = serde_json::json!(redis);
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

#[handler]
pub async fn metrics(state: Data<&Arc<AppState>>) -> Response {
    let db_up = state.store.ping().await;
    Response::builder().content_type("text/plain; version=0.0.4").body(state.metrics.render(db_up))
}
