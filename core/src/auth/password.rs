//! Password hashing with argon2id (OWASP parameters), off the async runtime.
use crate::domain::NewPassword;
use crate::error::{AppError, AppResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn argon2() -> AppResult<Argon2<'static>> {
    // 19 MiB, 2 iterations, 1 lane: the OWASP minimum for argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub async fn hash(password: &NewPassword) -> AppResult<String> {
    let plain = password.expose().to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(plain.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. With no hash (unknown account) it verifies against
/// a dummy hash so both cases take the same time and reveal nothing.
pub async fn verify(password: &str, stored: Option<String>) -> AppResult<bool> {
    let plain = password.to_string();
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash()?.to_string(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| AppError::Internal(e.to_string()))?;
        let ok = argon2()?.verify_password(plain.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

fn dummy_hash() -> AppResult<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let salt = SaltString::generate(&mut OsRng);
    let h = argon2()?
        .hash_password(b"confab-timing-equaliser", &salt)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_string();
    Ok(DUMMY.get_or_init(|| h))
}
