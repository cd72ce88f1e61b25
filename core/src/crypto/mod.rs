//! Encryption of secrets stored in the database (tenants' provider keys, share link tokens):
//! AES-256-GCM under the installation's master key, with the tenant and purpose as associated
//! data so a ciphertext cannot be moved to another tenant or field.
//!
//! A ciphertext names the key that sealed it (`v1:<key id>:<base64>`; the id is a fingerprint,
//! not the key), so during a rotation every replica opens secrets sealed under the new key and
//! under the previous ones without guessing. Ciphertexts written before key ids existed (plain
//! base64) stay readable: they are tried under each configured key in turn.

use crate::config::{ExposeSecret, SecretsConfig};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The version tag of a ciphertext that names its key.
const MARKED: &str = "v1";

/// One master key and its public fingerprint.
pub struct MasterKey {
    cipher: Aes256Gcm,
    id: String,
}

impl MasterKey {
    /// A base64 encoding of exactly 32 bytes.
    pub fn parse(encoded: &str) -> Result<Self, String> {
        let bytes =
            STANDARD.decode(encoded.trim()).map_err(|_| "must be base64 (openssl rand -base64 32)".to_string())?;
        if bytes.len() != 32 {
            return Err(format!("must decode to 32 bytes, not {}", bytes.len()));
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        // A one-way fingerprint: it names the key in ciphertexts and logs without revealing it.
        let id = hex::encode(&Sha256::digest([b"confab-master-key-id:".as_slice(), &bytes].concat())[..6]);
        Ok(Self { cipher, id })
    }

    /// The key's fingerprint (12 hex digits), as written in the ciphertexts it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn seal(&self, plaintext: &str, context: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{MARKED}:{}:{}", self.id, STANDARD.encode(out)))
    }

    fn open(&self, encoded: &str, context: &str) -> Result<String, String> {
        let bytes = STANDARD.decode(encoded).map_err(|_| "stored secret is not base64".to_string())?;
        if bytes.len() < 12 {
            return Err("stored secret is truncated".into());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| format!("stored secret does not decrypt under master key {}", self.id))?;
        String::from_utf8(plain).map_err(|_| "stored secret is not text".to_string())
    }
}

/// A ciphertext split into the key id it names (none for the older, unmarked form) and its body.
fn split(sealed: &str) -> Result<(Option<&str>, &str), String> {
    match sealed.split_once(':') {
        None => Ok((None, sealed)),
        Some((MARKED, rest)) => {
            let (id, body) = rest.split_once(':').ok_or("stored secret is malformed (no key id)")?;
            Ok((Some(id), body))
        }
        Some(_) => Err("stored secret has an unknown format version".into()),
    }
}

/// The current master key, which seals, and the previous ones, which only open (during a
/// rotation, until `confab secrets rotate-master-key` has re-sealed everything).
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        let mut kept: Vec<MasterKey> = Vec::new();
        for key in previous {
            if key.id != current.id && !kept.iter().any(|k| k.id == key.id) {
                kept.push(key);
            }
        }
        Self { current, previous: kept }
    }

    /// The keyring `[secrets]` describes: none without `master_key`; an error naming the
    /// setting when a key is malformed or previous keys are given without a current one.
    pub fn from_config(secrets: &SecretsConfig) -> Result<Option<Self>, String> {
        let previous = match &secrets.previous_master_keys {
            None => Vec::new(),
            Some(list) => list
                .expose_secret()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|k| !k.is_empty())
                .enumerate()
                .map(|(i, k)| {
                    MasterKey::parse(k).map_err(|e| format!("secrets.previous_master_keys (key {}): {e}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let Some(current) = &secrets.master_key else {
            if previous.is_empty() {
                return Ok(None);
            }
            return Err("secrets.previous_master_keys is set but secrets.master_key is not: \
                        the new key goes in master_key, the old ones in previous_master_keys"
                .into());
        };
        let current = MasterKey::parse(current.expose_secret()).map_err(|e| format!("secrets.master_key: {e}"))?;
        Ok(Some(Self::new(current, previous)))
    }

    /// The fingerprint of the key that seals.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Fingerprints of the keys that only open.
    pub fn previous_ids(&self) -> Vec<&str> {
        self.previous.iter().map(MasterKey::id).collect()
    }

    /// Seals under the current key.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> Result<String, String> {
        self.current.seal(plaintext, context)
    }

    /// Opens a ciphertext under the key it names, or (unmarked) under each key in turn.
    pub fn decrypt(&self, sealed: &str, context: &str) -> Result<String, String> {
        match split(sealed)? {
            (Some(id), body) => {
                let key =
                    std::iter::once(&self.current).chain(&self.previous).find(|k| k.id == id).ok_or_else(|| {
                        format!(
                            "stored secret was sealed under master key {id}, which is not configured \
                         (secrets.master_key is {}; add the old key to secrets.previous_master_keys)",
                            self.current.id
                        )
                    })?;
                key.open(body, context)
            }
            (None, body) => std::iter::once(&self.current)
                .chain(&self.previous)
                .find_map(|k| k.open(body, context).ok())
                .ok_or_else(|| {
                    "stored secret does not decrypt under any configured master key \
                        (secrets.master_key, secrets.previous_master_keys)"
                        .to_string()
                }),
        }
    }

    /// Whether a ciphertext is already sealed under the current key (nothing to re-seal).
    pub fn is_current(&self, sealed: &str) -> bool {
        matches!(split(sealed), Ok((Some(id), _)) if id == self.current.id)
    }

    /// The prefix every ciphertext under the current key starts with.
    pub fn current_prefix(&self) -> String {
        format!("{MARKED}:{}:", self.current.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::parse(&STANDARD.encode([byte; 32])).ok().unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn round_trip_bound_to_context() {
        let ring = Keyring::new(key(7), vec![]);
        let sealed = ring.encrypt("sk-secret", "tenant-a/openai").unwrap_or_default();
        assert!(!sealed.contains("sk-secret"));
        assert!(ring.is_current(&sealed));
        assert_eq!(ring.decrypt(&sealed, "tenant-a/openai").ok().as_deref(), Some("sk-secret"));
        assert!(ring.decrypt(&sealed, "tenant-b/openai").is_err(), "moved to another tenant");
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
    }

    #[test]
    fn previous_keys_open_marked_and_unmarked_secrets() {
        let old = Keyring::new(key(1), vec![]);
        let marked = old.encrypt("sk-old", "ctx").unwrap_or_default();
        let unmarked = marked.splitn(3, ':').nth(2).unwrap_or_default().to_string();
        let rolling = Keyring::new(key(2), vec![key(1)]);
        assert_eq!(rolling.decrypt(&marked, "ctx").ok().as_deref(), Some("sk-old"));
        assert_eq!(rolling.decrypt(&unmarked, "ctx").ok().as_deref(), Some("sk-old"));
        assert!(!rolling.is_current(&marked) && !rolling.is_current(&unmarked));
        let only_new = Keyring::new(key(2), vec![]);
        let err = only_new.decrypt(&marked, "ctx").err().unwrap_or_default();
        assert!(err.contains(old.current_id()), "{err}");
        assert!(only_new.decrypt(&unmarked, "ctx").is_err());
    }
}
