//! Attachments: upload a file, list, read and delete the caller's files, and what they take of
//! the tenant's storage. Files attach to a message through `file_ids` when it is sent.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use bytes::Bytes;
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::FileId;
use confab_core::store::files::FileRecord;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

/// The policy a downloaded file is served under: nothing runs, nothing loads, in a sandbox.
pub const FILE_CSP: &str = "default-src 'none'; sandbox";

#[derive(Default)]
pub struct FilesApi;

/// What a file is to the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "FileKind", rename_all = "snake_case")]
pub enum FileKindView {
    /// Plain text, Markdown, CSV, JSON or source code: its text goes into the prompt.
    Text,
    /// A PNG, JPEG, GIF or WebP picture: vision models see it.
    Image,
    /// A PDF or DOCX: its extracted text goes into the prompt.
    Document,
}

/// An uploaded file.
#[derive(Debug, Object)]
#[oai(rename = "File")]
pub struct FileView {
    /// The file's id: attach it with `file_ids` when sending a message.
    pub id: Uuid,
    /// The name it was uploaded under, made safe (no folders, no control characters).
    pub name: String,
    /// What the content is, as sniffed from its bytes (never taken from the name or the upload's
    /// header). HTML is never `text/html`.
    pub media_type: String,
    /// What the file is to the prompt.
    pub kind: FileKindView,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of the content, in hex.
    pub sha256: String,
    /// An image's width in pixels.
    #[oai(nullable)]
    pub width: Option<u32>,
    /// An image's height in pixels.
    #[oai(nullable)]
    pub height: Option<u32>,
    /// Characters of text extracted (text files and documents).
    #[oai(nullable)]
    pub text_chars: Option<u64>,
    /// The extracted text was longer than Confab keeps; the prompt gets its beginning, with a note.
    pub text_truncated: bool,
    /// When it was uploaded.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub fn kind_view(kind: &str) -> FileKindView {
    match kind {
        confab_core::store::files::KIND_IMAGE => FileKindView::Image,
        confab_core::store::files::KIND_DOCUMENT => FileKindView::Document,
        _ => FileKindView::Text,
    }
}

impl From<FileRecord> for FileView {
    fn from(f: FileRecord) -> Self {
        Self {
            id: f.id.0,
            kind: kind_view(&f.kind),
            name: f.name,
            media_type: f.media_type,
            size_bytes: f.size_bytes,
            sha256: f.sha256,
            width: f.width,
            height: f.height,
            text_chars: f.text_chars,
            text_truncated: f.text_truncated,
            created_at: f.created_at,
        }
    }
}

