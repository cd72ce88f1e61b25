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
    q.from_subquery(super::usage::usage_rows(), usage_event::Entity)
        .column(usage_event::Column::Day)
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT user_id) AS BIGINT)"), Alias::new("active_users"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(failed_turns), 0) AS BIGINT)"), Alias::new("failed_turns"))
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
    q.from_subquery(super::usage::usage_rows(), usage_event::Entity)
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT user_id) AS BIGINT)"), Alias::new("n"))
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day));
    let stmt = conn.get_database_backend().build(&q);
    let row = conn.query_one_raw(stmt).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// A day's time-to-first-token percentiles (ms), by nearest rank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTtft {
    pub day: String,
    pub p50_ms: Option<i64>,
    pub p99_ms: Option<i64>,
}

/// The median and 99th percentile of the turns' times to first token per day, between two UTC
/// days inclusive: a day the retention purge has folded keeps the percentiles taken from all its
/// turns before the first of them went (`usage_daily_ttft`); other days are ranked live.
pub async fn ttft_percentiles(
    conn: &impl Conn,
    tenant: TenantId,
    from_day: &str,
    to_day: &str,
) -> AppResult<Vec<DayTtft>> {
    let mut q = Query::select();
    q.from(Alias::new("usage_daily_ttft"))
        .columns([Alias::new("day"), Alias::new("p50_ms"), Alias::new("p99_ms")])
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.0))
        .and_where(Expr::col(Alias::new("day")).gte(from_day))
        .and_where(Expr::col(Alias::new("day")).lte(to_day));
    let stmt = conn.get_database_backend().build(&q);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push(DayTtft {
            day: r.try_get("", "day")?,
            p50_ms: r.try_get("", "p50_ms")?,
            p99_ms: r.try_get("", "p99_ms")?,
        });
    }
    let live = live_ttft_percentiles(conn, tenant, from_day, to_day).await?;
    let rolled: std::collections::HashSet<String> = out.iter().map(|d| d.day.clone()).collect();
    out.extend(live.into_iter().filter(|d| !rolled.contains(&d.day)));
    out.retain(|d| d.p50_ms.is_some() || d.p99_ms.is_some());
    out.sort_by(|a, b| a.day.cmp(&b.day));
    Ok(out)
}

/// Percentiles of the live usage events only (the purge also takes a day's from here). The database ranks the values (window functions, in SQLite and PostgreSQL
/// alike) and returns only the two rows each day needs, however many turns there were.
pub(crate) async fn live_ttft_percentiles(
    conn: &impl Conn,
    tenant: TenantId,
    from_day: &str,
    to_day: &str,
) -> AppResult<Vec<DayTtft>> {
    let mut ranked = Query::select();
    ranked
        .from(usage_event::Entity)
        .column(usage_event::Column::Day)
        .column(usage_event::Column::TtftMs)
        .expr_as(Expr::cust("ROW_NUMBER() OVER (PARTITION BY day ORDER BY ttft_ms)"), Alias::new("rn"))
        .expr_as(Expr::cust("COUNT(*) OVER (PARTITION BY day)"), Alias::new("n"))
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day))
        .and_where(Expr::col(usage_event::Column::TtftMs).is_not_null());
    let mut q = Query::select();
    // The nearest rank of p is ceil(p·n): (n·50 + 99) / 100 and (n·99 + 99) / 100 in integers.
    q.expr_as(Expr::cust("day"), Alias::new("day"))
        .expr_as(Expr::cust("CAST(ttft_ms AS BIGINT)"), Alias::new("ttft_ms"))
        .expr_as(Expr::cust("CAST(rn AS BIGINT)"), Alias::new("rn"))
        .expr_as(Expr::cust("CAST(n AS BIGINT)"), Alias::new("n"))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::cust("rn = (n * 50 + 99) / 100 OR rn = (n * 99 + 99) / 100"))
        .order_by(Alias::new("day"), sea_orm::sea_query::Order::Asc);
    let stmt = conn.get_database_backend().build(&q);
    let mut out: Vec<DayTtft> = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        let day: String = r.try_get("", "day")?;
        let ms: i64 = r.try_get("", "ttft_ms")?;
        let rn: i64 = r.try_get("", "rn")?;
        let n: i64 = r.try_get("", "n")?;
        if out.last().is_none_or(|d| d.day != day) {
            out.push(DayTtft { day, ..DayTtft::default() });
        }
        let Some(entry) = out.last_mut() else { continue };
        if rn == (n * 50 + 99) / 100 {
            entry.p50_ms = Some(ms);
        }
        if rn == (n * 99 + 99) / 100 {
            entry.p99_ms = Some(ms);
        }
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
    q.from_subquery(super::usage::usage_rows(), usage_event::Entity)
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
