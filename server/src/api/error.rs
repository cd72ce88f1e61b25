//! The one place that maps errors to HTTP: every error body is
//! `{ "error": { "code", "message", "request_id" } }`, listed in the OpenAPI spec.

use confab_core::error::AppError;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object};

/// What went wrong, stable and machine-readable: clients branch on it. Each response status
/// lists the codes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request could not be read (not JSON, wrong types, unknown fields, a malformed
    /// parameter).
    BadRequest,
    /// 401: no valid session or API token.
    Unauthenticated,
    /// 401: the e-mail address and password (or the API token) do not match an active account.
    InvalidCredentials,
    /// 403: a cookie-authenticated change without the session's `X-CSRF-Token` header.
    CsrfFailed,
    /// 403: authenticated, but the caller's role does not allow this action.
    Forbidden,
    /// 403: private chats are off for the caller (the organisation's setting or a legal hold);
    /// the message says why.
    PrivateModeDisabled,
    /// 404: no such object for this caller (another tenant's or user's objects included), or no
    /// such endpoint.
    NotFound,
    /// 405: the endpoint exists but does not accept this method.
    MethodNotAllowed,
    /// 409: conflicts with the current state (a duplicate name, a stale version, a turn still
    /// running).
    Conflict,
    /// 413: the request body (or an uploaded file) is larger than the server accepts.
    PayloadTooLarge,
    /// 413: storing the upload would exceed the caller's or the tenant's storage quota.
    StorageQuotaExceeded,
    /// 415: the body was not sent as `application/json`.
    UnsupportedMediaType,
    /// 415: an upload of a kind that cannot be attached (the message lists those that can).
    UnsupportedFileType,
    /// 422: well-formed but unacceptable values; `field` names the one at fault.
    ValidationFailed,
    /// 422: the `Idempotency-Key` was already used with a different request body.
    IdempotencyKeyReused,
    /// 429: too many requests; retry after `Retry-After` seconds.
    RateLimited,
    /// 429: a token budget is spent; `quota` says which and when it resets.
    QuotaExceeded,
    /// 500: an unexpected error on the server's side; quote `request_id` when reporting it.
    Internal,
    /// 503: a dependency (the database, the cache cluster, the search cluster) is unavailable;
    /// nothing was changed, retry shortly.
    Unavailable,
    /// 503: this server is shutting down (an upgrade or a scale-down) and takes no new answers;
    /// nothing was written. Retry the same request with the same `Idempotency-Key` after
    /// `Retry-After` seconds: the load balancer sends it to another server.
    Draining,
}

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct ErrorDetail {
    /// Stable and snake_case; clients branch on it.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// Quote it when reporting a problem; it is in the server's logs.
    pub request_id: String,
    /// The request field at fault, for `validation_failed` and `idempotency_key_reused`; absent
    /// otherwise.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// For `quota_exceeded`: the budget that refused the request; absent otherwise.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub quota: Option<QuotaExceededDetail>,
}

/// The token budget that refused a request, what is left of it and when it resets.
#[derive(Debug, Clone, Object)]
pub struct QuotaExceededDetail {
    /// `user` (the caller's own budget) or `tenant` (everyone's together).
    pub scope: String,
    /// `day` or `month` (UTC).
    pub period: String,
    /// Tokens the budget allows per period.
    pub limit: u64,
    /// Tokens used (or reserved by turns still running) in the current period.
    pub used: u64,
    /// Tokens left in the current period.
    pub remaining: u64,
    /// The most this request could use: its estimated input plus its maximum output.
    pub requested: u64,
    /// When the period ends and the budget is whole again.
    pub resets_at: chrono::DateTime<chrono::Utc>,
}

