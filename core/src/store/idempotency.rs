//! Idempotency keys: claimed in the same transaction as the messages they create, so a key is
//! either unused or points at committed messages — there is no half-done state to recover.
use super::entities::idempotency_key;
use super::{Conn, now};
use crate::domain::{MessageId, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, Clone)]
pub struct Claim {
    pub fingerprint: String,
    pub user_message_id: Option<MessageId>,
    pub assistant_message_id: MessageId,
}

pub struct Scope<'a> {
    pub tenant: TenantId,
    pub user: UserId,
    pub route: &'a str,
    pub key: &'a str,
}

pub async fn find(conn: &impl Conn, scope: &Scope<'_>) -> AppResult<Option<Claim>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::TenantId.eq(scope.tenant.0))
        .filter(idempotency_key::Column::UserId.eq(scope.user.0))
        .filter(idempotency_key::Column::Route.eq(scope.route))
        .filter(idempotency_key::Column::Key.eq(scope.key))
        .filter(idempotency_key::Column::ExpiresAt.gt(now()))
        .one(conn)
        .await?
        .map(|m| Claim {
            fingerprint: m.fingerprint,
            user_message_id: m.user_message_id.map(MessageId),
            assistant_message_id: MessageId(m.assistant_message_id),
        }))
}

pub async fn insert(conn: &impl Conn, scope: &Scope<'_>, claim: &Claim, expires_at: DateTime<Utc>) -> AppResult<()> {
    // An expired claim for the same key may still be stored; it gives way to the new one.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::TenantId.eq(scope.tenant.0))
        .filter(idempotency_key::Column::UserId.eq(scope.user.0))
        .filter(idempotency_key::Column::Route.eq(scope.route))
        .filter(idempotency_key::Column::Key.eq(scope.key))
        .filter(idempotency_key::Column::ExpiresAt.lte(now()))
        .exec(conn)
        .await?;
    idempotency_key::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(scope.tenant.0),
        user_id: Set(scope.user.0),
        route: Set(scope.route.to_string()),
        key: Set(scope.key.to_string()),
        fingerprint: Set(claim.fingerprint.clone()),
        user_message_id: Set(claim.user_message_id.map(|m| m.0)),
        assistant_message_id: Set(claim.assistant_message_id.0),
        created_at: Set(now()),
        expires_at: Set(expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}
