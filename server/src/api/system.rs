//! Health, readiness and metrics, for load balancers and Prometheus.
use crate::app::AppState;
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
#[handler]
pub async fn readyz(state: Data<&Arc<AppState>>) -> Response {
    let database = state.store.ping().await;
    let schema = if database { state.store.check_schema().await.err().map(|e| e.to_string()) } else { None };
    let ready = database && schema.is_none();
    // Redis down degrades a replica (no new turns or sign-ins unless local limits are allowed)
    // but it still serves reads, so it stays in the load balancer.
    let redis = match &state.cluster {
        None => None,
        Some(c) => Some(if c.ping().await.is_ok() { "ok" } else { "unreachable" }),
    };
    let degraded = redis == Some("unreachable");
    let mut body = serde_json::json!({
        "status": if !ready { "unavailable" } else if degraded { "degraded" } else { "ready" },
        "checks": {
            "database": if database { "ok" } else { "unreachable" },
            "schema": match (&schema, database) { (None, true) => "current".to_string(), (Some(e), _) => e.clone(), (None, false) => "unknown".into() },
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
