//! A replica's drain before it stops (SIGTERM): from its start no new turn or completion is
//! admitted (`draining`, 503 with `Retry-After`: nothing was written, so the client retries the
//! same request, with the same idempotency key, on another replica); the work already admitted
//! runs on and is counted, so the server knows when it may stop. At the deadline the turns still
//! running are interrupted (settled `partial` with all their text, to be continued elsewhere)
//! and the event streams still open end, so their readers reattach on another replica.

use crate::error::{AppError, AppResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What a refused client is told to wait before retrying (on another replica).
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Drain {
    draining: AtomicBool,
    /// Turns and completions admitted and not finished (including ones being admitted).
    running: AtomicUsize,
    idle: Notify,
    /// Running turns stop generating and settle as `partial`.
    interrupt: CancellationToken,
    /// Open event streams end (after the final events of interrupted turns went out).
    close_streams: CancellationToken,
}

/// One unit of admitted work; the drain waits until every one is dropped.
pub struct Work(Arc<Drain>);

impl Drop for Work {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Drain {
    /// Admits new work, or refuses it once the drain began. Counted before the check, so the
    /// drain never sees zero while a request it did not refuse is still on its way in.
    pub fn admit(self: &Arc<Self>) -> AppResult<Work> {
        let work = self.track();
        if self.draining.load(Ordering::SeqCst) {
            return Err(AppError::Draining { retry_after: RETRY_AFTER });
        }
        Ok(work)
    }

    /// Counts work that was already admitted (a turn started by an admitted request).
    pub fn track(self: &Arc<Self>) -> Work {
        self.running.fetch_add(1, Ordering::SeqCst);
        Work(self.clone())
    }

    /// Starts the drain: from now on `admit` refuses.
    pub fn begin(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Admitted work still running.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Waits until no admitted work runs.
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// The deadline: running turns stop and settle as `partial`.
    pub fn interrupt(&self) {
        self.interrupt.cancel();
    }

    pub fn interrupted(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.interrupt.cancelled()
    }

    /// Ends every event stream still open on this replica.
    pub fn close_streams(&self) {
        self.close_streams.cancel();
    }

    pub fn streams_closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.close_streams.clone().cancelled_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_after_begin_and_waits_for_admitted_work() {
        let drain = Arc::new(Drain::default());
        let first = drain.admit().unwrap();
        drain.begin();
        assert!(matches!(drain.admit(), Err(AppError::Draining { .. })));
        assert_eq!(drain.running(), 1, "a refused request is not counted");
        let started = drain.track();
        drop(first);
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.idle().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a started turn keeps the drain waiting");
        drop(started);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.unwrap().unwrap();
    }
}
