//! Per-tenant settings that every turn reads (the tenant's own models and provider keys, its
//! plugin chain, its quotas), kept in memory between changes.
//!
//! A change made through Confab drops the tenant's entry here at once (`changed`, called after the
//! change committed) and tells the other replicas over the bus, whose `Invalidate` makes them drop
//! every entry (`forget_local`); the bus's version counter covers a lost message, and while Redis
//! is unreachable replicas drop their entries on every tick. Entries also expire after a short
//! time, which bounds what a change made outside Confab's API can leave stale.

use super::bus::{Bus, Signal};
use crate::domain::TenantId;
use crate::error::AppResult;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long an entry is kept at most.
pub const TTL: Duration = Duration::from_secs(5);

pub struct TenantCache<V> {
    entries: moka::future::Cache<TenantId, Arc<V>>,
    /// Bumped by every invalidation: what a read started before one found is not kept.
    generation: AtomicU64,
    bus: Option<Arc<Bus>>,
}

impl<V: Send + Sync + 'static> TenantCache<V> {
    pub fn new(bus: Option<Arc<Bus>>) -> Self {
        Self {
            entries: moka::future::Cache::builder().max_capacity(10_000).time_to_live(TTL).build(),
            generation: AtomicU64::new(0),
            bus,
        }
    }

    /// The tenant's entry, or `load`'s answer (kept unless an invalidation came meanwhile).
    pub async fn get_or_load<F, Fut>(&self, tenant: TenantId, load: F) -> AppResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<V>>,
    {
        if let Some(v) = self.entries.get(&tenant).await {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let v = Arc::new(load().await?);
        // An invalidation bumps the generation and then drops entries: one that comes after the
        // first check but before the insert is caught by the second check.
        if self.generation.load(Ordering::SeqCst) == generation {
            self.entries.insert(tenant, v.clone()).await;
            if self.generation.load(Ordering::SeqCst) != generation {
                self.entries.invalidate(&tenant).await;
            }
        }
        Ok(v)
    }

    /// The tenant's settings changed (after the change committed): dropped here at once, and on
    /// the other replicas through the bus.
    pub async fn changed(&self, tenant: TenantId) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate(&tenant).await;
        if let Some(bus) = &self.bus {
            bus.publish(Signal::Invalidate);
        }
    }

    /// Drops every entry here (another replica said something changed).
    pub fn forget_local(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::TenantCache;
    use crate::domain::TenantId;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn an_entry_is_read_once_until_it_changes() {
        let cache = TenantCache::<usize>::new(None);
        let (t, other) = (TenantId::new(), TenantId::new());
        let loads = AtomicUsize::new(0);
        let load = || async { Ok(loads.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(*cache.get_or_load(t, load).await.unwrap(), 0);
        assert_eq!(*cache.get_or_load(t, load).await.unwrap(), 0, "kept");
        assert_eq!(*cache.get_or_load(other, load).await.unwrap(), 1, "per tenant");
        cache.changed(t).await;
        assert_eq!(*cache.get_or_load(t, load).await.unwrap(), 2, "read again after a change");
        assert_eq!(*cache.get_or_load(other, load).await.unwrap(), 1, "another tenant's entry stays");
        cache.forget_local();
        assert_eq!(*cache.get_or_load(other, load).await.unwrap(), 3, "everything dropped");
        let failing = TenantId::new();
        assert!(
            cache
                .get_or_load(failing, || async { Err(crate::error::AppError::Unavailable("db".into())) })
                .await
                .is_err()
        );
        assert_eq!(*cache.get_or_load(failing, load).await.unwrap(), 4, "a failed read is not kept");
    }

    #[tokio::test]
    async fn a_read_that_raced_a_change_is_not_kept() {
        let cache = TenantCache::<&'static str>::new(None);
        let t = TenantId::new();
        // The change commits and is announced while the read is under way: what the read found
        // may predate it, so it is answered but not kept.
        let v = cache
            .get_or_load(t, || async {
                cache.changed(t).await;
                Ok("read before the change")
            })
            .await
            .unwrap();
        assert_eq!(*v, "read before the change");
        assert_eq!(*cache.get_or_load(t, || async { Ok("fresh") }).await.unwrap(), "fresh");
    }
}
