//! Uploaded files and the file parts of messages. Tenant-filtered in every query; a file is its
//! owner's alone (other users of the tenant get "not found", like other tenants).
use super::entities::{file, message_part};
use super::{Conn, now};
use crate::domain::{ConversationId, FileId, MessageId, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set};

/// What a file is, for the prompt: text to read, an image to look at, or a document whose text
/// was extracted.
pub const KIND_TEXT: &str = "text";
pub const KIND_IMAGE: &str = "image";
pub const KIND_DOCUMENT: &str = "document";

/// An uploaded file, without its bytes or its extracted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub id: FileId,
    pub tenant_id: TenantId,
    pub owner_id: UserId,
    /// The name it was uploaded under, made safe (no directories, no control characters).
    pub name: String,
    /// What the content is, sniffed from the bytes (never taken from the client).
    pub media_type: String,
    pub kind: String,
    pub size_bytes: u64,
    pub sha256: String,
    /// Where the bytes are in the file store (shared by identical uploads in the tenant).
    pub storage_key: String,
    /// An image's size in pixels.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Characters of extracted text (all of it, before any cut), for text and documents.
    pub text_chars: Option<u64>,
    /// The stored text is cut short of the whole (the file's text was longer than Confab keeps).
    pub text_truncated: bool,
    pub created_at: DateTime<Utc>,
}

impl From<file::Model> for FileRecord {
    fn from(m: file::Model) -> Self {
        Self {
            id: FileId(m.id),
            tenant_id: TenantId(m.tenant_id),
            owner_id: UserId(m.owner_id),
            name: m.name,
            media_type: m.media_type,
            kind: m.kind,
            size_bytes: m.size_bytes.max(0) as u64,
            sha256: m.sha256,
            storage_key: m.storage_key,
            width: m.width.map(|w| w.max(0) as u32),
            height: m.height.map(|h| h.max(0) as u32),
            text_chars: m.text_chars.map(|c| c.max(0) as u64),
            text_truncated: m.text_truncated,
            created_at: m.created_at,
        }
    }
}

/// A file to record (its bytes are already in the file store).
pub struct NewFile<'a> {
    pub tenant_id: TenantId,
    pub owner_id: UserId,
    pub name: &'a str,
    pub media_type: &'a str,
    pub kind: &'a str,
    pub size_bytes: u64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub extracted_text: Option<&'a str>,
    pub text_chars: Option<u64>,
    pub text_truncated: bool,
}

pub async fn insert(conn: &impl Conn, new: NewFile<'_>) -> AppResult<FileRecord> {
    use sea_orm::ActiveModelTrait;
    Ok(file::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(new.tenant_id.0),
        owner_id: Set(new.owner_id.0),
        name: Set(new.name.to_string()),
        media_type: Set(new.media_type.to_string()),
        kind: Set(new.kind.to_string()),
        size_bytes: Set(new.size_bytes as i64),
        sha256: Set(new.sha256.to_string()),
        storage_key: Set(new.storage_key.to_string()),
        width: Set(new.width.map(|w| w as i32)),
        height: Set(new.height.map(|h| h as i32)),
        extracted_text: Set(new.extracted_text.map(str::to_string)),
        text_chars: Set(new.text_chars.map(|c| c as i64)),
        text_truncated: Set(new.text_truncated),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?
    .into())
}

/// The tenant's files without their extracted text (read only where the prompt needs it:
/// `texts`).
fn records(tenant: TenantId) -> sea_orm::Select<file::Entity> {
    file::Entity::find()
        .filter(file::Column::TenantId.eq(tenant.0))
        .select_only()
        .columns([
            file::Column::Id,
            file::Column::TenantId,
            file::Column::OwnerId,
            file::Column::Name,
            file::Column::MediaType,
            file::Column::Kind,
            file::Column::SizeBytes,
            file::Column::Sha256,
            file::Column::StorageKey,
            file::Column::Width,
            file::Column::Height,
            file::Column::TextChars,
            file::Column::TextTruncated,
            file::Column::CreatedAt,
        ])
        .column_as(Expr::value(Option::<String>::None), "extracted_text")
}

/// The owner's files in the tenant, without their text.
fn owned(tenant: TenantId, owner: UserId) -> sea_orm::Select<file::Entity> {
    records(tenant).filter(file::Column::OwnerId.eq(owner.0))
}

/// One of the owner's files.
pub async fn get_owned(conn: &impl Conn, tenant: TenantId, owner: UserId, id: FileId) -> AppResult<Option<FileRecord>> {
    Ok(owned(tenant, owner).filter(file::Column::Id.eq(id.0)).one(conn).await?.map(Into::into))
}

/// Several of the owner's files, in no particular order (those that are not the owner's are left
/// out: the caller compares).
pub async fn get_many_owned(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    ids: &[FileId],
) -> AppResult<Vec<FileRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(owned(tenant, owner)
        .filter(file::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The owner's file with this content and name, if one was uploaded before.
pub async fn find_same(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    sha256: &str,
    name: &str,
) -> AppResult<Option<FileRecord>> {
    Ok(owned(tenant, owner)
        .filter(file::Column::Sha256.eq(sha256))
        .filter(file::Column::Name.eq(name))
        .one(conn)
        .await?
        .map(Into::into))
}

/// The owner's files, newest first: `limit` of them, older than `before` when given.
pub async fn list_owned(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    before: Option<FileId>,
    limit: u64,
) -> AppResult<Vec<FileRecord>> {
    let mut q = owned(tenant, owner);
    if let Some(before) = before {
        q = q.filter(file::Column::Id.lt(before.0));
    }
    Ok(q.order_by_desc(file::Column::Id).limit(limit).all(conn).await?.into_iter().map(Into::into).collect())
}

/// The extracted text of files of the tenant, by id (files without text are left out).
pub async fn texts(conn: &impl Conn, tenant: TenantId, ids: &[FileId]) -> AppResult<Vec<(FileId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: uuid::Uuid,
        extracted_text: Option<String>,
    }
    let rows = file::Entity::find()
        .filter(file::Column::TenantId.eq(tenant.0))
        .filter(file::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .select_only()
        .columns([file::Column::Id, file::Column::ExtractedText])
        .into_model::<Row>()
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.extracted_text.map(|t| (FileId(r.id), t))).collect())
}

