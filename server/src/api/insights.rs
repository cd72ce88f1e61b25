//! What the admin console's overview and quota pages read: the tenant's activity per day and its
//! top models, and who is near a quota (tenant admins and auditors).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::usage::PeriodName;
use crate::state::AppState;
use chrono::Utc;
use confab_core::authz::Permission;
use confab_core::error::AppError;
use confab_core::usage::{Overview, OverviewDay, Standing};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct InsightsApi;

/// One UTC day of the tenant's activity.
#[derive(Debug, Object)]
pub struct OverviewDayView {
    /// The day (`YYYY-MM-DD`, UTC).
    pub day: String,
    /// Users with at least one turn that day.
    pub active_users: i64,
    /// Finished turns (chat answers and OpenAI-compatible calls), whatever their outcome.
    pub turns: i64,
    /// Turns that ended `failed`.
    pub failed_turns: i64,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Answer tokens.
    pub output_tokens: i64,
    /// Cost in the catalogue's currency.
    pub cost: f64,
    /// Median time from a chat turn's start to its first token, in milliseconds; null without
    /// streamed answers that day.
    #[oai(nullable)]
    pub ttft_p50_ms: Option<i64>,
    /// 99th percentile of the same; null without streamed answers that day.
    #[oai(nullable)]
    pub ttft_p99_ms: Option<i64>,
}

impl From<OverviewDay> for OverviewDayView {
    fn from(d: OverviewDay) -> Self {
        Self {
            day: d.day,
            active_users: d.active_users,
            turns: d.turns,
            failed_turns: d.failed_turns,
            input_tokens: d.input_tokens,
            output_tokens: d.output_tokens,
            cost: d.cost,
            ttft_p50_ms: d.ttft_p50_ms,
            ttft_p99_ms: d.ttft_p99_ms,
        }
    }
}

/// A model's share of the tenant's usage.
#[derive(Debug, Object)]
pub struct ModelUsageView {
    /// The model's id in the catalogue.
    pub model: String,
    /// Finished turns.
    pub turns: i64,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Answer tokens.
    pub output_tokens: i64,
    /// Cost in the catalogue's currency.
    pub cost: f64,
}

/// The tenant's activity over a range of days.
#[derive(Debug, Object)]
pub struct TenantOverviewView {
    /// The first day (`YYYY-MM-DD`, UTC).
    pub from: String,
    /// The last day (inclusive).
    pub to: String,
    /// Active members of the tenant now.
    pub users_total: u64,
    /// Members with at least one turn in the range.
    pub users_active: i64,
    /// Every day of the range, oldest first; days without turns are zeros.
    pub days: Vec<OverviewDayView>,
    /// The most used models by tokens, most first (at most ten).
    pub top_models: Vec<ModelUsageView>,
}

impl From<Overview> for TenantOverviewView {
    fn from(o: Overview) -> Self {
        Self {
            from: o.from,
            to: o.to,
            users_total: o.users_total,
            users_active: o.users_active,
            days: o.days.into_iter().map(Into::into).collect(),
            top_models: o
                .top_models
                .into_iter()
                .map(|r| ModelUsageView {
                    model: r.model.unwrap_or_default(),
                    turns: r.turns,
                    input_tokens: r.input_tokens,
                    output_tokens: r.output_tokens,
                    cost: r.cost,
                })
                .collect(),
        }
    }
}

/// Where a user, or the whole tenant, stands against a quota in its current period.
#[derive(Debug, Object)]
pub struct QuotaStandingView {
    /// The user; null for the tenant's own quota.
    #[oai(nullable)]
    pub user_id: Option<Uuid>,
    /// The user's e-mail address; null for the tenant's own quota.
    #[oai(nullable)]
    pub email: Option<String>,
    /// The quota's period (the current day or month, UTC).
    pub period: PeriodName,
    /// Tokens used so far in the period.
    pub used: i64,
    /// The quota's token limit.
    pub limit: i64,
    /// `used` as a share of `limit`, in percent (100 for a zero limit).
    pub percent: f64,
}

impl From<Standing> for QuotaStandingView {
    fn from(s: Standing) -> Self {
        let (user_id, email) = match s.user {
            Some((id, email)) => (Some(id.0), Some(email)),
            None => (None, None),
        };
        Self { user_id, email, period: s.period.into(), used: s.used, limit: s.limit, percent: s.percent }
    }
}

/// Quota standings, fullest first.
#[derive(Debug, Object)]
pub struct QuotaStandingList {
    /// At most 200.
    pub items: Vec<QuotaStandingView>,
}

#[OpenApi(tag = "ApiTags::Usage")]
impl InsightsApi {
    /// The tenant's activity per day over the last `days` days (today included): active users,
    /// turns, failures, tokens, cost and time to first token, and its top models.
    #[oai(path = "/tenant/overview", method = "get", operation_id = "tenant_overview_get")]
    async fn overview(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// How many days back, 1–366 (default 30).
        days: Query<Option<i64>>,
    ) -> ApiResult<Json<TenantOverviewView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_USAGE_READ).await?;
        let days = days.0.unwrap_or(30);
        if !(1..=366).contains(&days) {
            return Err(AppError::Validation { field: "days", reason: "must be between 1 and 366".into() }.into());
        }
        let to = Utc::now().date_naive();
        let from = to - chrono::Duration::days(days - 1);
        Ok(Json(state.usage.overview(&scope, from, to).await?.into()))
    }

    /// Who is near or over a quota in its current period: users (by their own or the default
    /// per-user quota) and the tenant as a whole, fullest first.
    #[oai(path = "/tenant/quotas/standing", method = "get", operation_id = "quotas_standing")]
    async fn standing(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only standings at or above this share of the limit, in percent (default 80).
        min_percent: Query<Option<f64>>,
    ) -> ApiResult<Json<QuotaStandingList>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_USAGE_READ).await?;
        let min = min_percent.0.unwrap_or(80.0);
        if !(0.0..=1000.0).contains(&min) {
            return Err(
                AppError::Validation { field: "min_percent", reason: "must be between 0 and 1000".into() }.into()
            );
        }
        let items = state.usage.standing(&scope, min, 200).await?;
        Ok(Json(QuotaStandingList { items: items.into_iter().map(Into::into).collect() }))
    }
}
