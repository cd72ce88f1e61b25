//! `confab-retention-bench`: the retention purge under chat load, and the audit export's speed
//! and memory, on PostgreSQL.
//!
//! In one run, on the given PostgreSQL cluster:
//! 1. **seed** (once per size and schema: kept as a template database in the cluster, so a cached
//!    cluster — `scripts/bench-retention.sh` keeps it under `~/.cache/confab-bench/` — never seeds
//!    twice) — `confab migrate` and `confab admin bootstrap`, then straight into the real schema
//!    with server-side `generate_series` batches: `--messages` messages, 20 per conversation, in
//!    conversations last active 400–700 days ago (due under a 365-day policy), plus 5% as many
//!    recent conversations that must stay, and their SQL search documents (`search_docs`, with
//!    its GIN index), written in bulk as the search migration's backfill writes them (the
//!    triggers are off during the load). Then `--audit` audit entries in the
//!    tenant's chain, hash-chained with confab_core's own `entry_hash` (the chain verifies).
//! 2. **purge under load** — a copy of the template (`CREATE DATABASE … TEMPLATE`), `confab serve`
//!    with a scripted upstream (the test kit's) and the background purge off, a 365-day
//!    conversation policy set through `PUT /v1/tenant/retention`, then `--concurrency` clients
//!    each streaming turns one after another (`POST /v1/conversations/{id}/messages`, SSE; a new
//!    conversation every 10 turns). After a warm-up and `--baseline-secs` of load without purge,
//!    `confab retention run` runs against the same database while the load goes on. Reports
//!    TTFT p50/p99 of the turns started in each phase, the purge's time and throughput (rows and
//!    messages per second) and the added TTFT p99 in percent (target: under 10%).
//! 3. **audit export** — `GET /v1/audit/export` as JSON Lines, CSV and `chain=true`, each read
//!    to its end and timed (entries per second), for the whole tenant and for the oldest tenth
//!    (`until`), with the server's RSS sampled every 20 ms: idle before, peak during. Streaming
//!    means the peak does not grow with the export's size.
//!
//! Usage: `confab-retention-bench --pg-url postgres://postgres@127.0.0.1:5432/postgres
//! [--messages 1000000] [--audit 1000000]` (see `--help`); `scripts/bench-retention.sh` starts a
//! PostgreSQL cluster, builds in release mode and runs it. Exit status: 0 when the added TTFT p99
//! is within the target and no turn failed, 3 when not (the tables are printed either way), 1
//! when the run failed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{Context as _, Result, bail, ensure};
use chrono::{DateTime, DurationRound, Utc};
use clap::Parser;
use confab_core::audit::{Entry, entry_hash};
use confab_core::domain::{TenantId, UserId};
use confab_tests::upstream::ScriptedUpstream;
use futures::StreamExt;
use reqwest::{Client, StatusCode, header};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@bench.example";
const ADMIN_PASSWORD: &str = "bench-password-not-secret";
const MODEL: &str = "bench";
/// Messages per seeded conversation.
const PER_CONVERSATION: u64 = 20;
/// Bump when the seed's content changes, so cached templates are not reused.
const SEED_FORMAT: u32 = 1;
/// Turns per conversation in the load before a client starts a new one.
const TURNS_PER_CONVERSATION: usize = 10;
/// The policy the purge applies.
const CONVERSATION_DAYS: i64 = 365;

