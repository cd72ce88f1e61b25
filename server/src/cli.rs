//! The `confab` command line: serve, migrate, openapi, config check, operator commands and
//! audit verification. Passwords are read from stdin or a file, never from arguments.

use crate::serve;
use crate::state::{AppState, Opening, anyhow_app, open_store};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use confab_core::audit::{self, Actor, Verification};
use confab_core::config::{Config, ExposeSecret};
use confab_core::domain::Role;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "confab",
    version,
    about = "Confab: self-hosted, admin-managed enterprise chat for large language models"
)]
struct Cli {
    /// Configuration file (default: ./confab.toml when present).
    #[arg(long, global = true, env = "CONFAB_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates an embedded SQLite database on the way).
    Serve {
        /// Override `server.listen`, e.g. 0.0.0.0:8080 (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Override `admin.listen`, the admin console's own listener (`off` for none).
        #[arg(long)]
        admin_listen: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Print the OpenAPI document.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Operator commands (non-interactive).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Stored secrets (provider keys, share links) and the master key that seals them.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// History search commands (OpenSearch).
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Retention commands.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Purge what each tenant's retention policy says is due, in batches, under the purge lease
    /// (waiting for it while another replica purges). Safe to interrupt: run it again to finish.
    Run {
        /// Only say what would go (counts per kind and the oldest dates); delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Only this tenant (id or slug).
        #[arg(long)]
        tenant: Option<String>,
        /// Rows per batch (default: `retention.batch_size`).
        #[arg(long)]
        batch_size: Option<u64>,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the OpenSearch index from the database. Resumable: an interrupted run continues
    /// where it stopped when started again. Safe while servers run.
    Reindex {
        /// Delete the index first and start over (discards an interrupted run's position).
        #[arg(long)]
        recreate: bool,
        /// Documents per transaction and per bulk request.
        #[arg(long, default_value_t = 1000)]
        batch_size: u32,
        /// Queue at most this many documents in this run, then stop; run again to continue.
        #[arg(long)]
        max_docs: Option<u64>,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Re-seal every stored secret under `secrets.master_key`, opening them with it or with
    /// `secrets.previous_master_keys`. Resumable and idempotent (rows already under the new key
    /// are skipped); safe while servers run, once every replica has the new key as current and
    /// the old one as previous. Then remove the old key.
    RotateMasterKey {
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: u64,
        /// Re-seal at most this many rows in this run, then stop; run again to continue.
        #[arg(long)]
        max_rows: Option<u64>,
        /// Only count what is not yet under the new key.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and check that the database is reachable and current.
    Check,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chains; names the first broken entry. With `--file`, checks an
    /// export offline instead (no database): names the first line that does not hold.
    Verify {
        /// An export made with `GET /v1/audit/export?chain=true` (JSON Lines).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Args)]
struct PasswordSource {
    /// Read the password from this file (first line).
    #[arg(long)]
    password_file: Option<PathBuf>,
}

impl PasswordSource {
    fn read(&self) -> anyhow::Result<String> {
        let raw = match &self.password_file {
            Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            None => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).context("reading the password from standard input")?;
                s
            }
        };
        let password = raw.lines().next().unwrap_or_default().to_string();
        if password.is_empty() {
            bail!("no password given: pipe it on standard input or use --password-file");
        }
        Ok(password)
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the first platform admin and tenant (only on an installation without users).
    Bootstrap {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Default")]
        tenant: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Create a tenant.
    CreateTenant {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: Option<String>,
        /// An existing user to make its first tenant admin.
        #[arg(long)]
        admin_email: Option<String>,
    },
    /// Create a user in a tenant, or add an existing user to it.
    CreateUser {
        /// Tenant slug or id.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "member")]
        role: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Create an API token for a user in a tenant; prints the secret once.
    CreateToken {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// At most the user's role; defaults to it.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Create a SCIM token for a tenant's identity provider; prints the secret once.
    CreateScimToken {
        /// Tenant slug or id.
        #[arg(long)]
        tenant: String,
        /// What it is for (e.g. Okta).
        #[arg(long, default_value = "SCIM")]
        name: String,
    },
    /// Set (replace) a tenant's OpenID Connect single sign-on; the issuer must answer discovery.
    /// The client secret is read from `--client-secret-file` or `CONFAB_SSO_CLIENT_SECRET`.
    SetSso {
        /// Tenant slug or id.
        #[arg(long)]
        tenant: String,
        /// The button's label ("Sign in with …").
        #[arg(long)]
        display_name: String,
        /// The provider's issuer identifier (https://…).
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// A file holding the client secret (omit both for a public client).
        #[arg(long)]
        client_secret_file: Option<std::path::PathBuf>,
        /// Scopes, space- or comma-separated (default "openid email profile").
        #[arg(long)]
        scopes: Option<String>,
        /// E-mail domains that may sign in, comma-separated.
        #[arg(long, default_value = "")]
        allowed_domains: String,
        #[arg(long)]
        email_claim: Option<String>,
        #[arg(long)]
        name_claim: Option<String>,
        /// The claim listing groups (e.g. groups); roles then follow the tenant's role mappings.
        #[arg(long)]
        groups_claim: Option<String>,
        /// Create accounts at first sign-in.
        #[arg(long)]
        jit: bool,
        /// Refuse password sign-in for the tenant's members (platform admins excepted).
        #[arg(long)]
        no_passwords: bool,
        /// Store the settings without offering the button yet.
        #[arg(long)]
        disabled: bool,
    },
    /// Show a tenant's single sign-on settings (never the secret).
    ShowSso {
        #[arg(long)]
        tenant: String,
    },
    /// Remove a tenant's single sign-on.
    RemoveSso {
        #[arg(long)]
        tenant: String,
    },
    /// Vouch that a tenant controls an e-mail domain, without the DNS check (for installations
    /// without public DNS; audited as verified by the operator). Claims it first if needed.
    VerifyDomain {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        domain: String,
    },
    /// List a tenant's e-mail domains and their verification records.
    ListDomains {
        #[arg(long)]
        tenant: String,
    },
    /// Set a user's role in a tenant, or grant/remove platform admin rights.
    SetRole {
        #[arg(long)]
        email: String,
        /// Tenant slug or id (not with `--role platform_admin`).
        #[arg(long)]
        tenant: Option<String>,
        /// member, auditor, tenant_admin or platform_admin.
        #[arg(long)]
        role: String,
        /// With platform_admin: remove the right instead of granting it.
        #[arg(long)]
        revoke: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("confab: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let traces = serve::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("confab: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("confab: {e:#}");
            ExitCode::FAILURE
        }
    };
    // The last spans, from outside the runtime (the exporter blocks while it sends them).
    if let Some(traces) = traces {
        traces.shutdown();
    }
    code
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { listen, admin_listen } => {
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            if let Some(admin_listen) = admin_listen {
                config.admin.listen = admin_listen;
            }
            serve::serve(config).await?;
        }
        Command::Migrate => {
            let store = confab_core::store::Store::connect(config.database.url.expose_secret(), 2).await?;
            let applied = store.migrate().await?;
            println!("confab: {applied} migration(s) applied; the schema is current");
        }
        Command::Openapi { output } => {
            let spec = crate::api::spec_json();
            match output {
                Some(path) => {
                    std::fs::write(&path, spec + "\n").with_context(|| format!("writing {}", path.display()))?
                }
                None => println!("{spec}"),
            }
        }
        Command::Config { command: ConfigCommand::Check } => {
            println!("configuration: ok");
            println!("  server.listen     = {}", config.server.listen);
            println!("  server.public_url = {}", config.base_url());
            println!("  admin.listen      = {}", config.admin.listen_addr().unwrap_or("off"));
            println!("  database.url      = {}", config.database.url);
            println!("  log               = {:?} {}", config.log.format, config.log.level);
            let store = match confab_core::store::Store::connect(config.database.url.expose_secret(), 1).await {
                Ok(s) => s,
                Err(e) => {
                    println!("database: unreachable: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            match store.check_schema().await {
                Ok(None) => println!("database: reachable; schema current"),
                Ok(Some(newer)) => println!(
                    "database: reachable; schema newer than this version ({newer}): fine for the previous release during an upgrade or a rollback"
                ),
                Err(e) if config.database.url.scheme() == "sqlite" && config.database.migrate_on_start => {
                    println!("database: reachable; {e} (serve migrates the embedded database itself)")
                }
                Err(e) => {
                    println!("database: reachable; {e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            match &config.redis.url {
                None => println!("redis: not configured (embedded tier: in-process limits and caches, one replica)"),
                Some(url) => {
                    let cluster = confab_core::cluster::Cluster::connect(&config.redis)?;
                    match cluster.ping().await {
                        Ok(()) => println!("redis: reachable ({url})"),
                        Err(e) => {
                            println!("redis: unreachable ({url}): {e}");
                            return Ok(ExitCode::FAILURE);
                        }
                    }
                }
            }
            if !check_search(&config).await {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Search { command: SearchCommand::Reindex { recreate, batch_size, max_docs } } => {
            return reindex(
                config,
                confab_core::search::opensearch::reindex::ReindexOptions { recreate, batch_size, max_docs },
            )
            .await;
        }
        Command::Admin { command } => admin(command, config).await?,
        Command::Secrets { command: SecretsCommand::RotateMasterKey { batch_size, max_rows, dry_run } } => {
            return rotate_master_key(config, batch_size, max_rows, dry_run).await;
        }
        Command::Retention { command: RetentionCommand::Run { dry_run, tenant, batch_size } } => {
            return retention_run(config, dry_run, tenant, batch_size).await;
        }
        Command::Audit { command: AuditCommand::Verify { file: Some(file) } } => return verify_export_file(&file),
        Command::Audit { command: AuditCommand::Verify { file: None } } => {
            let store = open_store(&config, Opening::Command).await?;
            match audit::verify(&store).await.map_err(anyhow_app)? {
                Verification::Intact { entries } => println!("audit log intact: {entries} entries verified"),
                Verification::Broken { seq, id, reason } => {
                    println!("audit log BROKEN at entry #{seq} ({id}): {reason}");
                    return Ok(ExitCode::FAILURE);
                }
                Verification::Truncated { chain, expected, found } => {
                    println!(
                        "audit log BROKEN: in the {chain} chain, entries after #{found} are missing (the chain head records #{expected})"
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit verify --file`: an export checked offline, line by line.
fn verify_export_file(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = std::io::BufReader::new(file);
    // A `.csv` file is read as CSV; otherwise the content tells (a CSV export starts with its
    // column names, a JSON Lines export with `{`).
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let verified = if csv { audit::evidence::verify_csv(reader) } else { audit::evidence::verify_export(reader) };
    match verified {
        Ok(r) => {
            let range = match (r.first_chain_seq, r.last_chain_seq) {
                (Some(first), Some(last)) => format!("entries #{first} to #{last}"),
                _ => "no entries".into(),
            };
            println!("export intact: {} entries verified ({} chain, {range})", r.entries, r.scope);
            let anchor = &r.anchor;
            if r.anchor_confirmed {
                println!(
                    "starts from: {} (#{}, {}), confirmed by the file",
                    anchor.source, anchor.chain_seq, anchor.hash
                );
            } else {
                println!(
                    "starts from: {} #{} with hash {} (stated by the header: compare it with the previous export's last hash or the live log)",
                    anchor.source, anchor.chain_seq, anchor.hash
                );
            }
            if let Some(last) = &r.last_hash {
                println!("last hash: {last}");
            }
            if !r.complete {
                println!("note: the export stopped at its size limit; export the rest from the next entry's time");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("export BROKEN at {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `confab retention run`: one line per tenant and kind, then the total.
async fn retention_run(
    config: Config,
    dry_run: bool,
    tenant: Option<String>,
    batch_size: Option<u64>,
) -> anyhow::Result<ExitCode> {
    use confab_core::retention::{Lease, PURGE_LEASE, RunOptions};
    let store = open_store(&config, Opening::CommandMigrating).await?;
    let opts = RunOptions::from_config(&config.retention, batch_size);
    let state = AppState::build(config, store).await?;
    let tenants = match tenant {
        Some(t) => vec![state.accounts.find_tenant(&t).await.map_err(anyhow_app)?.id],
        None => state.retention.tenant_ids().await.map_err(anyhow_app)?,
    };
    let print = |tenant: uuid::Uuid, counts: &[confab_core::retention::KindCount], verb: &str| -> u64 {
        let mut total = 0;
        for c in counts.iter().filter(|c| c.count > 0) {
            let oldest = c.oldest.map(|o| format!(" (oldest {})", o.to_rfc3339())).unwrap_or_default();
            println!("tenant {tenant}: {} {verb} {}{oldest}", c.kind, c.count);
            total += c.count;
        }
        total
    };
    if dry_run {
        let mut total = 0;
        for t in tenants {
            let counts = state.retention.preview(t).await.map_err(anyhow_app)?;
            total += print(t.0, &counts, "would go:");
        }
        println!("retention: dry run: {total} row(s) would be deleted");
        return Ok(ExitCode::SUCCESS);
    }
    let lease = Lease::new(state.store.clone(), PURGE_LEASE, opts.lease);
    // Another replica may be purging (or one that died holds the lease until it lapses).
    let deadline = std::time::Instant::now() + opts.lease * 2 + std::time::Duration::from_secs(1);
    while !lease.try_acquire().await.map_err(anyhow_app)? {
        if std::time::Instant::now() > deadline {
            eprintln!("confab: another replica holds the purge lease; try again later");
            return Ok(ExitCode::FAILURE);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let runs = state.retention.run(&lease, Some(tenants), opts).await;
    lease.release().await.map_err(anyhow_app)?;
    let mut total = 0;
    for run in runs.map_err(anyhow_app)? {
        total += print(run.tenant.0, &run.counts, "purged:");
    }
    println!("retention: purged {total} row(s)");
    Ok(ExitCode::SUCCESS)
}

async fn rotate_master_key(
    config: Config,
    batch_size: u64,
    max_rows: Option<u64>,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    use confab_core::crypto::Keyring;
    use confab_core::key_rotation as rotation;
    let keyring = Keyring::from_config(&config.secrets).map_err(|e| anyhow::anyhow!(e))?.context(
        "secrets.master_key is not set: configure the new master key (and the old one in secrets.previous_master_keys)",
    )?;
    let previous = keyring.previous_ids();
    println!(
        "master key {} (current); previous: {}",
        keyring.current_id(),
        if previous.is_empty() { "none".to_string() } else { previous.join(", ") }
    );
    let store = open_store(&config, Opening::Command).await?;
    if dry_run {
        for (label, n) in rotation::remaining(&store, &keyring).await.map_err(anyhow_app)? {
            println!("{label}: {n} to re-seal");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = rotation::RotationOptions { batch_size, max_rows };
    let report = rotation::rotate(&store, &keyring, options, &mut |label, done| println!("{label}: {done} re-sealed"))
        .await
        .map_err(anyhow_app)?;
    for (label, n) in &report.resealed {
        println!("{label}: {n} re-sealed in this run");
    }
    if report.paused {
        println!("rotation paused after --max-rows; run again to continue");
    } else if report.total() == 0 {
        println!("nothing to re-seal: every stored secret is already under master key {}", keyring.current_id());
    } else {
        println!(
            "rotation complete: every stored secret is under master key {}; the previous key(s) can be removed",
            keyring.current_id()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `config check`'s search lines; false when OpenSearch is configured but does not answer.
async fn check_search(config: &Config) -> bool {
    use confab_core::config::SearchBackendKind;
    match config.search.backend {
        SearchBackendKind::Sql => {
            println!("search: sql (the database's full-text index)");
            true
        }
        SearchBackendKind::Opensearch => {
            let os = match confab_core::search::opensearch::OpenSearch::new(&config.opensearch) {
                Ok(os) => os,
                Err(e) => {
                    println!("search: opensearch: {e}");
                    return false;
                }
            };
            match os.ping(std::time::Duration::from_millis(config.opensearch.timeout_ms)).await {
                Ok(()) => {
                    println!("search: opensearch at {} reachable; index {}", os.display_url(), os.index_name());
                    true
                }
                Err(e) => {
                    println!("search: opensearch at {} unreachable: {e}", os.display_url());
                    false
                }
            }
        }
    }
}

async fn reindex(
    config: Config,
    options: confab_core::search::opensearch::reindex::ReindexOptions,
) -> anyhow::Result<ExitCode> {
    use confab_core::search::opensearch::reindex::{Outcome, reindex};
    if config.search.backend != confab_core::config::SearchBackendKind::Opensearch {
        bail!("search.backend is not \"opensearch\": there is no index to rebuild");
    }
    let store = open_store(&config, Opening::Command).await?;
    let os = confab_core::search::opensearch::OpenSearch::new(&config.opensearch)?;
    os.ping(std::time::Duration::from_millis(config.opensearch.timeout_ms))
        .await
        .with_context(|| format!("OpenSearch at {}", os.display_url()))?;
    let mut progress = ReindexProgress::new();
    match reindex(&store, &os, &options, &mut progress).await? {
        Outcome::Done { documents, resumed } => {
            let how = if resumed { "resumed and finished" } else { "finished" };
            println!("reindex {how}: {documents} documents from the database are in {}", os.index_name());
        }
        Outcome::Paused { queued, total } => {
            println!("reindex paused after --max-docs: {queued} of {total} documents queued; run again to continue");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal; on anything else (logs, CI) a line per phase and about every
/// tenth of it.
struct ReindexProgress {
    bar: Option<indicatif::ProgressBar>,
    tty: bool,
    name: String,
    total: u64,
    done: u64,
    last_line: u64,
}

impl ReindexProgress {
    fn new() -> Self {
        use std::io::IsTerminal;
        Self { bar: None, tty: std::io::stdout().is_terminal(), name: String::new(), total: 0, done: 0, last_line: 0 }
    }
}

impl confab_core::search::opensearch::reindex::Progress for ReindexProgress {
    fn phase(&mut self, name: &str, total: u64, done: u64) {
        self.name = name.to_string();
        self.total = total;
        self.done = done;
        self.last_line = done;
        if self.tty {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(name.to_string());
            bar.set_position(done);
            self.bar = Some(bar);
        } else {
            println!("{name}: {done}/{total}");
        }
    }

    fn set(&mut self, done: u64) {
        self.done = done;
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => {
                if done >= self.last_line + (self.total / 10).max(1) {
                    println!("{}: {done}/{}", self.name, self.total);
                    self.last_line = done;
                }
            }
        }
    }

    fn finish(&mut self) {
        match self.bar.take() {
            Some(bar) => bar.finish(),
            None => {
                if self.last_line != self.done {
                    println!("{}: {}/{}", self.name, self.done, self.total);
                }
            }
        }
    }
}

fn parse_role(raw: &str) -> anyhow::Result<Role> {
    Role::parse(raw).map_err(|e| anyhow::anyhow!("--role {}", e.reason))
}

async fn admin(command: AdminCommand, config: Config) -> anyhow::Result<()> {
    let store = open_store(&config, Opening::CommandMigrating).await?;
    let state = AppState::build(config, store).await?;
    let actor = Actor::cli();
    let accounts = &state.accounts;
    match command {
        AdminCommand::Bootstrap { email, tenant, password } => {
            let done =
                accounts.bootstrap(&actor, &email, &password.read()?, &tenant, None).await.map_err(anyhow_app)?;
            println!("created platform admin {} and tenant {} ({})", done.user.email, done.tenant.slug, done.tenant.id);
        }
        AdminCommand::CreateTenant { name, slug, admin_email } => {
            let t = accounts
                .create_tenant(&actor, &name, slug.as_deref(), admin_email.as_deref())
                .await
                .map_err(anyhow_app)?;
            println!("created tenant {} ({})", t.slug, t.id);
        }
        AdminCommand::CreateUser { tenant, email, name, role, password } => {
            let role = parse_role(&role)?;
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let existing = accounts.find_user(&email).await.is_ok();
            let pw = if existing { None } else { Some(password.read()?) };
            let user = accounts
                .upsert_member(&actor, tenant.id, &email, name.as_deref(), pw.as_deref(), role)
                .await
                .map_err(anyhow_app)?;
            println!("{} is {role} in {} (user {})", user.email, tenant.slug, user.id);
        }
        AdminCommand::CreateToken { tenant, email, name, role, expires_in_days } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let user = accounts.find_user(&email).await.map_err(anyhow_app)?;
            let member = confab_core::store::memberships::get(state.store.conn(), tenant.id, user.id)
                .await
                .map_err(anyhow_app)?
                .context("the user is not a member of that tenant")?;
            let scope = confab_core::domain::TenantScope { tenant: tenant.id, user: user.id, role: member.role };
            let role = role.as_deref().map(parse_role).transpose()?;
            let (token, secret) = state
                .auth
                .create_token(&scope, &actor, &name, role, expires_in_days, None)
                .await
                .map_err(anyhow_app)?;
            eprintln!("created API token {} ({}, role {}); it is shown only once:", token.name, token.id, token.role);
            println!("{secret}");
        }
        AdminCommand::CreateScimToken { tenant, name } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let (token, secret) =
                state.provisioning.issue_token(tenant.id, None, &actor, &name).await.map_err(anyhow_app)?;
            eprintln!(
                "created SCIM token {} ({}) for /scim/v2/{}; it is shown only once:",
                token.name, token.id, tenant.slug
            );
            println!("{secret}");
        }
        AdminCommand::SetSso {
            tenant,
            display_name,
            issuer,
            client_id,
            client_secret_file,
            scopes,
            allowed_domains,
            email_claim,
            name_claim,
            groups_claim,
            jit,
            no_passwords,
            disabled,
        } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let client_secret = match client_secret_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?
                        .trim()
                        .to_string(),
                ),
                None => std::env::var("CONFAB_SSO_CLIENT_SECRET").ok(),
            };
            let list = |s: &str| -> Vec<String> {
                s.split(|c: char| c == ',' || c.is_whitespace()).filter(|x| !x.is_empty()).map(str::to_string).collect()
            };
            let input = confab_core::identity::sso::SsoInput {
                display_name,
                issuer,
                client_id,
                client_secret,
                scopes: scopes.as_deref().map(list),
                allowed_domains: list(&allowed_domains),
                email_claim,
                name_claim,
                groups_claim,
                jit_provisioning: jit,
                allow_passwords: !no_passwords,
                enabled: !disabled,
            };
            let p = state.sso.put(tenant.id, &actor, input).await.map_err(anyhow_app)?;
            println!(
                "single sign-on for {}: {} ({}){}",
                tenant.slug,
                p.display_name,
                p.issuer,
                if p.enabled { "" } else { ", not offered yet" }
            );
            println!(
                "register this redirect URI at the provider: {}",
                confab_core::identity::sso::SsoService::redirect_uri(&state.config.base_url())
            );
        }
        AdminCommand::ShowSso { tenant } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let p = state.sso.get(tenant.id).await.map_err(anyhow_app)?.context("the tenant has no single sign-on")?;
            println!("display_name     {}", p.display_name);
            println!("issuer           {}", p.issuer);
            println!("client_id        {}", p.client_id);
            println!("client_secret    {}", if p.client_secret_sealed.is_some() { "(stored)" } else { "(none)" });
            println!("scopes           {}", p.scopes.join(" "));
            println!("allowed_domains  {}", p.allowed_domains.join(", "));
            println!(
                "claims           email={} name={} groups={}",
                p.email_claim,
                p.name_claim,
                p.groups_claim.as_deref().unwrap_or("(roles not from the provider)")
            );
            println!("jit_provisioning {}", p.jit_provisioning);
            println!("allow_passwords  {}", p.allow_passwords);
            println!("enabled          {}", p.enabled);
            println!(
                "redirect_uri     {}",
                confab_core::identity::sso::SsoService::redirect_uri(&state.config.base_url())
            );
        }
        AdminCommand::RemoveSso { tenant } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            state.sso.delete(tenant.id, &actor).await.map_err(anyhow_app)?;
            println!("single sign-on removed from {}", tenant.slug);
        }
        AdminCommand::VerifyDomain { tenant, domain } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            let d = state.domains.verify_by_operator(tenant.id, &actor, &domain).await.map_err(anyhow_app)?;
            println!("{} is verified for {} ({})", d.domain, tenant.slug, d.verified_by.as_deref().unwrap_or("-"));
        }
        AdminCommand::ListDomains { tenant } => {
            let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
            for d in state.domains.list(tenant.id).await.map_err(anyhow_app)? {
                match (&d.verified_at, &d.verified_by) {
                    (Some(at), by) => println!("{}\tverified {at} by {}", d.domain, by.as_deref().unwrap_or("-")),
                    (None, _) => println!(
                        "{}\tpending: TXT {} = {}",
                        d.domain,
                        confab_core::identity::domains::txt_name(&d.domain),
                        confab_core::identity::domains::txt_value(&d.token)
                    ),
                }
            }
        }
        AdminCommand::SetRole { email, tenant, role, revoke } => {
            if role == "platform_admin" {
                let user = accounts.set_platform_admin(&actor, &email, !revoke).await.map_err(anyhow_app)?;
                println!("{}: platform_admin {}", user.email, if revoke { "removed" } else { "granted" });
            } else {
                let role = parse_role(&role)?;
                let tenant = tenant.context("--tenant is required for tenant roles")?;
                let tenant = accounts.find_tenant(&tenant).await.map_err(anyhow_app)?;
                accounts.find_user(&email).await.map_err(anyhow_app)?;
                let user =
                    accounts.upsert_member(&actor, tenant.id, &email, None, None, role).await.map_err(anyhow_app)?;
                println!("{} is {role} in {}", user.email, tenant.slug);
            }
        }
    }
    Ok(())
}
