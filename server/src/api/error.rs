//! The one place that maps errors to HTTP: every error body is
//! `{ "error": { "code", "message", "request_id" } }`, listed in the OpenAPI spec.

use confab_core::error::AppError;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

#[derive(Debug, Clone, Object)]
pub struct ErrorDetail {
    /// Stable, snake_case; clients branch on it.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Quote it when reporting a problem; it is in the server's logs.
    pub request_id: String,
    /// The request field at fault, for validation errors.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// For `quota_exceeded`: the budget that refused the request.
    #[oai(skip_serializing_if_is_none)]
    pub quota: Option<QuotaExceededDetail>,
}

/// The token budget that refused a request, what is left of it and when it resets.
#[derive(Debug, Clone, Object)]
pub struct QuotaExceededDetail {
    /// `user` (the caller's own budget) or `tenant` (everyone's together).
    pub scope: String,
    /// `day` or `month` (UTC).
    pub period: String,
    pub limit: u64,
    pub used: u64,
    pub remaining: u64,
    /// The most this request could use: its estimated input plus its maximum output.
    pub requested: u64,
    pub resets_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Json<Self> {
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
                request_id: confab_core::context::current().request_id,
                field: None,
                quota: None,
            },
        })
    }
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// Malformed request: not JSON, wrong types, unknown fields.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid session or API token (`unauthenticated`, `invalid_credentials`).
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Authenticated, but not allowed (`forbidden`, `csrf_failed`).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such object for this caller (objects of other tenants included).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with the current state (`conflict`).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Request body larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// Well-formed but unacceptable values (`validation_failed`, with `field`).
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Rate limited (`rate_limited`) or over a token quota (`quota_exceeded`, with `quota`);
    /// retry after the given number of seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// Unexpected server error.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A dependency (the database, or for search the search cluster) is unavailable; nothing was
    /// changed.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation { field, reason } => {
                let mut body = ErrorBody::new("validation_failed", format!("{field} {reason}"));
                body.0.error.field = Some(field.to_string());
                ApiError::Unprocessable(body)
            }
            AppError::Unauthenticated(msg) => ApiError::Unauthorized(ErrorBody::new("unauthenticated", msg)),
            e @ AppError::InvalidCredentials => {
                ApiError::Unauthorized(ErrorBody::new("invalid_credentials", e.to_string()))
            }
            e @ AppError::CsrfFailed => ApiError::Forbidden(ErrorBody::new("csrf_failed", e.to_string())),
            AppError::Forbidden(msg) => ApiError::Forbidden(ErrorBody::new("forbidden", msg)),
            AppError::NotFound(what) => ApiError::NotFound(ErrorBody::new("not_found", format!("{what} not found"))),
            AppError::Conflict(msg) => ApiError::Conflict(ErrorBody::new("conflict", msg)),
            e @ AppError::IdempotencyMismatch => {
                let mut body = ErrorBody::new("idempotency_key_reused", e.to_string());
                body.0.error.field = Some("Idempotency-Key".into());
                ApiError::Unprocessable(body)
            }
            e @ AppError::RateLimited { retry_after } => {
                ApiError::TooManyRequests(ErrorBody::new("rate_limited", e.to_string()), retry_after.as_secs().max(1))
            }
            AppError::QuotaExceeded(refusal) => {
                let retry_after = (refusal.resets_at - chrono::Utc::now()).num_seconds().max(1) as u64;
                let mut body = ErrorBody::new("quota_exceeded", refusal.message());
                body.0.error.quota = Some(QuotaExceededDetail {
                    scope: refusal.scope.to_string(),
                    period: refusal.period.as_str().to_string(),
                    limit: refusal.limit,
                    used: refusal.used,
                    remaining: refusal.remaining,
                    requested: refusal.requested,
                    resets_at: refusal.resets_at,
                });
                ApiError::TooManyRequests(body, retry_after)
            }
            AppError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "dependency unavailable");
                ApiError::Unavailable(ErrorBody::new("unavailable", format!("{msg}; please retry shortly")))
            }
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ApiError::Internal(ErrorBody::new("internal", "something went wrong on our side"))
            }
        }
    }
}

/// Turns every error that did not come from our handlers (unparseable bodies, unknown routes,
/// wrong methods, oversized bodies) into the same JSON error body.
pub async fn uniform_errors<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(err) if err.is_from_response() => Ok(err.into_response()),
        Err(err) => Ok(poem_error_response(&err)),
    }
}

fn poem_error_response(err: &poem::Error) -> Response {
    let status = err.status();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this endpoint does not accept that method".into()),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json".into()),
        StatusCode::UNAUTHORIZED => ("unauthenticated", "sign in, or send a valid API token".into()),
        s if s.is_client_error() => ("bad_request", err.to_string()),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            ("internal", "something went wrong on our side".into())
        }
    };
    let body = ErrorBody::new(code, message);
    (status, body).into_response()
}
