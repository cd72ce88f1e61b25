//! Usage and quotas: which budgets apply to a turn, reserving and settling them through the
//! quota ledger, usage reports for a user and for the tenant, and the quotas tenant admins set.

use crate::audit::{self, Actor, NewEntry, action};
use crate::cluster::tenant_cache::TenantCache;
use crate::domain::TenantScope;
use crate::domain::{ConversationId, TenantId, UserId};
use crate::domain::{Period, QuotaRefusal};
use crate::error::{AppError, AppResult};
use crate::limits::quota::{Balance, Holder, QuotaLedger, UsageSource, Window, bucket_of};
use crate::store::usage::{Grouping, Quota, QuotaSubject, UsageRow};
use crate::store::{self, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

mod insights;
pub use insights::{Overview, OverviewDay, Standing};

/// A turn's reservation and what its usage event will record.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub tenant: TenantId,
    pub user: UserId,
    pub conversation: ConversationId,
    pub model: String,
    pub input_price_per_million: f64,
    pub output_price_per_million: f64,
    pub windows: Vec<Window>,
    pub reserved: u64,
    /// Names the reservation in the ledger until it is settled.
    pub reservation: uuid::Uuid,
    pub day: String,
    pub month: String,
}

impl Ticket {
    pub fn cost(&self, input: u64, output: u64) -> f64 {
        (input as f64 * self.input_price_per_million + output as f64 * self.output_price_per_million) / 1_000_000.0
    }
}

/// The settled usage a ledger starts from: the usage events in the store.
pub struct StoredUsage(pub Store);

#[async_trait]
impl UsageSource for StoredUsage {
    async fn used(&self, w: &Window) -> AppResult<u64> {
        let tenant = match w.holder {
            Holder::Tenant(t) | Holder::User(t, _) => t,
        };
        let used = store::usage::tokens_used(self.0.conn(), tenant, w.user(), w.period, &w.bucket).await?;
        Ok(used.max(0) as u64)
    }
}

/// One budget as the caller sees it.
#[derive(Debug, Clone)]
pub struct QuotaStatus {
    pub scope: &'static str,
    pub period: Period,
    pub limit: u64,
    pub used: u64,
    pub reserved: u64,
    pub resets_at: DateTime<Utc>,
}

pub struct MyUsage {
    pub day: String,
    pub month: String,
    pub today: UsageRow,
    pub this_month: UsageRow,
    pub quotas: Vec<QuotaStatus>,
}

pub struct UsageService {
    store: Store,
    ledger: Arc<dyn QuotaLedger>,
    /// Each tenant's quotas, which every turn's reservation needs.
    quotas: TenantCache<Vec<Quota>>,
}

impl UsageService {
    /// `bus`: several replicas on Redis, which drop their cached quotas on each other's changes.
    pub fn new(store: Store, ledger: Arc<dyn QuotaLedger>, bus: Option<Arc<crate::cluster::bus::Bus>>) -> Self {
        Self { store, ledger, quotas: TenantCache::new(bus) }
    }

    pub fn ledger(&self) -> &Arc<dyn QuotaLedger> {
        &self.ledger
    }

    /// The budgets that apply to a user now: the tenant's, and the user's own quota or else the
    /// tenant's default per-user quota, each per day and per month where set.
    pub async fn windows(&self, tenant: TenantId, user: UserId, at: DateTime<Utc>) -> AppResult<Vec<Window>> {
        let quotas = self.quotas.get_or_load(tenant, || store::usage::quotas(self.store.conn(), tenant)).await?;
        let mut out = Vec::new();
        for period in [Period::Day, Period::Month] {
            let of = |subject: QuotaSubject| quotas.iter().find(|q| q.subject == subject && q.period == period);
            if let Some(q) = of(QuotaSubject::Tenant) {
                out.push(Window::new(Holder::Tenant(tenant), period, q.token_limit.max(0) as u64, at));
            }
            if let Some(q) = of(QuotaSubject::User(user)).or_else(|| of(QuotaSubject::UserDefault)) {
                out.push(Window::new(Holder::User(tenant, user), period, q.token_limit.max(0) as u64, at));
            }
        }
        Ok(out)
    }

    /// Reserves a turn's worst case in every budget, or refuses with `quota_exceeded`.
    pub async fn reserve(
        &self,
        scope: &TenantScope,
        conversation: ConversationId,
        spec: &crate::providers::ModelSpec,
        amount: u64,
    ) -> AppResult<Ticket> {
        let mut tickets = self.reserve_all(scope, conversation, &[(spec, amount)]).await?;
        tickets.pop().ok_or_else(|| AppError::Internal("a reservation without its ticket".into()))
    }

