//! Aggregates over usage events for the admin console: activity and failures per day, the
//! turns' times to first token, and each user's tokens in a quota bucket.
use super::Conn;
use super::entities::usage_event;
use crate::domain::{Period, TenantId, UserId};
use crate::error::AppResult;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use uuid::Uuid;

/// One day's activity in a tenant.
#[derive(Debug, Clone, Default)]
pub struct DayActivity {
    pub day: String,
    pub active_users: i64,
    pub failed_turns: i64,
}

/// Distinct active users and failed turns per day between two UTC days inclusive.
pub async fn daily_activity(
    conn: &impl Conn,
    tenant: TenantId,
    from_day: &str,
    to_day: &str,
) -> AppResult<Vec<DayActivity>> {
    let mut q = Query::select();
    q.from(usage_event::Entity)
        .column(usage_event::Column::Day)
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT user_id) AS BIGINT)"), Alias::new("active_users"))
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT)"),
            Alias::new("failed_turns"),
        )
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day))
        .group_by_col(usage_event::Column::Day)
        .order_by(usage_event::Column::Day, sea_orm::sea_query::Order::Asc);
    let stmt = conn.get_database_backend().build(&q);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push(DayActivity {
            day: r.try_get("", "day")?,
            active_users: r.try_get("", "active_users")?,
            failed_turns: r.try_get("", "failed_turns")?,
        });
    }
    Ok(out)
}

/// Distinct users with at least one turn between two UTC days inclusive.
pub async fn active_users(conn: &impl Conn, tenant: TenantId, from_day: &str, to_day: &str) -> AppResult<i64> {
    let mut q = Query::select();
    q.from(usage_event::Entity)
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT user_id) AS BIGINT)"), Alias::new("n"))
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day));
    let stmt = conn.get_database_backend().build(&q);
    let row = conn.query_one_raw(stmt).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// Every turn's time to first token (ms) between two UTC days inclusive, by day then value.
pub async fn ttft_samples(
    conn: &impl Conn,
    tenant: TenantId,
    from_day: &str,
    to_day: &str,
) -> AppResult<Vec<(String, i32)>> {
    let mut q = Query::select();
    q.from(usage_event::Entity)
        .column(usage_event::Column::Day)
        .column(usage_event::Column::TtftMs)
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day))
        .and_where(Expr::col(usage_event::Column::TtftMs).is_not_null())
        .order_by(usage_event::Column::Day, sea_orm::sea_query::Order::Asc)
        .order_by(usage_event::Column::TtftMs, sea_orm::sea_query::Order::Asc);
    let stmt = conn.get_database_backend().build(&q);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push((r.try_get("", "day")?, r.try_get("", "ttft_ms")?));
    }
    Ok(out)
}

/// Tokens (input + output) each user of the tenant used in one quota bucket.
pub async fn used_by_user(
    conn: &impl Conn,
    tenant: TenantId,
    period: Period,
    bucket: &str,
) -> AppResult<Vec<(UserId, i64)>> {
    let bucket_col = match period {
        Period::Day => usage_event::Column::Day,
        Period::Month => usage_event::Column::Month,
    };
    let mut q = Query::select();
    q.from(usage_event::Entity)
        .column(usage_event::Column::UserId)
        .expr_as(Expr::cust("CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT)"), Alias::new("used"))
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(bucket_col).eq(bucket))
        .group_by_col(usage_event::Column::UserId);
    let stmt = conn.get_database_backend().build(&q);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push((UserId(r.try_get::<Uuid>("", "user_id")?), r.try_get("", "used")?));
    }
    Ok(out)
}