/// Files of the tenant by id, whoever owns them (the prompt of a message reads the files it
/// carries; the message's ownership was checked).
pub async fn get_many(conn: &impl Conn, tenant: TenantId, ids: &[FileId]) -> AppResult<Vec<FileRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(records(tenant)
        .filter(file::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Deletes one of the owner's files; what it was, if it was there.
pub async fn delete_owned(
    conn: &impl Conn,
    tenant: TenantId,
    owner: UserId,
    id: FileId,
) -> AppResult<Option<FileRecord>> {
    let Some(found) = get_owned(conn, tenant, owner, id).await? else { return Ok(None) };
    file::Entity::delete_many()
        .filter(file::Column::TenantId.eq(tenant.0))
        .filter(file::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(Some(found))
}

/// Whether any file of the tenant still uses this object.
pub async fn object_in_use(conn: &impl Conn, tenant: TenantId, storage_key: &str) -> AppResult<bool> {
    Ok(file::Entity::find()
        .filter(file::Column::TenantId.eq(tenant.0))
        .filter(file::Column::StorageKey.eq(storage_key))
        .select_only()
        .column(file::Column::Id)
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await?
        .is_some())
}

/// Files and bytes stored: the tenant's, or one owner's in it.
pub async fn stored(conn: &impl Conn, tenant: TenantId, owner: Option<UserId>) -> AppResult<(u64, u64)> {
    let mut q = file::Entity::find().filter(file::Column::TenantId.eq(tenant.0));
    if let Some(owner) = owner {
        q = q.filter(file::Column::OwnerId.eq(owner.0));
    }
    let row: Option<(i64, i64)> = q
        .select_only()
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "files")
        .column_as(Expr::cust("CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)"), "bytes")
        .into_tuple()
        .one(conn)
        .await?;
    let (files, bytes) = row.unwrap_or((0, 0));
    Ok((files.max(0) as u64, bytes.max(0) as u64))
}

/// A file part of a message: the file (null once deleted) and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    pub message_id: MessageId,
    pub position: u32,
    pub file_id: Option<FileId>,
    pub name: String,
    pub media_type: String,
    pub kind: String,
    pub size_bytes: u64,
}

impl From<message_part::Model> for FilePart {
    fn from(m: message_part::Model) -> Self {
        Self {
            message_id: MessageId(m.message_id),
            position: m.position.max(0) as u32,
            file_id: m.file_id.map(FileId),
            name: m.name,
            media_type: m.media_type,
            kind: m.kind,
            size_bytes: m.size_bytes.max(0) as u64,
        }
    }
}

/// Records the files a new message carries, in order (positions from 1: the text is part 0).
pub async fn insert_parts(
    conn: &impl Conn,
    tenant: TenantId,
    conversation: ConversationId,
    message: MessageId,
    files: &[FileRecord],
) -> AppResult<()> {
    if files.is_empty() {
        return Ok(());
    }
    let rows = files.iter().enumerate().map(|(i, f)| message_part::ActiveModel {
        message_id: Set(message.0),
        position: Set(i as i32 + 1),
        tenant_id: Set(tenant.0),
        conversation_id: Set(conversation.0),
        kind: Set(f.kind.clone()),
        file_id: Set(Some(f.id.0)),
        name: Set(f.name.clone()),
        media_type: Set(f.media_type.clone()),
        size_bytes: Set(f.size_bytes as i64),
    });
    message_part::Entity::insert_many(rows).exec_without_returning(conn).await?;
    super::conversations::mark_has_files(conn, tenant, conversation).await
}

/// Every file part of a conversation's messages, in message and position order.
pub async fn parts_of_conversation(
    conn: &impl Conn,
    tenant: TenantId,
    conversation: ConversationId,
) -> AppResult<Vec<FilePart>> {
    Ok(message_part::Entity::find()
        .filter(message_part::Column::TenantId.eq(tenant.0))
        .filter(message_part::Column::ConversationId.eq(conversation.0))
        .order_by_asc(message_part::Column::MessageId)
        .order_by_asc(message_part::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The file parts of some messages of the tenant, in message and position order.
pub async fn parts_of_messages(conn: &impl Conn, tenant: TenantId, ids: &[MessageId]) -> AppResult<Vec<FilePart>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(message_part::Entity::find()
        .filter(message_part::Column::TenantId.eq(tenant.0))
        .filter(message_part::Column::MessageId.is_in(ids.iter().map(|i| i.0)))
        .order_by_asc(message_part::Column::MessageId)
        .order_by_asc(message_part::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Bytes and files stored per tenant, for the platform's storage page.
pub async fn stored_per_tenant(conn: &impl Conn) -> AppResult<Vec<(TenantId, u64, u64)>> {
    let rows: Vec<(uuid::Uuid, i64, i64)> = file::Entity::find()
        .select_only()
        .column(file::Column::TenantId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "files")
        .column_as(Expr::cust("CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)"), "bytes")
        .group_by(file::Column::TenantId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(t, n, b)| (TenantId(t), n.max(0) as u64, b.max(0) as u64)).collect())
}
