//! Encryption of secrets stored in the database (tenants' provider keys): AES-256-GCM under the
//! installation's master key, with the tenant and purpose as associated data so a ciphertext
//! cannot be moved to another tenant or field.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

pub struct MasterKey(Aes256Gcm);

impl MasterKey {
    /// A base64 encoding of exactly 32 bytes.
    pub fn parse(encoded: &str) -> Result<Self, String> {
        let bytes =
            STANDARD.decode(encoded.trim()).map_err(|_| "must be base64 (openssl rand -base64 32)".to_string())?;
        if bytes.len() != 32 {
            return Err(format!("must decode to 32 bytes, not {}", bytes.len()));
        }
        Aes256Gcm::new_from_slice(&bytes).map(MasterKey).map_err(|e| e.to_string())
    }

    pub fn encrypt(&self, plaintext: &str, context: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn decrypt(&self, encoded: &str, context: &str) -> Result<String, String> {
        let bytes = STANDARD.decode(encoded).map_err(|_| "stored secret is not base64".to_string())?;
        if bytes.len() < 12 {
            return Err("stored secret is truncated".into());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| "stored secret does not decrypt under this master key".to_string())?;
        String::from_utf8(plain).map_err(|_| "stored secret is not text".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_context() {
        let key = MasterKey::parse(&STANDARD.encode([7u8; 32])).ok().unwrap_or_else(|| unreachable!());
        let sealed = key.encrypt("sk-secret", "tenant-a/openai").unwrap_or_default();
        assert!(!sealed.contains("sk-secret"));
        assert_eq!(key.decrypt(&sealed, "tenant-a/openai").ok().as_deref(), Some("sk-secret"));
        assert!(key.decrypt(&sealed, "tenant-b/openai").is_err(), "moved to another tenant");
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
    }
}
