//! casbin policy rows in our own table.
use super::Conn;
use super::entities::{casbin_rule, policy_version};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

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

/// Marks the policy changed. Called by every repository function that changes roles,
/// memberships, tenant status or platform admins, inside the caller's transaction.
pub async fn bump_version(conn: &impl Conn) -> AppResult<()> {
    policy_version::Entity::update_many()
        .col_expr(policy_version::Column::Version, Expr::col(policy_version::Column::Version).add(1))
        .filter(policy_version::Column::Id.eq(1))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn version(conn: &impl Conn) -> AppResult<i64> {
    Ok(policy_version::Entity::find_by_id(1).one(conn).await?.map_or(0, |v| v.version))
}
