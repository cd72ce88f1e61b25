//! Messages: a tree per conversation through `parent_id`. Tenant-filtered in every query;
//! ownership is checked through the conversation.
use super::entities::{conversation, message};
use super::{Conn, now};
use crate::domain::{ConversationId, MessageId, MessageRole, MessageStatus, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set};

#[derive(Debug, Clone)]
pub struct Message {
    pub id: MessageId,
    pub tenant_id: TenantId,
    pub conversation_id: ConversationId,
    pub parent_id: Option<MessageId>,
    pub role: MessageRole,
    pub status: MessageStatus,
    pub content: String,
    pub model: Option<String>,
    pub model_config: Option<serde_json::Value>,
    pub error: Option<MessageError>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// What the tenant's plugin chain did to the turn (a JSON list), when a chain ran.
    pub plugin_runs: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Message {
    /// A copy of everything but the text (which may be a long answer that callers write out
    /// from the original).
    pub fn without_content(&self) -> Message {
        Message {
            id: self.id,
            tenant_id: self.tenant_id,
            conversation_id: self.conversation_id,
            parent_id: self.parent_id,
            role: self.role,
            status: self.status,
            content: String::new(),
            model: self.model.clone(),
            model_config: self.model_config.clone(),
            error: self.error.clone(),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            plugin_runs: self.plugin_runs.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Why a turn failed, kept with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageError {
    pub code: String,
    pub message: String,
    pub retry_after_secs: Option<i64>,
}

impl From<message::Model> for Message {
    fn from(m: message::Model) -> Self {
        Self {
            id: MessageId(m.id),
            tenant_id: TenantId(m.tenant_id),
            conversation_id: ConversationId(m.conversation_id),
            parent_id: m.parent_id.map(MessageId),
            role: MessageRole::from_db(&m.role),
            status: MessageStatus::from_db(&m.status),
            content: m.content,
            model: m.model,
            model_config: m.model_config.and_then(|c| serde_json::from_str(&c).ok()),
            error: m.error_code.map(|code| MessageError {
                code,
                message: m.error_message.unwrap_or_default(),
                retry_after_secs: m.retry_after_secs,
            }),
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            plugin_runs: m.plugin_runs.and_then(|r| serde_json::from_str(&r).ok()),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub struct NewMessage<'a> {
    pub id: MessageId,
    pub tenant_id: TenantId,
    pub conversation_id: ConversationId,
    pub parent_id: Option<MessageId>,
    pub role: MessageRole,
    pub status: MessageStatus,
    pub content: &'a str,
    pub model: Option<&'a str>,
    pub model_config: Option<&'a serde_json::Value>,
}

pub(super) fn new_row(new: NewMessage<'_>, at: DateTime<Utc>) -> message::ActiveModel {
    message::ActiveModel {
        id: Set(new.id.0),
        tenant_id: Set(new.tenant_id.0),
        conversation_id: Set(new.conversation_id.0),
        parent_id: Set(new.parent_id.map(|p| p.0)),
        role: Set(new.role.as_str().into()),
        status: Set(new.status.as_str().into()),
        content: Set(new.content.to_string()),
        model: Set(new.model.map(str::to_string)),
        model_config: Set(new.model_config.map(|c| c.to_string())),
        error_code: Set(None),
        error_message: Set(None),
        retry_after_secs: Set(None),
        input_tokens: Set(None),
        output_tokens: Set(None),
        plugin_runs: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

pub async fn insert(conn: &impl Conn, new: NewMessage<'_>) -> AppResult<Message> {
    insert_all(conn, vec![new]).await?.pop().ok_or_else(|| AppError::Internal("a message was not written".into()))
}

/// Several messages in as few statements as the database's parameter limits allow (one for a
/// turn's question and answer): one round trip, not one per message, while a write holds the
/// database. A message's parent comes before it.
pub async fn insert_all(conn: &impl Conn, new: Vec<NewMessage<'_>>) -> AppResult<Vec<Message>> {
    use sea_orm::TryIntoModel;
    // 17 columns a row: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
    const ROWS_PER_STATEMENT: usize = 512;
    let at = now();
    let rows: Vec<message::ActiveModel> = new.into_iter().map(|m| new_row(m, at)).collect();
    for chunk in super::chunks_of_powers_of_two(&rows, ROWS_PER_STATEMENT) {
        message::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(rows.into_iter().map(|row| row.try_into_model().map(Message::from)).collect::<Result<_, _>>()?)
}

/// A message of a conversation the user owns, in the tenant.
pub async fn get_owned(
    conn: &impl super::Read,
    tenant: TenantId,
    owner: UserId,
    id: MessageId,
) -> AppResult<Option<Message>> {
    let select = message::Entity::find()
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .join(JoinType::InnerJoin, message_conversation())
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::DeletedAt.is_null());
    Ok(conn.one(select).await?.map(Into::into))
}

fn message_conversation() -> sea_orm::RelationDef {
    message::Entity::belongs_to(conversation::Entity)
        .from(message::Column::ConversationId)
        .to(conversation::Column::Id)
        .into()
}

/// Every message of a conversation (the whole tree), oldest first.
pub async fn of_conversation(
    conn: &impl super::Read,
    tenant: TenantId,
    conversation: ConversationId,
) -> AppResult<Vec<Message>> {
    let select = message::Entity::find()
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::ConversationId.eq(conversation.0))
        .order_by_asc(message::Column::Id);
    Ok(conn.all(select).await?.into_iter().map(Into::into).collect())
}

pub async fn get(conn: &impl super::Read, tenant: TenantId, id: MessageId) -> AppResult<Option<Message>> {
    Ok(conn
        .one(message::Entity::find_by_id(id.0).filter(message::Column::TenantId.eq(tenant.0)))
        .await?
        .map(Into::into))
}

/// The text of a flush: `Whole` replaces the stored text; `Append` adds what streamed since the
/// last flush that landed, so a long answer is not sent and copied whole at every flush.
#[derive(Debug, Clone, Copy)]
pub enum Flush<'a> {
    Whole(&'a str),
    Append(&'a str),
}

/// Writes the text streamed so far of each message of `batch` (a periodic flush of every stream
/// that grew, not per token), in as few statements as the parameter limits allow: one round trip
/// for a flush of hundreds of streams while it holds the database, not one per stream. Never
/// touches a message that already reached a final state, so a late flush cannot undo the final
/// write.
pub async fn flush_contents(conn: &impl Conn, batch: &[(TenantId, MessageId, Flush<'_>)]) -> AppResult<()> {
    use sea_orm::{Statement, Value};
    // Four parameters a stream.
    const STREAMS_PER_STATEMENT: usize = 1024;
    let backend = conn.get_database_backend();
    let at = now();
    for chunk in super::chunks_of_powers_of_two(batch, STREAMS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4 + 1);
        let rows: Vec<String> = chunk
            .iter()
            .map(|(tenant, id, text)| {
                let (whole, text) = match text {
                    Flush::Whole(all) => (true, *all),
                    Flush::Append(more) => (false, *more),
                };
                let first = values.len() + 1;
                values.extend([id.0.into(), tenant.0.into(), whole.into(), text.into()]);
                format!("({})", super::placeholders(backend, first, 4))
            })
            .collect();
        values.push(at.into());
        // One row of `f` a message (the batch names each once); the rows whose message reached a
        // final state are left alone, so a late flush cannot undo the final write.
        let sql = format!(
            "WITH f (id, tenant_id, whole, text) AS (VALUES {rows}) \
             UPDATE messages SET \
               content = CASE WHEN f.whole THEN f.text ELSE messages.content || f.text END, \
               status = '{streaming}', updated_at = {at} \
             FROM f \
             WHERE messages.id = f.id AND messages.tenant_id = f.tenant_id \
               AND messages.status IN ('{queued}', '{streaming}')",
            rows = rows.join(", "),
            streaming = MessageStatus::Streaming.as_str(),
            queued = MessageStatus::Queued.as_str(),
            at = super::placeholder(backend, values.len()),
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

pub async fn set_status(conn: &impl Conn, tenant: TenantId, id: MessageId, status: MessageStatus) -> AppResult<()> {
    message::Entity::update_many()
        .col_expr(message::Column::Status, status.as_str().into())
        .col_expr(message::Column::UpdatedAt, now().into())
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// The end of a turn: final content, status, error and usage in one write.
pub struct Finish<'a> {
    pub status: MessageStatus,
    pub content: &'a str,
    pub error: Option<&'a MessageError>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub plugin_runs: Option<&'a serde_json::Value>,
}

pub async fn finish(conn: &impl Conn, tenant: TenantId, id: MessageId, f: Finish<'_>) -> AppResult<()> {
    message::Entity::update_many()
        .col_expr(message::Column::Content, f.content.into())
        .col_expr(message::Column::Status, f.status.as_str().into())
        .col_expr(message::Column::ErrorCode, f.error.map(|e| e.code.clone()).into())
        .col_expr(message::Column::ErrorMessage, f.error.map(|e| e.message.clone()).into())
        .col_expr(message::Column::RetryAfterSecs, f.error.and_then(|e| e.retry_after_secs).into())
        .col_expr(message::Column::InputTokens, f.input_tokens.into())
        .col_expr(message::Column::OutputTokens, f.output_tokens.into())
        .col_expr(message::Column::PluginRuns, f.plugin_runs.map(|r| r.to_string()).into())
        .col_expr(message::Column::UpdatedAt, now().into())
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Prepares a `partial` message to be continued: clears its error, back to `queued`.
pub async fn reopen_for_continue(
    conn: &impl Conn,
    tenant: TenantId,
    id: MessageId,
    model_config: &serde_json::Value,
) -> AppResult<bool> {
    let res = message::Entity::update_many()
        .col_expr(message::Column::Status, MessageStatus::Queued.as_str().into())
        .col_expr(message::Column::ErrorCode, Expr::value(Option::<String>::None))
        .col_expr(message::Column::ErrorMessage, Expr::value(Option::<String>::None))
        .col_expr(message::Column::RetryAfterSecs, Expr::value(Option::<i64>::None))
        .col_expr(message::Column::ModelConfig, Some(model_config.to_string()).into())
        .col_expr(message::Column::UpdatedAt, now().into())
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::Status.eq(MessageStatus::Partial.as_str()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// After a crash: every turn a dead process left `queued` or `streaming` becomes `partial`
/// (it has content) or `failed` (it has none). Returns how many were settled.
/// Unfinished answers (queued or streaming) not touched since `before`: candidates for
/// settling when no replica is generating them any more. (tenant, id, text stored so far)
pub async fn unfinished_since(
    conn: &impl Conn,
    before: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<(TenantId, MessageId, String)>> {
    let interrupted = [MessageStatus::Queued.as_str(), MessageStatus::Streaming.as_str()];
    Ok(message::Entity::find()
        .select_only()
        .column(message::Column::TenantId)
        .column(message::Column::Id)
        .column(message::Column::Content)
        .filter(message::Column::Status.is_in(interrupted))
        .filter(message::Column::UpdatedAt.lt(before))
        .limit(limit)
        .into_tuple::<(uuid::Uuid, uuid::Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(t, m, c)| (TenantId(t), MessageId(m), c))
        .collect())
}

/// Settles answers left unfinished by a process that stopped: `partial` when some text was
/// kept, `failed` otherwise. All of them (`None`, at start-up of the embedded tier) or the
/// given ones (the scale-out tier, where other replicas may still be writing the rest).
pub async fn settle_interrupted(conn: &impl Conn, only: Option<&[MessageId]>) -> AppResult<u64> {
    let interrupted = [MessageStatus::Queued.as_str(), MessageStatus::Streaming.as_str()];
    let ids: Option<Vec<uuid::Uuid>> = only.map(|ids| ids.iter().map(|i| i.0).collect());
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0);
    }
    let at = now();
    let partial = message::Entity::update_many()
        .col_expr(message::Column::Status, MessageStatus::Partial.as_str().into())
        .col_expr(message::Column::ErrorCode, Some("interrupted".to_string()).into())
        .col_expr(
            message::Column::ErrorMessage,
            Some("the server stopped while this answer was being written; continue it to finish".to_string()).into(),
        )
        .col_expr(message::Column::UpdatedAt, at.into())
        .filter(message::Column::Status.is_in(interrupted))
        .filter(message::Column::Content.ne(""))
        .apply_if(ids.clone(), |q, ids| q.filter(message::Column::Id.is_in(ids)))
        .exec(conn)
        .await?;
    let failed = message::Entity::update_many()
        .col_expr(message::Column::Status, MessageStatus::Failed.as_str().into())
        .col_expr(message::Column::ErrorCode, Some("interrupted".to_string()).into())
        .col_expr(
            message::Column::ErrorMessage,
            Some("the server stopped before this answer started; retry it".to_string()).into(),
        )
        .col_expr(message::Column::UpdatedAt, at.into())
        .filter(message::Column::Status.is_in(interrupted))
        .apply_if(ids, |q, ids| q.filter(message::Column::Id.is_in(ids)))
        .exec(conn)
        .await?;
    Ok(partial.rows_affected + failed.rows_affected)
}

/// A finished answer's plugin runs, for the admin console.
#[derive(Debug, Clone)]
pub struct RunsOfAnswer {
    pub message: MessageId,
    pub conversation: ConversationId,
    pub at: DateTime<Utc>,
    pub runs: serde_json::Value,
}

/// The tenant's newest answers that recorded plugin runs, newest first, before `before`.
pub async fn with_plugin_runs(
    conn: &impl Conn,
    tenant: TenantId,
    before: Option<MessageId>,
    limit: u64,
) -> AppResult<Vec<RunsOfAnswer>> {
    let mut q = message::Entity::find()
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::PluginRuns.is_not_null())
        .order_by_desc(message::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        q = q.filter(message::Column::Id.lt(before.0));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .filter_map(|m| {
            let runs = serde_json::from_str(m.plugin_runs.as_deref()?).ok()?;
            Some(RunsOfAnswer {
                message: MessageId(m.id),
                conversation: ConversationId(m.conversation_id),
                at: m.updated_at,
                runs,
            })
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Store;
    use sea_orm::ConnectionTrait;

    /// One statement flushes many streams as one statement per stream did: a whole text replaces,
    /// an addition appends, and a message that already ended (or belongs to another tenant) is
    /// left alone.
    #[tokio::test]
    async fn a_flush_of_many_streams_writes_each_as_alone() {
        let dir = std::env::temp_dir().join(format!("confab-flush-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(&format!("sqlite://{}/f.db", dir.display()), 1).await.unwrap();
        store.migrate().await.unwrap();
        // Messages alone: their conversations and tenants are not what is under test.
        store.conn().execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        let (tenant, conversation) = (TenantId::new(), ConversationId::new());
        let new = |status: MessageStatus, content: &'static str| NewMessage {
            id: MessageId::new(),
            tenant_id: tenant,
            conversation_id: conversation,
            parent_id: None,
            role: MessageRole::Assistant,
            status,
            content,
            model: None,
            model_config: None,
        };
        let written = insert_all(
            store.conn(),
            vec![
                new(MessageStatus::Queued, ""),
                new(MessageStatus::Streaming, "Hello"),
                new(MessageStatus::Completed, "Final answer"),
                new(MessageStatus::Streaming, "Elsewhere"),
            ],
        )
        .await
        .unwrap();
        let ids: Vec<MessageId> = written.iter().map(|m| m.id).collect();
        let batch = [
            (tenant, ids[0], Flush::Whole("First words")),
            (tenant, ids[1], Flush::Append(", world")),
            (tenant, ids[2], Flush::Whole("A late flush")),
            (TenantId::new(), ids[3], Flush::Whole("Another tenant's write")),
        ];
        flush_contents(store.conn(), &batch).await.unwrap();
        let read = |id: MessageId| {
            let store = store.clone();
            async move {
                let m = get(store.conn(), tenant, id).await.unwrap().unwrap();
                (m.status, m.content)
            }
        };
        assert_eq!(read(ids[0]).await, (MessageStatus::Streaming, "First words".to_string()));
        assert_eq!(read(ids[1]).await, (MessageStatus::Streaming, "Hello, world".to_string()));
        assert_eq!(read(ids[2]).await, (MessageStatus::Completed, "Final answer".to_string()));
        assert_eq!(read(ids[3]).await, (MessageStatus::Streaming, "Elsewhere".to_string()));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
