fn main() -> std::process::ExitCode {
    // A PDF text reader child (a hostile PDF can only take its own process down): reads stdin,
    // answers on stdout and exits here.
    confab_core::files::pdf::run_child_if_requested();
    // Which checkout this binary was built from: the test kit asks when several git worktrees share
    // one target directory (tests/src/lib.rs `confab_bin`). Prints a path, starts nothing.
    if std::env::var_os("CONFAB_PRINT_CHECKOUT").is_some() {
        println!("{}", env!("CARGO_MANIFEST_DIR"));
        return std::process::ExitCode::SUCCESS;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tuned_malloc();
    confab_server::cli::main()
}

/// Two glibc malloc settings that only take effect from process start, so `confab serve` runs
/// itself again once with them set (the same process: `exec`). A variable the operator has set
/// already keeps its value; when both are set, there is no restart.
///
/// - `MALLOC_MMAP_THRESHOLD_=131072`: glibc raises its mmap threshold to the size of each big block
///   that is freed, so after one long answer the later big buffers (answers, SSE frames, request
///   bodies) come from its arenas and stay in the process's memory once freed: 40 slow readers of
///   a 2 MB answer grew the server by ~160 MB instead of ~115 MB, and a fresh server sat ~28 MB
///   higher. A fixed threshold keeps big blocks mmap'd, so freeing them gives them back.
/// - `MALLOC_ARENA_MAX` = the number of cores (at least 2): glibc gives threads up to 8 arenas per
///   core, and Confab's threads (the runtime's workers, one per core, and one per pooled database
///   connection, the writer's, the blocking pool's) each fill one, whose freed memory no other
///   thread reuses. One per core keeps malloc's contention low and that memory shared: on 2 cores,
///   idle RSS 66.5 / 66.9 → 60.7 / 60.5 MiB (`confab-load`, N = 50, alternated runs), CPU per turn
///   and latency unchanged.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tuned_malloc() {
    use std::os::unix::process::CommandExt;
    if std::env::args_os().nth(1).is_none_or(|a| a != "serve") {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
    let tuned = [("MALLOC_MMAP_THRESHOLD_", "131072".to_string()), ("MALLOC_ARENA_MAX", cores.to_string())];
    let unset: Vec<_> = tuned.iter().filter(|(var, _)| std::env::var_os(var).is_none()).collect();
    if unset.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    for (var, value) in unset {
        command.env(var, value);
    }
    // Returns only when the exec failed (e.g. the binary was replaced on disk by an upgrade).
    let err = command.exec();
    eprintln!("confab: could not restart with the tuned allocator settings ({err}); going on without them");
}
