//! Token quotas set by tenant admins, and usage events: one row per finished turn with its
//! input and output tokens and cost, bucketed by UTC day and month for quotas and charts.
use super::entities::{quota, usage_event, user};
use super::{Conn, now};
use crate::domain::Period;
use crate::domain::{ConversationId, MessageId, TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

/// Whom a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaSubject {
    /// The whole tenant, all users together.
    Tenant,
    /// Each user of the tenant, unless the user has their own quota.
    UserDefault,
    /// One user.
    User(UserId),
}

impl QuotaSubject {
    pub fn kind(self) -> &'static str {
        match self {
            QuotaSubject::Tenant => "tenant",
            QuotaSubject::UserDefault => "user_default",
            QuotaSubject::User(_) => "user",
        }
    }

    fn user_column(self) -> Uuid {
        match self {
            QuotaSubject::User(u) => u.0,
            _ => Uuid::nil(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Quota {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub subject: QuotaSubject,
    pub period: Period,
    pub token_limit: i64,
    pub updated_at: DateTime<Utc>,
}

fn from_row(m: quota::Model) -> Option<Quota> {
    let subject = match m.subject.as_str() {
        "tenant" => QuotaSubject::Tenant,
        "user_default" => QuotaSubject::UserDefault,
        "user" => QuotaSubject::User(UserId(m.user_id)),
        _ => return None,
    };
    Some(Quota {
        id: m.id,
        tenant_id: TenantId(m.tenant_id),
        subject,
        period: Period::parse(&m.period)?,
        token_limit: m.token_limit,
        updated_at: m.updated_at,
    })
}

/// Every quota of the tenant.
pub async fn quotas(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<Quota>> {
    Ok(quota::Entity::find()
        .filter(quota::Column::TenantId.eq(tenant.0))
        .order_by_asc(quota::Column::Subject)
        .order_by_asc(quota::Column::Period)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(from_row)
        .collect())
}

/// Sets (creates or replaces) the quota of a subject for a period.
pub async fn set_quota(
    conn: &impl Conn,
    tenant: TenantId,
    subject: QuotaSubject,
    period: Period,
    limit: i64,
) -> AppResult<Quota> {
    let at = now();
    quota::Entity::insert(quota::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        subject: Set(subject.kind().into()),
        user_id: Set(subject.user_column()),
        period: Set(period.as_str().into()),
        token_limit: Set(limit),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([
            quota::Column::TenantId,
            quota::Column::Subject,
            quota::Column::UserId,
            quota::Column::Period,
        ])
        .update_columns([quota::Column::TokenLimit, quota::Column::UpdatedAt])
        .to_owned(),
    )
    .exec(conn)
    .await?;
    let row = quota::Entity::find()
        .filter(quota::Column::TenantId.eq(tenant.0))
        .filter(quota::Column::Subject.eq(subject.kind()))
        .filter(quota::Column::UserId.eq(subject.user_column()))
        .filter(quota::Column::Period.eq(period.as_str()))
        .one(conn)
        .await?;
    row.and_then(from_row).ok_or(crate::error::AppError::NotFound("quota"))
}

pub async fn delete_quota(conn: &impl Conn, tenant: TenantId, id: Uuid) -> AppResult<Quota> {
    let row = quota::Entity::find_by_id(id)
        .filter(quota::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .and_then(from_row)
        .ok_or(crate::error::AppError::NotFound("quota"))?;
    quota::Entity::delete_many()
        .filter(quota::Column::Id.eq(id))
        .filter(quota::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    Ok(row)
}

/// One finished (or cancelled, failed, partial) turn's usage.
#[derive(Debug, Clone, Copy)]
pub struct NewUsage<'a> {
    pub tenant: TenantId,
    pub user: UserId,
    pub conversation: ConversationId,
    pub message: MessageId,
    pub model: &'a str,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub outcome: &'a str,
    pub day: &'a str,
    pub month: &'a str,
    /// Milliseconds from the turn's start to its first token, when one arrived.
    pub ttft_ms: Option<i32>,
}

pub async fn record(conn: &impl Conn, u: NewUsage<'_>) -> AppResult<()> {
    usage_event::Entity::insert(usage_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(u.tenant.0),
        user_id: Set(u.user.0),
        conversation_id: Set(u.conversation.0),
        message_id: Set(u.message.0),
        model: Set(u.model.to_string()),
        input_tokens: Set(u.input_tokens),
        output_tokens: Set(u.output_tokens),
        cost: Set(u.cost),
        outcome: Set(u.outcome.to_string()),
        day: Set(u.day.to_string()),
        month: Set(u.month.to_string()),
        created_at: Set(now()),
        ttft_ms: Set(u.ttft_ms),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Every turn's usage as the charts and quotas read it: the live usage events (one turn each)
/// and the daily rollups the retention purge folded older events into, in one relation named
/// like the events table, with the columns `tenant_id, user_id, model, day, month, turns,
/// failed_turns, input_tokens, output_tokens, cost`. Sum `turns` and `failed_turns`; never count rows.
pub(crate) fn usage_rows() -> SelectStatement {
    let mut live = Query::select();
    live.from(usage_event::Entity)
        .columns([
            usage_event::Column::TenantId,
            usage_event::Column::UserId,
            usage_event::Column::Model,
            usage_event::Column::Day,
            usage_event::Column::Month,
        ])
        .expr_as(Expr::cust("CAST(1 AS BIGINT)"), Alias::new("turns"))
        .expr_as(
            Expr::cust("CAST(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END AS BIGINT)"),
            Alias::new("failed_turns"),
        )
        .columns([usage_event::Column::InputTokens, usage_event::Column::OutputTokens, usage_event::Column::Cost]);
    let mut rolled = Query::select();
    rolled
        .from(Alias::new("usage_daily"))
        .columns([Alias::new("tenant_id"), Alias::new("user_id"), Alias::new("model"), Alias::new("day")])
        .expr_as(Expr::cust("substr(day, 1, 7)"), Alias::new("month"))
        .columns([
            Alias::new("turns"),
            Alias::new("failed_turns"),
            Alias::new("input_tokens"),
            Alias::new("output_tokens"),
            Alias::new("cost"),
        ]);
    live.union(UnionType::All, rolled);
    live
}

/// Tokens (input + output) used in one period bucket, by one user or the whole tenant.
pub async fn tokens_used(
    conn: &impl Conn,
    tenant: TenantId,
    user: Option<UserId>,
    period: Period,
    bucket: &str,
) -> AppResult<i64> {
    let bucket_col = match period {
        Period::Day => usage_event::Column::Day,
        Period::Month => usage_event::Column::Month,
    };
    let mut q = Query::select();
    q.expr_as(Expr::cust("CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT)"), Alias::new("used"))
        .from_subquery(usage_rows(), usage_event::Entity)
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(bucket_col).eq(bucket));
    if let Some(user) = user {
        q.and_where(Expr::col(usage_event::Column::UserId).eq(user.0));
    }
    let stmt = conn.get_database_backend().build(&q);
    let row = conn.query_one_raw(stmt).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "used")).transpose()?.unwrap_or(0))
}

/// Summed usage, grouped as asked.
#[derive(Debug, Clone, Default)]
pub struct UsageRow {
    pub day: Option<String>,
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub model: Option<String>,
    pub turns: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Grouping {
    pub day: bool,
    pub user: bool,
    pub model: bool,
}

/// Usage of the tenant (or one user of it) between two UTC days inclusive.
pub async fn summarize(
    conn: &impl Conn,
    tenant: TenantId,
    user: Option<UserId>,
    from_day: &str,
    to_day: &str,
    group: Grouping,
) -> AppResult<Vec<UsageRow>> {
    let mut q = Query::select();
    q.from_subquery(usage_rows(), usage_event::Entity)
        .expr_as(Expr::cust("CAST(COALESCE(SUM(turns), 0) AS BIGINT)"), Alias::new("turns"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT)"), Alias::new("input_tokens"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT)"), Alias::new("output_tokens"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(cost), 0) AS DOUBLE PRECISION)"), Alias::new("cost"))
        .and_where(Expr::col(usage_event::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(usage_event::Column::Day).gte(from_day))
        .and_where(Expr::col(usage_event::Column::Day).lte(to_day));
    if let Some(user) = user {
        q.and_where(Expr::col(usage_event::Column::UserId).eq(user.0));
    }
    if group.day {
        q.column(usage_event::Column::Day)
            .group_by_col(usage_event::Column::Day)
            .order_by(usage_event::Column::Day, sea_orm::sea_query::Order::Asc);
    }
    if group.user {
        // With the user's address, for charts people can read.
        q.column((usage_event::Entity, usage_event::Column::UserId))
            .expr_as(Expr::col((user::Entity, user::Column::Email)), Alias::new("email"))
            .left_join(
                user::Entity,
                Expr::col((usage_event::Entity, usage_event::Column::UserId)).equals((user::Entity, user::Column::Id)),
            )
            .group_by_col((usage_event::Entity, usage_event::Column::UserId))
            .group_by_col((user::Entity, user::Column::Email));
    }
    if group.model {
        q.column(usage_event::Column::Model).group_by_col(usage_event::Column::Model);
    }
    let stmt = conn.get_database_backend().build(&q);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push(UsageRow {
            day: if group.day { Some(r.try_get::<String>("", "day")?) } else { None },
            user_id: if group.user { Some(UserId(r.try_get::<Uuid>("", "user_id")?)) } else { None },
            email: if group.user { r.try_get::<Option<String>>("", "email")? } else { None },
            model: if group.model { Some(r.try_get::<String>("", "model")?) } else { None },
            turns: r.try_get("", "turns")?,
            input_tokens: r.try_get("", "input_tokens")?,
            output_tokens: r.try_get("", "output_tokens")?,
            cost: r.try_get("", "cost")?,
        });
    }
    Ok(out)
}
