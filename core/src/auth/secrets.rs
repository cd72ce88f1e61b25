//! Random credentials and their stored digests.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The visible marker of a Confab API token, so leaked tokens are recognisable to scanners.
pub const API_TOKEN_PREFIX: &str = "cfb_";

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What we store instead of a token: its SHA-256, hex. Tokens carry 256 bits of entropy, so a
/// fast hash is enough (unlike passwords).
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token that goes with a session: derived from the session token, so it needs no
/// storage and changes whenever the session does.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!("confab-csrf:{session_token}").as_bytes()))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
