//! `confab-admin-bench`: the admin console's page budget on the embedded tier (SQLite).
//!
//! The budget: with 100,000 users and a 1,000,000-entry audit log, every page of the console's
//! user and audit lists answers in ≤ 300 ms. In one run:
//! 1. **seed** (once per size; the file is cached in `--cache-dir`) — a fresh SQLite database
//!    made by `confab migrate` and `confab admin bootstrap`, then `--users` members of the one
//!    tenant (mixed roles and statuses, realistic names and e-mail addresses) and `--audit` audit
//!    entries spread over 90 days with a working-hours rhythm and a realistic mix of actions,
//!    targets and actors. The entries are hash-chained with confab_core's own `entry_hash`, in
//!    their scope's chain (the tenant's, or the platform's); the last ones are appended through
//!    `audit::record` itself, which continues the seeded chains from their stored heads; `audit::verify` must find the whole chain intact before the file is cached.
//!    Why not append all of them through `audit::record`: it stamps each entry with the current
//!    time (90 days of history cannot be made that way) and costs four statements per entry; the
//!    seed prints that path's rate for comparison.
//! 2. **serve** — a copy of the cached database, `confab migrate` on it (timed: what a new
//!    version's migrations cost on a full database), `confab serve` with JSON logs, and a sign-in
//!    as the tenant admin (a session cookie, as the console uses).
//! 3. **measure** — every query kind `--warmup` times, then `--repeat` times, one request at a
//!    time: p50/p95/p99/max in ms, measured at the client (server time plus loopback; the clock
//!    stops when the whole body has arrived) and as the server logs it (`request … ms`). Then a
//!    download of about 100,000 entries (time to first byte, entries per second), one cold
//!    verification of the whole chain, and the tenant's whole chain exported for offline
//!    verification (`chain=true`: entries per second, the server's peak RSS while it streams) and
//!    verified from the file by `confab audit verify --file` (time, peak RSS).
//!
//! A page query meets the budget when its client-side p95 is within `--budget-ms`.
//! Usage: `confab-admin-bench [--users 100000] [--audit 1000000]` (see `--help`);
//! `scripts/bench-admin.sh` builds in release mode and runs it. Exit status: 0 when every page
//! query met the budget, 3 when one did not (the table is printed either way), 1 on a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{Context as _, Result, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Duration as Span, DurationRound, Timelike, Utc};
use clap::Parser;
use confab_core::audit::{self, Actor, Entry, NewEntry, Verification, action, entry_hash};
use confab_core::context::{self, RequestContext};
use confab_core::domain::{TenantId, UserId};
use confab_core::store::Store;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::Client;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const ADMIN_EMAIL: &str = "admin@northwind.example";
const ADMIN_PASSWORD: &str = "bench-password-not-secret";
const TENANT_NAME: &str = "Northwind";
/// Part of the cache key: bump it whenever the seed changes what it writes.
const SEED_FORMAT: u32 = 2;
/// Days of audit history.
const HISTORY_DAYS: i64 = 90;
/// Entries appended through `audit::record` at the end of the seed (at most; 1% of small logs).
const REAL_APPENDS: u64 = 5_000;
/// Rows per INSERT statement (audit entries have 15 columns: far below SQLite's variable limit).
const ROWS_PER_INSERT: usize = 1_000;
/// Rows per seeding transaction.
const ROWS_PER_TXN: usize = 50_000;

#[derive(Parser)]
#[command(about = "Admin console benchmark: user and audit pages on a large embedded (SQLite) database")]
struct Args {
    /// Members of the benchmark's tenant (the admin included).
    #[arg(long, default_value_t = 100_000)]
    users: u64,
    /// Audit entries in the log.
    #[arg(long, default_value_t = 1_000_000)]
    audit: u64,
    /// Timed requests per query kind.
    #[arg(long, default_value_t = 30)]
    repeat: usize,
    /// Untimed requests per query kind before the timed ones.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed downloads of about 100,000 entries.
    #[arg(long, default_value_t = 3)]
    export_runs: usize,
    /// The page budget, in ms (client-side p95).
    #[arg(long, default_value_t = 300.0)]
    budget_ms: f64,
    /// Where seeded databases are kept, one file per size (default ~/.cache/confab-bench).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Seed again even when a cached database of this size exists.
    #[arg(long)]
    reseed: bool,
    /// The `confab` binary (default: next to this one).
    #[arg(long, env = "CONFAB_BIN")]
    confab_bin: Option<PathBuf>,
}

// ---- the confab process ------------------------------------------------------------------------

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

