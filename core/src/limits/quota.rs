//! Token quotas: a turn reserves its worst case (estimated input + maximum output) in every
//! window that applies to it before anything goes upstream, and settles to the real usage when
//! it ends — completed, cancelled, failed or partial. The in-process ledger serves the embedded
//! tier; the scale-out tier puts an atomic Redis ledger behind the same trait.

use crate::domain::Period;
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;
use uuid::Uuid;

/// Whose budget a window counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Tenant(TenantId),
    User(TenantId, UserId),
}

/// One budget for one period: the tenant's or a user's day or month.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    pub holder: Holder,
    pub period: Period,
    /// `YYYY-MM-DD` or `YYYY-MM` (UTC).
    pub bucket: String,
    pub limit: u64,
    pub resets_at: DateTime<Utc>,
}

impl Window {
    pub fn new(holder: Holder, period: Period, limit: u64, at: DateTime<Utc>) -> Self {
        let (bucket, resets_at) = bucket_of(period, at);
        Self { holder, period, bucket, limit, resets_at }
    }

    /// The ledger key: one counter per holder, period and bucket (so a new day is a new counter).
    pub fn key(&self) -> String {
        match self.holder {
            Holder::Tenant(t) => format!("quota:{t}:tenant:{}", self.bucket),
            Holder::User(t, u) => format!("quota:{t}:user:{u}:{}", self.bucket),
        }
    }

    pub fn user(&self) -> Option<UserId> {
        match self.holder {
            Holder::Tenant(_) => None,
            Holder::User(_, u) => Some(u),
        }
    }
}

/// The bucket of `at` and when it ends (midnight UTC; the first of the next month).
pub fn bucket_of(period: Period, at: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let day = at.date_naive();
    match period {
        Period::Day => {
            let next = day.succ_opt().unwrap_or(day);
            (day.format("%Y-%m-%d").to_string(), midnight(next))
        }
        Period::Month => {
            let (y, m) = if day.month() == 12 { (day.year() + 1, 1) } else { (day.year(), day.month() + 1) };
            let next = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day);
            (day.format("%Y-%m").to_string(), midnight(next))
        }
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Why a reservation did not fit: the first window that refused it.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub window: Window,
    pub used: u64,
    pub requested: u64,
}

impl Refusal {
    pub fn remaining(&self) -> u64 {
        self.window.limit.saturating_sub(self.used)
    }
}

/// A window's state: settled usage and reservations of turns still running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    pub used: u64,
    pub reserved: u64,
}

/// Where a ledger learns what a window used before it started counting (the usage events).
#[async_trait]
pub trait UsageSource: Send + Sync {
    async fn used(&self, window: &Window) -> AppResult<u64>;
}

#[async_trait]
pub trait QuotaLedger: Send + Sync {
    /// Reserves `amount` tokens in every window, or in none: `Ok(Err(..))` names the window that
    /// has too little left. `id` names the reservation until it is settled.
    async fn reserve(&self, id: Uuid, windows: &[Window], amount: u64) -> AppResult<Result<(), Refusal>>;
    /// Reserves several amounts, one reservation each (the answers of one send with choices), in
    /// every window, or none of them: the refusal names the window and the total requested.
    /// This default reserves one by one and gives back what it took when one is refused, so
    /// nothing stays reserved; a ledger that can check the total at once overrides it.
    async fn reserve_all(&self, parts: &[(Uuid, u64)], windows: &[Window]) -> AppResult<Result<(), Refusal>> {
        let total: u64 = parts.iter().map(|(_, a)| a).sum();
        for (taken, (id, amount)) in parts.iter().enumerate() {
            let answer = self.reserve(*id, windows, *amount).await;
            if matches!(answer, Ok(Ok(()))) {
                continue;
            }
            let mut ours = 0;
            for (id, amount) in &parts[..taken] {
                self.settle(*id, windows, *amount, 0).await;
                ours += amount;
            }
            return answer.map(|a| {
                a.map_err(|refusal| Refusal { used: refusal.used.saturating_sub(ours), requested: total, ..refusal })
            });
        }
        Ok(Ok(()))
    }
    /// Ends a reservation: releases `reserved` and counts `actual` (zero when the turn never ran).
    async fn settle(&self, id: Uuid, windows: &[Window], reserved: u64, actual: u64);
    /// The current balance of a window (for "my usage").
    async fn balance(&self, window: &Window) -> AppResult<Balance>;
}

