//! casbin policy rows in our own table.
use super::Conn;
use super::entities::casbin_rule;
use crate::error::AppResult;
use sea_orm::{EntityTrait, QueryOrder};

/// Every stored rule as (ptype, values without trailing empties).
pub async fn all_rules(conn: &impl Conn) -> AppResult<Vec<(String, Vec<String>)>> {
    Ok(casbin_rule::Entity::find()
        .order_by_asc(casbin_rule::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            let mut values = vec![r.v0, r.v1, r.v2, r.v3, r.v4, r.v5];
            while values.last().is_some_and(String::is_empty) {
                values.pop();
            }
            (r.ptype, values)
        })
        .collect())
}
