//! Token usage (mine, and the tenant's for the console's charts) and the quotas tenant admins set.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::Period;
use confab_core::domain::UserId;
use confab_core::error::AppError;
use confab_core::store::usage::{Grouping, Quota, QuotaSubject, UsageRow};
use confab_core::usage::QuotaStatus;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct UsageApi;

/// A quota period, in UTC: a calendar `day` or `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "QuotaPeriod", rename_all = "snake_case")]
pub enum PeriodName {
    /// A UTC calendar day.
    Day,
    /// A UTC calendar month.
    Month,
}

impl From<Period> for PeriodName {
    fn from(p: Period) -> Self {
        match p {
            Period::Day => PeriodName::Day,
            Period::Month => PeriodName::Month,
        }
    }
}

impl From<PeriodName> for Period {
    fn from(p: PeriodName) -> Self {
        match p {
            PeriodName::Day => Period::Day,
            PeriodName::Month => Period::Month,
        }
    }
}

/// Token totals over a period.
#[derive(Debug, Object)]
pub struct UsageTotals {
    /// Turns (answers) that ran, whatever their outcome.
    pub turns: i64,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Answer tokens.
    pub output_tokens: i64,
    /// In the currency of the catalogue's prices.
    pub cost: f64,
}

impl From<&UsageRow> for UsageTotals {
    fn from(r: &UsageRow) -> Self {
        Self { turns: r.turns, input_tokens: r.input_tokens, output_tokens: r.output_tokens, cost: r.cost }
    }
}

/// A quota that applies to the caller, and how much of it is left.
#[derive(Debug, Object)]
pub struct QuotaStatusView {
    /// `user` (my own budget) or `tenant` (everyone's together).
    pub scope: String,
    /// Its period.
    pub period: PeriodName,
    /// Tokens allowed per period.
    pub limit: u64,
    /// Settled usage in the current period.
    pub used: u64,
    /// Held by answers still being written.
    pub reserved: u64,
    /// Tokens left in the current period.
    pub remaining: u64,
    /// When the current period ends.
    pub resets_at: DateTime<Utc>,
}

impl From<QuotaStatus> for QuotaStatusView {
    fn from(q: QuotaStatus) -> Self {
        Self {
            scope: q.scope.into(),
            period: q.period.into(),
            limit: q.limit,
            used: q.used,
            reserved: q.reserved,
            remaining: q.limit.saturating_sub(q.used + q.reserved),
            resets_at: q.resets_at,
        }
    }
}

/// The caller's own token usage and the quotas that apply to them.
#[derive(Debug, Object)]
pub struct MyUsageView {
    /// Today (UTC), `YYYY-MM-DD`.
    pub day: String,
    /// This month (UTC), `YYYY-MM`.
    pub month: String,
    /// Today's usage (UTC).
    pub today: UsageTotals,
    /// This month's usage (UTC).
    pub this_month: UsageTotals,
    /// The budgets that apply to me; none when no quota is set.
    pub quotas: Vec<QuotaStatusView>,
}

/// Tokens used on one day, by one user, with one model.
#[derive(Debug, Object)]
pub struct UsageRowView {
    /// The day (UTC, `YYYY-MM-DD`); null unless grouped by day (`group_by`).
    #[oai(nullable, skip_serializing_if_is_none)]
    pub day: Option<String>,
    /// The user; null unless grouped by user.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub user_id: Option<Uuid>,
    /// The user's e-mail address, when grouped by user.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub email: Option<String>,
    /// The model; null unless grouped by model.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub model: Option<String>,
    #[oai(flatten)]
    pub totals: UsageTotals,
}

/// Token usage of the active tenant over a date range, by day, user and model.
#[derive(Debug, Object)]
pub struct TenantUsageView {
    /// The first day counted (UTC).
    pub from: String,
    /// The last day counted (UTC).
    pub to: String,
    /// One row per group, days ascending when grouped by day.
    pub rows: Vec<UsageRowView>,
}

/// Whose tokens a quota counts: one `user`'s, or the whole `tenant`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "QuotaSubject", rename_all = "snake_case")]
pub enum QuotaSubjectName {
    /// The whole tenant, all users together.
    Tenant,
    /// Each user, unless the user has a quota of their own.
    UserDefault,
    /// One user (`user_id`).
    User,
}

/// A token quota: a budget per period for one user or the whole tenant.
#[derive(Debug, Object)]
pub struct QuotaView {
    /// The quota's id.
    pub id: Uuid,
    /// Whose tokens it counts.
    pub subject: QuotaSubjectName,
    /// For a `user` quota: the user; null for a `tenant` quota.
    #[oai(nullable)]
    pub user_id: Option<Uuid>,
    /// Its period.
    pub period: PeriodName,
    /// Input plus output tokens allowed per period.
    pub token_limit: i64,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

impl From<Quota> for QuotaView {
    fn from(q: Quota) -> Self {
        let (subject, user_id) = match q.subject {
            QuotaSubject::Tenant => (QuotaSubjectName::Tenant, None),
            QuotaSubject::UserDefault => (QuotaSubjectName::UserDefault, None),
            QuotaSubject::User(u) => (QuotaSubjectName::User, Some(u.0)),
        };
        Self {
            id: q.id,
            subject,
            user_id,
            period: q.period.into(),
            token_limit: q.token_limit,
            updated_at: q.updated_at,
        }
    }
}

/// The tenant's token quotas.
#[derive(Debug, Object)]
pub struct QuotaList {
    /// The quotas.
    pub items: Vec<QuotaView>,
}

/// Sets (creates or replaces) a token quota.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetQuota {
    /// Whose tokens it counts.
    pub subject: QuotaSubjectName,
    /// Required for `user`, refused otherwise.
    #[oai(nullable)]
    pub user_id: Option<Uuid>,
    /// Its period.
    pub period: PeriodName,
    /// Input plus output tokens per period; 0 stops all turns.
    pub token_limit: i64,
}

