//! Client-observed timings: the web chat reports how long each turn took as its user saw it.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use confab_core::authz::Permission;
use confab_core::domain::MessageId;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

/// One turn as a client saw it, in milliseconds from pressing send. At least one of the two; each
/// at most 3600000, and the first token not after the complete answer.
#[derive(Debug, Object)]
pub struct TurnTimings {
    /// The answer (assistant message) the timings are for; it must be the caller's.
    pub message_id: Uuid,
    /// From pressing send to the first token shown; null when no token arrived.
    #[oai(nullable)]
    pub send_to_first_token_ms: Option<u64>,
    /// From pressing send to the complete answer shown; null when it did not complete.
    #[oai(nullable)]
    pub send_to_complete_ms: Option<u64>,
}

#[derive(ApiResponse)]
pub enum TimingsRecorded {
    /// Recorded: the timings were added to the `confab_client_…_seconds` histograms (nothing else
    /// is kept).
    #[oai(status = 204)]
    NoContent,
}

#[derive(Default)]
pub struct TelemetryApi;

#[OpenApi(tag = "ApiTags::Telemetry")]
impl TelemetryApi {
    /// Report how long a turn took as the client saw it (send → first token, send → complete).
    /// Aggregated into Prometheus histograms; no content and no per-message record is kept.
    /// Rate-limited per user (429); 404 when the message is not the caller's.
    #[oai(path = "/telemetry/turn-timings", method = "post", operation_id = "telemetry_report_turn_timings")]
    async fn report(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<TurnTimings>,
    ) -> ApiResult<TimingsRecorded> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let Json(t) = body;
        state
            .chat
            .record_client_timing(&scope, MessageId(t.message_id), t.send_to_first_token_ms, t.send_to_complete_ms)
            .await?;
        Ok(TimingsRecorded::NoContent)
    }
}