/// Every error response: `{ "error": { "code", "message", "request_id" } }`.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Json<Self> {
        Json(ErrorBody {
            error: ErrorDetail {
                code,
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
    /// `bad_request`: the request could not be read (not JSON, wrong types, unknown fields, a
    /// malformed parameter).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `unauthenticated` (no valid session or API token) or `invalid_credentials`.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// `forbidden` (the caller's role does not allow it), `csrf_failed`, or
    /// `private_mode_disabled` (private chats are off for the caller; the message says why).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// `not_found`: no such object for this caller (objects of other tenants and users included).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// `conflict`: conflicts with the current state.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// `payload_too_large`: the request body (or an uploaded file) is larger than the server
    /// accepts; or `storage_quota_exceeded`: storing an upload would exceed a storage quota.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// `unsupported_media_type`: a request body not sent as `application/json`; or
    /// `unsupported_file_type`: an upload of a kind that cannot be attached.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// `validation_failed` (well-formed but unacceptable values; `field` names the one at fault)
    /// or `idempotency_key_reused`.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// `rate_limited` or `quota_exceeded` (with `quota`); retry after `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// `internal`: an unexpected error on the server's side.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// `unavailable`: a dependency (the database, the cache or search cluster) is unavailable;
    /// nothing was changed. Or `draining`: this server is shutting down and takes no new answers
    /// (nothing was written); retry the same request, with the same `Idempotency-Key`, after
    /// `Retry-After` seconds (another server takes it).
    #[oai(status = 503)]
    Unavailable(
        Json<ErrorBody>,
        /// With `draining`: seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        Option<u64>,
    ),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation { field, reason } => {
                let mut body = ErrorBody::new(ErrorCode::ValidationFailed, format!("{field} {reason}"));
                body.0.error.field = Some(field.to_string());
                ApiError::Unprocessable(body)
            }
            AppError::Unauthenticated(msg) => ApiError::Unauthorized(ErrorBody::new(ErrorCode::Unauthenticated, msg)),
            e @ AppError::InvalidCredentials => {
                ApiError::Unauthorized(ErrorBody::new(ErrorCode::InvalidCredentials, e.to_string()))
            }
            e @ AppError::CsrfFailed => ApiError::Forbidden(ErrorBody::new(ErrorCode::CsrfFailed, e.to_string())),
            AppError::Forbidden(msg) => ApiError::Forbidden(ErrorBody::new(ErrorCode::Forbidden, msg)),
            AppError::PrivateModeOff(msg) => ApiError::Forbidden(ErrorBody::new(ErrorCode::PrivateModeDisabled, msg)),
            AppError::NotFound(what) => {
                ApiError::NotFound(ErrorBody::new(ErrorCode::NotFound, format!("{what} not found")))
            }
            AppError::Conflict(msg) => ApiError::Conflict(ErrorBody::new(ErrorCode::Conflict, msg)),
            AppError::TooLarge(msg) => ApiError::PayloadTooLarge(ErrorBody::new(ErrorCode::PayloadTooLarge, msg)),
            AppError::StorageQuota(msg) => {
                ApiError::PayloadTooLarge(ErrorBody::new(ErrorCode::StorageQuotaExceeded, msg))
            }
            AppError::UnsupportedFile(msg) => {
                ApiError::UnsupportedMediaType(ErrorBody::new(ErrorCode::UnsupportedFileType, msg))
            }
            e @ AppError::IdempotencyMismatch => {
                let mut body = ErrorBody::new(ErrorCode::IdempotencyKeyReused, e.to_string());
                body.0.error.field = Some("Idempotency-Key".into());
                ApiError::Unprocessable(body)
            }
            e @ AppError::RateLimited { retry_after } => ApiError::TooManyRequests(
                ErrorBody::new(ErrorCode::RateLimited, e.to_string()),
                retry_after.as_secs().max(1),
            ),
            AppError::QuotaExceeded(refusal) => {
                let retry_after = (refusal.resets_at - chrono::Utc::now()).num_seconds().max(1) as u64;
                let mut body = ErrorBody::new(ErrorCode::QuotaExceeded, refusal.message());
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
                ApiError::Unavailable(
                    ErrorBody::new(ErrorCode::Unavailable, format!("{msg}; please retry shortly")),
                    None,
                )
            }
            e @ AppError::Draining { retry_after } => ApiError::Unavailable(
                ErrorBody::new(ErrorCode::Draining, e.to_string()),
                Some(retry_after.as_secs().max(1)),
            ),
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ApiError::Internal(ErrorBody::new(ErrorCode::Internal, "something went wrong on our side"))
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
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such endpoint".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => {
            (ErrorCode::MethodNotAllowed, "this endpoint does not accept that method".into())
        }
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "the request body is too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::UnsupportedMediaType, "send the body as application/json".into())
        }
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthenticated, "sign in, or send a valid API token".into()),
        s if s.is_client_error() => (ErrorCode::BadRequest, err.to_string()),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            (ErrorCode::Internal, "something went wrong on our side".into())
        }
    };
    let body = ErrorBody::new(code, message);
    (status, body).into_response()
}
