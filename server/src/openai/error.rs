//! Errors in OpenAI's format, `{"error": {"message", "type", "param", "code"}}` plus Confab's
//! `request_id`, with the statuses OpenAI's SDKs map to their exception classes (400
//! BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
//! 429 RateLimitError, 5xx InternalServerError). The one place this endpoint maps errors.

use confab_core::chat::completions::CompletionError;
use confab_core::error::AppError;
use confab_core::plugins::StopReason;
use confab_core::providers::ProviderError;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct OpenAiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
pub(super) struct Detail<'a> {
    pub message: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub param: Option<&'a str>,
    pub code: &'a str,
    pub request_id: &'a str,
}

impl OpenAiError {
    pub fn new(status: StatusCode, kind: &'static str, code: &str, message: impl Into<String>) -> Self {
        Self { status, kind, code: code.into(), message: message.into(), param: None, retry_after: None }
    }

    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            param: Some(param.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_value", message)
        }
    }

    /// The error's JSON (for a stream's last event too).
    pub fn body(&self) -> String {
        let request_id = confab_core::context::current().request_id;
        serde_json::to_string(&Body {
            error: Detail {
                message: &self.message,
                kind: self.kind,
                param: self.param.as_deref(),
                code: &self.code,
                request_id: &request_id,
            },
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let mut resp = Response::builder().status(self.status).content_type("application/json");
        if let Some(secs) = self.retry_after {
            resp = resp.header(poem::http::header::RETRY_AFTER, secs.to_string());
        }
        resp.body(self.body())
    }
}

impl From<AppError> for OpenAiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation { field, reason } => Self::invalid(field, format!("{field} {reason}")),
            AppError::Unauthenticated(msg) => {
                Self::new(StatusCode::UNAUTHORIZED, "authentication_error", "invalid_api_key", msg)
            }
            e @ AppError::InvalidCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "authentication_error", "invalid_api_key", e.to_string())
            }
            e @ AppError::CsrfFailed => {
                Self::new(StatusCode::FORBIDDEN, "permission_error", "forbidden", e.to_string())
            }
            AppError::Forbidden(msg) | AppError::PrivateModeOff(msg) => {
                Self::new(StatusCode::FORBIDDEN, "permission_error", "forbidden", msg)
            }
            AppError::NotFound("model") => Self {
                param: Some("model".into()),
                ..Self::new(
                    StatusCode::NOT_FOUND,
                    "invalid_request_error",
                    "model_not_found",
                    "the model does not exist in this tenant, or you do not have access to it (GET /openai/v1/models lists them)",
                )
            },
            AppError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, "invalid_request_error", "not_found", format!("{what} not found"))
            }
            AppError::Conflict(msg) => Self::new(StatusCode::CONFLICT, "invalid_request_error", "conflict", msg),
            AppError::TooLarge(msg) | AppError::StorageQuota(msg) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", "payload_too_large", msg)
            }
            AppError::UnsupportedFile(msg) => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", "unsupported_file_type", msg)
            }
            e @ AppError::IdempotencyMismatch => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", "idempotency_key_reused", e.to_string())
            }
            e @ AppError::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "rate_limit_exceeded", e.to_string())
            },
            AppError::QuotaExceeded(refusal) => Self {
                retry_after: Some((refusal.resets_at - chrono::Utc::now()).num_seconds().max(1) as u64),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "insufficient_quota", "quota_exceeded", refusal.message())
            },
            AppError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "dependency unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "unavailable",
                    format!("{msg}; please retry shortly"),
                )
            }
            // OpenAI's SDKs retry a 503 by themselves, after `Retry-After`.
            e @ AppError::Draining { retry_after } => Self {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "api_error", "draining", e.to_string())
            },
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "api_error",
                    "internal",
                    "something went wrong on our side",
                )
            }
        }
    }
}

impl From<ProviderError> for OpenAiError {
    fn from(err: ProviderError) -> Self {
        let message = err.to_string();
        let code = err.code();
        match &err {
            ProviderError::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after.unwrap_or(1)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", code, message)
            },
            // The provider refused what the caller sent (a tool schema, a parameter): their error.
            ProviderError::Upstream { status: 400..=422, .. } => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
            }
            ProviderError::Timeout { .. } => Self::new(StatusCode::GATEWAY_TIMEOUT, "api_error", code, message),
            ProviderError::NotConfigured(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "api_error", code, message),
            // The installation's key, the provider's outage: not the caller's doing.
            _ => Self::new(StatusCode::BAD_GATEWAY, "api_error", code, message),
        }
    }
}

impl From<CompletionError> for OpenAiError {
    fn from(err: CompletionError) -> Self {
        match err {
            CompletionError::App(e) => e.into(),
            CompletionError::Provider(e) => e.into(),
            CompletionError::Plugin(stop) => match stop.reason {
                StopReason::PluginRejected => {
                    Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", stop.reason.code(), stop.message)
                }
                StopReason::PluginFailed => {
                    Self::new(StatusCode::SERVICE_UNAVAILABLE, "api_error", stop.reason.code(), stop.message)
                }
            },
        }
    }
}
