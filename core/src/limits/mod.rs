//! Rate limits. The in-process implementation serves the embedded tier; the scale-out tier
//! replaces it with a Redis one behind the same trait.

pub mod quota;

use async_trait::async_trait;
use moka::future::Cache;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Why a limiter said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Over the limit: retry after this long.
    Retry(Duration),
    /// The shared limiter cannot be reached, and the operator chose not to fall back to local
    /// limits: nothing may pass unchecked.
    Unavailable,
}

impl From<Limited> for crate::error::AppError {
    fn from(l: Limited) -> Self {
        match l {
            Limited::Retry(retry_after) => crate::error::AppError::RateLimited { retry_after },
            Limited::Unavailable => crate::error::AppError::Unavailable(
                "rate limits cannot be checked right now (the shared limiter is unreachable)".into(),
            ),
        }
    }
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one event against `key`; refuses (with when to retry) once `limit` events fell in
    /// the current `window`.
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited>;
    /// Like `hit` but without counting.
    async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited>;
    /// Gives back one event `hit` counted against `key` (a turn that turned out to be the
    /// replay of one already counted). Best effort: a window that turned over since the event
    /// may get it back instead.
    async fn refund(&self, key: &str, limit: u32, window: Duration);
    /// Forgets `key` (e.g. failures after a successful sign-in).
    async fn reset(&self, key: &str);
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

/// Fixed windows per key, kept in a bounded cache that forgets idle keys. A window sits behind a
/// plain mutex, held for a comparison and an increment: every turn counts here, often under one
/// key (the user, the tenant), and tokio's fair mutex would hand itself to each queued turn
/// before that turn ran, so a burst would pass one run-queue wait at a time (as the quota
/// ledger's did; see `quota::InProcessLedger`).
pub struct InProcessLimiter {
    windows: Cache<String, Arc<Mutex<Window>>>,
}

impl InProcessLimiter {
    pub fn new(max_window: Duration) -> Self {
        Self { windows: Cache::builder().max_capacity(100_000).time_to_idle(max_window).build() }
    }

    async fn window(&self, key: &str) -> Arc<Mutex<Window>> {
        self.windows
            .get_with(key.to_string(), async { Arc::new(Mutex::new(Window { started: Instant::now(), count: 0 })) })
            .await
    }
}

fn lock(window: &Mutex<Window>) -> MutexGuard<'_, Window> {
    window.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl RateLimiter for InProcessLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited> {
        let slot = self.window(key).await;
        let mut w = lock(&slot);
        let now = Instant::now();
        if now.duration_since(w.started) >= window {
            *w = Window { started: now, count: 0 };
        }
        if w.count >= limit {
            return Err(Limited::Retry(window.saturating_sub(now.duration_since(w.started))));
        }
        w.count += 1;
        Ok(())
    }

    async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited> {
        let slot = self.window(key).await;
        let w = lock(&slot);
        let elapsed = Instant::now().duration_since(w.started);
        if elapsed < window && w.count >= limit { Err(Limited::Retry(window.saturating_sub(elapsed))) } else { Ok(()) }
    }

    async fn refund(&self, key: &str, _limit: u32, window: Duration) {
        if let Some(slot) = self.windows.get(key).await {
            let mut w = lock(&slot);
            if Instant::now().duration_since(w.started) < window {
                w.count = w.count.saturating_sub(1);
            }
        }
    }

    async fn reset(&self, key: &str) {
        self.windows.invalidate(key).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_after_limit_and_resets() {
        let limiter = InProcessLimiter::new(Duration::from_secs(60));
        let w = Duration::from_secs(60);
        assert!(limiter.hit("k", 2, w).await.is_ok());
        assert!(limiter.hit("k", 2, w).await.is_ok());
        let retry = limiter.hit("k", 2, w).await.err();
        assert!(matches!(retry, Some(Limited::Retry(d)) if d > Duration::from_secs(55)));
        assert!(limiter.check("k", 2, w).await.is_err());
        assert!(limiter.check("other", 2, w).await.is_ok());
        limiter.reset("k").await;
        assert!(limiter.hit("k", 2, w).await.is_ok());
    }

    #[tokio::test]
    async fn a_refunded_event_no_longer_counts() {
        let limiter = InProcessLimiter::new(Duration::from_secs(60));
        let w = Duration::from_secs(60);
        assert!(limiter.hit("k", 2, w).await.is_ok());
        assert!(limiter.hit("k", 2, w).await.is_ok());
        limiter.refund("k", 2, w).await;
        assert!(limiter.hit("k", 2, w).await.is_ok());
        assert!(limiter.hit("k", 2, w).await.is_err());
        // Nothing to give back for a key never counted, and a count never goes below zero.
        limiter.refund("other", 1, w).await;
        limiter.refund("other", 1, w).await;
        assert!(limiter.hit("other", 1, w).await.is_ok());
        assert!(limiter.hit("other", 1, w).await.is_err());
    }

    #[tokio::test]
    async fn window_expires() {
        let limiter = InProcessLimiter::new(Duration::from_secs(60));
        let w = Duration::from_millis(50);
        assert!(limiter.hit("k", 1, w).await.is_ok());
        assert!(limiter.hit("k", 1, w).await.is_err());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(limiter.hit("k", 1, w).await.is_ok());
    }
}