#[derive(ApiResponse)]
pub enum QuotaDeleted {
    #[oai(status = 204)]
    NoContent,
}

fn parse_day(field: &'static str, raw: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| AppError::Validation { field, reason: "must be a date like 2026-11-29".into() })
}

#[OpenApi(tag = "ApiTags::Usage")]
impl UsageApi {
    /// My token usage today and this month, and what is left of my quotas.
    #[oai(path = "/usage", method = "get", operation_id = "usage_get")]
    async fn mine(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<MyUsageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::USAGE_READ).await?;
        let u = state.usage.my_usage(&scope).await?;
        Ok(Json(MyUsageView {
            day: u.day,
            month: u.month,
            today: (&u.today).into(),
            this_month: (&u.this_month).into(),
            quotas: u.quotas.into_iter().map(Into::into).collect(),
        }))
    }

    /// The tenant's token usage between two UTC days (inclusive; default the last 30 days),
    /// grouped by any of `day`, `user` and `model` (comma-separated; default all three).
    #[oai(path = "/tenant/usage", method = "get", operation_id = "tenant_usage_get")]
    async fn tenant(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The first day to count (UTC, `YYYY-MM-DD`).
        from: Query<Option<String>>,
        /// The last day to count (UTC, `YYYY-MM-DD`).
        to: Query<Option<String>>,
        /// How to split the rows: `day`, `user` or `model`.
        group_by: Query<Option<String>>,
        /// Only this user's usage.
        user_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<TenantUsageView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_USAGE_READ).await?;
        let today = Utc::now().date_naive();
        let to_day = match to.0.as_deref() {
            Some(raw) => parse_day("to", raw)?,
            None => today,
        };
        let from_day = match from.0.as_deref() {
            Some(raw) => parse_day("from", raw)?,
            None => to_day - chrono::Duration::days(29),
        };
        if from_day > to_day {
            return Err(AppError::Validation { field: "from", reason: "must not be after `to`".into() }.into());
        }
        if (to_day - from_day).num_days() > 366 {
            return Err(
                AppError::Validation { field: "from", reason: "the range may span at most 367 days".into() }.into()
            );
        }
        let mut grouping = Grouping::default();
        match group_by.0.as_deref() {
            None => grouping = Grouping { day: true, user: true, model: true },
            Some(raw) => {
                for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part {
                        "day" => grouping.day = true,
                        "user" => grouping.user = true,
                        "model" => grouping.model = true,
                        _ => {
                            return Err(AppError::Validation {
                                field: "group_by",
                                reason: "takes `day`, `user` and `model`, comma-separated".into(),
                            }
                            .into());
                        }
                    }
                }
            }
        }
        let (from_s, to_s) = (from_day.format("%Y-%m-%d").to_string(), to_day.format("%Y-%m-%d").to_string());
        let rows = state.usage.tenant_usage(&scope, user_id.0.map(UserId), &from_s, &to_s, grouping).await?;
        Ok(Json(TenantUsageView {
            from: from_s,
            to: to_s,
            rows: rows
                .iter()
                .map(|r| UsageRowView {
                    day: r.day.clone(),
                    user_id: r.user_id.map(|u| u.0),
                    email: r.email.clone(),
                    model: r.model.clone(),
                    totals: r.into(),
                })
                .collect(),
        }))
    }

    /// The tenant's quotas.
    #[oai(path = "/tenant/quotas", method = "get", operation_id = "quotas_list")]
    async fn quotas(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<QuotaList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_USAGE_READ).await?;
        let items = state.usage.quotas(&scope).await?;
        Ok(Json(QuotaList { items: items.into_iter().map(Into::into).collect() }))
    }

    /// Set a quota (tenant admins): the tenant's, the default per user, or one user's, per day
    /// or per month. Replaces the quota of the same subject and period.
    #[oai(path = "/tenant/quotas", method = "put", operation_id = "quotas_set")]
    async fn set_quota(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<SetQuota>,
    ) -> ApiResult<Json<QuotaView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::QUOTAS_MANAGE).await?;
        let subject = match (body.subject, body.user_id) {
            (QuotaSubjectName::User, Some(u)) => QuotaSubject::User(UserId(u)),
            (QuotaSubjectName::User, None) => {
                return Err(
                    AppError::Validation { field: "user_id", reason: "is required for a user quota".into() }.into()
                );
            }
            (_, Some(_)) => {
                return Err(
                    AppError::Validation { field: "user_id", reason: "is only for `user` quotas".into() }.into()
                );
            }
            (QuotaSubjectName::Tenant, None) => QuotaSubject::Tenant,
            (QuotaSubjectName::UserDefault, None) => QuotaSubject::UserDefault,
        };
        let quota =
            state.usage.set_quota(&scope, &actor_of(&auth.0), subject, body.period.into(), body.token_limit).await?;
        Ok(Json(quota.into()))
    }

    /// Remove a quota (tenant admins).
    #[oai(path = "/tenant/quotas/:id", method = "delete", operation_id = "quotas_delete")]
    async fn delete_quota(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The quota's id.
        id: Path<Uuid>,
    ) -> ApiResult<QuotaDeleted> {
        let scope = state.authz.require_tenant(&auth.0, Permission::QUOTAS_MANAGE).await?;
        state.usage.delete_quota(&scope, &actor_of(&auth.0), id.0).await?;
        Ok(QuotaDeleted::NoContent)
    }
}