    /// Reserves the worst case of several turns at once (a send with choices): every one of
    /// them in every budget, or none — `quota_exceeded` names the total requested. One ticket
    /// per turn, each settled on its own when its turn ends.
    pub async fn reserve_all(
        &self,
        scope: &TenantScope,
        conversation: ConversationId,
        parts: &[(&crate::providers::ModelSpec, u64)],
    ) -> AppResult<Vec<Ticket>> {
        let now = Utc::now();
        let windows = self.windows(scope.tenant, scope.user, now).await?;
        let ids: Vec<(uuid::Uuid, u64)> = parts.iter().map(|(_, amount)| (uuid::Uuid::new_v4(), *amount)).collect();
        let answer = match ids.as_slice() {
            [(id, amount)] => self.ledger.reserve(*id, &windows, *amount).await?,
            _ => self.ledger.reserve_all(&ids, &windows).await?,
        };
        if let Err(refusal) = answer {
            let w = &refusal.window;
            return Err(AppError::QuotaExceeded(Box::new(QuotaRefusal {
                scope: if w.user().is_some() { "user" } else { "tenant" },
                period: w.period,
                limit: w.limit,
                used: refusal.used.min(w.limit),
                remaining: refusal.remaining(),
                requested: refusal.requested,
                resets_at: w.resets_at,
            })));
        }
        let (day, month) = (bucket_of(Period::Day, now).0, bucket_of(Period::Month, now).0);
        Ok(parts
            .iter()
            .zip(ids)
            .map(|((spec, _), (reservation, reserved))| Ticket {
                tenant: scope.tenant,
                user: scope.user,
                conversation,
                model: spec.id.clone(),
                input_price_per_million: spec.input_price_per_million,
                output_price_per_million: spec.output_price_per_million,
                windows: windows.clone(),
                reserved,
                reservation,
                day: day.clone(),
                month: month.clone(),
            })
            .collect())
    }

    /// Gives a reservation back unused (the turn never started).
    pub async fn release(&self, ticket: &Ticket) {
        self.ledger.settle(ticket.reservation, &ticket.windows, ticket.reserved, 0).await;
    }

    pub async fn my_usage(&self, scope: &TenantScope) -> AppResult<MyUsage> {
        let now = Utc::now();
        let (day, _) = bucket_of(Period::Day, now);
        let (month, _) = bucket_of(Period::Month, now);
        let conn = self.store.conn();
        let grouping = Grouping::default();
        let today = store::usage::summarize(conn, scope.tenant, Some(scope.user), &day, &day, grouping).await?;
        let first = format!("{month}-01");
        let this_month = store::usage::summarize(conn, scope.tenant, Some(scope.user), &first, &day, grouping).await?;
        let mut quotas = Vec::new();
        for w in self.windows(scope.tenant, scope.user, now).await? {
            let Balance { used, reserved } = self.ledger.balance(&w).await?;
            quotas.push(QuotaStatus {
                scope: if w.user().is_some() { "user" } else { "tenant" },
                period: w.period,
                limit: w.limit,
                used,
                reserved,
                resets_at: w.resets_at,
            });
        }
        Ok(MyUsage {
            day,
            month,
            today: today.into_iter().next().unwrap_or_default(),
            this_month: this_month.into_iter().next().unwrap_or_default(),
            quotas,
        })
    }

    pub async fn tenant_usage(
        &self,
        scope: &TenantScope,
        user: Option<UserId>,
        from: &str,
        to: &str,
        grouping: Grouping,
    ) -> AppResult<Vec<UsageRow>> {
        store::usage::summarize(self.store.conn(), scope.tenant, user, from, to, grouping).await
    }

    pub async fn quotas(&self, scope: &TenantScope) -> AppResult<Vec<Quota>> {
        store::usage::quotas(self.store.conn(), scope.tenant).await
    }

    pub async fn set_quota(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        subject: QuotaSubject,
        period: Period,
        limit: i64,
    ) -> AppResult<Quota> {
        if !(0..=1_000_000_000_000).contains(&limit) {
            return Err(AppError::Validation { field: "token_limit", reason: "must be between 0 and 10^12".into() });
        }
        let conn = self.store.conn();
        if let QuotaSubject::User(user) = subject
            && store::memberships::get(conn, scope.tenant, user).await?.is_none()
        {
            return Err(AppError::Validation { field: "user_id", reason: "is not a member of this tenant".into() });
        }
        let txn = self.store.begin().await?;
        let quota = store::usage::set_quota(&*txn, scope.tenant, subject, period, limit).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::QUOTA_SET).target("quota", quota.id).details(
                serde_json::json!({
                    "subject": subject.kind(),
                    "user_id": match subject { QuotaSubject::User(u) => Some(u.0), _ => None },
                    "period": period.as_str(),
                    "token_limit": limit,
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.quotas.changed(scope.tenant).await;
        Ok(quota)
    }

    pub async fn delete_quota(&self, scope: &TenantScope, actor: &Actor, id: Uuid) -> AppResult<()> {
        let txn = self.store.begin().await?;
        let quota = store::usage::delete_quota(&*txn, scope.tenant, id).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::QUOTA_DELETED)
                .target("quota", id)
                .details(serde_json::json!({ "subject": quota.subject.kind(), "period": quota.period.as_str(),
                                    "token_limit": quota.token_limit })),
        )
        .await?;
        txn.commit().await?;
        self.quotas.changed(scope.tenant).await;
        Ok(())
    }
}
