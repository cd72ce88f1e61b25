//! Attachments: files users upload and attach to their messages.
//!
//! An upload is read whole (within `files.max_file_bytes`), its type sniffed from the content
//! (never from the name or the client's header), its text extracted once (plain text, Markdown,
//! CSV, JSON, source code, DOCX here; PDF in a child process), and its bytes kept in the file store
//! under the tenant and the content's SHA-256 (identical uploads in a tenant share one object).
//! A file is its owner's alone; other users and tenants get "not found".
//!
//! For a turn, [`FileService::prompt_material`] turns the file parts of the messages in the
//! context into what the provider is sent: a text block per text file or document (cut with a
//! visible note when longer than `files.max_prompt_chars`) and the image bytes for vision models.

pub mod extract;
pub mod pdf;
pub mod sniff;
pub mod storage;

use crate::audit::{self, Actor, NewEntry, action};
use crate::config::FilesConfig;
use crate::domain::{FileId, MessageId, TenantId, TenantScope};
use crate::error::{AppError, AppResult};
use crate::providers::ImageInput;
use crate::store::files::{self as repo, FilePart, FileRecord, KIND_DOCUMENT, KIND_IMAGE, KIND_TEXT, NewFile};
use crate::store::{self, Store};
use bytes::Bytes;
use sniff::{FileKind, SniffError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
pub use storage::{BlobStore, LocalDisk};

/// How long extracting the text of a text file or a DOCX may take (they are bounded in size and
/// inflation, so this is a backstop).
const INLINE_EXTRACT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most characters of extracted text kept per file (what a prompt can take is far less).
const MAX_STORED_CHARS: usize = 2_000_000;

pub struct FileService {
    store: Store,
    blobs: Arc<dyn BlobStore>,
    config: FilesConfig,
}

/// What the messages of a context carry besides their text.
#[derive(Debug, Clone, Default)]
pub struct Attached {
    /// The text blocks of the message's files, in order, to go before its own text.
    pub text: String,
    /// Its images, in order.
    pub images: Vec<ImageInput>,
    /// The images' estimated token cost (the text's is counted with the text).
    pub image_tokens: usize,
}

impl FileService {
    pub fn new(store: Store, blobs: Arc<dyn BlobStore>, config: FilesConfig) -> Self {
        Self { store, blobs, config }
    }

    pub fn config(&self) -> &FilesConfig {
        &self.config
    }

    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// Stores an upload for the caller: sniffed, extracted, within the quotas. An identical
    /// upload (same content, same name) by the same user answers the file already stored.
    pub async fn upload(&self, scope: &TenantScope, actor: &Actor, name: &str, bytes: Bytes) -> AppResult<FileRecord> {
        if bytes.len() as u64 > self.config.max_file_bytes {
            return Err(AppError::TooLarge(format!(
                "the file is larger than the {} bytes one upload may carry",
                self.config.max_file_bytes
            )));
        }
        let name = sniff::safe_name(name);
        let sniffed = {
            let (bytes, name) = (bytes.clone(), name.clone());
            blocking(move || sniff::sniff(&bytes, &name)).await?.map_err(sniff_refusal)?
        };
        let kind = match sniffed.kind {
            FileKind::Text => KIND_TEXT,
            FileKind::Image => KIND_IMAGE,
            FileKind::Document => KIND_DOCUMENT,
        };
        let extracted = match sniffed.kind {
            FileKind::Image => None,
            _ if sniffed.media_type == sniff::PDF => {
                let text =
                    pdf::extract(&bytes, MAX_STORED_CHARS, Duration::from_secs(self.config.extract_timeout_secs))
                        .await?;
                if text.text.trim().is_empty() {
                    return Err(AppError::Validation {
                        field: "file",
                        reason: "is a PDF without readable text (a scanned or damaged document?)".into(),
                    });
                }
                Some(text)
            }
            _ => {
                let (bytes, sniffed) = (bytes.clone(), sniffed.clone());
                let limits = extract::Limits { max_chars: MAX_STORED_CHARS, ..Default::default() };
                let work = blocking(move || extract::extract(&bytes, &sniffed, &limits));
                tokio::time::timeout(INLINE_EXTRACT_TIMEOUT, work)
                    .await
                    .map_err(|_| AppError::Validation { field: "file", reason: "could not be read in time".into() })??
                    .map_err(|e| AppError::Validation { field: "file", reason: e.to_string() })?
            }
        };
        let sha256 = {
            let bytes = bytes.clone();
            blocking(move || extract::sha256_hex(&bytes)).await?
        };
        let conn = self.store.conn();
        if let Some(same) = repo::find_same(conn, scope.tenant, scope.user, &sha256, &name).await? {
            return Ok(same);
        }
        let key = storage::object_key(scope.tenant, &sha256);
        let size = bytes.len() as u64;
        self.check_quota(conn, scope, size).await?;
        // The bytes first: a row never points at nothing. The quota is checked again with the
        // row's write (a concurrent upload may have taken the room); a refused upload's object
        // goes unless another file has the same content.
        self.blobs.put(&key, bytes).await?;
        let written = self.record_upload(scope, actor, &name, &sniffed, kind, size, &sha256, &key, extracted).await;
        if written.is_err() {
            self.forget_objects(scope.tenant, std::slice::from_ref(&key)).await;
        }
        written
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_upload(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        name: &str,
        sniffed: &sniff::Sniffed,
        kind: &str,
        size: u64,
        sha256: &str,
        key: &str,
        extracted: Option<extract::Extracted>,
    ) -> AppResult<FileRecord> {
        let txn = self.store.begin().await?;
        self.check_quota(&*txn, scope, size).await?;
        let record = repo::insert(
            &*txn,
            NewFile {
                tenant_id: scope.tenant,
                owner_id: scope.user,
                name,
                media_type: sniffed.media_type,
                kind,
                size_bytes: size,
                sha256,
                storage_key: key,
                width: sniffed.image.as_ref().map(|i| i.width),
                height: sniffed.image.as_ref().map(|i| i.height),
                extracted_text: extracted.as_ref().map(|e| e.text.as_str()),
                text_chars: extracted.as_ref().map(|e| e.total_chars as u64),
                text_truncated: extracted.as_ref().is_some_and(|e| e.truncated),
            },
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::FILE_UPLOADED)
                .target("file", record.id)
                .details(serde_json::json!({ "media_type": record.media_type, "size_bytes": size, "sha256": sha256 })),
        )
        .await?;
        txn.commit().await?;
        Ok(record)
    }

    async fn check_quota(&self, conn: &impl store::Conn, scope: &TenantScope, size: u64) -> AppResult<()> {
        let user_limit = self.config.user_quota_bytes;
        if user_limit > 0 {
            let (_, used) = repo::stored(conn, scope.tenant, Some(scope.user)).await?;
            if used + size > user_limit {
                return Err(AppError::StorageQuota(format!(
                    "your files would take {} bytes; you may store {user_limit} (delete some files first)",
                    used + size
                )));
            }
        }
        let tenant_limit = self.config.tenant_quota_bytes;
        if tenant_limit > 0 {
            let (_, used) = repo::stored(conn, scope.tenant, None).await?;
            if used + size > tenant_limit {
                return Err(AppError::StorageQuota(format!(
                    "the organisation's files would take {} bytes; it may store {tenant_limit}",
                    used + size
                )));
            }
        }
        Ok(())
    }

    pub async fn get(&self, scope: &TenantScope, id: FileId) -> AppResult<FileRecord> {
        repo::get_owned(self.store.conn(), scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("file"))
    }

    pub async fn list(&self, scope: &TenantScope, before: Option<FileId>, limit: u64) -> AppResult<Vec<FileRecord>> {
        repo::list_owned(self.store.conn(), scope.tenant, scope.user, before, limit).await
    }

    /// The file and its bytes.
    pub async fn content(&self, scope: &TenantScope, id: FileId) -> AppResult<(FileRecord, Bytes)> {
        let record = self.get(scope, id).await?;
        let bytes = self.blobs.get(&record.storage_key).await?;
        Ok((record, bytes))
    }

    /// Deletes one of the caller's files. Messages that carried it keep its name; the bytes go
    /// when no other file of the tenant has the same content.
    pub async fn delete(&self, scope: &TenantScope, actor: &Actor, id: FileId) -> AppResult<()> {
        let txn = self.store.begin().await?;
        let record =
            repo::delete_owned(&*txn, scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("file"))?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::FILE_DELETED)
                .target("file", record.id)
                .details(serde_json::json!({ "size_bytes": record.size_bytes })),
        )
        .await?;
        txn.commit().await?;
        self.forget_objects(scope.tenant, std::slice::from_ref(&record.storage_key)).await;
        Ok(())
    }

    /// Removes the objects no file of the tenant uses any more (after their rows were deleted).
    /// A failure is logged: the object stays until the next deletion of the same content.
    pub async fn forget_objects(&self, tenant: TenantId, keys: &[String]) {
        for key in keys {
            match repo::object_in_use(self.store.conn(), tenant, key).await {
                Ok(true) => {}
                Ok(false) => {
                    if let Err(e) = self.blobs.delete(key).await {
                        tracing::warn!(error = %e, "a deleted file's object stays in the file store");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not check a deleted file's object"),
            }
        }
    }

    /// The caller's files to attach to a new message, in the order given: each must be the
    /// caller's, each once, at most `files.max_files_per_message`.
    pub async fn for_message(&self, scope: &TenantScope, ids: &[FileId]) -> AppResult<Vec<FileRecord>> {
        if ids.len() > self.config.max_files_per_message {
            return Err(AppError::Validation {
                field: "file_ids",
                reason: format!("at most {} files per message", self.config.max_files_per_message),
            });
        }
        let mut seen = std::collections::HashSet::new();
        if !ids.iter().all(|id| seen.insert(*id)) {
            return Err(AppError::Validation { field: "file_ids", reason: "names a file twice".into() });
        }
        let found = repo::get_many_owned(self.store.conn(), scope.tenant, scope.user, ids).await?;
        let mut by_id: HashMap<FileId, FileRecord> = found.into_iter().map(|f| (f.id, f)).collect();
        ids.iter().map(|id| by_id.remove(id).ok_or(AppError::NotFound("file"))).collect()
    }

    /// What stored file parts (`parts`) and the files of a message not written yet (`fresh`) put
    /// into a prompt, by message. Images are read from the file store for a vision model and named
    /// in a note for any other; a file deleted since is named in a note.
    pub async fn prompt_material(
        &self,
        tenant: TenantId,
        parts: Vec<FilePart>,
        fresh: Vec<(MessageId, Vec<FileRecord>)>,
        vision: bool,
    ) -> AppResult<HashMap<MessageId, Attached>> {
        let mut out: HashMap<MessageId, Attached> = HashMap::new();
        if parts.is_empty() && fresh.iter().all(|(_, f)| f.is_empty()) {
            return Ok(out);
        }
        let conn = self.store.conn();
        // Every part as (message, what it was, the file if it is still there).
        let stored_ids: Vec<FileId> = parts.iter().filter_map(|p| p.file_id).collect();
        let mut records: HashMap<FileId, FileRecord> =
            repo::get_many(conn, tenant, &stored_ids).await?.into_iter().map(|f| (f.id, f)).collect();
        for (_, files) in &fresh {
            for f in files {
                records.insert(f.id, f.clone());
            }
        }
        let mut items: Vec<(MessageId, String, Option<FileRecord>)> = parts
            .iter()
            .map(|p| (p.message_id, p.name.clone(), p.file_id.and_then(|id| records.get(&id).cloned())))
            .collect();
        for (message, files) in &fresh {
            items.extend(files.iter().map(|f| (*message, f.name.clone(), Some(f.clone()))));
        }
        let text_ids: Vec<FileId> =
            items.iter().filter_map(|(_, _, f)| f.as_ref().filter(|f| f.kind != KIND_IMAGE).map(|f| f.id)).collect();
        let texts: HashMap<FileId, String> = repo::texts(conn, tenant, &text_ids).await?.into_iter().collect();
        for (message, name, file) in items {
            let entry = out.entry(message).or_default();
            match file {
                None => entry
                    .text
                    .push_str(&format!("[The file \"{}\" was attached here; it has since been deleted.]\n\n", name)),
                Some(f) if f.kind == KIND_IMAGE && !vision => entry.text.push_str(&format!(
                    "[The image \"{}\" was attached here; this model cannot see images.]\n\n",
                    attr(&f.name)
                )),
                Some(f) if f.kind == KIND_IMAGE => {
                    let data = self.blobs.get(&f.storage_key).await?;
                    entry.image_tokens += image_tokens(f.width.unwrap_or(0), f.height.unwrap_or(0));
                    entry.images.push(ImageInput { media_type: f.media_type.clone(), data });
                }
                Some(f) => {
                    let text = texts.get(&f.id).map(String::as_str).unwrap_or("");
                    entry.text.push_str(&self.text_block(&f, text));
                }
            }
        }
        Ok(out)
    }

    fn text_block(&self, f: &FileRecord, text: &str) -> String {
        let max = self.config.max_prompt_chars;
        let total = f.text_chars.unwrap_or(0) as usize;
        let (body, cut) = match text.char_indices().nth(max) {
            Some((at, _)) => (&text[..at], true),
            None => (text, f.text_truncated),
        };
        let mut block = format!("<file name=\"{}\" type=\"{}\">\n{}", attr(&f.name), f.media_type, body);
        if !block.ends_with('\n') {
            block.push('\n');
        }
        block.push_str("</file>\n");
        if cut {
            let shown = body.chars().count();
            block.push_str(&format!(
                "[Only the first {shown} of the {total} characters of \"{}\" are included.]\n",
                attr(&f.name)
            ));
        }
        block.push('\n');
        block
    }

    /// The file parts of a conversation's messages (whose ownership the caller checked).
    pub async fn parts_of_conversation(
        &self,
        tenant: TenantId,
        conversation: crate::domain::ConversationId,
    ) -> AppResult<Vec<FilePart>> {
        repo::parts_of_conversation(self.store.conn(), tenant, conversation).await
    }

    /// The file parts of some messages (whose ownership the caller checked).
    pub async fn parts_of_messages(&self, tenant: TenantId, ids: &[MessageId]) -> AppResult<Vec<FilePart>> {
        repo::parts_of_messages(self.store.conn(), tenant, ids).await
    }

    /// Storage per tenant, for the platform admin: (tenant, files, bytes).
    pub async fn usage_per_tenant(&self) -> AppResult<Vec<(TenantId, u64, u64)>> {
        repo::stored_per_tenant(self.store.conn()).await
    }

    /// Files and bytes stored by one tenant (and by one of its users).
    pub async fn usage(&self, tenant: TenantId, user: Option<crate::domain::UserId>) -> AppResult<(u64, u64)> {
        repo::stored(self.store.conn(), tenant, user).await
    }
}

/// A name inside the prompt's `<file name="…">`: quotes and angle brackets replaced.
fn attr(name: &str) -> String {
    name.replace(['"', '<', '>'], "_")
}

/// About what vision models charge for an image of this size (Anthropic's pixels / 750, which
/// OpenAI's tiles come close to), between 85 and 1,600 tokens (both scale large images down).
pub fn image_tokens(width: u32, height: u32) -> usize {
    ((u64::from(width) * u64::from(height) / 750) as usize).clamp(85, 1600)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(format!("file work panicked: {e}")))
}

fn sniff_refusal(e: SniffError) -> AppError {
    match e {
        SniffError::Unsupported => AppError::UnsupportedFile(
            "this kind of file cannot be attached: text, Markdown, CSV, JSON, source code, PDF, DOCX and PNG, JPEG, \
             GIF or WebP images can"
                .into(),
        ),
        other => AppError::Validation { field: "file", reason: other.to_string() },
    }
}
