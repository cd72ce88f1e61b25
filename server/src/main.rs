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

/// glibc's malloc raises its mmap threshold to the size of each big block that is freed, so after
/// one long answer the later big buffers (answers, SSE frames, request bodies) come from its
/// arenas and stay in the process's memory once freed: 40 slow readers of a 2 MB answer grew the
/// server by ~160 MB instead of ~115 MB, and a fresh server sat ~28 MB higher. A fixed threshold
/// keeps big blocks mmap'd, so freeing them gives them back. glibc reads it only at process start
/// (`MALLOC_MMAP_THRESHOLD_`), so `confab serve` runs itself again once with it set (the same
/// process: `exec`), unless the variable is set already: an operator's own value wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tuned_malloc() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "MALLOC_MMAP_THRESHOLD_";
    if std::env::var_os(VAR).is_some() || std::env::args_os().nth(1).is_none_or(|a| a != "serve") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    // Returns only when the exec failed (e.g. the binary was replaced on disk by an upgrade).
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(VAR, "131072").exec();
    eprintln!("confab: could not restart with the tuned allocator setting ({err}); going on without it");
}
