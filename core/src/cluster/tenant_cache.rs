//! Per-tenant settings that every turn reads (the tenant's own models and provider keys, its
//! plugin chain, its quotas), kept in memory between changes.
//!
//! A change made through Confab drops the tenant's entry here at once (`changed`, called after the
//! change committed) and tells the other replicas over the bus; each cache follows the bus itself
//! and drops every entry on its `Invalidate`. The bus's version counter covers a lost message, and
//! while Redis is unreachable it says `Invalidate` on every tick. Entries also expire after a
//! short time, which bounds what a change made outside Confab's API can leave stale.

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
    generation: Arc<AtomicU64>,
    bus: Option<Arc<Bus>>,
}

impl<V: Send + Sync + 'static> TenantCache<V> {
    /// A cache that, given the bus (several replicas on Redis), tells the other replicas of its
    /// changes and drops everything when one of them says something changed.
    pub fn new(bus: Option<Arc<Bus>>) -> Self {
        let entries = moka::future::Cache::builder().max_capacity(10_000).time_to_live(TTL).build();
        let generation = Arc::new(AtomicU64::new(0));
        if let Some(bus) = &bus {
            let (entries, generation) = (entries.clone(), generation.clone());
            let mut signals = bus.subscribe();
            tokio::spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    match signals.recv().await {
                        Ok(Signal::Invalidate) | Err(RecvError::Lagged(_)) => forget(&entries, &generation),
                        Ok(Signal::Cancel(_)) => {}
                        Err(RecvError::Closed) => return,
                    }
                }
            });
        }
        Self { entries, generation, bus }
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

    /// Drops every entry here.
    #[cfg(test)]
    fn forget_local(&self) {
        forget(&self.entries, &self.generation);
    }
}

/// Drops every entry (another replica said something changed).
fn forget<V: Send + Sync + 'static>(entries: &moka::future::Cache<TenantId, Arc<V>>, generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::SeqCst);
    entries.invalidate_all();
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
