//! Confab's chaos suite (`scripts/test.sh chaos`, `scripts/chaos.sh`): crash sweeps through a
//! turn's life, network faults between Confab and its dependencies and between clients and
//! Confab, fuzzing of the parsers that take untrusted bytes, and the resource limits at and one
//! past each bound. Every check names the fault, the behaviour Confab promises under it and how
//! it is tested; `confab_tests::reliability` records the outcome, and `scripts/chaos.sh` turns the records into
//! the reliability table in the README.
//!
//! `CHAOS_LONG=1` runs the longer sweeps (more crash offsets, 10,000 idle connections, more fuzz
//! cases); `CHAOS_SEED` replays a fuzz run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clients;
mod crash;
mod fuzz;
mod invariants;
mod limits;
mod network;
mod replicas;

/// Whether the long sweep runs (`CHAOS_LONG=1`, `scripts/chaos.sh --long`).
pub fn long() -> bool {
    std::env::var("CHAOS_LONG").is_ok_and(|v| v == "1")
}

/// A process's resident memory in bytes (`VmRSS` of `/proc/<pid>/status`); 0 once it is gone.
pub fn rss_of(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return 0 };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// The server's resident memory in bytes.
pub fn rss(app: &confab_tests::TestApp) -> u64 {
    rss_of(app.pid())
}