/// One process's ledger: counters in memory, each loaded once from the usage events when first
/// needed, so a restart loses no settled usage. Reservations of a process that dies go with it
/// (its turns are settled as interrupted at the next start).
///
/// The counters sit behind a plain mutex, held for a few map operations and never across an
/// await. Every turn reserves here, and tokio's fair mutex hands itself to the next waiting task
/// before that task runs: once a burst of turns queues on it (its holder's thread descheduled
/// for a moment is enough), each turn holds it from its wake-up until its turn in the run queue,
/// behind every stream ready to run, and the burst passes one run-queue wait at a time. Only
/// loading a missing counter waits for the database, under a lock of its own.
pub struct InProcessLedger {
    source: Arc<dyn UsageSource>,
    counters: std::sync::Mutex<HashMap<String, Counter>>,
    /// Held while missing counters are loaded, so that each is loaded once.
    loading: Mutex<()>,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    balance: Balance,
    resets_at: DateTime<Utc>,
}

impl InProcessLedger {
    pub fn new(source: Arc<dyn UsageSource>) -> Self {
        Self { source, counters: std::sync::Mutex::new(HashMap::new()), loading: Mutex::new(()) }
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, HashMap<String, Counter>> {
        self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes sure every window has its counter: drops the counters of windows that ended, and
    /// loads the missing ones from the usage events. A counter is inserted only where there is
    /// none, and no usage can slip between its load and its insertion: usage is settled only on
    /// a counter that the turn's reservation found, and there was none.
    async fn load(&self, windows: &[Window]) -> AppResult<()> {
        {
            let now = Utc::now();
            let mut counters = self.counters();
            counters.retain(|_, c| c.resets_at > now);
            if windows.iter().all(|w| counters.contains_key(&w.key())) {
                return Ok(());
            }
        }
        let _loading = self.loading.lock().await;
        for w in windows {
            if self.counters().contains_key(&w.key()) {
                continue;
            }
            let used = self.source.used(w).await?;
            self.counters()
                .entry(w.key())
                .or_insert(Counter { balance: Balance { used, reserved: 0 }, resets_at: w.resets_at });
        }
        Ok(())
    }
}

#[async_trait]
impl QuotaLedger for InProcessLedger {
    async fn reserve(&self, _id: Uuid, windows: &[Window], amount: u64) -> AppResult<Result<(), Refusal>> {
        self.load(windows).await?;
        let mut counters = self.counters();
        for w in windows {
            let b = counters.get(&w.key()).map(|c| c.balance).unwrap_or_default();
            let committed = b.used + b.reserved;
            if committed + amount > w.limit {
                return Ok(Err(Refusal { window: w.clone(), used: committed, requested: amount }));
            }
        }
        for w in windows {
            if let Some(c) = counters.get_mut(&w.key()) {
                c.balance.reserved += amount;
            }
        }
        Ok(Ok(()))
    }

    /// Checks the total against every window under one lock: all or nothing, no other turn
    /// sees a part of it.
    async fn reserve_all(&self, parts: &[(Uuid, u64)], windows: &[Window]) -> AppResult<Result<(), Refusal>> {
        let total = parts.iter().map(|(_, a)| a).sum();
        self.reserve(Uuid::nil(), windows, total).await
    }

    async fn settle(&self, _id: Uuid, windows: &[Window], reserved: u64, actual: u64) {
        let mut counters = self.counters();
        for w in windows {
            // A counter is present from its reservation until its window ends; one that ended
            // meanwhile needs nothing (the usage event is in the store for the record).
            if let Some(c) = counters.get_mut(&w.key()) {
                c.balance.reserved = c.balance.reserved.saturating_sub(reserved);
                c.balance.used += actual;
            }
        }
    }

    async fn balance(&self, window: &Window) -> AppResult<Balance> {
        self.load(std::slice::from_ref(window)).await?;
        Ok(self.counters().get(&window.key()).map(|c| c.balance).unwrap_or_default())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Fixed(AtomicU64);

    #[async_trait]
    impl UsageSource for Fixed {
        async fn used(&self, _: &Window) -> AppResult<u64> {
            Ok(self.0.fetch_add(0, Ordering::SeqCst))
        }
    }

    fn window(limit: u64) -> Window {
        Window::new(Holder::Tenant(TenantId::new()), Period::Day, limit, Utc::now())
    }

    #[tokio::test]
    async fn reservations_count_until_settled_and_settle_to_actual_usage() {
        let ledger = InProcessLedger::new(Arc::new(Fixed(AtomicU64::new(10))));
        let w = [window(100)];
        assert!(ledger.reserve(Uuid::nil(), &w, 60).await.unwrap().is_ok());
        let refused = ledger.reserve(Uuid::nil(), &w, 60).await.unwrap().unwrap_err();
        assert_eq!(refused.used, 70);
        assert_eq!(refused.remaining(), 30);
        ledger.settle(Uuid::nil(), &w, 60, 15).await;
        assert_eq!(ledger.balance(&w[0]).await.unwrap(), Balance { used: 25, reserved: 0 });
        assert!(ledger.reserve(Uuid::nil(), &w, 75).await.unwrap().is_ok());
    }

    /// Counts its loads, each of which waits a little (as a query would).
    struct Slow(AtomicU64);

    #[async_trait]
    impl UsageSource for Slow {
        async fn used(&self, _: &Window) -> AppResult<u64> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok(5)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_turns_loads_each_counter_once_and_reserves_every_one() {
        let source = Arc::new(Slow(AtomicU64::new(0)));
        let ledger = Arc::new(InProcessLedger::new(source.clone()));
        let windows = Arc::new([window(1_000), window(1_000)]);
        let turns: Vec<_> = (0..50)
            .map(|_| {
                let (ledger, windows) = (Arc::clone(&ledger), Arc::clone(&windows));
                tokio::spawn(async move { ledger.reserve(Uuid::new_v4(), &windows[..], 10).await.unwrap().is_ok() })
            })
            .collect();
        for turn in turns {
            assert!(turn.await.unwrap());
        }
        assert_eq!(source.0.load(Ordering::SeqCst), 2, "one load per window");
        for w in windows.iter() {
            assert_eq!(ledger.balance(w).await.unwrap(), Balance { used: 5, reserved: 500 });
        }
        assert_eq!(source.0.load(Ordering::SeqCst), 2);
        ledger.settle(Uuid::nil(), &windows[..], 10, 3).await;
        assert_eq!(ledger.balance(&windows[0]).await.unwrap(), Balance { used: 8, reserved: 490 });
    }

    #[tokio::test]
    async fn a_refusal_in_one_window_reserves_in_none() {
        let ledger = InProcessLedger::new(Arc::new(Fixed(AtomicU64::new(0))));
        let roomy = window(1000);
        let tight = window(10);
        assert!(ledger.reserve(Uuid::nil(), &[roomy.clone(), tight.clone()], 20).await.unwrap().is_err());
        assert_eq!(ledger.balance(&roomy).await.unwrap().reserved, 0);
    }

    #[test]
    fn buckets_end_at_midnight_and_month_end() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let (day, reset) = bucket_of(Period::Day, at);
        assert_eq!(day, "2026-12-31");
        assert_eq!(reset, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        let (month, reset) = bucket_of(Period::Month, at);
        assert_eq!(month, "2026-12");
        assert_eq!(reset, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }
}
