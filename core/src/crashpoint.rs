//! Crash points: a test facility for the crash sweep (`tests/chaos`). The server reads
//! `CONFAB_CRASHPOINT=name[:n]` once, at the first point it passes; the `n`-th time (default 1)
//! it passes the point called `name` it aborts at once — no destructors, no flush, no graceful
//! anything, as `kill -9` would stop it — so a test can restart on the same database and check
//! what survived. Unset (always, outside tests), a point costs one load of an initialised
//! `OnceLock` and a branch.
//!
//! The points, in a turn's order:
//! - `turn.before_commit`: the user and assistant messages are written, not yet committed (a
//!   send on PostgreSQL commits in one statement, `store::exchange`: there it is passed just
//!   before that statement, with nothing written yet);
//! - `turn.after_commit`: committed, the answer not yet started (the client has no reply yet);
//! - `turn.before_provider`: the answer task runs, the provider not yet called;
//! - `turn.plugin_call`: about to run the tenant's request transforms (plugins);
//! - `turn.flushed`: a flush of streamed text just committed (`:n` = after the n-th flush);
//! - `turn.final_write`: the end of the turn and its usage are written, not yet committed (on
//!   PostgreSQL, where both are one statement, `store::exchange::finish`: just before it);
//! - `turn.final_committed`: the end of the turn is committed, readers not yet told;
//!
//! and elsewhere:
//! - `retention.batch_committed`: a retention purge batch just committed;
//! - `search.outbox_sent`: an OpenSearch outbox batch was indexed, its rows not yet deleted.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Armed {
    name: String,
    /// Passes left before the abort.
    remaining: AtomicU64,
}

static ARMED: OnceLock<Option<Armed>> = OnceLock::new();

fn armed() -> Option<&'static Armed> {
    ARMED
        .get_or_init(|| {
            let raw = std::env::var("CONFAB_CRASHPOINT").ok()?;
            let (name, n) = match raw.rsplit_once(':') {
                Some((name, n)) => (name.to_string(), n.parse::<u64>().ok()?.max(1)),
                None => (raw, 1),
            };
            Some(Armed { name, remaining: AtomicU64::new(n) })
        })
        .as_ref()
}

/// Passes the crash point `name`: aborts the process if it is the armed one and this is the
/// armed pass.
#[inline]
pub fn hit(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.name != name {
        return;
    }
    if armed.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
        // The one line a test can look for in the server's log.
        eprintln!("confab: crashpoint {name} reached; aborting");
        std::process::abort();
    }
}