#[derive(Parser, Debug)]
#[command(
    name = "confab-retention-bench",
    about = "Retention purge under chat load, and audit export speed (PostgreSQL)"
)]
struct Args {
    /// The cluster's admin URL (a database is created per run, and a template per seed size).
    #[arg(long)]
    pg_url: String,
    /// Messages in conversations past the retention policy (20 per conversation).
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Audit entries in the tenant's chain (0: no export phase).
    #[arg(long, default_value_t = 1_000_000)]
    audit: u64,
    /// Concurrent streaming clients of the chat load.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Tokens in each scripted reply.
    #[arg(long, default_value_t = 32)]
    tokens: usize,
    /// Milliseconds the upstream waits before each token.
    #[arg(long, default_value_t = 10)]
    delay_ms: u64,
    /// Seconds of load before the measured baseline (not counted).
    #[arg(long, default_value_t = 10)]
    warmup_secs: u64,
    /// Seconds of load without purge (the baseline).
    #[arg(long, default_value_t = 30)]
    baseline_secs: u64,
    /// Seconds of load after the purge (its after-effects, such as autovacuum, show there).
    #[arg(long, default_value_t = 15)]
    after_secs: u64,
    /// `confab retention run --batch-size` (default: the server's `retention.batch_size`).
    #[arg(long)]
    batch_size: Option<u64>,
    /// Extra environment for the server and the purge, `KEY=VALUE` (repeatable), e.g.
    /// `CONFAB_RETENTION__BATCH_PAUSE_MS=20`.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Where seeded databases are cached (`pg_dump -Fc`), one file per size and schema.
    #[arg(long, default_value = "~/.cache/confab-bench", value_parser = expand_home)]
    cache_dir: PathBuf,
    /// Seed again even when a template or a cached dump of this size exists.
    #[arg(long)]
    reseed: bool,
    /// Skip the purge under load.
    #[arg(long)]
    no_purge: bool,
    /// The `confab` binary (default: `$CONFAB_BIN`, else `confab` next to this executable).
    #[arg(long, env = "CONFAB_BIN")]
    confab_bin: Option<PathBuf>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn expand_home(s: &str) -> Result<PathBuf, String> {
    match s.strip_prefix("~/") {
        Some(rest) => Ok(PathBuf::from(std::env::var("HOME").map_err(|_| "HOME is not set")?).join(rest)),
        None => Ok(PathBuf::from(s)),
    }
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    match rt.block_on(run(&args)) {
        Ok(true) => std::process::exit(0),
        Ok(false) => std::process::exit(3),
        Err(e) => {
            eprintln!("confab-retention-bench: {e:#}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

struct Ctx {
    bin: PathBuf,
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Ctx {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env_clear().current_dir(&self.dir);
        for key in ["PATH", "HOME", "TMPDIR"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn cli(&self, argv: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut child = self
            .command()
            .args(argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running confab")?;
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
        }
        drop(child.stdin.take());
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("confab {argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

struct Server {
    base: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(ctx: &Ctx) -> Result<Server> {
        let log = ctx.dir.join("server.log");
        let mut child = ctx
            .command()
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("confab: listening on ") {
                        break rest.split_whitespace().next().unwrap_or_default().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    bail!("confab serve did not start; see {}", log.display());
                }
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { base, child })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The 1-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// Where the CPU goes
// ---------------------------------------------------------------------------------------------

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// (parent pid, user + system CPU seconds) of a process, from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(u32, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((ppid, (utime + stime) / CLK_TCK))
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " ").trim().to_string())
        .unwrap_or_default()
}

/// When (since the load's start), which process, its role, and its CPU seconds so far.
type CpuSample = (Duration, u32, &'static str, f64);

/// Samples, every 100 ms, the CPU time of every process of the run by role: this benchmark
/// (the load's clients and the scripted upstream), `confab serve`, `confab retention run`, and
/// the PostgreSQL cluster's processes: the server's backends, the purge's backend (its
/// connections carry `application_name=confab-purge`), autovacuum workers, and the rest
/// (checkpointer, WAL writer, …). A process that exits between samples loses at most 100 ms.
struct CpuAccount {
    samples: Arc<Mutex<Vec<CpuSample>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CpuAccount {
    fn start(origin: Instant, server: u32, postmaster: u32, purge_backends: Arc<Mutex<Vec<u32>>>) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (samples, stop) = (samples.clone(), stop.clone());
            move || {
                let me = std::process::id();
                while !stop.load(Ordering::Relaxed) {
                    let at = origin.elapsed();
                    let purge = purge_backends.lock().unwrap().clone();
                    let mut batch = Vec::new();
                    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                            continue;
                        };
                        let Some((ppid, cpu)) = proc_stat(pid) else { continue };
                        let role = if pid == me {
                            "bench: load clients + upstream"
                        } else if pid == server {
                            "confab serve"
                        } else if ppid == me && cmdline(pid).contains("retention") {
                            "confab retention run"
                        } else if pid == postmaster {
                            "postgres: other"
                        } else if ppid == postmaster {
                            let cmd = cmdline(pid);
                            if cmd.contains("autovacuum worker") {
                                "postgres: autovacuum"
                            } else if purge.contains(&pid) {
                                "postgres: purge's backend"
                            } else if cmd.contains("127.0.0.1") || cmd.contains("[local]") {
                                "postgres: other backends"
                            } else {
                                "postgres: other"
                            }
                        } else {
                            continue;
                        };
                        batch.push((at, pid, role, cpu));
                    }
                    samples.lock().unwrap().extend(batch);
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        CpuAccount { samples, stop, thread: Some(thread) }
    }

    /// CPU seconds per role used within [from, to): for each process, its last sample before
    /// `to` minus its last sample before `from` (0 when it started after `from`).
    fn between(&self, from: Duration, to: Duration) -> std::collections::BTreeMap<&'static str, f64> {
        let samples = self.samples.lock().unwrap();
        let mut first: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
        let mut last: std::collections::HashMap<u32, (&'static str, f64)> = std::collections::HashMap::new();
        for &(at, pid, role, cpu) in samples.iter() {
            if at < from {
                first.insert(pid, cpu);
            } else if at < to {
                last.insert(pid, (role, cpu));
            }
        }
        let mut by_role = std::collections::BTreeMap::new();
        for (pid, (role, cpu)) in last {
            *by_role.entry(role).or_insert(0.0) += cpu - first.get(&pid).copied().unwrap_or(0.0);
        }
        by_role
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for CpuAccount {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Wait events of the server's busy backends (not the purge's, not this benchmark's), by time.
/// Each sample is one (time, event) per busy backend; an idle-in-pool backend is not counted.
/// A sample with an empty event marks a tick (so a tick without a busy backend still counts).
static WAITS: Mutex<Vec<(Duration, String)>> = Mutex::new(Vec::new());

fn wait_sampler(conn: DatabaseConnection, epoch: Instant) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let at = epoch.elapsed();
            if let Ok(rows) = conn
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT coalesce(wait_event_type || ': ' || wait_event, 'active') AS e FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
                       AND coalesce(application_name, '') <> 'confab-purge'",
                ))
                .await
            {
                let mut waits = WAITS.lock().unwrap();
                waits.push((at, String::new()));
                for r in rows {
                    waits.push((at, r.try_get_by_index(0).unwrap_or_default()));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// The cluster's postmaster: the parent of this connection's backend.
async fn postmaster_pid(conn: &DatabaseConnection) -> Result<u32> {
    let backend: i32 = conn
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid()"))
        .await?
        .context("no backend pid")?
        .try_get_by_index(0)?;
    proc_stat(backend as u32)
        .map(|(ppid, _)| ppid)
        .context("cannot read the backend's /proc entry (is PostgreSQL local?)")
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async fn run(args: &Args) -> Result<bool> {
    ensure!(args.messages >= PER_CONVERSATION, "--messages must be at least {PER_CONVERSATION}");
    let bin =
        args.confab_bin.clone().unwrap_or_else(|| std::env::current_exe().unwrap().parent().unwrap().join("confab"));
    ensure!(bin.exists(), "{} is missing: build it with `cargo build --release -p confab-server`", bin.display());
    let base_url = args.pg_url.rsplit_once('/').map(|(b, _)| b.to_string()).context("--pg-url has no database")?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let dir = std::env::temp_dir().join(format!("confab-retention-bench-{tag}"));
    std::fs::create_dir_all(&dir)?;
    let _cleanup = RemoveDir(dir.clone());
    let admin = Database::connect(args.pg_url.as_str()).await?;

    // The schema's version names the template: a new migration makes a new seed.
    let scratch = format!("retention_scratch_{tag}");
    admin.execute_unprepared(&format!("CREATE DATABASE {scratch}")).await?;
    let version = {
        let ctx = server_ctx(args, &bin, &dir, &format!("{base_url}/{scratch}"), "http://127.0.0.1:9");
        ctx.cli(&["migrate"], None)?;
        let conn = Database::connect(format!("{base_url}/{scratch}").as_str()).await?;
        let v = text(&conn, "SELECT max(version) FROM seaql_migrations").await?;
        conn.close().await.ok();
        v
    };
    admin.execute_unprepared(&format!("DROP DATABASE {scratch}")).await?;
    let schema = version.split('_').nth(1).unwrap_or("0").to_string();
    let template = format!("retention_seed_v{SEED_FORMAT}_s{schema}_m{}_a{}", args.messages, args.audit);
    let exists = !admin
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [template.clone().into()],
        ))
        .await?
        .is_empty();
    if exists && args.reseed {
        admin.execute_unprepared(&format!("DROP DATABASE {template}")).await?;
    }
    std::fs::create_dir_all(&args.cache_dir)?;
    let dump = args.cache_dir.join(format!("{template}.dump"));
    if !exists || args.reseed {
        let seeding = format!("{template}_partial");
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {seeding}")).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE {seeding}")).await?;
        let url = format!("{base_url}/{seeding}");
        if dump.exists() && !args.reseed {
            println!("== seed: restoring {} (--reseed to seed again)", dump.display());
            let started = Instant::now();
            let status = Command::new("pg_restore")
                .args(["--no-owner", "--jobs", "2", "--dbname", &url])
                .arg(&dump)
                .status()
                .context("running pg_restore (put PostgreSQL's bin directory on PATH)")?;
            ensure!(status.success(), "pg_restore failed");
            println!("  restored in {:.1} s", started.elapsed().as_secs_f64());
        } else {
            let ctx = server_ctx(args, &bin, &dir, &url, "http://127.0.0.1:9");
            seed(args, &ctx, &url).await?;
        }
        // Renamed once complete: a template under its final name is a whole seed.
        admin.execute_unprepared(&format!("ALTER DATABASE {seeding} RENAME TO {template}")).await?;
    } else {
        println!("== seed: reusing template database {template} (--reseed to seed again)");
    }
    if !dump.exists() || args.reseed {
        let started = Instant::now();
        let partial = dump.with_extension("dump.partial");
        let status = Command::new("pg_dump")
            .args(["--format", "custom", "--compress", "1", "--file"])
            .arg(&partial)
            .args(["--dbname", &format!("{base_url}/{template}")])
            .status()
            .context("running pg_dump (put PostgreSQL's bin directory on PATH)")?;
        ensure!(status.success(), "pg_dump failed");
        std::fs::rename(&partial, &dump)?;
        println!(
            "== cached the seed in {} ({:.0} MB, {:.1} s)",
            dump.display(),
            std::fs::metadata(&dump)?.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }

    let db = format!("retention_run_{tag}");
    let started = Instant::now();
    admin.execute_unprepared(&format!("CREATE DATABASE {db} TEMPLATE {template} STRATEGY = FILE_COPY")).await?;
    println!("== copied the template into {db} in {:.1} s", started.elapsed().as_secs_f64());
    let _drop = DropDb { admin_url: args.pg_url.clone(), name: db.clone() };
    let db_url = format!("{base_url}/{db}");

    let upstream_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("upstream")
        .enable_all()
        .build()
        .context("upstream runtime")?;
    // Started on its own runtime, so its serving is scheduled apart from the load's clients.
    let upstream = upstream_rt.spawn(ScriptedUpstream::start()).await?;
    let ctx = server_ctx(args, &bin, &dir, &db_url, &upstream.base_url());
    let token = ctx
        .cli(&["admin", "create-token", "--tenant", "bench", "--email", ADMIN_EMAIL, "--name", "bench"], None)?
        .trim()
        .to_string();
    let server = Server::start(&ctx)?;
    let conn = Database::connect(db_url.as_str()).await?;
    let client = Client::builder().no_proxy().tcp_nodelay(true).pool_max_idle_per_host(256).build()?;

    let mut ok = true;
    if !args.no_purge {
        ok = purge_under_load(args, &ctx, &server, &conn, &client, &token).await?;
    }
    if args.audit > 0 {
        exports(args, &server, &conn, &client, &token).await?;
    }
    conn.close().await.ok();
    drop(server);
    drop(upstream);
    upstream_rt.shutdown_background();
    Ok(ok)
}

fn server_ctx(args: &Args, bin: &Path, dir: &Path, db_url: &str, upstream: &str) -> Ctx {
    let config = format!(
        r#"[chat]
turns_per_minute_per_user = 1000000
turns_per_minute_per_tenant = 1000000
turns_per_minute_per_ip = 1000000
[auth]
login_failures_per_ip = 100000
[providers.scripted]
kind = "openai"
base_url = "{upstream}/v1"
api_key = "sk-bench"
first_byte_timeout_ms = 60000
idle_timeout_ms = 60000
[[models]]
id = "{MODEL}"
provider = "scripted"
upstream_model = "gpt-4o"
context_window = 128000
max_output_tokens = 4096
"#
    );
    std::fs::write(dir.join("confab.toml"), config).expect("write confab.toml");
    let mut env: Vec<(String, String)> = vec![
        ("CONFAB_DATABASE__URL".into(), db_url.into()),
        ("CONFAB_DATABASE__MAX_CONNECTIONS".into(), "32".into()),
        ("CONFAB_LOG__LEVEL".into(), "warn".into()),
        ("CONFAB_SEARCH__BACKEND".into(), "sql".into()),
        // The purge under test is `confab retention run`; the server's own stays off.
        ("CONFAB_RETENTION__INTERVAL_SECS".into(), "0".into()),
    ];
    env.extend(args.env.iter().cloned());
    Ctx { bin: bin.to_path_buf(), dir: dir.to_path_buf(), env }
}

struct RemoveDir(PathBuf);
impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Drops the run's database (a blocking connection of its own: it runs at exit).
struct DropDb {
    admin_url: String,
    name: String,
}
impl Drop for DropDb {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let admin = Database::connect(url.as_str()).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                Some(())
            })
        })
        .join();
    }
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

async fn text(conn: &DatabaseConnection, sql: &str) -> Result<String> {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<String>(0)?)
}

// ---------------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------------

async fn seed(args: &Args, ctx: &Ctx, url: &str) -> Result<()> {
    let started = Instant::now();
    ctx.cli(&["migrate"], None)?;
    ctx.cli(&["admin", "bootstrap", "--email", ADMIN_EMAIL, "--tenant", "Bench"], Some(ADMIN_PASSWORD))?;
    let conn = Database::connect(url).await?;
    let tenant: uuid::Uuid = {
        let row = conn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT id FROM tenants LIMIT 1"))
            .await?
            .context("no tenant")?;
        row.try_get_by_index(0)?
    };
    conn.execute_unprepared(&format!(
        "INSERT INTO users (id, email, display_name, status, is_platform_admin, password_changed_at, created_at, updated_at)
         SELECT gen_random_uuid(), 'user' || g || '@bench.example', 'User ' || g, 'active', false, now(), now(), now()
         FROM generate_series(2, 20) g;
         INSERT INTO memberships (id, tenant_id, user_id, role, status, created_at, updated_at)
         SELECT gen_random_uuid(), '{tenant}', id, 'member', 'active', now(), now() FROM users
         WHERE email LIKE 'user%@bench.example';"
    ))
    .await?;
    let old = args.messages / PER_CONVERSATION;
    let recent = (old / 20).max(1);
    println!(
        "== seed: {} messages in {old} conversations past a {CONVERSATION_DAYS}-day policy, {} in {recent} recent ones",
        old * PER_CONVERSATION,
        recent * PER_CONVERSATION
    );
    // A bulk load: the search triggers off and the GIN index dropped while rows go in, then the
    // search documents written as the search migration's backfill writes them, and the index
    // rebuilt from its own definition. (Row by row through the triggers is ~10x slower.)
    let gin = text(&conn, "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_docs_tsv'").await?;
    conn.execute_unprepared(
        "ALTER TABLE messages DISABLE TRIGGER USER; ALTER TABLE conversations DISABLE TRIGGER USER;
         DROP INDEX search_docs_tsv;",
    )
    .await?;
    seed_conversations(&conn, tenant, old, true).await?;
    seed_conversations(&conn, tenant, recent, false).await?;
    let t = Instant::now();
    conn.execute_unprepared(&format!(
        "INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
         SELECT id, tenant_id, owner_id, id, NULL, to_tsvector('simple'::regconfig, title)
         FROM conversations WHERE title <> '';
         INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
         SELECT m.id, c.tenant_id, c.owner_id, c.id, m.id, to_tsvector('simple'::regconfig, left(m.content, 60000))
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.status = 'completed' AND m.content <> '';
         SET maintenance_work_mem = '512MB';
         {gin};
         ALTER TABLE messages ENABLE TRIGGER USER; ALTER TABLE conversations ENABLE TRIGGER USER;
         TRUNCATE search_outbox;"
    ))
    .await?;
    println!("  search documents and their GIN index in {:.1} s", t.elapsed().as_secs_f64());
    println!("  conversations seeded in {:.1} s", started.elapsed().as_secs_f64());
    if args.audit > 0 {
        seed_audit(&conn, tenant, args.audit).await?;
    }
    let t = Instant::now();
    conn.execute_unprepared("VACUUM ANALYZE").await?;
    println!(
        "  VACUUM ANALYZE in {:.1} s; seeded in {:.1} s",
        t.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    conn.close().await.ok();
    Ok(())
}

/// `count` conversations of [`PER_CONVERSATION`] messages each, last active 400–700 days ago
/// (`old`) or in the last hour.
async fn seed_conversations(conn: &DatabaseConnection, tenant: uuid::Uuid, count: u64, old: bool) -> Result<()> {
    let started = Instant::now();
    let age = if old { "interval '400 days' + random() * interval '300 days'" } else { "random() * interval '1 hour'" };
    let per_batch = 2_500u64;
    let mut done = 0u64;
    let mut last = Instant::now();
    while done < count {
        let n = per_batch.min(count - done);
        let sql = format!(
            "WITH owners AS (SELECT array_agg(user_id ORDER BY user_id) AS ids FROM memberships WHERE tenant_id = '{tenant}'),
             conv AS (
                 INSERT INTO conversations (id, tenant_id, owner_id, title, archived, created_at, updated_at)
                 SELECT gen_random_uuid(), '{tenant}', o.ids[1 + (s.g % cardinality(o.ids))],
                        'Conversation ' || s.g, false, s.t, s.t
                 FROM (SELECT g, now() - ({age}) AS t FROM generate_series({start}, {end}) g) s, owners o
                 RETURNING id, created_at
             )
             INSERT INTO messages (id, tenant_id, conversation_id, role, status, content, created_at, updated_at)
             SELECT gen_random_uuid(), '{tenant}', conv.id, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END,
                    'completed',
                    regexp_replace(md5(conv.id::text || k) || md5(k || conv.id::text), '(.{{6}})', '\\1 ', 'g'),
                    conv.created_at + k * interval '1 minute', conv.created_at + k * interval '1 minute'
             FROM conv CROSS JOIN generate_series(1, {PER_CONVERSATION}) k",
            start = done,
            end = done + n - 1,
        );
        conn.execute_unprepared(&sql).await?;
        done += n;
        if last.elapsed() > Duration::from_secs(10) || done == count {
            let messages = done * PER_CONVERSATION;
            println!(
                "  {messages}/{} {} messages ({:.0}/s)",
                count * PER_CONVERSATION,
                if old { "old" } else { "recent" },
                messages as f64 / started.elapsed().as_secs_f64()
            );
            last = Instant::now();
        }
    }
    Ok(())
}

/// `count` sign-in entries appended to the tenant's chain after its stored head, hashed with
/// confab_core's `entry_hash`, 50 µs apart from just after the head (so `created_at` grows with
/// the chain, as `audit::record` keeps it), in transactions of 20,000 that move the head along.
async fn seed_audit(conn: &DatabaseConnection, tenant: uuid::Uuid, count: u64) -> Result<()> {
    let started = Instant::now();
    let key = format!("tenant:{tenant}");
    let head = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT h.chain_seq, h.hash, (SELECT max(created_at) FROM audit_log), (SELECT max(seq) FROM audit_log),
                    (SELECT id FROM users WHERE email = $2)
             FROM audit_heads h WHERE h.scope = $1",
            [key.clone().into(), ADMIN_EMAIL.into()],
        ))
        .await?
        .context("the tenant has no chain head (bootstrap writes one)")?;
    let (mut chain_seq, mut hash): (i64, String) = (head.try_get_by_index(0)?, head.try_get_by_index(1)?);
    let last: DateTime<Utc> = head.try_get_by_index(2)?;
    let mut seq: i64 = head.try_get_by_index(3)?;
    let admin: uuid::Uuid = head.try_get_by_index(4)?;
    let t0 = last.duration_trunc(chrono::Duration::microseconds(1))? + chrono::Duration::milliseconds(1);
    println!("== seed: {count} audit entries in the tenant's chain");
    let columns = [
        "id",
        "seq",
        "tenant_id",
        "actor_user_id",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "outcome",
        "ip",
        "request_id",
        "details",
        "created_at",
        "prev_hash",
        "hash",
        "chain_seq",
    ];
    let mut done = 0u64;
    let mut report = Instant::now();
    while done < count {
        let n = (count - done).min(20_000);
        let mut rows = Vec::with_capacity(n as usize);
        for i in done..done + n {
            seq += 1;
            chain_seq += 1;
            let entry = Entry {
                id: uuid::Uuid::now_v7(),
                seq,
                tenant_id: Some(TenantId(tenant)),
                actor_user_id: Some(UserId(admin)),
                actor_label: ADMIN_EMAIL.into(),
                action: "auth.login".into(),
                target_type: Some("session".into()),
                target_id: Some(uuid::Uuid::now_v7().to_string()),
                outcome: "success".into(),
                ip: Some(format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)),
                request_id: Some(format!("{:032x}", rand::random::<u128>())),
                details: json!({ "surface": "chat" }).to_string(),
                created_at: t0 + chrono::Duration::microseconds(50 * i as i64),
                prev_hash: std::mem::take(&mut hash),
                hash: String::new(),
                chain_seq: Some(chain_seq),
            };
            hash = entry_hash(&entry);
            rows.push(vec![
                Expr::value(entry.id),
                Expr::value(entry.seq),
                Expr::value(tenant),
                Expr::value(admin),
                Expr::value(entry.actor_label),
                Expr::value(entry.action),
                Expr::value(entry.target_type),
                Expr::value(entry.target_id),
                Expr::value(entry.outcome),
                Expr::value(entry.ip),
                Expr::value(entry.request_id),
                Expr::value(entry.details),
                Expr::value(entry.created_at),
                Expr::value(entry.prev_hash),
                Expr::value(hash.clone()),
                Expr::value(entry.chain_seq),
            ]);
        }
        let txn = sea_orm::TransactionTrait::begin(conn).await?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut insert = Query::insert();
            insert.into_table(Alias::new("audit_log")).columns(columns.iter().map(|c| Alias::new(*c)));
            for row in rows.by_ref().take(2_000) {
                insert.values(row)?;
            }
            txn.execute(&insert).await?;
        }
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE audit_heads SET chain_seq = $1, hash = $2 WHERE scope = $3",
            [chain_seq.into(), hash.clone().into(), key.clone().into()],
        ))
        .await?;
        txn.commit().await?;
        done += n;
        if report.elapsed() > Duration::from_secs(10) || done == count {
            println!("  {done}/{count} audit entries ({:.0}/s)", done as f64 / started.elapsed().as_secs_f64());
            report = Instant::now();
        }
    }
    conn.execute_unprepared(&format!("SELECT setval('audit_log_seq', {seq})")).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Purge under load
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Turn {
    /// Since the load started.
    started: Duration,
    ended: Duration,
    ttft: Duration,
    total: Duration,
}

struct Load {
    stop: Arc<AtomicBool>,
    turns: Arc<Mutex<Vec<Turn>>>,
    errors: Arc<Mutex<Vec<(Duration, String)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    epoch: Instant,
}

impl Load {
    fn start(args: &Args, client: &Client, base: &str, token: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let turns = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let epoch = Instant::now();
        let content = format!("[upstream tokens={} delay_ms={}] hello", args.tokens, args.delay_ms);
        let tasks = (0..args.concurrency)
            .map(|_| {
                let (stop, turns, errors) = (stop.clone(), turns.clone(), errors.clone());
                let (client, base, token, content) =
                    (client.clone(), base.to_owned(), token.to_owned(), content.clone());
                tokio::spawn(async move {
                    let mut conversation = None;
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        if conversation.is_none() || n % TURNS_PER_CONVERSATION == 0 {
                            match new_conversation(&client, &base, &token).await {
                                Ok(id) => conversation = Some(id),
                                Err(e) => {
                                    errors.lock().unwrap().push((epoch.elapsed(), e));
                                    tokio::time::sleep(Duration::from_millis(200)).await;
                                    continue;
                                }
                            }
                        }
                        n += 1;
                        let started = epoch.elapsed();
                        let outcome = tokio::time::timeout(
                            Duration::from_secs(120),
                            turn(&client, &base, &token, conversation.as_deref().unwrap(), &content),
                        )
                        .await
                        .unwrap_or_else(|_| Err("no end within 120 s".into()));
                        match outcome {
                            Ok((ttft, total)) => {
                                turns.lock().unwrap().push(Turn { started, ended: epoch.elapsed(), ttft, total })
                            }
                            Err(e) => {
                                errors.lock().unwrap().push((started, e));
                                conversation = None;
                            }
                        }
                    }
                })
            })
            .collect();
        Load { stop, turns, errors, tasks, epoch }
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    async fn stop(self) -> (Vec<Turn>, Vec<(Duration, String)>) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        let turns = std::mem::take(&mut *self.turns.lock().unwrap());
        let errors = std::mem::take(&mut *self.errors.lock().unwrap());
        (turns, errors)
    }
}

