//! The domain's error type. `api::error` is the one place that turns it into HTTP.

use crate::domain::Invalid;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is well-formed but a value is not acceptable (422).
    #[error("{field} {reason}")]
    Validation { field: &'static str, reason: String },
    /// Missing, expired or revoked credentials; wrong password (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Sign-in refused: wrong password, unknown or disabled account — deliberately one answer (401).
    #[error("the e-mail address or password is incorrect")]
    InvalidCredentials,
    /// A cookie-authenticated change without the session's CSRF token (403).
    #[error("missing or wrong X-CSRF-Token header (cookie-authenticated changes need the token from /v1/me)")]
    CsrfFailed,
    /// Private mode is off for the caller (the tenant's switch or a legal hold); the message says
    /// why (403 `private_mode_disabled`).
    #[error("{0}")]
    PrivateModeOff(String),
    /// Authenticated, but the policy does not allow it (403).
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist for this caller (404) — also for other tenants' objects.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with current state (409).
    #[error("{0}")]
    Conflict(String),
    /// An idempotency key was reused with a different request (422).
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyMismatch,
    /// Too many requests (429).
    #[error("too many attempts; try again in {} seconds", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// A token quota does not cover the request (429 `quota_exceeded`).
    #[error("{}", .0.message())]
    QuotaExceeded(Box<crate::domain::QuotaRefusal>),
    /// An upload is larger than one may be (413 `payload_too_large`).
    #[error("{0}")]
    TooLarge(String),
    /// Storing an upload would exceed the user's or the tenant's storage (413
    /// `storage_quota_exceeded`).
    #[error("{0}")]
    StorageQuota(String),
    /// An upload of a kind Confab does not take (415 `unsupported_file_type`).
    #[error("{0}")]
    UnsupportedFile(String),
    /// A dependency (the database) is unavailable (503).
    #[error("{0}")]
    Unavailable(String),
    /// This replica is shutting down and admits no new turns (503 `draining`); nothing was
    /// written: retry the same request (same idempotency key) after `retry_after`, another
    /// replica takes it.
    #[error("this server is restarting and takes no new answers; retry (another server takes it)")]
    Draining { retry_after: Duration },
    /// A bug or an unexpected state (500). The message is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::Validation { field: invalid.field, reason: invalid.reason }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, SqlErr};
        if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) || is_sqlite_unique_violation(&err) {
            return AppError::Conflict("that value is already in use".into());
        }
        match err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => AppError::Unavailable("the database is unavailable".into()),
            other => {
                let text = other.to_string();
                if text.contains("database is locked") || text.contains("connection") && text.contains("refused") {
                    AppError::Unavailable("the database is unavailable".into())
                } else if text.contains("invalid byte sequence for encoding") {
                    // PostgreSQL refuses a NUL character in any text (SQLSTATE 22021): the
                    // request's input, not a fault here; the statement changed nothing.
                    AppError::Validation { field: "request", reason: "must not contain a NUL character".into() }
                } else {
                    AppError::Internal(text)
                }
            }
        }
    }
}

/// Whether `e` is SQLite's unique constraint failing on the writer's own connection
/// (`store::direct`), whose errors keep SQLite's message (`UNIQUE constraint failed: …`) rather
/// than sqlx's error codes.
pub(crate) fn is_sqlite_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e, sea_orm::DbErr::Exec(sea_orm::RuntimeErr::Internal(m)) if m.starts_with("UNIQUE constraint failed"))
}

pub type AppResult<T> = Result<T, AppError>;
