//! What the admin console's overview and quota pages show: a tenant's activity per day (users,
//! turns, failures, tokens, cost, time to first token), its top models, and who is near a quota.
use super::UsageService;
use crate::domain::{Period, TenantScope, UserId};
use crate::error::AppResult;
use crate::limits::quota::bucket_of;
use crate::store::usage::{Grouping, QuotaSubject, UsageRow};
use crate::store::{self, usage_insights};
use chrono::{NaiveDate, Utc};
use std::collections::HashMap;

/// One day of a tenant's activity.
#[derive(Debug, Clone, Default)]
pub struct OverviewDay {
    pub day: String,
    pub active_users: i64,
    pub turns: i64,
    pub failed_turns: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub ttft_p50_ms: Option<i64>,
    pub ttft_p99_ms: Option<i64>,
}

/// A tenant's activity over a range of UTC days.
#[derive(Debug, Clone)]
pub struct Overview {
    pub from: String,
    pub to: String,
    /// Active members of the tenant now.
    pub users_total: u64,
    /// Members with at least one turn in the range.
    pub users_active: i64,
    /// Every day of the range, oldest first (days without turns are zeros).
    pub days: Vec<OverviewDay>,
    /// Models by tokens, most first (at most ten).
    pub top_models: Vec<UsageRow>,
}

/// Where a user (or the whole tenant) stands against a quota in its current period.
#[derive(Debug, Clone)]
pub struct Standing {
    /// `None` for the tenant's own quota.
    pub user: Option<(UserId, String)>,
    pub period: Period,
    pub used: i64,
    pub limit: i64,
    /// `used` as a share of `limit`, in percent (100 for a zero limit: nothing is left).
    pub percent: f64,
}

fn percent(used: i64, limit: i64) -> f64 {
    if limit <= 0 { 100.0 } else { used as f64 * 100.0 / limit as f64 }
}

impl UsageService {
    /// The tenant's activity between two UTC days inclusive.
    pub async fn overview(&self, scope: &TenantScope, from: NaiveDate, to: NaiveDate) -> AppResult<Overview> {
        let conn = self.store.conn();
        let (from_s, to_s) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
        let by_day = Grouping { day: true, ..Grouping::default() };
        let totals = store::usage::summarize(conn, scope.tenant, None, &from_s, &to_s, by_day).await?;
        let activity = usage_insights::daily_activity(conn, scope.tenant, &from_s, &to_s).await?;
        let ttft: HashMap<_, _> = usage_insights::ttft_percentiles(conn, scope.tenant, &from_s, &to_s)
            .await?
            .into_iter()
            .map(|d| (d.day.clone(), d))
            .collect();
        let totals: HashMap<_, _> = totals.into_iter().filter_map(|r| r.day.clone().map(|d| (d, r))).collect();
        let activity: HashMap<_, _> = activity.into_iter().map(|a| (a.day.clone(), a)).collect();
        let mut days = Vec::new();
        let mut day = from;
        while day <= to {
            let key = day.format("%Y-%m-%d").to_string();
            let mut out = OverviewDay { day: key.clone(), ..OverviewDay::default() };
            if let Some(t) = totals.get(&key) {
                out.turns = t.turns;
                out.input_tokens = t.input_tokens;
                out.output_tokens = t.output_tokens;
                out.cost = t.cost;
            }
            if let Some(a) = activity.get(&key) {
                out.active_users = a.active_users;
                out.failed_turns = a.failed_turns;
            }
            if let Some(t) = ttft.get(&key) {
                out.ttft_p50_ms = t.p50_ms;
                out.ttft_p99_ms = t.p99_ms;
            }
            days.push(out);
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        let by_model = Grouping { model: true, ..Grouping::default() };
        let mut top_models = store::usage::summarize(conn, scope.tenant, None, &from_s, &to_s, by_model).await?;
        top_models.sort_by_key(|r| std::cmp::Reverse(r.input_tokens + r.output_tokens));
        top_models.truncate(10);
        Ok(Overview {
            users_total: store::memberships::count_active(conn, scope.tenant).await?,
            users_active: usage_insights::active_users(conn, scope.tenant, &from_s, &to_s).await?,
            from: from_s,
            to: to_s,
            days,
            top_models,
        })
    }

    /// The tenant's quota standings in their current periods at `min_percent` or above, fullest
    /// first (at most `limit`).
    pub async fn standing(&self, scope: &TenantScope, min_percent: f64, limit: usize) -> AppResult<Vec<Standing>> {
        let conn = self.store.conn();
        let quotas = store::usage::quotas(conn, scope.tenant).await?;
        let now = Utc::now();
        let mut rows: Vec<(Option<UserId>, Period, i64, i64)> = Vec::new();
        for period in [Period::Day, Period::Month] {
            let of_period: Vec<_> = quotas.iter().filter(|q| q.period == period).collect();
            if of_period.is_empty() {
                continue;
            }
            let (bucket, _) = bucket_of(period, now);
            let used: HashMap<UserId, i64> =
                usage_insights::used_by_user(conn, scope.tenant, period, &bucket).await?.into_iter().collect();
            let default = of_period.iter().find(|q| q.subject == QuotaSubject::UserDefault).map(|q| q.token_limit);
            let mut own: HashMap<UserId, i64> = HashMap::new();
            for q in &of_period {
                match q.subject {
                    QuotaSubject::Tenant => rows.push((None, period, used.values().sum(), q.token_limit)),
                    QuotaSubject::User(u) => {
                        own.insert(u, q.token_limit);
                    }
                    QuotaSubject::UserDefault => {}
                }
            }
            for (user, limit) in &own {
                rows.push((Some(*user), period, used.get(user).copied().unwrap_or(0), *limit));
            }
            if let Some(limit) = default {
                for (user, n) in &used {
                    if !own.contains_key(user) {
                        rows.push((Some(*user), period, *n, limit));
                    }
                }
            }
        }
        let mut rows: Vec<_> =
            rows.into_iter().filter(|(_, _, used, limit)| percent(*used, *limit) >= min_percent).collect();
        rows.sort_by(|a, b| percent(b.2, b.3).total_cmp(&percent(a.2, a.3)));
        rows.truncate(limit);
        let mut out = Vec::with_capacity(rows.len());
        for (user, period, used, limit) in rows {
            let user = match user {
                Some(u) => match store::memberships::member(conn, scope.tenant, u).await? {
                    Some(m) => Some((u, m.user.email.to_string())),
                    // No longer a member: nothing to show.
                    None => continue,
                },
                None => None,
            };
            out.push(Standing { user, period, used, limit, percent: percent(used, limit) });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_limit_is_full() {
        assert_eq!(percent(0, 0), 100.0);
        assert_eq!(percent(50, 200), 25.0);
    }
}