async fn new_conversation(client: &Client, base: &str, token: &str) -> Result<String, String> {
    let resp = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .map_err(|e| format!("create conversation: {e}"))?;
    if resp.status() != StatusCode::CREATED {
        return Err(format!("create conversation: http {}", resp.status().as_u16()));
    }
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    body["id"].as_str().map(str::to_owned).ok_or_else(|| "conversation without id".into())
}

/// One streamed turn: (TTFT = first `message.delta`, total = `message.completed`).
async fn turn(
    client: &Client,
    base: &str,
    token: &str,
    conversation: &str,
    content: &str,
) -> Result<(Duration, Duration), String> {
    let start = Instant::now();
    let resp = client
        .post(format!("{base}/v1/conversations/{conversation}/messages"))
        .bearer_auth(token)
        .header(header::ACCEPT, "text/event-stream")
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"content": content, "model": MODEL}))
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    if resp.status() != StatusCode::OK {
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or_default();
        return Err(format!("http {status} {}", body["error"]["code"].as_str().unwrap_or("")));
    }
    let mut stream = resp.bytes_stream();
    let mut parser = confab_sse::Parser::new();
    let mut ttft = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("body: {e}"))?;
        for event in parser.push(&chunk) {
            match event.event.as_str() {
                "message.delta" => {
                    ttft.get_or_insert_with(|| start.elapsed());
                }
                "message.completed" => return Ok((ttft.ok_or("completed without a delta")?, start.elapsed())),
                "message.failed" | "message.cancelled" => return Err(event.event.clone()),
                _ => {}
            }
        }
    }
    Err("stream ended without a final event".into())
}