/// A private directory, removed when the run ends (it holds a copy of the database).
struct RunDir(PathBuf);

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn confab(args: &Args) -> PathBuf {
    args.confab_bin.clone().unwrap_or_else(|| std::env::current_exe().unwrap().parent().unwrap().join("confab"))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn command(args: &Args, env: &[(&str, String)], dir: &Path) -> Command {
    let mut cmd = Command::new(confab(args));
    cmd.env_clear().current_dir(dir);
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

fn run(args: &Args, env: &[(&str, String)], dir: &Path, argv: &[&str], stdin: Option<&str>) -> Result<String> {
    let mut child = command(args, env, dir)
        .args(argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", confab(args).display()))?;
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("confab {argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The server's own duration of each request (its `request` log line's `ms`), by request id.
type ServerTimes = Arc<Mutex<HashMap<String, u64>>>;

/// `confab serve` with JSON logs on stderr: kept in `server.log`, `request` lines' `ms` collected.
fn serve(args: &Args, env: &[(&str, String)], dir: &Path) -> Result<(Server, ServerTimes)> {
    let mut child = command(args, env, dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let times: ServerTimes = Arc::default();
    let stderr = child.stderr.take().unwrap();
    let mut log = std::fs::File::create(dir.join("server.log"))?;
    let sink = times.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
            let Ok(v) = serde_json::from_str::<Value>(&line) else { continue };
            let (Some(ms), Some(id)) = (v["ms"].as_u64(), v["span"]["request_id"].as_str()) else { continue };
            sink.lock().unwrap().insert(id.to_string(), ms);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("confab: listening on ") {
                    break rest.split_whitespace().next().unwrap_or_default().to_string();
                }
            }
            _ => bail!("confab serve did not start; see {}", dir.join("server.log").display()),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((Server { base, child }, times))
}

// ---- main --------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.users >= 10 && args.audit >= 1_000, "at least 10 users and 1,000 audit entries");
    ensure!(args.repeat >= 1, "--repeat must be at least 1");
    let cache_dir = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => PathBuf::from(std::env::var("HOME").context("HOME")?).join(".cache/confab-bench"),
    };
    std::fs::create_dir_all(&cache_dir)?;
    let cached = cache_dir.join(format!("admin-u{}-a{}-v{SEED_FORMAT}.db", args.users, args.audit));
    if args.reseed || !cached.exists() {
        seed(&args, &cached).await?;
    } else {
        println!("== seed: cached {} ({})", cached.display(), megabytes(&cached));
    }

    let n: u32 = rand::thread_rng().r#gen();
    let run_dir = RunDir(std::env::temp_dir().join(format!("confab-admin-bench-{n:08x}")));
    std::fs::create_dir_all(&run_dir.0)?;
    let db = run_dir.0.join("confab.db");
    std::fs::copy(&cached, &db).context("copying the cached database")?;
    let env = [
        ("CONFAB_DATABASE__URL", sqlite_url(&db)),
        ("CONFAB_LOG__FORMAT", "json".to_string()),
        ("CONFAB_LOG__LEVEL", "info".to_string()),
    ];
    let started = Instant::now();
    let migrated = run(&args, &env, &run_dir.0, &["migrate"], None)?;
    println!(
        "== migrate on the full database: {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        migrated.trim().trim_start_matches("confab: ")
    );

    let plan = plan(&db).await?;
    let started = Instant::now();
    let (server, server_times) = serve(&args, &env, &run_dir.0)?;
    println!("== serve: listening after {:.1} s at {}", started.elapsed().as_secs_f64(), server.base);
    let client = Client::builder().cookie_store(true).pool_max_idle_per_host(2).build()?;
    let resp = client
        .post(format!("{}/v1/auth/login", server.base))
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await?;
    ensure!(resp.status().is_success(), "sign-in failed: {} {}", resp.status(), resp.text().await?);

    println!(
        "\n== pages: {} users, {} audit entries in the tenant; {} warm-up + {} timed requests per query, one at a time",
        plan.members, plan.tenant_entries, args.warmup, args.repeat
    );
    let load_before = load_average();
    let mut rows = Vec::new();
    for (i, case) in plan.cases.iter().enumerate() {
        let mut client_ms = Vec::with_capacity(args.repeat);
        let mut ids = Vec::with_capacity(args.repeat);
        let mut items = 0;
        for k in 0..args.warmup + args.repeat {
            let id = format!("bench-{i}-{k}");
            let (ms, body) = timed_get(&client, &server.base, case, &id).await?;
            items = body["items"].as_array().map_or(0, Vec::len);
            if k >= args.warmup {
                client_ms.push(ms);
                ids.push(id);
            }
        }
        println!("  {:<48} {:>6.1} ms p50, {items} items", case.name, percentile(&mut client_ms.clone(), 50.0));
        rows.push(Row { name: case.name.clone(), items, client_ms, ids, note: case.note.clone() });
    }

    println!(
        "\n== download: the {} entries since {} as JSON Lines, {} times",
        plan.export_expected, plan.export_since, args.export_runs
    );
    let mut exports = Vec::new();
    for k in 0..args.export_runs {
        let e = timed_export(&client, &server.base, &plan.export_since, &format!("bench-export-{k}")).await?;
        println!(
            "  {} entries, {:.1} MB: first byte {:.0} ms, all {:.0} ms ({:.0} entries/s)",
            e.entries,
            e.bytes as f64 / 1e6,
            e.first_byte_ms,
            e.total_ms,
            e.entries as f64 / (e.total_ms / 1000.0)
        );
        exports.push(e);
    }

    println!("\n== verify: the whole chain, one cold call (results are reused for 60 s)");
    let (cold_ms, cold) = timed_verify(&client, &server.base, "bench-verify-cold").await?;
    ensure!(cold["ok"] == json!(true), "the chain does not verify: {cold}");
    let (warm_ms, _) = timed_verify(&client, &server.base, "bench-verify-warm").await?;
    println!("  ok, {} entries checked: cold {cold_ms:.0} ms, then reused {warm_ms:.1} ms", cold["checked"]);

    chain_export(&args, &client, &server, &run_dir.0).await?;

    // The server writes a request's log line before its body: give the reader a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server_ms = server_times.lock().unwrap().clone();
    drop(server);
    // Other processes share the machine's CPUs: their load is part of what was measured.
    let load = format!("{load_before} before, {} after", load_average());
    let missed = report(&args, &plan, &rows, &server_ms, &exports, (cold_ms, warm_ms, &cold), &load);
    if missed {
        std::process::exit(3);
    }
    Ok(())
}

// ---- measuring ---------------------------------------------------------------------------------

struct Case {
    name: String,
    path: &'static str,
    params: Vec<(&'static str, String)>,
    /// What the query is, for the table's notes.
    note: String,
}

struct Row {
    name: String,
    items: usize,
    client_ms: Vec<f64>,
    ids: Vec<String>,
    note: String,
}

async fn timed_get(client: &Client, base: &str, case: &Case, id: &str) -> Result<(f64, Value)> {
    let started = Instant::now();
    let resp = client.get(format!("{base}{}", case.path)).query(&case.params).header("X-Request-Id", id).send().await?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        bail!("{} ({}): {status} {}", case.name, case.path, String::from_utf8_lossy(&bytes));
    }
    Ok((ms, serde_json::from_slice(&bytes)?))
}

struct Export {
    id: String,
    entries: u64,
    bytes: u64,
    first_byte_ms: f64,
    total_ms: f64,
}

async fn timed_export(client: &Client, base: &str, since: &str, id: &str) -> Result<Export> {
    let started = Instant::now();
    let mut resp = client
        .get(format!("{base}/v1/audit/export"))
        .query(&[("format", "jsonl"), ("since", since)])
        .header("X-Request-Id", id)
        .send()
        .await?;
    ensure!(resp.status().is_success(), "export: {} {}", resp.status(), resp.text().await?);
    let (mut entries, mut bytes, mut first_byte_ms) = (0u64, 0u64, None);
    let mut tail = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        first_byte_ms.get_or_insert(started.elapsed().as_secs_f64() * 1000.0);
        entries += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
        tail = chunk.to_vec();
    }
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(!String::from_utf8_lossy(&tail).contains("\"error\""), "the export stopped early");
    Ok(Export { id: id.to_string(), entries, bytes, first_byte_ms: first_byte_ms.unwrap_or(total_ms), total_ms })
}

/// A process's memory figure from /proc (`VmRSS`, `VmHWM`), in kB.
fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The tenant's whole chain exported for offline verification (`chain=true`), streamed to a file
/// while the server's RSS is sampled every 20 ms; then `confab audit verify --file` on it, under
/// `/usr/bin/time -v` for its peak RSS. Constant memory means neither peak grows with the log.
async fn chain_export(args: &Args, client: &Client, server: &Server, dir: &Path) -> Result<()> {
    println!("\n== chain export: the tenant's whole hash chain (chain=true), streamed to a file");
    let pid = server.child.id();
    let rss_before = proc_kb(pid, "VmRSS").unwrap_or(0);
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_before));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(kb) = proc_kb(pid, "VmRSS") {
                    peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let path = dir.join("chain.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let started = Instant::now();
    let mut resp = client
        .get(format!("{}/v1/audit/export", server.base))
        .query(&[("chain", "true")])
        .header("X-Request-Id", "bench-chain-export")
        .send()
        .await?;
    ensure!(resp.status().is_success(), "chain export: {} {}", resp.status(), resp.text().await?);
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = resp.chunk().await? {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
        file.write_all(&chunk)?;
    }
    file.flush()?;
    let secs = started.elapsed().as_secs_f64();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    let entries = lines.saturating_sub(2);
    println!(
        "  {entries} entries, {:.0} MB in {secs:.1} s: {:.0} entries/s; server RSS {:.0} MB before, peak {:.0} MB during",
        bytes as f64 / 1e6,
        entries as f64 / secs,
        rss_before as f64 / 1024.0,
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    );
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(confab(args))
        .args(["audit", "verify", "--file"])
        .arg(&path)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .context("running /usr/bin/time -v confab audit verify --file")?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "the export does not verify: {stdout}");
    let peak_kb: u64 = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    println!(
        "  offline verification: {secs:.1} s ({:.0} entries/s), peak RSS {:.1} MB — {}",
        entries as f64 / secs,
        peak_kb as f64 / 1024.0,
        stdout.lines().next().unwrap_or_default()
    );
    std::fs::remove_file(&path).ok();
    Ok(())
}

async fn timed_verify(client: &Client, base: &str, id: &str) -> Result<(f64, Value)> {
    let started = Instant::now();
    // The installation-wide check: the admin is a platform admin, and it reports the count.
    let resp = client.get(format!("{base}/v1/platform/audit/verify")).header("X-Request-Id", id).send().await?;
    let status = resp.status();
    let body: Value = resp.json().await?;
    ensure!(status.is_success(), "verify: {status} {body}");
    Ok((started.elapsed().as_secs_f64() * 1000.0, body))
}

/// The 1-minute load average (Linux), or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Nearest-rank percentile (with 30 samples, p99 is the maximum).
fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Prints the table; true when a page query missed the budget.
fn report(
    args: &Args,
    plan: &Plan,
    rows: &[Row],
    server_ms: &HashMap<String, u64>,
    exports: &[Export],
    verify: (f64, f64, &Value),
    load: &str,
) -> bool {
    println!(
        "\nResults: {} users, {} audit entries (SQLite, release build, {} CPUs, load average {load}); page budget {:.0} ms at p95",
        plan.members,
        plan.total_entries,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.budget_ms
    );
    println!("client = at the client over loopback, whole body; server = the server's `request` log line (whole ms)");
    println!(
        "{:<48} {:>5} {:>8} {:>8} {:>8} {:>8} | {:>6} {:>6} {:>6} | budget",
        "query", "items", "p50", "p95", "p99", "max", "srv50", "srv95", "srvmax"
    );
    let mut missed = Vec::new();
    for row in rows {
        let mut c = row.client_ms.clone();
        let mut s: Vec<f64> = row.ids.iter().filter_map(|id| server_ms.get(id)).map(|&ms| ms as f64).collect();
        let p95 = percentile(&mut c, 95.0);
        let verdict = if p95 <= args.budget_ms {
            "ok"
        } else {
            missed.push(row.name.clone());
            "MISSED"
        };
        println!(
            "{:<48} {:>5} {:>8.1} {:>8.1} {:>8.1} {:>8.1} | {:>6.0} {:>6.0} {:>6.0} | {verdict}",
            row.name,
            row.items,
            percentile(&mut c, 50.0),
            p95,
            percentile(&mut c, 99.0),
            percentile(&mut c, 100.0),
            percentile(&mut s, 50.0),
            percentile(&mut s, 95.0),
            percentile(&mut s, 100.0),
        );
    }
    for e in exports {
        println!(
            "{:<48} {:>5} first byte {:.0} ms (server {} ms), all {:.0} ms: {:.0} entries/s, {:.1} MB",
            "download (JSON Lines)",
            e.entries,
            e.first_byte_ms,
            server_ms.get(&e.id).map_or("?".to_string(), |ms| ms.to_string()),
            e.total_ms,
            e.entries as f64 / (e.total_ms / 1000.0),
            e.bytes as f64 / 1e6
        );
    }
    let (cold, warm, body) = verify;
    println!(
        "{:<48} {:>5} cold {cold:.0} ms (server {} ms), reused {warm:.1} ms; ok = {}",
        "verify the whole chain",
        body["checked"],
        server_ms.get("bench-verify-cold").map_or("?".to_string(), |ms| ms.to_string()),
        body["ok"]
    );
    println!("\nQueries:");
    for row in rows {
        println!("  {:<46} {}", row.name, row.note);
    }
    println!();
    if missed.is_empty() {
        println!("budget: every page query met {:.0} ms (client p95, {} requests each)", args.budget_ms, args.repeat);
        false
    } else {
        println!(
            "budget: {} of {} page queries MISSED {:.0} ms (client p95): {}",
            missed.len(),
            rows.len(),
            args.budget_ms,
            missed.join("; ")
        );
        true
    }
}

// ---- what to ask ---------------------------------------------------------------------------------

struct Plan {
    members: u64,
    tenant_entries: u64,
    total_entries: u64,
    cases: Vec<Case>,
    export_since: String,
    export_expected: u64,
}

fn cursor(value: impl ToString) -> String {
    // The server's own encoding (`paging::encode_cursor`): opaque to clients, built here to start
    // deep in a list without paging there.
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn one(conn: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Result<sea_orm::QueryResult> {
    conn.query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
        .await?
        .with_context(|| format!("no row: {sql}"))
}

/// When the tenant's entry `back` places before the newest was written.
async fn entry_time(conn: &DatabaseConnection, tenant: Uuid, back: i64) -> Result<DateTime<Utc>> {
    let sql = "SELECT created_at FROM audit_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?";
    Ok(one(conn, sql, vec![tenant.into(), back.into()]).await?.try_get_by_index(0)?)
}

/// Picks the queries' parameters from the data itself (before the server starts).
async fn plan(db: &Path) -> Result<Plan> {
    let conn = sea_orm::Database::connect(sqlite_url(db)).await?;
    let tenant: Uuid =
        one(&conn, "SELECT id FROM tenants WHERE slug = 'northwind'", vec![]).await?.try_get_by_index(0)?;
    let t = || vec![sea_orm::Value::from(tenant)];
    let members: i64 =
        one(&conn, "SELECT count(*) FROM memberships WHERE tenant_id = ?", t()).await?.try_get_by_index(0)?;
    let mid_user: Uuid = one(
        &conn,
        "SELECT user_id FROM memberships WHERE tenant_id = ? ORDER BY user_id LIMIT 1 OFFSET ?",
        vec![tenant.into(), (members / 2).into()],
    )
    .await?
    .try_get_by_index(0)?;
    let rare_email: String = one(
        &conn,
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = ? AND u.email LIKE '%.%@%' ORDER BY m.user_id LIMIT 1 OFFSET ?",
        vec![tenant.into(), (members * 3 / 4).into()],
    )
    .await?
    .try_get_by_index(0)?;
    // The local part and the `@`: what an admin types to find one person.
    let rare_q = format!("{}@", rare_email.split('@').next().unwrap_or_default());

    let tenant_entries: i64 =
        one(&conn, "SELECT count(*) FROM audit_log WHERE tenant_id = ?", t()).await?.try_get_by_index(0)?;
    let total_entries: i64 = one(&conn, "SELECT count(*) FROM audit_log", vec![]).await?.try_get_by_index(0)?;
    let deep_back = 500_000.min(tenant_entries / 2);
    let deep_seq: i64 = one(
        &conn,
        "SELECT seq FROM audit_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
        vec![tenant.into(), deep_back.into()],
    )
    .await?
    .try_get_by_index(0)?;
    let actors = "SELECT actor_user_id, count(*) AS n FROM audit_log WHERE tenant_id = ? AND actor_user_id IS NOT NULL
                  GROUP BY actor_user_id";
    let busy: Uuid =
        one(&conn, &format!("{actors} ORDER BY n DESC LIMIT 1 OFFSET 100"), t()).await?.try_get_by_index(0)?;
    let occasional: Uuid =
        one(&conn, &format!("{actors} HAVING n BETWEEN 2 AND 4 LIMIT 1"), t()).await?.try_get_by_index(0)?;
    let target: String = one(
        &conn,
        "SELECT target_id FROM audit_log WHERE tenant_id = ? AND target_type = 'user'
         GROUP BY target_id HAVING count(*) BETWEEN 2 AND 10 LIMIT 1",
        t(),
    )
    .await?
    .try_get_by_index(0)?;
    // Half-way back in the log (about 45 days ago); an hour of a working day there.
    let mid = entry_time(&conn, tenant, tenant_entries / 2).await?.duration_trunc(Span::hours(1))?;
    let mut hour = mid;
    while hour.weekday().number_from_monday() > 5 || !(9..17).contains(&hour.hour()) {
        hour -= Span::hours(1);
    }
    // (Not the very oldest: the first entries, written by `confab admin bootstrap`, are dated
    // the day the file was seeded.)
    let export_since = entry_time(&conn, tenant, 100_000.min(tenant_entries * 9 / 10)).await?;
    let export_expected: i64 = one(
        &conn,
        "SELECT count(*) FROM audit_log WHERE tenant_id = ? AND created_at >= ?",
        vec![tenant.into(), export_since.into()],
    )
    .await?
    .try_get_by_index(0)?;
    conn.close().await.ok();

    let p = |k: &'static str, v: &str| (k, v.to_string());
    let users = |name: &str, params: Vec<(&'static str, String)>, note: String| Case {
        name: format!("users: {name}"),
        path: "/v1/users",
        params,
        note,
    };
    let audit = |name: &str, params: Vec<(&'static str, String)>, note: String| Case {
        name: format!("audit: {name}"),
        path: "/v1/audit",
        params,
        note,
    };
    let cases = vec![
        users("first page, limit 50", vec![], "no filter".into()),
        users("first page, limit 200", vec![p("limit", "200")], "no filter, the largest page".into()),
        users("deep page (middle of the list)", vec![p("cursor", &cursor(mid_user))], format!("after user {mid_user}")),
        users("search, rare (one match)", vec![p("q", &rare_q)], format!("q={rare_q}")),
        users("search, common", vec![p("q", "an")], "q=an".into()),
        users("role = auditor", vec![p("role", "auditor")], "about 0.2% of members".into()),
        users("role = tenant_admin", vec![p("role", "tenant_admin")], "about 0.05% of members".into()),
        users("status = disabled", vec![p("status", "disabled")], "about 6% of members".into()),
        audit("first page, limit 50", vec![], "no filter".into()),
        audit("first page, limit 200", vec![p("limit", "200")], "no filter, the largest page".into()),
        audit(
            &format!("deep page ({deep_back} entries back)"),
            vec![p("cursor", &cursor(deep_seq))],
            format!("before seq {deep_seq}"),
        ),
        audit(
            "actor, a busy user",
            vec![p("actor", &busy.to_string())],
            format!("actor={busy} (rank 100 by activity)"),
        ),
        audit(
            "actor, an occasional user",
            vec![p("actor", &occasional.to_string())],
            format!("actor={occasional} (2-4 entries in 90 days)"),
        ),
        audit("action = auth.login (common)", vec![p("action", "auth.login")], "about 40% of entries".into()),
        audit("action = user.role_changed (rare)", vec![p("action", "user.role_changed")], "about 0.07%".into()),
        audit("action = user.* (family)", vec![p("action", "user.*")], "about 1%".into()),
        audit(
            "action = catalogue.* (rare family)",
            vec![p("action", "catalogue.*")],
            "about 0.04%: who changed the model catalogue".into(),
        ),
        audit(
            "target = one user",
            vec![p("target_type", "user"), p("target_id", &target)],
            format!("target_type=user&target_id={target} (2-10 entries)"),
        ),
        audit(
            "time range, 1 hour ~45 days back",
            vec![p("since", &stamp(hour)), p("until", &stamp(hour + Span::hours(1)))],
            format!("since={} until=+1h", stamp(hour)),
        ),
        audit(
            "time range, 30 days",
            vec![p("since", &stamp(mid - Span::days(15))), p("until", &stamp(mid + Span::days(15)))],
            format!("since={} until=+30d", stamp(mid - Span::days(15))),
        ),
        audit(
            "matches nothing: unknown actor",
            vec![p("actor", &Uuid::nil().to_string())],
            "actor=nil UUID (never acted)".into(),
        ),
        audit(
            "matches nothing: unknown action family",
            vec![p("action", "billing.*")],
            "action=billing.* (no such object)".into(),
        ),
    ];
    Ok(Plan {
        members: members as u64,
        tenant_entries: tenant_entries as u64,
        total_entries: total_entries as u64,
        cases,
        export_since: stamp(export_since),
        export_expected: export_expected as u64,
    })
}

// ---- seeding -------------------------------------------------------------------------------------

fn megabytes(path: &Path) -> String {
    std::fs::metadata(path).map_or("?".into(), |m| format!("{:.0} MB", m.len() as f64 / 1e6))
}

/// A seeded member of the tenant.
struct Person {
    id: Uuid,
    email: String,
    role: &'static str,
    /// The address most of their requests come from.
    ip: String,
}

/// Seeds `path` (written as `<path>.partial` and renamed when complete and verified).
async fn seed(args: &Args, path: &Path) -> Result<()> {
    let partial = path.with_extension("db.partial");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let dir = path.parent().context("cache dir")?;
    let env = [("CONFAB_DATABASE__URL", sqlite_url(&partial)), ("CONFAB_LOG__LEVEL", "warn".to_string())];
    println!("== seed: {} users and {} audit entries into {}", args.users, args.audit, partial.display());
    let started = Instant::now();
    run(args, &env, dir, &["migrate"], None)?;
    run(
        args,
        &env,
        dir,
        &["admin", "bootstrap", "--email", ADMIN_EMAIL, "--tenant", TENANT_NAME],
        Some(ADMIN_PASSWORD),
    )?;
    let store = Store::connect(&sqlite_url(&partial), 1).await?;
    // Seeding only: a crash loses the file, which is rebuilt anyway.
    store.conn().execute_unprepared("PRAGMA synchronous = OFF").await?;
    store.conn().execute_unprepared("PRAGMA cache_size = -262144").await?;
    let conn = store.conn();
    let tenant: Uuid = one(conn, "SELECT id FROM tenants", vec![]).await?.try_get_by_index(0)?;
    let admin: Uuid =
        one(conn, "SELECT id FROM users WHERE email = ?", vec![ADMIN_EMAIL.into()]).await?.try_get_by_index(0)?;
    let mut rng = StdRng::seed_from_u64(0x00c0_ffab);
    let end = Utc::now().duration_trunc(Span::microseconds(1))?;

    let people = seed_users(&store, &mut rng, tenant, admin, args.users, end).await?;
    println!("  {} users in {:.1} s", people.len(), started.elapsed().as_secs_f64());

    let existing: i64 = one(conn, "SELECT count(*) FROM audit_log", vec![]).await?.try_get_by_index(0)?;
    let real = REAL_APPENDS.min(args.audit / 100);
    let batch = args.audit.saturating_sub(existing as u64 + real);
    let audit_started = Instant::now();
    seed_audit(&store, &mut rng, tenant, &people, batch, end).await?;
    let batch_secs = audit_started.elapsed().as_secs_f64();
    println!("  {batch} chained entries in {batch_secs:.1} s ({:.0}/s)", batch as f64 / batch_secs);

    // The rest through the server's own append, as requests would: it reads the head the batch
    // wrote, so a mistake in the batch's chain shows up below.
    let real_started = Instant::now();
    append_for_real(&store, &mut rng, tenant, &people, real).await?;
    let real_secs = real_started.elapsed().as_secs_f64();
    println!(
        "  {real} entries through audit::record in {real_secs:.1} s ({:.0}/s; all {} that way would take ~{:.0} s, all stamped now)",
        real as f64 / real_secs,
        args.audit,
        args.audit as f64 / (real as f64 / real_secs)
    );

    let verify_started = Instant::now();
    match audit::verify(&store).await? {
        // Two more than asked: the entries that open the tenant's and the platform's chain heads.
        Verification::Intact { entries } if entries >= args.audit as i64 => {
            println!("  audit::verify: {entries} entries intact ({:.1} s)", verify_started.elapsed().as_secs_f64())
        }
        other => bail!("the seeded chain does not verify: {other:?}"),
    }
    conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    store.conn().clone().close().await?;
    std::fs::rename(&partial, path)?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    println!("  seeded in {:.1} s: {} ({})", started.elapsed().as_secs_f64(), path.display(), megabytes(path));
    Ok(())
}

/// A UUIDv7 for `t` (what `Uuid::now_v7` gives at that moment), from the seeded generator.
fn v7(rng: &mut StdRng, t: DateTime<Utc>) -> Uuid {
    let bytes: [u8; 10] = rng.r#gen();
    uuid::Builder::from_unix_timestamp_millis(t.timestamp_millis() as u64, &bytes).into_uuid()
}

const FIRST: &str = "James, Mary, John, Patricia, Robert, Jennifer, Michael, Linda, David, Elizabeth, William, Barbara, \
Richard, Susan, Joseph, Jessica, Thomas, Sarah, Daniel, Karen, Matthew, Nancy, Anthony, Lisa, Mark, \
Sandra, Paul, Ashley, Steven, Emily, Andrew, Michelle, Kenneth, Amanda, Joshua, Melissa, Kevin, \
Stephanie, Brian, Rebecca, Wei, Mei, Hiroshi, Yuki, Jin, Min-jun, Seo-yeon, Arjun, Priya, Rahul, \
Ananya, Vikram, Deepa, Mohammed, Fatima, Omar, Aisha, Ahmed, Layla, Yusuf, Zainab, Chukwuemeka, Amara, \
Kwame, Ama, Tendai, Nia, Luca, Giulia, Matteo, Sofia, Lukas, Lena, Jonas, Anna, Felix, Marie, Mateo, \
Valentina, Santiago, Camila, Diego, Lucia, Pierre, Camille, Louis, Chloe, Olav, Ingrid, Sven, Astrid, \
Piotr, Agnieszka, Dmitri, Olga, Ivan, Elena, Noah, Emma, Liam, Olivia, Ethan, Ava, Lucas, Mia";
const LAST: &str = "Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez, Hernandez, Lopez, \
Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin, Lee, Perez, Thompson, White, \
Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Torres, \
Nguyen, Hill, Flores, Green, Adams, Nelson, Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts, \
Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Tanaka, Suzuki, Takahashi, Watanabe, Kim, Park, Choi, \
Jung, Sharma, Patel, Singh, Kumar, Gupta, Iyer, Reddy, Khan, Ali, Hassan, Hussein, Rahman, Okafor, \
Adeyemi, Mensah, Osei, Mwangi, Otieno, Dlamini, Rossi, Russo, Ferrari, Esposito, Bianchi, Muller, \
Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Dubois, Durand, Lefebvre, Moreau, Laurent, \
Silva, Santos, Oliveira, Souza, Pereira, Costa, Hansen, Johansson, Nielsen, Larsen, Nowak, Kowalski, \
Wisniewski, Ivanov, Smirnov, Kuznetsov, Popov, O'Brien, Murphy, Kelly, Byrne, Van der Berg, De Vries, \
Jansen, Bakker";

/// E-mail-safe lower case: `Van der Berg` → `vanderberg`, `O'Brien` → `obrien`, `Min-jun` → `min-jun`.
fn mail_part(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>().to_lowercase()
}

async fn seed_users(
    store: &Store,
    rng: &mut StdRng,
    tenant: Uuid,
    admin: Uuid,
    count: u64,
    end: DateTime<Utc>,
) -> Result<Vec<Person>> {
    let ip =
        |rng: &mut StdRng| format!("10.{}.{}.{}", rng.gen_range(0..64), rng.gen_range(0..256), rng.gen_range(2..255));
    let mut people = vec![Person { id: admin, email: ADMIN_EMAIL.into(), role: "tenant_admin", ip: ip(rng) }];
    let mut taken: HashMap<String, u32> = HashMap::new();
    let first_names: Vec<&str> = FIRST.split(", ").collect();
    let last_names: Vec<&str> = LAST.split(", ").collect();
    // Joined over three years, in id order (ids are UUIDv7, like `UserId::new`).
    let first_join = end - Span::days(3 * 365);
    let step = Span::days(3 * 365 - 1).num_microseconds().unwrap() / count as i64;
    let mut user_rows = Vec::new();
    let mut member_rows = Vec::new();
    for i in 1..count {
        let first = first_names[rng.gen_range(0..first_names.len())];
        let last = last_names[rng.gen_range(0..last_names.len())];
        let base = if rng.gen_bool(0.85) {
            format!("{}.{}", mail_part(first), mail_part(last))
        } else {
            format!("{}{}", mail_part(first).chars().next().unwrap_or('x'), mail_part(last))
        };
        let n = taken.entry(base.clone()).or_insert(0);
        *n += 1;
        let local = if *n == 1 { base } else { format!("{base}{n}") };
        let domain = match rng.gen_range(0..100) {
            0..85 => "northwind.example",
            85..95 => "eu.northwind.example",
            _ => "contractors.northwind.example",
        };
        let email = format!("{local}@{domain}");
        let name = if rng.gen_bool(0.1) {
            format!("{first} {}. {last}", (b'A' + rng.gen_range(0..26)) as char)
        } else {
            format!("{first} {last}")
        };
        let joined = first_join + Span::microseconds(step * i as i64 + rng.gen_range(0..step.max(1)));
        let id = v7(rng, joined);
        let role = match rng.gen_range(0..10_000) {
            0..5 => "tenant_admin",
            5..25 => "auditor",
            _ => "member",
        };
        let status = if rng.gen_bool(0.06) { "disabled" } else { "active" };
        // A PHC string of the right shape and length; nobody signs in as a seeded user.
        let salt: [u8; 16] = rng.r#gen();
        let hash: [u8; 32] = rng.r#gen();
        let password = format!(
            "$argon2id$v=19$m=19456,t=2,p=1${}${}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(salt),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
        );
        let changed = joined + Span::days(rng.gen_range(0..365)).min(end - joined);
        user_rows.push(vec![
            Expr::value(id),
            Expr::value(email.clone()),
            Expr::value(name),
            Expr::value(Some(password)),
            Expr::value(false),
            Expr::value("active"),
            Expr::value(changed),
            Expr::value(joined),
            Expr::value(changed),
        ]);
        member_rows.push(vec![
            Expr::value(v7(rng, joined)),
            Expr::value(tenant),
            Expr::value(id),
            Expr::value(role),
            Expr::value(status),
            Expr::value(joined),
            Expr::value(joined),
        ]);
        people.push(Person { id, email, role, ip: ip(rng) });
    }
    let txn = store.begin().await?;
    let user_cols = [
        "id",
        "email",
        "display_name",
        "password_hash",
        "is_platform_admin",
        "status",
        "password_changed_at",
        "created_at",
        "updated_at",
    ];
    insert_rows(&*txn, "users", &user_cols, user_rows).await?;
    let member_cols = ["id", "tenant_id", "user_id", "role", "status", "created_at", "updated_at"];
    insert_rows(&*txn, "memberships", &member_cols, member_rows).await?;
    txn.commit().await?;
    Ok(people)
}

async fn insert_rows(conn: &impl ConnectionTrait, table: &str, columns: &[&str], rows: Vec<Vec<Expr>>) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c)));
        for row in rows.by_ref().take(ROWS_PER_INSERT) {
            insert.values(row)?;
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// Entries per hour of the 90 days: working hours on weekdays, a little at night and weekends.
fn hour_weight(t: DateTime<Utc>) -> f64 {
    let base = match t.hour() {
        8..=17 => 1.0,
        7 | 18..=20 => 0.35,
        _ => 0.06,
    };
    if t.weekday().number_from_monday() > 5 { base * 0.12 } else { base }
}

/// `count` increasing timestamps over the history, denser where `hour_weight` is higher.
struct Timeline {
    start: DateTime<Utc>,
    /// Cumulative weight at the end of each hour.
    cumulative: Vec<f64>,
    count: u64,
    hour: usize,
}

impl Timeline {
    fn new(end: DateTime<Utc>, count: u64) -> Self {
        let start = (end - Span::days(HISTORY_DAYS)).duration_trunc(Span::hours(1)).unwrap();
        let hours = (end - start).num_hours() as usize;
        let mut total = 0.0;
        let cumulative = (0..hours)
            .map(|h| {
                total += hour_weight(start + Span::hours(h as i64));
                total
            })
            .collect();
        Self { start, cumulative, count, hour: 0 }
    }

    /// The time of entry `i` (called with increasing `i`).
    fn at(&mut self, i: u64) -> DateTime<Utc> {
        let total = *self.cumulative.last().unwrap();
        let target = (i as f64 + 0.5) / self.count as f64 * total;
        while self.hour + 1 < self.cumulative.len() && self.cumulative[self.hour] < target {
            self.hour += 1;
        }
        let before = if self.hour == 0 { 0.0 } else { self.cumulative[self.hour - 1] };
        let within = ((target - before) / (self.cumulative[self.hour] - before)).clamp(0.0, 1.0);
        let micros = (within * 3_600_000_000.0) as i64;
        self.start + Span::hours(self.hour as i64) + Span::microseconds(micros)
    }
}

/// What the seed writes, by weight (out of about 10,000): the actions a 100,000-user tenant's log
/// holds over a quarter, the OpenAI-compatible API and sign-ins first.
const MIX: &[(&str, u32)] = &[
    (action::LOGIN, 3700),
    (action::COMPLETION, 4300),
    (action::LOGOUT, 800),
    (action::LOGIN_FAILED, 250),
    ("platform:auth.login_failed", 120),
    (action::SHARE_CREATED, 300),
    (action::SHARE_REVOKED, 60),
    (action::SHARING_SETTINGS_CHANGED, 2),
    (action::TOKEN_CREATED, 150),
    (action::TOKEN_REVOKED, 70),
    (action::PASSWORD_CHANGED, 100),
    (action::USER_CREATED, 50),
    (action::USER_DISABLED, 20),
    (action::USER_ENABLED, 6),
    (action::ROLE_CHANGED, 6),
    (action::SESSIONS_REVOKED, 6),
    (action::MEMBERSHIP_ADDED, 3),
    (action::PRESET_CREATED, 10),
    (action::PRESET_UPDATED, 15),
    (action::PRESET_DELETED, 3),
    (action::PRESET_MODELS_SET, 4),
    (action::QUOTA_SET, 5),
    (action::QUOTA_DELETED, 1),
    (action::MODEL_SET, 3),
    (action::MODEL_DELETED, 1),
    (action::PROVIDER_KEY_SET, 1),
    (action::PLUGIN_CONFIGURED, 2),
    (action::PLUGIN_CHAIN_ORDERED, 1),
    (action::AUDIT_EXPORTED, 2),
];

const MODELS: &[&str] = &["gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-3.1-70b", "mistral-large"];

/// One generated entry's content (the chain fields are added by the caller).
struct Draft {
    tenant: Option<Uuid>,
    actor: Option<usize>,
    label: Option<String>,
    action: &'static str,
    target: Option<(&'static str, String)>,
    failed: bool,
    details: Value,
}

struct Generator<'a> {
    tenant: Uuid,
    people: &'a [Person],
    /// People by activity: a few are very busy, many are occasional, some never appear.
    by_activity: Vec<usize>,
    admins: Vec<usize>,
    auditors: Vec<usize>,
    presets: Vec<Uuid>,
    mix_total: u32,
}

impl<'a> Generator<'a> {
    fn new(rng: &mut StdRng, tenant: Uuid, people: &'a [Person]) -> Self {
        let mut by_activity: Vec<usize> = (0..people.len()).collect();
        by_activity.shuffle(rng);
        let with_role = |role: &str| (0..people.len()).filter(|&i| people[i].role == role).collect::<Vec<_>>();
        let end = Utc::now();
        Self {
            tenant,
            people,
            by_activity,
            admins: with_role("tenant_admin"),
            auditors: with_role("auditor"),
            presets: (0..40).map(|_| v7(rng, end - Span::days(200))).collect(),
            mix_total: MIX.iter().map(|(_, w)| w).sum(),
        }
    }

    fn someone(&self, rng: &mut StdRng) -> usize {
        // Rank ~ N·u²: activity falls off like 1/√rank.
        let u: f64 = rng.r#gen();
        self.by_activity[((u * u) * self.by_activity.len() as f64) as usize % self.by_activity.len()]
    }

    fn pick(rng: &mut StdRng, from: &[usize]) -> usize {
        from[rng.gen_range(0..from.len())]
    }

    fn draft(&self, rng: &mut StdRng, t: DateTime<Utc>) -> Draft {
        let mut roll = rng.gen_range(0..self.mix_total);
        let mut act = MIX[0].0;
        for (a, w) in MIX {
            if roll < *w {
                act = a;
                break;
            }
            roll -= w;
        }
        let tenant = Some(self.tenant);
        let user = self.someone(rng);
        let admin = Self::pick(rng, &self.admins);
        let person = |i: usize| &self.people[i];
        let mut d = Draft {
            tenant,
            actor: Some(user),
            label: None,
            action: act,
            target: None,
            failed: false,
            details: json!({}),
        };
        match act {
            action::LOGIN => {
                let console = person(user).role != "member" && rng.gen_bool(0.5);
                d.target = Some(("session", v7(rng, t).to_string()));
                d.details = json!({ "surface": if console { "admin" } else { "chat" } });
            }
            action::LOGOUT => {
                let signed_in = t - Span::hours(rng.gen_range(1..48));
                d.target = Some(("session", v7(rng, signed_in).to_string()));
            }
            action::LOGIN_FAILED => {
                d.failed = true;
                let reason = if rng.gen_bool(0.9) { "wrong_password" } else { "user_disabled" };
                d.details = json!({ "reason": reason });
            }
            "platform:auth.login_failed" => {
                // An address nobody has: a typo or a probe. Installation-wide, no tenant.
                let email = &person(user).email;
                d = Draft {
                    tenant: None,
                    actor: None,
                    label: Some(email.replacen('.', "", 1)),
                    action: action::LOGIN_FAILED,
                    target: None,
                    failed: true,
                    details: json!({ "reason": "unknown_account" }),
                };
            }
            action::COMPLETION => {
                let ok = rng.gen_bool(0.97);
                let input: u32 = rng.gen_range(20..6000);
                let output: u32 = rng.gen_range(5..1500);
                let model = MODELS[rng.gen_range(0..MODELS.len())];
                d.failed = !ok;
                d.target = Some(("completion", v7(rng, t).to_string()));
                d.details = json!({
                    "model": model, "served_by": model, "preset_id": null,
                    "api_token_id": Uuid::from_u128(u128::from_le_bytes(person(user).id.into_bytes()) ^ 0x5a5a),
                    "stream": rng.gen_bool(0.7), "tools": 0,
                    "status": if ok { "completed" } else { "failed" },
                    "error_code": if ok { Value::Null } else { json!("upstream_unavailable") },
                    "input_tokens": input, "output_tokens": if ok { output } else { 0 },
                    "cost": (input as f64 * 2.5e-6 + output as f64 * 1e-5), "plugins": [], "conversation_id": null,
                });
            }
            action::SHARE_CREATED | action::SHARE_REVOKED => {
                d.target = Some(("share", v7(rng, t).to_string()));
                d.details = if act == action::SHARE_CREATED {
                    json!({ "visibility": "tenant", "conversation_id": v7(rng, t), "leaf_message_id": v7(rng, t),
                            "messages": rng.gen_range(2..40), "recipients": [], "expires_at": null })
                } else {
                    json!({ "owner_id": person(user).id, "by_owner": true })
                };
            }
            action::SHARING_SETTINGS_CHANGED => {
                d.actor = Some(admin);
                d.details = json!({ "allow_public": false });
            }
            action::TOKEN_CREATED => {
                d.target = Some(("api_token", v7(rng, t).to_string()));
                let name = ["laptop", "ci", "notebook", "script"][rng.gen_range(0..4)];
                d.details = json!({ "name": name, "role": person(user).role, "expires_at": null, "keep": "metadata" });
            }
            action::TOKEN_REVOKED => {
                let created = t - Span::days(rng.gen_range(1..80));
                d.target = Some(("api_token", v7(rng, created).to_string()));
                d.details = json!({ "owner": person(user).id });
            }
            action::PASSWORD_CHANGED => {
                d.target = Some(("user", person(user).id.to_string()));
                d.details = json!({ "sessions_revoked": rng.gen_range(0..4) });
            }
            action::USER_CREATED
            | action::USER_DISABLED
            | action::USER_ENABLED
            | action::ROLE_CHANGED
            | action::SESSIONS_REVOKED
            | action::MEMBERSHIP_ADDED => {
                let subject = person(self.someone(rng));
                d.actor = Some(admin);
                d.target = Some(("user", subject.id.to_string()));
                d.details = match act {
                    action::USER_CREATED => json!({ "email": subject.email, "role": subject.role }),
                    action::ROLE_CHANGED => json!({ "from": "member", "to": "auditor" }),
                    action::SESSIONS_REVOKED => json!({ "sessions_revoked": rng.gen_range(0..5) }),
                    action::MEMBERSHIP_ADDED => json!({ "role": subject.role }),
                    _ => json!({}),
                };
            }
            action::PRESET_CREATED | action::PRESET_UPDATED | action::PRESET_DELETED | action::PRESET_MODELS_SET => {
                d.actor = Some(admin);
                d.target = Some(("preset", self.presets[rng.gen_range(0..self.presets.len())].to_string()));
                d.details = json!({ "name": "Team assistant", "model": MODELS[rng.gen_range(0..MODELS.len())] });
            }
            action::QUOTA_SET | action::QUOTA_DELETED => {
                d.actor = Some(admin);
                d.target = Some(("quota", v7(rng, t).to_string()));
                d.details = json!({ "subject": "tenant", "period": "month", "max_cost": 5000 });
            }
            action::MODEL_SET | action::MODEL_DELETED => {
                d.actor = Some(admin);
                d.target = Some(("model", MODELS[rng.gen_range(0..MODELS.len())].to_string()));
            }
            action::PROVIDER_KEY_SET => {
                d.actor = Some(admin);
                d.target = Some(("provider", "openai".to_string()));
            }
            action::PLUGIN_CONFIGURED | action::PLUGIN_CHAIN_ORDERED => {
                d.actor = Some(admin);
                d.target = Some(("plugin", "pii-redactor".to_string()));
                d.details = json!({ "enabled": true });
            }
            action::AUDIT_EXPORTED => {
                d.actor = Some(if self.auditors.is_empty() { admin } else { Self::pick(rng, &self.auditors) });
                d.details = json!({ "format": "csv", "action": null, "since": t - Span::days(30) });
            }
            _ => {}
        }
        d
    }
}

/// `count` entries over the history, chained after the stored head, in large transactions.
async fn seed_audit(
    store: &Store,
    rng: &mut StdRng,
    tenant: Uuid,
    people: &[Person],
    count: u64,
    end: DateTime<Utc>,
) -> Result<()> {
    let generator = Generator::new(rng, tenant, people);
    let mut timeline = Timeline::new(end, count);
    // Each scope's chain continues from its head; both heads exist once each scope has an entry.
    for scope in [Some(TenantId(tenant)), None] {
        audit::record_alone(store, NewEntry::new(scope, &Actor::cli(), action::SETUP_COMPLETED)).await?;
    }
    let mut heads: HashMap<Option<Uuid>, (i64, String)> = HashMap::new();
    for (scope, key) in [(Some(tenant), format!("tenant:{tenant}")), (None, "platform".to_string())] {
        let head =
            one(store.conn(), "SELECT chain_seq, hash FROM audit_heads WHERE scope = ?", vec![key.into()]).await?;
        heads.insert(scope, (head.try_get_by_index(0)?, head.try_get_by_index(1)?));
    }
    let max = one(store.conn(), "SELECT MAX(seq) FROM audit_log", vec![]).await?;
    let mut seq: i64 = max.try_get_by_index(0)?;
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
    let mut last_report = Instant::now();
    while done < count {
        let n = (count - done).min(ROWS_PER_TXN as u64);
        let mut rows = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let t = timeline.at(i);
            let d = generator.draft(rng, t);
            let actor = d.actor.map(|i| &people[i]);
            // Most requests come from the person's usual address.
            let ip = match actor {
                Some(p) if rng.gen_bool(0.8) => p.ip.clone(),
                _ => format!("10.{}.{}.{}", rng.gen_range(64..128), rng.gen_range(0..256), rng.gen_range(2..255)),
            };
            seq += 1;
            let head = heads.get_mut(&d.tenant).context("an entry of an unknown scope")?;
            let entry = Entry {
                id: v7(rng, t),
                seq,
                tenant_id: d.tenant.map(TenantId),
                actor_user_id: actor.map(|p| UserId(p.id)),
                actor_label: d.label.unwrap_or_else(|| actor.map_or("cli".into(), |p| p.email.clone())),
                action: d.action.to_string(),
                target_type: d.target.as_ref().map(|(k, _)| k.to_string()),
                target_id: d.target.map(|(_, id)| id),
                outcome: if d.failed { "failure" } else { "success" }.to_string(),
                ip: Some(ip),
                request_id: Some(format!("{:032x}", rng.r#gen::<u128>())),
                details: d.details.to_string(),
                created_at: t,
                prev_hash: std::mem::take(&mut head.1),
                hash: String::new(),
                chain_seq: Some(head.0 + 1),
            };
            let hash = entry_hash(&entry);
            *head = (head.0 + 1, hash.clone());
            rows.push(vec![
                Expr::value(entry.id),
                Expr::value(entry.seq),
                Expr::value(entry.tenant_id.map(|t| t.0)),
                Expr::value(entry.actor_user_id.map(|u| u.0)),
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
                Expr::value(hash),
                Expr::value(entry.chain_seq),
            ]);
        }
        let txn = store.begin().await?;
        insert_rows(&*txn, "audit_log", &columns, rows).await?;
        // The head moves with its entries, as `store::audit::append` moves it.
        for (scope, (chain_seq, hash)) in &heads {
            let key = scope.map_or("platform".to_string(), |t| format!("tenant:{t}"));
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "UPDATE audit_heads SET chain_seq = ?, hash = ? WHERE scope = ?",
                vec![(*chain_seq).into(), hash.clone().into(), key.into()],
            ))
            .await?;
        }
        txn.commit().await?;
        done += n;
        if last_report.elapsed() > Duration::from_secs(10) || done == count {
            println!("  {done}/{count} audit entries");
            last_report = Instant::now();
        }
    }
    Ok(())
}

/// `count` sign-ins appended by `audit::record` in transactions of 1,000, each inside a request
/// context (address, request id) as the server's handlers run.
async fn append_for_real(store: &Store, rng: &mut StdRng, tenant: Uuid, people: &[Person], count: u64) -> Result<()> {
    let generator = Generator::new(rng, tenant, people);
    let mut done = 0;
    while done < count {
        let txn = store.begin().await?;
        for _ in 0..(count - done).min(1_000) {
            let p = &people[generator.someone(rng)];
            let ctx = RequestContext {
                request_id: format!("{:032x}", rng.r#gen::<u128>()),
                ip: Some(p.ip.clone()),
                user_agent: None,
            };
            let entry = NewEntry::new(Some(TenantId(tenant)), &Actor::user(UserId(p.id), &p.email), action::LOGIN)
                .target("session", Uuid::now_v7())
                .details(json!({ "surface": "chat" }));
            context::scope(ctx, audit::record(&*txn, entry)).await?;
            done += 1;
        }
        txn.commit().await?;
    }
    Ok(())
}
