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
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": if database { "ok" } else { "unreachable" },
            "schema": match (&schema, database) { (None, true) => "current".to_string(), (Some(e), _) => e.clone(), (None, false) => "unknown".into() },
        }
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

#[handler]
pub async fn metrics(state: Data<&Arc<AppState>>) -> Response {
    let db_up = state.store.ping().await;
    Response::builder().content_type("text/plain; version=0.0.4").body(state.metrics.render(db_up))
}
