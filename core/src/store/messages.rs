//! Messages: a tree per conversation through `parent_id`. Tenant-filtered in every query;
//! ownership is checked through the conversation.
use super::entities::{conversation, message};
use super::{Conn, now};
use crate::domain::{ConversationId, MessageId, MessageRole, MessageStatus, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

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

pub async fn insert(conn: &impl Conn, new: NewMessage<'_>) -> AppResult<Message> {
    let at = now();
    Ok(message::ActiveModel {
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
    .insert(conn)
    .await?
    .into())
}

/// A message of a conversation the user owns, in the tenant.
pub async fn get_owned(conn: &impl Conn, tenant: TenantId, owner: UserId, id: MessageId) -> AppResult<Option<Message>> {
    Ok(message::Entity::find()
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .join(JoinType::InnerJoin, message_conversation())
        .filter(conversation::Column::OwnerId.eq(owner.0))
        .filter(conversation::Column::TenantId.eq(tenant.0))
        .filter(conversation::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .map(Into::into))
}

fn message_conversation() -> sea_orm::RelationDef {
    message::Entity::belongs_to(conversation::Entity)
        .from(message::Column::ConversationId)
        .to(conversation::Column::Id)
        .into()
}

/// Every message of a conversation (the whole tree), oldest first.
pub async fn of_conversation(
    conn: &impl Conn,
    tenant: TenantId,
    conversation: ConversationId,
) -> AppResult<Vec<Message>> {
    Ok(message::Entity::find()
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::ConversationId.eq(conversation.0))
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn get(conn: &impl Conn, tenant: TenantId, id: MessageId) -> AppResult<Option<Message>> {
    Ok(message::Entity::find_by_id(id.0)
        .filter(message::Column::TenantId.eq(tenant.0))
        .one(conn)
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

/// Writes the text streamed so far (a periodic flush, not per token). Never touches a message
/// that already reached a final state, so a late flush cannot undo the final write.
pub async fn flush_content(conn: &impl Conn, tenant: TenantId, id: MessageId, text: Flush<'_>) -> AppResult<()> {
    use sea_orm::sea_query::{BinOper, ExprTrait};
    let content = match text {
        Flush::Whole(all) => Expr::val(all),
        Flush::Append(more) => Expr::col(message::Column::Content).binary(BinOper::Custom("||"), Expr::val(more)),
    };
    message::Entity::update_many()
        .col_expr(message::Column::Content, content)
        .col_expr(message::Column::Status, MessageStatus::Streaming.as_str().into())
        .col_expr(message::Column::UpdatedAt, now().into())
        .filter(message::Column::Id.eq(id.0))
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(message::Column::Status.is_in([MessageStatus::Queued.as_str(), MessageStatus::Streaming.as_str()]))
        .exec(conn)
        .await?;
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