struct Counts {
    conversations: i64,
    messages: i64,
    search_docs: i64,
}

/// Rows of the conversations past the policy (the load adds rows meanwhile: only these count).
async fn counts(conn: &DatabaseConnection) -> Result<Counts> {
    let old = format!("SELECT id FROM conversations WHERE updated_at < now() - interval '{CONVERSATION_DAYS} days'");
    Ok(Counts {
        conversations: scalar(conn, &format!("SELECT count(*) FROM ({old}) o")).await?,
        messages: scalar(conn, &format!("SELECT count(*) FROM messages WHERE conversation_id IN ({old})")).await?,
        search_docs: scalar(conn, &format!("SELECT count(*) FROM search_docs WHERE conversation_id IN ({old})"))
            .await?,
    })
}

async fn purge_under_load(
    args: &Args,
    ctx: &Ctx,
    server: &Server,
    conn: &DatabaseConnection,
    client: &Client,
    token: &str,
) -> Result<bool> {
    let resp = client
        .put(server.url("/v1/tenant/retention"))
        .bearer_auth(token)
        .json(&json!({ "conversation_days": CONVERSATION_DAYS }))
        .send()
        .await?;
    ensure!(resp.status().is_success(), "setting the policy: {} {}", resp.status(), resp.text().await?);
    let started = Instant::now();
    let preview: Value =
        client.get(server.url("/v1/tenant/retention/preview")).bearer_auth(token).send().await?.json().await?;
    let due: Vec<String> = preview["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|i| i["count"].as_i64().unwrap_or(0) > 0)
                .map(|i| format!("{} {}", i["kind"].as_str().unwrap_or("?"), i["count"]))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "\n== policy: conversation_days = {CONVERSATION_DAYS}; preview ({:.1} s): {}",
        started.elapsed().as_secs_f64(),
        due.join(", ")
    );
    let before = counts(conn).await?;

    println!(
        "== load: {} clients, turns of {} tokens {} ms apart; warm-up {} s, baseline {} s (load average {})",
        args.concurrency,
        args.tokens,
        args.delay_ms,
        args.warmup_secs,
        args.baseline_secs,
        load_average()
    );
    let load = Load::start(args, client, &server.base, token);
    // What the server's backends wait on, sampled every 20 ms through every phase.
    let waits = wait_sampler(conn.clone(), load.epoch);
    let purge_backends = Arc::new(Mutex::new(Vec::new()));
    let mut cpu = CpuAccount::start(load.epoch, server.child.id(), postmaster_pid(conn).await?, purge_backends.clone());
    tokio::time::sleep(Duration::from_secs(args.warmup_secs)).await;
    let baseline_from = load.now();
    tokio::time::sleep(Duration::from_secs(args.baseline_secs)).await;
    let purge_from = load.now();
    let load_before = load_average();
    let mut argv = vec!["retention".to_string(), "run".into(), "--tenant".into(), "bench".into()];
    if let Some(b) = args.batch_size {
        argv.extend(["--batch-size".into(), b.to_string()]);
    }
    println!("== purge: confab {} (load average {load_before})", argv.join(" "));
    let purge_started = Instant::now();
    // The purge's connections are named, so its backend's CPU is told apart from the server's.
    let purge_url = ctx
        .env
        .iter()
        .find(|(k, _)| k == "CONFAB_DATABASE__URL")
        .map(|(_, v)| format!("{v}{}application_name=confab-purge", if v.contains('?') { '&' } else { '?' }))
        .context("no database URL")?;
    let mut child = ctx
        .command()
        .env("CONFAB_DATABASE__URL", purge_url)
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting confab retention run")?;
    let pid = child.id();
    // The purge's backends, looked up while it runs.
    let finder = tokio::spawn({
        let (conn, purge_backends) = (conn.clone(), purge_backends.clone());
        async move {
            loop {
                if let Ok(rows) = conn
                    .query_all_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT pid FROM pg_stat_activity WHERE application_name = 'confab-purge'",
                    ))
                    .await
                {
                    let mut known = purge_backends.lock().unwrap();
                    for r in rows {
                        if let Ok(p) = r.try_get_by_index::<i32>(0)
                            && !known.contains(&(p as u32))
                        {
                            known.push(p as u32);
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    // The purge process's peak RSS, sampled while it runs.
    let output = tokio::task::spawn_blocking(move || {
        let mut peak = 0;
        loop {
            peak = peak.max(rss_kib(pid));
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (child.wait_with_output(), peak)
    });
    let (output, purge_rss) = output.await?;
    let output = output?;
    let purge_time = purge_started.elapsed();
    let purge_to = load.now();
    finder.abort();
    let load_after = load_average();
    tokio::time::sleep(Duration::from_secs(args.after_secs)).await;
    let after_to = load.now();
    let (turns, errors) = load.stop().await;
    cpu.stop();
    waits.abort();
    let waits: Vec<(Duration, String)> = std::mem::take(&mut *WAITS.lock().unwrap());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        println!("  {line}");
    }
    ensure!(output.status.success(), "confab retention run failed: {}", String::from_utf8_lossy(&output.stderr));
    let after = counts(conn).await?;
    let batches = scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'retention.purged'").await?;

    let conversations = before.conversations - after.conversations;
    let messages = before.messages - after.messages;
    let docs = before.search_docs - after.search_docs;
    // Recent conversations (and the load's own) must stay.
    let kept = scalar(conn, "SELECT count(*) FROM conversations WHERE updated_at > now() - interval '1 day'").await?;
    let rows = conversations + messages + docs;
    let secs = purge_time.as_secs_f64();
    println!("\nPurge ({secs:.1} s, {batches} batches, load average {load_before} before, {load_after} after)");
    println!("{:<34} {:>12} {:>12}", "", "rows", "per second");
    for (label, n) in [
        ("conversations", conversations),
        ("messages", messages),
        ("search documents", docs),
        ("total rows (without the outbox)", rows),
    ] {
        println!("{label:<34} {n:>12} {:>12.0}", n as f64 / secs);
    }
    println!(
        "recent conversations kept: {kept}; peak RSS of `confab retention run`: {:.1} MiB",
        purge_rss as f64 / 1024.0
    );

    let in_window = |from: Duration, to: Duration| -> Vec<Turn> {
        turns.iter().filter(|t| t.started >= from && t.ended <= to).copied().collect()
    };
    let baseline = in_window(baseline_from, purge_from);
    let during = in_window(purge_from, purge_to);
    let after = in_window(purge_to, after_to);
    let count_errors = |from: Duration, to: Duration| errors.iter().filter(|(t, _)| *t >= from && *t < to).count();
    println!("\nChat load ({} clients, {} tokens × {} ms)", args.concurrency, args.tokens, args.delay_ms);
    println!(
        "{:<16} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "phase", "turns", "turns/s", "TTFT p50", "TTFT p99", "total p50", "total p99", "errors"
    );
    let mut p99 = Vec::new();
    let phases = [
        ("baseline", &baseline, baseline_from, purge_from),
        ("during purge", &during, purge_from, purge_to),
        ("after purge", &after, purge_to, after_to),
    ];
    for (label, set, from, to) in phases {
        let mut ttft: Vec<Duration> = set.iter().map(|t| t.ttft).collect();
        let mut total: Vec<Duration> = set.iter().map(|t| t.total).collect();
        ttft.sort_unstable();
        total.sort_unstable();
        p99.push(percentile(&ttft, 99.0));
        println!(
            "{label:<16} {:>7} {:>8.1} {:>10} {:>10} {:>10} {:>10} {:>7}",
            set.len(),
            set.len() as f64 / (to - from).as_secs_f64(),
            ms(percentile(&ttft, 50.0)),
            ms(percentile(&ttft, 99.0)),
            ms(percentile(&total, 50.0)),
            ms(percentile(&total, 99.0)),
            count_errors(from, to)
        );
    }
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, e) in &errors {
        *kinds.entry(e.as_str()).or_default() += 1;
    }
    for (e, n) in kinds {
        println!("  error: {n} × {e}");
    }
    // Where the CPU went in each phase, in cores (CPU seconds per second of the phase).
    let cpu_by_phase: Vec<_> =
        phases.iter().map(|(_, _, from, to)| (cpu.between(*from, *to), (*to - *from).as_secs_f64())).collect();
    let mut roles: Vec<&str> = cpu_by_phase.iter().flat_map(|(m, _)| m.keys().copied()).collect();
    roles.sort_unstable();
    roles.dedup();
    println!(
        "\nCPU by process, in cores (CPU seconds per second; the machine has {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("{:<34} {:>10} {:>13} {:>12}", "", "baseline", "during purge", "after purge");
    for role in roles.iter().chain(std::iter::once(&"total")) {
        let cells: Vec<String> = cpu_by_phase
            .iter()
            .map(|(m, secs)| {
                let used = if *role == "total" { m.values().sum() } else { m.get(role).copied().unwrap_or(0.0) };
                format!("{:.2}", used / secs)
            })
            .collect();
        println!("{role:<34} {:>10} {:>13} {:>12}", cells[0], cells[1], cells[2]);
    }
    // What the server's backends were waiting on, in backends on average (samples every 20 ms).
    let mut events: Vec<&str> = waits.iter().map(|(_, e)| e.as_str()).filter(|e| !e.is_empty()).collect();
    events.sort_unstable();
    events.dedup();
    let ticks = |from: Duration, to: Duration| {
        waits.iter().filter(|(t, e)| *t >= from && *t < to && e.is_empty()).count().max(1)
    };
    println!("\nThe server's backends by wait event (average number of backends; `active` = running, no wait)");
    println!("{:<34} {:>10} {:>13} {:>12}", "", "baseline", "during purge", "after purge");
    for event in events {
        let cells: Vec<String> = phases
            .iter()
            .map(|(_, _, from, to)| {
                let n = waits.iter().filter(|(t, e)| *t >= *from && *t < *to && e == event).count();
                format!("{:.2}", n as f64 / ticks(*from, *to) as f64)
            })
            .collect();
        println!("{event:<34} {:>10} {:>13} {:>12}", cells[0], cells[1], cells[2]);
    }
    let met = match (p99[0], p99[1]) {
        (Some(b), Some(d)) => {
            let added = (d.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0;
            let met = added < 10.0;
            println!(
                "added TTFT p99 during the purge: {added:+.1}% ({} → {}; target under +10%: {})",
                ms(Some(b)),
                ms(Some(d)),
                if met { "met" } else { "not met" }
            );
            met
        }
        _ => {
            println!("added TTFT p99 during the purge: n/a (a phase has no turns: the purge took {secs:.1} s)");
            false
        }
    };
    Ok(met && errors.is_empty() && during.len() >= 100)
}

fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1}ms", d.as_secs_f64() * 1000.0))
}

// ---------------------------------------------------------------------------------------------
// Audit export
// ---------------------------------------------------------------------------------------------

async fn exports(args: &Args, server: &Server, conn: &DatabaseConnection, client: &Client, token: &str) -> Result<()> {
    let tenant_entries =
        scalar(conn, "SELECT count(*) FROM audit_log a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'bench'")
            .await?;
    // The oldest tenth of the seeded entries: `until` the first entry after them.
    let tenth = (args.audit / 10).max(1);
    let until: DateTime<Utc> = {
        let row = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT a.created_at FROM audit_log a JOIN tenants t ON t.id = a.tenant_id
                     WHERE t.slug = 'bench' AND a.chain_seq IS NOT NULL ORDER BY a.chain_seq OFFSET {tenth} LIMIT 1"
                ),
            ))
            .await?
            .context("too few audit entries")?;
        row.try_get_by_index(0)?
    };
    let until = until.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    println!(
        "\n== audit export: {tenant_entries} entries in the tenant; each export read to its end (load average {})",
        load_average()
    );
    // Idle first, after a pause: what the purge phase left behind has settled.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "{:<30} {:>9} {:>9} {:>8} {:>11} {:>10} {:>10} {:>9}",
        "export", "entries", "MB", "seconds", "entries/s", "RSS before", "RSS peak", "+RSS"
    );
    let cases: [(&str, Vec<(&str, String)>); 6] = [
        ("JSONL, oldest tenth", vec![("until", until.clone())]),
        ("JSONL, all", vec![]),
        ("CSV, oldest tenth", vec![("format", "csv".into()), ("until", until.clone())]),
        ("CSV, all", vec![("format", "csv".into())]),
        ("chain=true, oldest tenth", vec![("chain", "true".into()), ("until", until.clone())]),
        ("chain=true, all", vec![("chain", "true".into())]),
    ];
    for (label, query) in cases {
        let before = server.rss_kib();
        let peak = Arc::new(AtomicU64::new(before));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = tokio::spawn({
            let (peak, stop, pid) = (peak.clone(), stop.clone(), server.child.id());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
        let started = Instant::now();
        let resp = client.get(server.url("/v1/audit/export")).bearer_auth(token).query(&query).send().await?;
        ensure!(resp.status().is_success(), "{label}: {} {}", resp.status(), resp.text().await?);
        let mut stream = resp.bytes_stream();
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        let secs = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.await;
        let peak = peak.load(Ordering::Relaxed).max(server.rss_kib());
        // Less the CSV header line, or the chain export's header and end lines.
        let entries = match label {
            l if l.starts_with("CSV") => lines.saturating_sub(1),
            l if l.starts_with("chain") => lines.saturating_sub(2),
            _ => lines,
        };
        println!(
            "{label:<30} {entries:>9} {:>9.1} {secs:>8.2} {:>11.0} {:>9.1}M {:>9.1}M {:>8.1}M",
            bytes as f64 / 1e6,
            entries as f64 / secs,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            (peak.saturating_sub(before)) as f64 / 1024.0
        );
    }
    Ok(())
}
