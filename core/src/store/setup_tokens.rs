//! One-time setup links for a fresh installation without bootstrap credentials.
use super::entities::setup_token;
use super::{Conn, now};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

pub async fn insert(conn: &impl Conn, token_hash: &str, expires_at: DateTime<Utc>) -> AppResult<()> {
    setup_token::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        token_hash: Set(token_hash.to_string()),
        created_at: Set(now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Marks a valid, unused token as used. True when it was valid (exactly once per token).
pub async fn consume(conn: &impl Conn, token_hash: &str) -> AppResult<bool> {
    let at = now();
    let res = setup_token::Entity::update_many()
        .col_expr(setup_token::Column::UsedAt, Some(at).into())
        .filter(setup_token::Column::TokenHash.eq(token_hash))
        .filter(setup_token::Column::UsedAt.is_null())
        .filter(setup_token::Column::ExpiresAt.gt(at))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn is_valid(conn: &impl Conn, token_hash: &str) -> AppResult<bool> {
    Ok(setup_token::Entity::find()
        .filter(setup_token::Column::TokenHash.eq(token_hash))
        .filter(setup_token::Column::UsedAt.is_null())
        .filter(setup_token::Column::ExpiresAt.gt(now()))
        .one(conn)
        .await?
        .is_some())
}
