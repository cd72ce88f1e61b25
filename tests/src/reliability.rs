//! The chaos suite's own record of what ran (`tests/chaos`, and the fault tests of `tests/api`
//! that its stage also runs): each check appends one JSON line to `$CHAOS_RESULTS`
//! (when set) when it ends — passed, or failed when it ends by a panic. `scripts/chaos.sh`
//! renders the lines as the README's reliability table, so the table says what last ran.

use crate::Backend;
use std::io::Write;

/// One row of the reliability table.
pub struct Check {
    /// Sorts the table: `1.03` is the crash sweep's third row.
    pub id: &'static str,
    pub fault: &'static str,
    pub expected: &'static str,
    pub how: &'static str,
}

/// Records the check's outcome when dropped (at the end of the test, or while it panics).
pub struct Recording {
    check: &'static Check,
    variant: String,
}

/// Starts recording `check` for this backend (or another variant, such as `SQLite, Redis`).
pub fn record(check: &'static Check, backend: Backend) -> Recording {
    record_variant(check, backend_name(backend))
}

pub fn record_variant(check: &'static Check, variant: &str) -> Recording {
    Recording { check, variant: variant.to_string() }
}

pub fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let Ok(path) = std::env::var("CHAOS_RESULTS") else { return };
        let line = serde_json::json!({
            "id": self.check.id,
            "fault": self.check.fault,
            "expected": self.check.expected,
            "how": self.check.how,
            "variant": self.variant,
            "passed": !std::thread::panicking(),
        });
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}
