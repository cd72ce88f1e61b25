//! Idempotency keys: claimed in the same transaction as the messages they create, so a key is
//! either unused or points at committed messages — there is no half-done state to recover.
use super::entities::idempotency_key;
use super::{Conn, now};
use crate::domain::{MessageId, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};

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

pub async fn find(conn: &impl super::Read, scope: &Scope<'_>) -> AppResult<Option<Claim>> {
    let select = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::TenantId.eq(scope.tenant.0))
        .filter(idempotency_key::Column::UserId.eq(scope.user.0))
        .filter(idempotency_key::Column::Route.eq(scope.route))
        .filter(idempotency_key::Column::Key.eq(scope.key))
        .filter(idempotency_key::Column::ExpiresAt.gt(now()));
    Ok(conn.one(select).await?.map(|m| Claim {
        fingerprint: m.fingerprint,
        user_message_id: m.user_message_id.map(MessageId),
        assistant_message_id: MessageId(m.assistant_message_id),
    }))
}

/// Claims the key in one statement: a new row, or the row of an expired claim of the same key
/// taken over. A live claim (a concurrent duplicate that committed first) is `Conflict`.
pub async fn insert(conn: &impl Conn, scope: &Scope<'_>, claim: &Claim, expires_at: DateTime<Utc>) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let mut n = 0;
    let mut p = || {
        n += 1;
        match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        }
    };
    let text = format!(
        "INSERT INTO idempotency_keys
           (id, tenant_id, user_id, route, \"key\", fingerprint, user_message_id, assistant_message_id,
            created_at, expires_at)
         VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})
         ON CONFLICT (tenant_id, user_id, route, \"key\") DO UPDATE SET
           fingerprint = excluded.fingerprint, user_message_id = excluded.user_message_id,
           assistant_message_id = excluded.assistant_message_id, created_at = excluded.created_at,
           expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= {}",
        p(),
        p(),
        p(),
        p(),
        p(),
        p(),
        p(),
        p(),
        p(),
        p(),
        p()
    );
    let now = now();
    let values: Vec<Value> = vec![
        uuid::Uuid::now_v7().into(),
        scope.tenant.0.into(),
        scope.user.0.into(),
        scope.route.into(),
        scope.key.into(),
        claim.fingerprint.as_str().into(),
        claim.user_message_id.map(|m| m.0).into(),
        claim.assistant_message_id.0.into(),
        now.into(),
        expires_at.into(),
        now.into(),
    ];
    let claimed = conn.execute_raw(Statement::from_sql_and_values(backend, text, values)).await?.rows_affected();
    if claimed == 0 {
        return Err(AppError::Conflict("this idempotency key is in use".into()));
    }
    Ok(())
}
