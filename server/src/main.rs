fn main() -> std::process::ExitCode {
    // Which checkout this binary was built from: the test kit asks when several git worktrees share
    // one target directory (tests/src/lib.rs `confab_bin`). Prints a path, starts nothing.
    if std::env::var_os("CONFAB_PRINT_CHECKOUT").is_some() {
        println!("{}", env!("CARGO_MANIFEST_DIR"));
        return std::process::ExitCode::SUCCESS;
    }
    confab_server::cli::main()
}
