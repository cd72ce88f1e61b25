//! Where uploaded files' bytes are kept. Keys are made by Confab, never by users:
//! `<tenant>/<sha256>`, so one tenant's objects share a prefix and identical uploads in a tenant
//! are stored once.

use crate::domain::TenantId;
use crate::error::{AppError, AppResult};
use bytes::Bytes;
use std::path::{Path, PathBuf};

/// A store of immutable objects by key.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key` (replacing nothing: an existing object with the key has the
    /// same content, since keys name the content).
    async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()>;
    /// The object's bytes; `NotFound` when there is none.
    async fn get(&self, key: &str) -> AppResult<Bytes>;
    /// Removes the object; nothing happens when there is none.
    async fn delete(&self, key: &str) -> AppResult<()>;
    /// A short description for logs and the readiness check.
    fn describe(&self) -> String;
}

/// The key of a tenant's object with this content.
pub fn object_key(tenant: TenantId, sha256_hex: &str) -> String {
    format!("{}/{}", tenant.0.simple(), sha256_hex)
}

/// A key Confab made: `<32 hex>/<64 hex>`. Anything else is refused before it reaches a path.
fn checked(key: &str) -> AppResult<(&str, &str)> {
    let (tenant, object) = key.split_once('/').ok_or_else(|| AppError::Internal(format!("bad object key {key}")))?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex(tenant, 32) || !hex(object, 64) {
        return Err(AppError::Internal(format!("bad object key {key}")));
    }
    Ok((tenant, object))
}

/// Objects as files under a directory: `<dir>/<tenant>/<first two hex>/<sha256>`. Writes go to a
/// temporary file that is renamed into place, so a reader never sees half an object.
pub struct LocalDisk {
    dir: PathBuf,
}

impl LocalDisk {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, key: &str) -> AppResult<PathBuf> {
        let (tenant, object) = checked(key)?;
        Ok(self.dir.join(tenant).join(&object[..2]).join(object))
    }
}

fn unavailable(what: &str, path: &Path, e: std::io::Error) -> AppError {
    tracing::warn!(path = %path.display(), error = %e, "file store {what} failed");
    AppError::Unavailable("the file store is unavailable".into())
}

#[async_trait::async_trait]
impl BlobStore for LocalDisk {
    async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        let path = self.path(key)?;
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(());
        }
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        tokio::fs::create_dir_all(&parent).await.map_err(|e| unavailable("mkdir", &parent, e))?;
        let tmp = parent.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        let write = async {
            tokio::fs::write(&tmp, &bytes).await?;
            let f = tokio::fs::File::open(&tmp).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(e) = write.await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(unavailable("write", &path, e));
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> AppResult<Bytes> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Bytes::from(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::NotFound("file content")),
            Err(e) => Err(unavailable("read", &path, e)),
        }
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unavailable("delete", &path, e)),
        }
    }

    fn describe(&self) -> String {
        format!("local disk at {}", self.dir.display())
    }
}

/// Objects in an S3-compatible bucket: `<prefix>/<tenant>/<sha256>`, so each tenant's objects
/// share a prefix (for lifecycle rules, IAM conditions, audits). Server-side encryption is asked
/// for when configured.
pub struct S3Store {
    store: object_store::aws::AmazonS3,
    prefix: String,
    describe: String,
}

impl S3Store {
    pub fn new(config: &crate::config::S3Config) -> anyhow::Result<Self> {
        use crate::config::ExposeSecret;
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(if config.region.is_empty() { "us-east-1" } else { &config.region })
            .with_virtual_hosted_style_request(!config.path_style);
        if let Some(endpoint) = &config.endpoint {
            b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(id) = &config.access_key_id {
            b = b.with_access_key_id(id);
        }
        if let Some(secret) = &config.secret_access_key {
            b = b.with_secret_access_key(secret.expose_secret());
        }
        match (config.server_side_encryption.as_deref(), &config.sse_kms_key_id) {
            (Some("aws:kms"), Some(key)) => b = b.with_sse_kms_encryption(key),
            (Some(kind), _) => {
                let key: AmazonS3ConfigKey = "aws_server_side_encryption".parse()?;
                b = b.with_config(key, kind);
            }
            (None, _) => {}
        }
        let store = b.build()?;
        let prefix = config.prefix.trim_matches('/').to_string();
        let describe = format!(
            "S3 bucket {} at {}",
            config.bucket,
            config.endpoint.as_deref().unwrap_or("the AWS endpoint of the region")
        );
        Ok(Self { store, prefix, describe })
    }

    fn path(&self, key: &str) -> AppResult<object_store::path::Path> {
        let (tenant, object) = checked(key)?;
        let full = if self.prefix.is_empty() {
            format!("{tenant}/{object}")
        } else {
            format!("{}/{tenant}/{object}", self.prefix)
        };
        Ok(object_store::path::Path::from(full))
    }
}

fn s3_unavailable(what: &str, e: object_store::Error) -> AppError {
    tracing::warn!(error = %e, "file store {what} failed");
    AppError::Unavailable("the file store is unavailable".into())
}

#[async_trait::async_trait]
impl BlobStore for S3Store {
    async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        use object_store::ObjectStore;
        let path = self.path(key)?;
        self.store.put(&path, bytes.into()).await.map(|_| ()).map_err(|e| s3_unavailable("put", e))
    }

    async fn get(&self, key: &str) -> AppResult<Bytes> {
        use object_store::ObjectStore;
        let path = self.path(key)?;
        match self.store.get(&path).await {
            Ok(got) => got.bytes().await.map_err(|e| s3_unavailable("read", e)),
            Err(object_store::Error::NotFound { .. }) => Err(AppError::NotFound("file content")),
            Err(e) => Err(s3_unavailable("get", e)),
        }
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        use object_store::ObjectStore;
        let path = self.path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(s3_unavailable("delete", e)),
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

/// The file store the configuration names.
pub fn from_config(config: &crate::config::FilesConfig) -> anyhow::Result<std::sync::Arc<dyn BlobStore>> {
    Ok(match config.storage {
        crate::config::FileStorage::Local => std::sync::Arc::new(LocalDisk::new(config.dir.clone())),
        crate::config::FileStorage::S3 => std::sync::Arc::new(S3Store::new(&config.s3)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_round_trip_and_foreign_keys_never_become_paths() {
        let dir = std::env::temp_dir().join(format!("confab-blobs-{}", uuid::Uuid::new_v4().simple()));
        let store = LocalDisk::new(&dir);
        let key = object_key(TenantId(uuid::Uuid::new_v4()), &"ab".repeat(32));
        store.put(&key, Bytes::from_static(b"hello")).await.unwrap();
        store.put(&key, Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Bytes::from_static(b"hello"));
        store.delete(&key).await.unwrap();
        assert!(matches!(store.get(&key).await, Err(AppError::NotFound(_))));
        store.delete(&key).await.unwrap();
        for bad in [
            "../../etc/passwd",
            "a/b",
            &format!("{}/../x", "0".repeat(32)),
            &format!("{}/{}", "0".repeat(32), "g".repeat(64)),
        ] {
            assert!(matches!(store.get(bad).await, Err(AppError::Internal(_))), "{bad}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