/// A page of the caller's files, newest first.
#[derive(Debug, Object)]
pub struct FilePage {
    /// The files, newest first.
    pub items: Vec<FileView>,
    /// Pass as `cursor` for the next page; null on the last.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// What files take of the storage allowed.
#[derive(Debug, Object)]
pub struct StorageUsage {
    /// The caller's files.
    pub files: u64,
    /// Bytes the caller's files take.
    pub bytes: u64,
    /// Bytes the caller may store in all; null when unlimited.
    #[oai(nullable)]
    pub quota_bytes: Option<u64>,
    /// The largest file one upload may carry, in bytes.
    pub max_file_bytes: u64,
    /// The most files one message may carry.
    pub max_files_per_message: u32,
}

/// What a tenant's files take.
#[derive(Debug, Object)]
pub struct TenantStorage {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its users' files.
    pub files: u64,
    /// Bytes they take (identical files of a tenant are stored once, but counted for each).
    pub bytes: u64,
    /// Bytes the tenant may store; null when unlimited.
    #[oai(nullable)]
    pub quota_bytes: Option<u64>,
}

/// Storage of every tenant that has files.
#[derive(Debug, Object)]
pub struct TenantStorageList {
    /// One entry per tenant with files.
    pub items: Vec<TenantStorage>,
}

#[derive(ApiResponse)]
pub enum Uploaded {
    /// The file is stored (or an identical upload of the caller's was found: the same file).
    #[oai(status = 201)]
    Created(Json<FileView>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Content {
    /// The file's bytes, always as a download (`Content-Disposition: attachment`), never sniffed
    /// and never run (`nosniff`, a sandboxing CSP).
    #[oai(status = 200)]
    Ok(
        Binary<Vec<u8>>,
        /// The sniffed media type (text as `text/plain; charset=utf-8`).
        #[oai(header = "Content-Type")]
        String,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// `attachment` with the name in both forms browsers read (ASCII fallback, and UTF-8).
fn disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Every `Content-Type` a download can have (the spec lists them for `files_content`).
pub const SERVED_TYPES: &[&str] = &[
    "text/plain",
    "application/pdf",
    confab_core::files::sniff::DOCX,
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
];

fn served_type(media_type: &str) -> String {
    // Text of any kind is served as plain text: a browser never renders an upload as a page.
    if media_type.starts_with("text/") || media_type == "application/json" {
        "text/plain; charset=utf-8".into()
    } else {
        media_type.to_string()
    }
}

#[OpenApi(tag = "ApiTags::Files")]
impl FilesApi {
    /// Upload a file to attach to messages. The body is the file's bytes (any `Content-Type`);
    /// its type is sniffed from the content. Plain text, Markdown, CSV, JSON, source code, PDF,
    /// DOCX and PNG, JPEG, GIF or WebP images are taken; anything else gets 415
    /// `unsupported_file_type`. Larger than `max_file_bytes` (`GET /v1/files/usage`) gets 413
    /// `payload_too_large`; over the storage quota, 413 `storage_quota_exceeded`. A file that
    /// cannot be read safely (a decompression bomb, a malformed or encrypted PDF, an image larger
    /// than 8000 pixels a side) gets 422 `validation_failed` with `field` = `file`.
    #[oai(path = "/files", method = "post", operation_id = "files_upload")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The file's name (shown in the chat, used for downloads and to tell source code from
        /// text); folders are stripped.
        name: Query<String>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Uploaded> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        let record = state.chat.files().upload(&scope, &actor_of(&auth.0), &name.0, Bytes::from(body.0)).await?;
        Ok(Uploaded::Created(Json(record.into())))
    }

    /// My files in the active tenant, newest first.
    #[oai(path = "/files", method = "get", operation_id = "files_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<FilePage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(FileId);
        let items = state.chat.files().list(&scope, before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |f| f.id.0);
        Ok(Json(FilePage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
    }

    /// What my files take, and the limits on uploads.
    #[oai(path = "/files/usage", method = "get", operation_id = "files_usage")]
    async fn usage(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<StorageUsage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let files = state.chat.files();
        let (count, bytes) = files.usage(scope.tenant, Some(scope.user)).await?;
        let config = files.config();
        Ok(Json(StorageUsage {
            files: count,
            bytes,
            quota_bytes: (config.user_quota_bytes > 0).then_some(config.user_quota_bytes),
            max_file_bytes: config.max_file_bytes,
            max_files_per_message: config.max_files_per_message as u32,
        }))
    }

    /// One of my files.
    #[oai(path = "/files/:id", method = "get", operation_id = "files_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The file's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<FileView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        Ok(Json(state.chat.files().get(&scope, FileId(id.0)).await?.into()))
    }

    /// Download one of my files.
    #[oai(path = "/files/:id/content", method = "get", operation_id = "files_content")]
    async fn content(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The file's id.
        id: Path<Uuid>,
    ) -> ApiResult<Content> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let (record, bytes) = state.chat.files().content(&scope, FileId(id.0)).await?;
        Ok(Content::Ok(
            Binary(bytes.to_vec()),
            served_type(&record.media_type),
            disposition(&record.name),
            FILE_CSP.into(),
            "nosniff".into(),
            "private, no-store".into(),
        ))
    }

    /// Delete one of my files. Messages that carried it keep its name (and say it was deleted).
    #[oai(path = "/files/:id", method = "delete", operation_id = "files_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The file's id.
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_WRITE).await?;
        state.chat.files().delete(&scope, &actor_of(&auth.0), FileId(id.0)).await?;
        Ok(Deleted::NoContent)
    }

    /// What the active tenant's files take (tenant admins).
    #[oai(path = "/tenant/storage", method = "get", operation_id = "tenant_storage_get")]
    async fn tenant_storage(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<TenantStorage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_USAGE_READ).await?;
        let files = state.chat.files();
        let (count, bytes) = files.usage(scope.tenant, None).await?;
        let quota = files.config().tenant_quota_bytes;
        Ok(Json(TenantStorage {
            tenant_id: scope.tenant.0,
            files: count,
            bytes,
            quota_bytes: (quota > 0).then_some(quota),
        }))
    }

    /// What every tenant's files take (platform admins).
    #[oai(path = "/storage/tenants", method = "get", operation_id = "storage_tenants_list")]
    async fn storage_tenants(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<TenantStorageList>> {
        state.authz.require_platform(&auth.0, Permission::TENANTS_READ).await?;
        let files = state.chat.files();
        let quota = files.config().tenant_quota_bytes;
        let items = files
            .usage_per_tenant()
            .await?
            .into_iter()
            .map(|(tenant, count, bytes)| TenantStorage {
                tenant_id: tenant.0,
                files: count,
                bytes,
                quota_bytes: (quota > 0).then_some(quota),
            })
            .collect();
        Ok(Json(TenantStorageList { items }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_name_the_file_safely() {
        assert_eq!(disposition("a b.txt"), "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
        assert_eq!(
            disposition("ré\"sumé.pdf"),
            "attachment; filename=\"r__sum_.pdf\"; filename*=UTF-8''r%C3%A9%22sum%C3%A9.pdf"
        );
        assert_eq!(served_type("text/markdown"), "text/plain; charset=utf-8");
        assert_eq!(served_type("image/png"), "image/png");
        for t in ["text/plain", "text/markdown", "text/csv", "application/json"] {
            let served = served_type(t);
            assert!(SERVED_TYPES.iter().any(|s| served.starts_with(s)), "{t} is served as a listed type");
        }
    }
}
