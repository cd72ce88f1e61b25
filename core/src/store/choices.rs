//! Choice sets: the answers one send (or regenerate) asked for at once, in choice order, and the
//! user's pick. Every query filters by tenant; reads for a user also by the user who asked.
use super::entities::choice_set;
use super::{Conn, now};
use crate::domain::{ChoiceSetId, ConversationId, MessageId, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone)]
pub struct ChoiceSet {
    pub id: ChoiceSetId,
    pub tenant_id: TenantId,
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    /// The user message the choices answer.
    pub parent_id: MessageId,
    /// The answers, in choice order (the order of the multiplexed stream's `Last-Event-ID`).
    pub message_ids: Vec<MessageId>,
    pub pick: Option<Pick>,
    pub created_at: DateTime<Utc>,
}

/// Which answer the user chose, who and when.
#[derive(Debug, Clone)]
pub struct Pick {
    pub message_id: MessageId,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

impl TryFrom<choice_set::Model> for ChoiceSet {
    type Error = AppError;

    fn try_from(m: choice_set::Model) -> AppResult<Self> {
        let ids: Vec<uuid::Uuid> = serde_json::from_str(&m.message_ids)
            .map_err(|e| AppError::Internal(format!("choice set {}: unreadable message ids: {e}", m.id)))?;
        let pick = match (m.picked_message_id, m.picked_by, m.picked_at) {
            (Some(message), Some(by), Some(at)) => Some(Pick { message_id: MessageId(message), by: UserId(by), at }),
            _ => None,
        };
        Ok(Self {
            id: ChoiceSetId(m.id),
            tenant_id: TenantId(m.tenant_id),
            conversation_id: ConversationId(m.conversation_id),
            user_id: UserId(m.user_id),
            parent_id: MessageId(m.parent_id),
            message_ids: ids.into_iter().map(MessageId).collect(),
            pick,
            created_at: m.created_at,
        })
    }
}

pub async fn insert(conn: &impl Conn, set: &ChoiceSet) -> AppResult<()> {
    let ids: Vec<uuid::Uuid> = set.message_ids.iter().map(|m| m.0).collect();
    choice_set::ActiveModel {
        id: Set(set.id.0),
        tenant_id: Set(set.tenant_id.0),
        conversation_id: Set(set.conversation_id.0),
        user_id: Set(set.user_id.0),
        parent_id: Set(set.parent_id.0),
        message_ids: Set(serde_json::to_string(&ids).unwrap_or_default()),
        picked_message_id: Set(None),
        picked_by: Set(None),
        picked_at: Set(None),
        created_at: Set(set.created_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// One of the user's choice sets.
pub async fn get(conn: &impl Conn, tenant: TenantId, user: UserId, id: ChoiceSetId) -> AppResult<Option<ChoiceSet>> {
    choice_set::Entity::find()
        .filter(choice_set::Column::TenantId.eq(tenant.0))
        .filter(choice_set::Column::UserId.eq(user.0))
        .filter(choice_set::Column::Id.eq(id.0))
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// The choice sets of a conversation, oldest first. The caller has checked the conversation is
/// the user's.
pub async fn of_conversation(
    conn: &impl Conn,
    tenant: TenantId,
    conversation: ConversationId,
) -> AppResult<Vec<ChoiceSet>> {
    choice_set::Entity::find()
        .filter(choice_set::Column::TenantId.eq(tenant.0))
        .filter(choice_set::Column::ConversationId.eq(conversation.0))
        .order_by_asc(choice_set::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// The choice set whose first answer is `first` (an idempotent replay finds the set this way).
pub async fn with_first(
    conn: &impl Conn,
    tenant: TenantId,
    parent: MessageId,
    first: MessageId,
) -> AppResult<Option<ChoiceSet>> {
    let sets = choice_set::Entity::find()
        .filter(choice_set::Column::TenantId.eq(tenant.0))
        .filter(choice_set::Column::ParentId.eq(parent.0))
        .all(conn)
        .await?;
    for m in sets {
        let set = ChoiceSet::try_from(m)?;
        if set.message_ids.first() == Some(&first) {
            return Ok(Some(set));
        }
    }
    Ok(None)
}

/// Records the pick (a later pick replaces an earlier one).
pub async fn pick(
    conn: &impl Conn,
    tenant: TenantId,
    id: ChoiceSetId,
    message: MessageId,
    by: UserId,
) -> AppResult<()> {
    let res = choice_set::Entity::update_many()
        .col_expr(choice_set::Column::PickedMessageId, Some(message.0).into())
        .col_expr(choice_set::Column::PickedBy, Some(by.0).into())
        .col_expr(choice_set::Column::PickedAt, Some(now()).into())
        .filter(choice_set::Column::TenantId.eq(tenant.0))
        .filter(choice_set::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "choice set")
}
