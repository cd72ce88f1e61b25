//! Client-observed timings: a browser reports, per turn, how long its user waited from pressing
//! send to the first token and to the whole answer. Only the two durations are kept, aggregated
//! into histograms; nothing about the message is stored.

use super::ChatService;
use crate::domain::{MessageId, MessageRole, TenantScope};
use crate::error::{AppError, AppResult};
use std::time::Duration;

/// The longest wait a report may carry (one hour): longer is a clock or client bug.
pub const MAX_TIMING_MS: u64 = 3_600_000;
/// Reports a user may send per minute (one per turn; a turn takes seconds).
pub const REPORTS_PER_MINUTE: u32 = 60;

impl ChatService {
    /// Records one turn's client timings. The answer must be the caller's (else `not_found`).
    pub async fn record_client_timing(
        &self,
        scope: &TenantScope,
        message: MessageId,
        first_token_ms: Option<u64>,
        complete_ms: Option<u64>,
    ) -> AppResult<()> {
        for (field, value) in [("send_to_first_token_ms", first_token_ms), ("send_to_complete_ms", complete_ms)] {
            if value.is_some_and(|ms| ms > MAX_TIMING_MS) {
                return Err(AppError::Validation { field, reason: format!("must be at most {MAX_TIMING_MS}") });
            }
        }
        if first_token_ms.is_none() && complete_ms.is_none() {
            return Err(AppError::Validation {
                field: "send_to_complete_ms",
                reason: "give send_to_first_token_ms, send_to_complete_ms or both".into(),
            });
        }
        if let (Some(first), Some(complete)) = (first_token_ms, complete_ms)
            && first > complete
        {
            return Err(AppError::Validation {
                field: "send_to_first_token_ms",
                reason: "must not be after send_to_complete_ms".into(),
            });
        }
        let key = format!("client-timing:{}:{}", scope.tenant, scope.user);
        self.limiter.hit(&key, REPORTS_PER_MINUTE, Duration::from_secs(60)).await?;
        let answer = self.message(scope, message).await?;
        if answer.role != MessageRole::Assistant {
            return Err(AppError::Validation {
                field: "message_id",
                reason: "must be an answer (an assistant message)".into(),
            });
        }
        self.engine.metrics().client_timing(
            &scope.tenant.to_string(),
            first_token_ms.map(Duration::from_millis),
            complete_ms.map(Duration::from_millis),
        );
        Ok(())
    }
}
