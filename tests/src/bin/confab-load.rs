//! `confab-load`: the streaming load benchmark of Confab's chat engine.
//!
//! In one run it starts a scripted upstream model provider (in this process, on its own tokio
//! runtime) and a `confab serve` process configured to use it, then measures:
//!
//! 1. **direct** — N concurrent streaming Chat Completions requests straight to the upstream;
//! 2. **via confab** — N concurrent streamed turns through Confab (`POST
//!    /v1/conversations/{id}/messages`, SSE), each in its own conversation;
//!    With `--private`, also **via confab, private** — the same turns as private-mode turns
//!    (`POST /v1/private/turns`), the relay that stores no content;
//! 3. **memory per open stream** — the server's RSS with N long-running streams open, minus its
//!    idle RSS, divided by N. These streams are opened a few at a time (`--mem-open-concurrency`)
//!    and cancelled once measured; the phase runs first, while the server's heap is still small.
//!
//! Every request asks the upstream for the same reply (`--tokens` tokens, `--delay-ms` before
//! each), so the difference between the two latency rows is what Confab adds. Client connections
//! are opened before each timed phase, so neither phase pays for connecting to its target.
//!
//! Usage: `confab-load --turns 200 [--tokens 64] [--delay-ms 5]` (see `--help`). The `confab`
//! binary is taken from `--confab-bin`, `$CONFAB_BIN`, or next to this executable.
//! Exit status: 0 when every measured turn succeeded, 2 when some failed (the table is printed
//! either way), 1 when the run could not be set up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Parser;
use confab_tests::upstream::ScriptedUpstream;
use futures::StreamExt;
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

const ADMIN_EMAIL: &str = "admin@bench.example";
const ADMIN_PASSWORD: &str = "bench-password-not-secret";
const MODEL: &str = "bench";
/// Concurrency of set-up requests (creating conversations, cancelling).
const SETUP_CONCURRENCY: usize = 16;

#[derive(Parser, Debug, Clone)]
#[command(name = "confab-load", about = "Streaming load benchmark: N concurrent turns via Confab vs. direct upstream")]
struct Args {
    /// Concurrent streaming turns per phase (N).
    #[arg(long, default_value_t = 200)]
    turns: usize,
    /// Tokens in each scripted reply.
    #[arg(long, default_value_t = 64)]
    tokens: usize,
    /// Milliseconds the upstream waits before each token.
    #[arg(long, default_value_t = 5)]
    delay_ms: u64,
    /// Warm-up turns (direct and via Confab) before measuring.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Tokens of each long-running stream in the memory phase (cancelled once measured).
    #[arg(long, default_value_t = 90)]
    mem_tokens: usize,
    /// Milliseconds before each token in the memory phase.
    #[arg(long, default_value_t = 2000)]
    mem_delay_ms: u64,
    /// How many sends of the memory phase may be in flight at once (until `message.created`).
    #[arg(long, default_value_t = 4)]
    mem_open_concurrency: usize,
    /// Skip the memory-per-open-stream phase.
    #[arg(long)]
    skip_memory: bool,
    /// Instead of the phases above, hold N streams open at once through Confab (give a slow
    /// upstream, e.g. `--turns 2000 --tokens 20 --delay-ms 1000`) and let every one finish: checks
    /// that every token of every stream arrives with no stall beyond the upstream's own wait, and
    /// reports the memory per open stream and the CPU per turn.
    #[arg(long, conflicts_with = "openai_compat")]
    hold: bool,
    /// How many sends of `--hold` may be in flight at once (until `message.created`).
    #[arg(long, default_value_t = 16)]
    open_concurrency: usize,
    /// Upper bound on any one phase (and on each turn in it), in seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// The `confab` binary (default: `$CONFAB_BIN`, else `confab` next to this executable).
    #[arg(long, env = "CONFAB_BIN")]
    confab_bin: Option<PathBuf>,
    /// Extra environment for the server, `KEY=VALUE` (repeatable), e.g.
    /// `CONFAB_DATABASE__MAX_CONNECTIONS=64`.
    #[arg(long = "server-env", value_name = "KEY=VALUE", value_parser = parse_env)]
    server_env: Vec<(String, String)>,
    /// Keep the server's working directory (database, config, server.log) after the run.
    #[arg(long)]
    keep: bool,
    /// Run the server on PostgreSQL: an admin URL (e.g. `postgres://postgres@127.0.0.1:5432/postgres`)
    /// under which a fresh database is created for the run and dropped after it. SQLite without it.
    #[arg(long, value_name = "URL", env = "BENCH_PG_URL")]
    postgres: Option<String>,
    /// Instead of the phases above, compare Confab's OpenAI-compatible endpoint (`POST
    /// /openai/v1/chat/completions`, API token as the key) with the upstream called directly and,
    /// given `--litellm-cmd`, with a LiteLLM proxy in front of the same upstream: the same
    /// streaming request to each, N at once.
    #[arg(long)]
    openai_compat: bool,
    /// The `litellm` executable of a `litellm[proxy]` install (with `--openai-compat`): it is started
    /// with one worker on a free port, with the scripted upstream as its `openai/` model.
    #[arg(long, value_name = "PATH", requires = "openai_compat")]
    litellm_cmd: Option<PathBuf>,
    /// Append the pid of every process this tool starts to this file, so that a wrapper script can
    /// stop them should this tool be killed before it stops them itself.
    #[arg(long, value_name = "FILE")]
    pid_file: Option<PathBuf>,
    /// Also run the turns as private-mode turns (`POST /v1/private/turns`, the history sent by the
    /// client, nothing stored): a third latency row beside direct and the normal turns, its own
    /// CPU per turn, and the memory phase measures open private streams.
    #[arg(long, conflicts_with_all = ["openai_compat", "hold"])]
    private: bool,
    /// Upload every plugin in this directory (`plugins/dist`, built by `plugins/build.sh`) and
    /// enable them all in the benchmark's tenant, so each turn runs the chain.
    #[arg(long, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Serve the scripted upstream over TLS (a throw-away CA made with `openssl`, trusted by
    /// Confab through `SSL_CERT_FILE`), as real providers are: each connection to it then costs
    /// a handshake and TLS buffers, in Confab and in the direct baseline alike (both HTTP/1.1).
    #[arg(long, conflicts_with = "litellm_cmd")]
    upstream_tls: bool,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok(clean) => std::process::exit(if clean { 0 } else { 2 }),
        Err(e) => {
            eprintln!("confab-load: {e:#}");
            std::process::exit(1);
        }
    }
}

fn run(args: &Args) -> Result<bool> {
    if args.turns == 0 {
        bail!("--turns must be at least 1");
    }
    check_open_files(args.turns);
    // The upstream gets its own runtime, so that its serving and the load client's work are
    // scheduled independently (the upstream's tasks run on the runtime that started it).
    let upstream_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("upstream")
        .enable_all()
        .build()
        .context("upstream runtime")?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client")
        .enable_all()
        .build()
        .context("client runtime")?;
    // With `--upstream-tls`: the CA, trusted by the server and by this tool's clients.
    let certs_dir = std::env::temp_dir().join(format!("confab-load-tls-{}", uuid::Uuid::new_v4().simple()));
    let certs = args.upstream_tls.then(|| confab_tests::tls::ca_and_server(&certs_dir));
    let upstream = match &certs {
        // No HTTP/2 stream limit that matters: the clients speak HTTP/1.1.
        Some(certs) => upstream_rt.block_on(ScriptedUpstream::start_tls(certs, 100_000)),
        None => upstream_rt.block_on(ScriptedUpstream::start()),
    };
    let ca = match &certs {
        Some(certs) => Some(std::fs::read(&certs.ca_cert).context("the test CA")?),
        None => None,
    };
    let _ = TRUSTED_CA.set(ca);
    // LiteLLM first: its start (Python imports) is the slow one, and overlaps the server's.
    let litellm = match &args.litellm_cmd {
        Some(cmd) => Some(Litellm::start(args, cmd, &upstream.base_url())?),
        None => None,
    };
    let database = match &args.postgres {
        Some(admin) => Some(client_rt.block_on(PgDatabase::create(admin))?),
        None => None,
    };
    let ca_file = certs.as_ref().map(|c| c.ca_cert.as_path());
    let server = Server::start(args, &upstream.base_url(), database.as_ref().map(|d| d.url.as_str()), ca_file)?;
    let outcome = if args.openai_compat {
        client_rt.block_on(openai_compat::bench(args, &upstream, &server, litellm.as_ref()))
    } else if args.hold {
        client_rt.block_on(hold(args, &server))
    } else {
        client_rt.block_on(bench(args, &upstream, &server))
    };
    if outcome.is_err() || matches!(outcome, Ok(false)) {
        server.print_log_excerpt();
    }
    // LiteLLM's log starts with a banner: worth reading only when the run could not be set up.
    if let (Err(_), Some(litellm)) = (&outcome, &litellm) {
        litellm.print_log_tail();
    }
    drop(litellm);
    drop(server);
    if let Some(database) = database {
        client_rt.block_on(database.drop_database());
    }
    drop(upstream);
    client_rt.shutdown_timeout(Duration::from_secs(1));
    upstream_rt.shutdown_timeout(Duration::from_secs(1));
    if certs.is_some() {
        let _ = std::fs::remove_dir_all(&certs_dir);
    }
    outcome
}

/// The CA of a TLS upstream (`--upstream-tls`), PEM, if any: every client of this tool trusts it.
static TRUSTED_CA: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();

/// A client builder for the load: HTTP/1.1 (as Confab speaks to providers, so the direct
/// baseline is comparable), trusting the TLS upstream's CA if there is one.
fn client_builder() -> Result<reqwest::ClientBuilder> {
    let mut builder = Client::builder().http1_only().no_proxy().tcp_nodelay(true);
    if let Some(Some(ca)) = TRUSTED_CA.get() {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(ca)?);
    }
    Ok(builder)
}

/// Warns when the open-file limit is too low for N streams (each needs a socket on each side, on
/// the client and on the upstream, and both of Confab's).
fn check_open_files(n: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else { return };
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(soft) = soft {
        let needed = 2 * n + 256;
        if soft < needed {
            eprintln!(
                "confab-load: warning: open-file limit {soft} is below the ~{needed} sockets {n} streams need; \
                 raise it with `ulimit -n`"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------------

/// A `confab serve` process in a temporary directory; killed (and the directory removed unless
/// `--keep`) when dropped.
struct Server {
    child: Child,
    dir: PathBuf,
    base: String,
    keep: bool,
}

/// A PostgreSQL database created for one run (`--postgres`), dropped after it.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin: &str) -> Result<PgDatabase> {
        use sea_orm::ConnectionTrait;
        let name = format!("confab_load_{}", uuid::Uuid::new_v4().simple());
        let conn = sea_orm::Database::connect(admin).await.context("connecting to --postgres")?;
        conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        conn.close().await.ok();
        let base = admin.rsplit_once('/').map(|(b, _)| b).context("--postgres needs a database path")?;
        Ok(PgDatabase { admin: admin.to_owned(), url: format!("{base}/{name}"), name })
    }

    async fn drop_database(self) {
        use sea_orm::ConnectionTrait;
        if let Ok(conn) = sea_orm::Database::connect(self.admin.as_str()).await {
            let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
            conn.close().await.ok();
        }
    }
}

/// The fields of `/proc/<pid>/stat` after the command name: `[0]` is field 3 (state).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User plus system CPU time of these processes, in clock ticks (fields 14 and 15).
fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| stat_fields(*pid))
        .map(|f| {
            let field = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            field(14) + field(15)
        })
        .sum()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we run on).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(100.0)
}

/// The server's CPU time (user plus system, from `/proc`) from the start of a phase.
struct CpuMeter {
    pid: u32,
    ticks: u64,
}

impl CpuMeter {
    fn start(pid: u32) -> CpuMeter {
        CpuMeter { pid, ticks: cpu_ticks(&[pid]) }
    }

    /// The report line: CPU time per turn over the `turns` of the phase.
    fn per_turn_line(&self, turns: usize) -> String {
        let spent = cpu_ticks(&[self.pid]).saturating_sub(self.ticks) as f64 / clock_ticks_per_second();
        format!(
            "server CPU per turn: {:.2}ms ({spent:.2}s over {turns} turns; /proc resolution 10ms)",
            spent * 1000.0 / turns.max(1) as f64
        )
    }
}

impl Server {
    fn start(args: &Args, upstream_base: &str, database_url: Option<&str>, ca_file: Option<&Path>) -> Result<Server> {
        let bin = match &args.confab_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?.parent().context("executable directory")?.join("confab"),
        };
        if !bin.exists() {
            bail!("{} is missing: build it with `cargo build --release -p confab-server`", bin.display());
        }
        let dir = std::env::temp_dir().join(format!("confab-load-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let config = format!(
            r#"[database]
url = "{db}"
max_connections = {pool}
[log]
level = "warn"
[chat]
turns_per_minute_per_user = 100000
turns_per_minute_per_tenant = 100000
turns_per_minute_per_ip = 100000
[auth]
login_failures_per_ip = 100000
[providers.scripted]
kind = "openai"
base_url = "{upstream_base}/v1"
api_key = "sk-bench"
first_byte_timeout_ms = 60000
idle_timeout_ms = 60000
[[models]]
id = "{MODEL}"
provider = "scripted"
upstream_model = "gpt-4o"
context_window = 128000
max_output_tokens = 4096
"#,
            db = database_url.map_or_else(|| format!("sqlite://{}", dir.join("confab.db").display()), str::to_owned),
            // The default pool (`database.max_connections`), on both databases: on PostgreSQL
            // sharing these 2 cores, 32 connections did worse than 8 at 50 and at 200 turns at once
            // (each one a database process competing for the same cores).
            pool = 8,
        );
        std::fs::write(dir.join("confab.toml"), config)?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let command = || {
            let mut cmd = Command::new(&bin);
            cmd.env_clear();
            for key in ["PATH", "HOME", "TMPDIR"] {
                if let Some(v) = std::env::var_os(key) {
                    cmd.env(key, v);
                }
            }
            cmd.envs(args.server_env.iter().map(|(k, v)| (k, v))).current_dir(&dir);
            if let Some(ca) = ca_file {
                // The TLS upstream's CA, trusted as a system root would be.
                cmd.env("SSL_CERT_FILE", ca);
            }
            cmd
        };
        // On PostgreSQL, serve leaves the schema to `confab migrate` (as a deployment's hook does).
        if database_url.is_some() {
            let out = command().arg("migrate").stdin(Stdio::null()).output().context("running confab migrate")?;
            if !out.status.success() {
                bail!("confab migrate failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
        let mut cmd = command();
        let mut child = cmd
            .env("CONFAB_BOOTSTRAP_EMAIL", ADMIN_EMAIL)
            .env("CONFAB_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
            .env("CONFAB_BOOTSTRAP_TENANT", "Bench")
            .env("CONFAB_ADMIN__LISTEN", "off")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        record_pid(args, child.id());
        let stdout = child.stdout.take().context("server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads stdout to its end, so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(sender) = &tx
                    && sender.send(line).is_err()
                {
                    tx = None;
                }
            }
        });
        let mut server = Server { child, dir, base: String::new(), keep: args.keep };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(base) =
                        line.strip_prefix("confab: listening on ").and_then(|rest| rest.split_whitespace().next())
                    {
                        server.base = base.to_owned();
                        return Ok(server);
                    }
                }
                Err(_) => {
                    server.print_log_excerpt();
                    bail!("confab serve did not report that it listens within 60 s");
                }
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in KiB, from `/proc/<pid>/status`.
    fn rss_kib(&self) -> Result<u64> {
        self.status_kib("VmRSS:")
    }

    /// The anonymous part of the resident set (the heap, stacks; not the binary's mapped pages),
    /// in KiB.
    fn anon_kib(&self) -> Result<u64> {
        self.status_kib("RssAnon:")
    }

    fn status_kib(&self, field: &str) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {field} in /proc/<pid>/status"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The server's log lines, timestamps and numbers elided so that alike lines group, most
    /// frequent first.
    fn print_log_excerpt(&self) {
        let log = self.log();
        let mut groups: BTreeMap<String, usize> = BTreeMap::new();
        for line in log.lines() {
            let line = strip_ansi(line);
            let rest = line.split_once(' ').map_or(line.as_str(), |(_, rest)| rest).trim();
            let mut shape = String::with_capacity(rest.len());
            for c in rest.chars() {
                if c.is_ascii_digit() {
                    if !shape.ends_with('#') {
                        shape.push('#');
                    }
                } else {
                    shape.push(c);
                }
            }
            *groups.entry(shape).or_default() += 1;
        }
        if groups.is_empty() {
            return;
        }
        let mut groups: Vec<(String, usize)> = groups.into_iter().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.1));
        eprintln!("server log ({} lines; # stands for digits):", log.lines().count());
        for (shape, count) in groups.iter().take(12) {
            eprintln!("  {count:>6} × {shape}");
        }
    }
}

/// The text of a log line without its terminal colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.keep {
            eprintln!("confab-load: kept {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One request
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Sample {
    ttft: Duration,
    total: Duration,
    /// The longest wait between two deltas of the answer (zero for fewer than two).
    max_gap: Duration,
    /// The turn's plugin chain: the sum of the `elapsed_us` of the plugin runs the completed
    /// answer lists (request and answer transforms), when it lists any.
    plugins: Option<Duration>,
}

/// How a turn through Confab ended, when it ended with a final event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Final {
    Completed,
    Cancelled,
}

/// Progress of a turn, for the memory phase.
#[derive(Debug)]
enum Signal {
    Created(String),
    FirstDelta,
    /// The turn ended (any way); whether it had received a delta.
    Ended {
        had_delta: bool,
    },
}

fn knobs(tokens: usize, delay_ms: u64) -> String {
    format!("[upstream tokens={tokens} delay_ms={delay_ms}]")
}

fn expected_reply(tokens: usize) -> String {
    (0..tokens).map(|i| format!("t{i} ")).collect()
}

/// The status and error code of an error answer (Confab's body or OpenAI's), or the start of the
/// body.
async fn error_of(resp: reqwest::Response) -> String {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .map(|v| error_text(&v))
        .filter(|code| !code.is_empty())
        .unwrap_or_else(|| text.chars().take(80).collect());
    format!("http {status} {code}")
}

/// `error.code` of an error body, else `error.type`, else the start of `error.message`.
fn error_text(body: &Value) -> String {
    let error = &body["error"];
    [&error["code"], &error["type"]]
        .into_iter()
        .find_map(|v| v.as_str().map(str::to_owned))
        .or_else(|| error["message"].as_str().map(|m| m.chars().take(80).collect()))
        .unwrap_or_default()
}

fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    // The innermost cause says what happened (e.g. "Too many open files").
    let mut cause: &dyn std::error::Error = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    format!("{kind} error: {cause}")
}

/// The scripted reply every request asks for, and the checks that a streamed answer carried all of
/// it: every token in order, `finish_reason: "stop"`, and a usage chunk that counts the tokens.
struct Script {
    text: String,
    tokens: usize,
}

impl Script {
    fn new(tokens: usize) -> Script {
        Script { text: expected_reply(tokens), tokens }
    }

    fn check(&self, text: &str, finish_reason: Option<&str>, completion_tokens: Option<u64>) -> Result<(), String> {
        if text != self.text {
            // Kinds, not counts, so that alike failures group in the report.
            return Err(if self.text.starts_with(text) {
                "reply is missing tokens".into()
            } else {
                "reply differs from the script".into()
            });
        }
        if finish_reason != Some("stop") {
            return Err(format!("finish_reason {}", finish_reason.unwrap_or("missing")));
        }
        match completion_tokens {
            Some(n) if n == self.tokens as u64 => Ok(()),
            Some(_) => Err("usage.completion_tokens differs from the script".into()),
            None => Err("no usage chunk".into()),
        }
    }
}

/// One streaming Chat Completions request in OpenAI's wire format (to the upstream, or a proxy of
/// it). TTFT is the first chunk with non-empty `delta.content`; total is `[DONE]`.
async fn chat_completion(
    client: Client,
    url: Arc<str>,
    key: Option<Arc<str>>,
    body: Value,
    script: Arc<Script>,
) -> Result<Sample, String> {
    let start = Instant::now();
    let mut request = client.post(&*url).json(&body);
    if let Some(key) = &key {
        request = request.bearer_auth(key);
    }
    let resp = request.send().await.map_err(|e| transport_error(&e))?;
    if resp.status() != StatusCode::OK {
        return Err(error_of(resp).await);
    }
    let mut stream = resp.bytes_stream();
    let mut parser = confab_sse::Parser::new();
    let mut ttft = None;
    let mut text = String::new();
    let mut finish_reason = None;
    let mut completion_tokens = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e))?;
        for event in parser.push(&chunk) {
            if event.data == "[DONE]" {
                let total = start.elapsed();
                script.check(&text, finish_reason.as_deref(), completion_tokens)?;
                return Ok(Sample {
                    ttft: ttft.ok_or("no token before [DONE]")?,
                    total,
                    max_gap: Duration::ZERO,
                    plugins: None,
                });
            }
            let chunk: Value = serde_json::from_str(&event.data).map_err(|_| "chunk is not JSON".to_owned())?;
            if chunk.get("error").is_some() {
                return Err(format!("error chunk: {}", error_text(&chunk)));
            }
            let choice = &chunk["choices"][0];
            if let Some(piece) = choice["delta"]["content"].as_str()
                && !piece.is_empty()
            {
                ttft.get_or_insert_with(|| start.elapsed());
                text.push_str(piece);
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                finish_reason = Some(reason.to_owned());
            }
            if let Some(n) = chunk["usage"]["completion_tokens"].as_u64() {
                completion_tokens = Some(n);
            }
        }
    }
    Err("stream ended before [DONE]".into())
}

/// The streaming request body every latency request sends.
fn chat_body(model: &str, content: String) -> Value {
    json!({
        "model": model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": content}],
    })
}

/// What a turn through Confab needs.
#[derive(Clone)]
struct ConfabCtx {
    client: Client,
    base: String,
    token: String,
    /// Private-mode turns (`POST /v1/private/turns`) instead of conversation turns.
    private: bool,
}

/// One streamed turn through Confab. TTFT is the first `message.delta`; total is the final event.
async fn confab_turn(
    ctx: ConfabCtx,
    conversation: String,
    content: String,
    expected: Option<Arc<String>>,
    signals: Option<mpsc::UnboundedSender<Signal>>,
    mut gate: Option<OwnedSemaphorePermit>,
) -> Result<(Sample, Final), String> {
    let signal = |s: Signal| {
        if let Some(tx) = &signals {
            let _ = tx.send(s);
        }
    };
    let mut had_delta = false;
    let result = async {
        let start = Instant::now();
        let request = if ctx.private {
            // The whole history each turn: here, the one question.
            let body = json!({"messages": [{"role": "user", "content": content}], "model": MODEL});
            ctx.client.post(format!("{}/v1/private/turns", ctx.base)).json(&body)
        } else {
            ctx.client
                .post(format!("{}/v1/conversations/{conversation}/messages", ctx.base))
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&json!({"content": content, "model": MODEL}))
        };
        let resp = request
            .bearer_auth(&ctx.token)
            .header(header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        if resp.status() != StatusCode::OK {
            return Err(error_of(resp).await);
        }
        let mut stream = resp.bytes_stream();
        let mut parser = confab_sse::Parser::new();
        let mut ttft = None;
        let mut text = String::new();
        let (mut last_delta, mut max_gap) = (None::<Instant>, Duration::ZERO);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| transport_error(&e))?;
            for event in parser.push(&chunk) {
                let data: Value =
                    serde_json::from_str(&event.data).map_err(|_| format!("{} data is not JSON", event.event))?;
                // A private turn's events are `turn.*`, with the same meaning.
                let name = event.event.strip_prefix("turn.").map_or(event.event.as_str(), |n| match n {
                    "created" => "message.created",
                    "delta" => "message.delta",
                    "completed" => "message.completed",
                    "cancelled" => "message.cancelled",
                    "failed" => "message.failed",
                    _ => n,
                });
                match name {
                    "message.created" => {
                        // The turn's write transaction is over: let the next one start.
                        drop(gate.take());
                        if let Some(id) = data["assistant_message_id"].as_str().or(data["turn_id"].as_str()) {
                            signal(Signal::Created(id.to_owned()));
                        }
                    }
                    "message.delta" => {
                        let now = Instant::now();
                        if let Some(last) = last_delta {
                            max_gap = max_gap.max(now - last);
                        }
                        last_delta = Some(now);
                        if ttft.is_none() {
                            ttft = Some(start.elapsed());
                            had_delta = true;
                            signal(Signal::FirstDelta);
                        }
                        text.push_str(data["content"].as_str().unwrap_or_default());
                    }
                    "message.completed" => {
                        let total = start.elapsed();
                        if let Some(expected) = &expected
                            && text != **expected
                        {
                            return Err("reply differs from the script".into());
                        }
                        let ttft = ttft.ok_or("completed without a delta")?;
                        let plugins =
                            data["message"]["plugins"].as_array().filter(|runs| !runs.is_empty()).map(|runs| {
                                Duration::from_micros(runs.iter().filter_map(|r| r["elapsed_us"].as_u64()).sum())
                            });
                        return Ok((Sample { ttft, total, max_gap, plugins }, Final::Completed));
                    }
                    "message.cancelled" => {
                        let total = start.elapsed();
                        let sample = Sample { ttft: ttft.unwrap_or(total), total, max_gap, plugins: None };
                        return Ok((sample, Final::Cancelled));
                    }
                    "message.failed" => {
                        let status = data["message"]["status"].as_str().or(data["status"].as_str()).unwrap_or("?");
                        let code =
                            data["message"]["error"]["code"].as_str().or(data["error"]["code"].as_str()).unwrap_or("?");
                        return Err(format!("message.failed ({status}) {code}"));
                    }
                    other => return Err(format!("unexpected event {other}")),
                }
            }
        }
        Err("stream ended without a final event".into())
    }
    .await;
    signal(Signal::Ended { had_delta });
    result
}

// ---------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------

/// The outcome of a phase: samples of successful requests, error counts by kind, wall time.
struct PhaseResult {
    samples: Vec<Sample>,
    errors: BTreeMap<String, usize>,
    wall: Duration,
}

impl PhaseResult {
    fn error_count(&self) -> usize {
        self.errors.values().sum()
    }
}

/// Runs every future concurrently (each as its own task, bounded by `limit`) and collects them.
async fn run_all<F>(futures: Vec<F>, limit: Duration) -> PhaseResult
where
    F: Future<Output = Result<Sample, String>> + Send + 'static,
{
    let start = Instant::now();
    let handles: Vec<_> =
        futures.into_iter().map(|f| tokio::spawn(async move { tokio::time::timeout(limit, f).await })).collect();
    let mut samples = Vec::with_capacity(handles.len());
    let mut errors = BTreeMap::new();
    for handle in handles {
        match handle.await {
            Ok(Ok(Ok(sample))) => samples.push(sample),
            Ok(Ok(Err(e))) => *errors.entry(e).or_default() += 1,
            Ok(Err(_)) => *errors.entry(format!("no end within {} s", limit.as_secs())).or_default() += 1,
            Err(e) => *errors.entry(format!("task failed: {e}")).or_default() += 1,
        }
    }
    PhaseResult { samples, errors, wall: start.elapsed() }
}

/// A latency-phase turn: only a completed answer counts.
async fn completed(turn: impl Future<Output = Result<(Sample, Final), String>>) -> Result<Sample, String> {
    match turn.await? {
        (sample, Final::Completed) => Ok(sample),
        (_, Final::Cancelled) => Err("message.cancelled".into()),
    }
}

/// Opens up to `n` client connections to `url`'s host by sending `n` concurrent GETs to it, so
/// that the timed phase that follows finds them in the pool.
async fn open_connections(client: &Client, url: &str, n: usize) {
    let requests = (0..n).map(|_| {
        let request = client.get(url).send();
        async move {
            if let Ok(resp) = request.await {
                let _ = resp.bytes().await;
            }
        }
    });
    futures::future::join_all(requests).await;
}

/// Signs in as the bootstrap admin and creates an API token.
async fn api_token(base: &str) -> Result<String> {
    let client = Client::builder().cookie_store(true).no_proxy().build()?;
    let resp = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or_default();
    if status != StatusCode::OK {
        bail!("sign-in failed with {status}: {body}");
    }
    let csrf = body["csrf_token"].as_str().context("no csrf_token in the sign-in answer")?;
    let resp = client
        .post(format!("{base}/v1/me/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({"name": "bench"}))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or_default();
    if status != StatusCode::CREATED {
        bail!("creating an API token failed with {status}: {body}");
    }
    Ok(body["token"].as_str().context("no token in the answer")?.to_owned())
}

/// Uploads every `<name>.manifest.json` + `<name>-<version>.wasm` in `dir` and enables each in
/// the admin's tenant with a configuration that lets turns through (uploads need a signed-in
/// platform admin: API tokens never carry platform rights).
async fn install_plugins(base: &str, dir: &std::path::Path) -> Result<Vec<String>> {
    use base64::Engine;
    let client = Client::builder().cookie_store(true).no_proxy().build()?;
    let resp = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await?;
    let body: Value = resp.json().await.unwrap_or_default();
    let csrf = body["csrf_token"].as_str().context("no csrf_token in the sign-in answer")?.to_owned();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{} (build the plugins with plugins/build.sh)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    manifests.sort();
    let mut names = Vec::new();
    for path in manifests {
        let manifest: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        let name = manifest["name"].as_str().context("manifest without name")?.to_owned();
        let version = manifest["version"].as_str().context("manifest without version")?.to_owned();
        let component = std::fs::read(dir.join(format!("{name}-{version}.wasm")))?;
        let resp = client
            .post(format!("{base}/v1/plugins"))
            .header("X-CSRF-Token", &csrf)
            .json(&json!({ "manifest": manifest,
                           "component_base64": base64::engine::general_purpose::STANDARD.encode(component) }))
            .send()
            .await?;
        if resp.status() != StatusCode::CREATED {
            bail!("uploading {name}: {}", error_of(resp).await);
        }
        let config = match name.as_str() {
            "policy-preamble" => json!({ "text": "Use of this assistant follows the bench acceptable-use policy." }),
            "keyword-guard" => json!({ "patterns": ["zz-never-in-a-bench-prompt"], "reason": "not in a bench" }),
            _ => json!({}),
        };
        let resp = client
            .put(format!("{base}/v1/tenant/plugins/{name}"))
            .header("X-CSRF-Token", &csrf)
            .json(&json!({ "version": version, "enabled": true, "config": config }))
            .send()
            .await?;
        if resp.status() != StatusCode::OK {
            bail!("enabling {name}: {}", error_of(resp).await);
        }
        names.push(name);
    }
    Ok(names)
}

/// Creates `n` conversations (a few at a time, so as not to open many connections).
async fn create_conversations(ctx: &ConfabCtx, n: usize) -> Result<Vec<String>> {
    if ctx.private {
        // A private turn has no conversation on the server: a label per turn.
        return Ok((0..n).map(|i| format!("private {i}")).collect());
    }
    let results: Vec<Result<String>> = futures::stream::iter(0..n)
        .map(|_| {
            let ctx = ctx.clone();
            async move {
                let resp = ctx
                    .client
                    .post(format!("{}/v1/conversations", ctx.base))
                    .bearer_auth(&ctx.token)
                    .json(&json!({}))
                    .send()
                    .await?;
                if resp.status() != StatusCode::CREATED {
                    bail!("creating a conversation: {}", error_of(resp).await);
                }
                let body: Value = resp.json().await?;
                Ok(body["id"].as_str().context("conversation without id")?.to_owned())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}

/// The streams of the memory phase so far.
#[derive(Default)]
struct Progress {
    /// Assistant message ids, to cancel.
    ids: Vec<String>,
    /// Streams that received their first delta.
    opened: usize,
    /// …of which ended since.
    ended_open: usize,
    /// Streams that ended without a delta.
    ended_unopened: usize,
}

impl Progress {
    fn count(&mut self, signal: Signal) {
        match signal {
            Signal::Created(id) => self.ids.push(id),
            Signal::FirstDelta => self.opened += 1,
            Signal::Ended { had_delta: true } => self.ended_open += 1,
            Signal::Ended { had_delta: false } => self.ended_unopened += 1,
        }
    }
}

struct MemoryReport {
    idle_kib: u64,
    /// Of `idle_kib`, the anonymous memory (the rest is the binary's pages mapped in).
    idle_anon_kib: u64,
    open_kib: u64,
    /// Streams open (first delta received, not yet ended) when the RSS was read.
    open: usize,
    /// How the N long streams ended: cancelled, completed, failed.
    cancelled: usize,
    completed: usize,
    errors: BTreeMap<String, usize>,
    cancel_failures: usize,
    /// `confab_chat_open_streams` right after the reading.
    server_open: Option<f64>,
    /// Answers still running (or queued) in conversations whose send the client saw fail.
    orphans: usize,
    /// Streams not started because the reading was taken first (after a timeout).
    not_started: usize,
}

/// Cancels these assistant messages; whether each cancel succeeded.
async fn cancel_all(ctx: &ConfabCtx, ids: Vec<String>) -> Vec<bool> {
    futures::stream::iter(ids)
        .map(|id| {
            let ctx = ctx.clone();
            async move {
                let path = if ctx.private { "private/turns" } else { "messages" };
                ctx.client
                    .post(format!("{}/v1/{path}/{id}/cancel", ctx.base))
                    .bearer_auth(&ctx.token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY * 4)
        .collect()
        .await
}

/// Ids of assistant messages still queued or streaming in these conversations.
async fn unfinished_answers(ctx: &ConfabCtx, conversations: Vec<String>) -> Vec<String> {
    if ctx.private {
        // Nothing on the server to look at: a private answer the cancel missed ends on its own.
        return Vec::new();
    }
    let found: Vec<Vec<String>> = futures::stream::iter(conversations)
        .map(|conversation| {
            let ctx = ctx.clone();
            async move {
                let Ok(resp) = ctx
                    .client
                    .get(format!("{}/v1/conversations/{conversation}?view=tree", ctx.base))
                    .bearer_auth(&ctx.token)
                    .send()
                    .await
                else {
                    return Vec::new();
                };
                let body: Value = resp.json().await.unwrap_or_default();
                body["messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| m["role"] == "assistant" && (m["status"] == "queued" || m["status"] == "streaming"))
                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                    .collect()
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    found.into_iter().flatten().collect()
}

async fn memory_phase(args: &Args, ctx: &ConfabCtx, server: &Server) -> Result<MemoryReport> {
    let n = args.turns;
    let limit = Duration::from_secs(args.timeout_secs);
    let conversations = create_conversations(ctx, n).await?;
    // Let the server settle (flushes, finished warm-up turns) before reading its idle size.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_kib, idle_anon_kib) = (server.rss_kib()?, server.anon_kib()?);

    // Streams are opened a few at a time: this phase measures open streams, not a burst of sends.
    let concurrency = args.mem_open_concurrency.clamp(1, 1024);
    let gate = Arc::new(Semaphore::new(concurrency));
    // Set once the reading is taken: streams not started by then are not started at all.
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handles: Vec<_> = conversations
        .into_iter()
        .enumerate()
        .map(|(i, conversation)| {
            let content = format!("long stream {i} {}", knobs(args.mem_tokens, args.mem_delay_ms));
            let (ctx, tx, gate, stop, id) = (ctx.clone(), tx.clone(), gate.clone(), stop.clone(), conversation.clone());
            let handle = tokio::spawn(async move {
                let permit = gate.acquire_owned().await.expect("the gate is never closed");
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
                Some(
                    tokio::time::timeout(limit, confab_turn(ctx, conversation, content, None, Some(tx), Some(permit)))
                        .await,
                )
            });
            (id, handle)
        })
        .collect();
    drop(tx);

    // Wait until every stream is open (has had its first delta) or has ended without opening.
    let mut progress = Progress::default();
    let deadline = tokio::time::Instant::now() + limit;
    while progress.opened + progress.ended_unopened < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(signal)) => progress.count(signal),
            Ok(None) | Err(_) => break,
        }
    }
    // Count what arrived in the meantime, so that `open` is exact at the time of the reading.
    while let Ok(signal) = rx.try_recv() {
        progress.count(signal);
    }
    let open_kib = server.rss_kib()?;
    // (Private streams are not chat turns: the gauge does not count them.)
    let server_open = match ctx.private {
        true => None,
        false => metrics(&ctx.client, &format!("{}/metrics", ctx.base))
            .await
            .and_then(|text| metric_value(&text, "confab_chat_open_streams")),
    };
    let (opened, ended_open, ended_unopened) = (progress.opened, progress.ended_open, progress.ended_unopened);
    let open = opened - ended_open;
    if open < n {
        eprintln!(
            "confab-load: memory phase: {open} of {n} streams open at the reading ({opened} received a delta, \
             {ended_unopened} ended without one)"
        );
    }

    // Stop the long streams, after the sends in flight got their answer's id.
    stop.store(true, Ordering::SeqCst);
    let _ = tokio::time::timeout(limit, gate.acquire_many(concurrency as u32)).await;
    while let Ok(signal) = rx.try_recv() {
        progress.count(signal);
    }
    let cancels = cancel_all(ctx, progress.ids).await;
    let mut cancel_failures = cancels.iter().filter(|ok| !**ok).count();
    let (mut cancelled, mut completed, mut not_started) = (0, 0, 0);
    let mut errors = BTreeMap::new();
    let mut failed_conversations = Vec::new();
    for (conversation, handle) in handles {
        let error = match handle.await {
            Ok(None) => {
                not_started += 1;
                continue;
            }
            Ok(Some(Ok(Ok((_, Final::Cancelled))))) => {
                cancelled += 1;
                continue;
            }
            Ok(Some(Ok(Ok((_, Final::Completed))))) => {
                completed += 1;
                continue;
            }
            Ok(Some(Ok(Err(e)))) => e,
            Ok(Some(Err(_))) => "no end within the time limit".to_owned(),
            Err(e) => format!("task failed: {e}"),
        };
        *errors.entry(error).or_default() += 1;
        failed_conversations.push(conversation);
    }
    // A send that failed may still have started its turn: find such answers and stop them too.
    let orphans = unfinished_answers(ctx, failed_conversations).await;
    let orphan_count = orphans.len();
    cancel_failures += cancel_all(ctx, orphans).await.iter().filter(|ok| !**ok).count();
    Ok(MemoryReport {
        idle_kib,
        idle_anon_kib,
        open_kib,
        open,
        cancelled,
        completed,
        errors,
        cancel_failures,
        server_open,
        orphans: orphan_count,
        not_started,
    })
}

/// A wait between two tokens beyond the upstream's own that counts as a stall.
const STALL: Duration = Duration::from_secs(1);

/// `--hold`: N streams through Confab open at once, each to its end.
async fn hold(args: &Args, server: &Server) -> Result<bool> {
    let n = args.turns;
    let limit = Duration::from_secs(args.timeout_secs);
    let client =
        client_builder()?.pool_max_idle_per_host(n + 16).pool_idle_timeout(Duration::from_secs(600)).build()?;
    let ctx = ConfabCtx {
        client: client.clone(),
        base: server.base.clone(),
        token: api_token(&server.base).await?,
        private: false,
    };
    // One quick turn first: the set-up works, and lazily built parts of the server are built.
    let warm = create_conversations(&ctx, 1).await?.remove(0);
    let warm_reply = Arc::new(expected_reply(4));
    completed(confab_turn(ctx.clone(), warm, format!("warm-up {}", knobs(4, 1)), Some(warm_reply), None, None))
        .await
        .map_err(|e| anyhow!("warm-up failed: {e}"))?;
    let conversations = create_conversations(&ctx, n).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_kib, idle_anon_kib) = (server.rss_kib()?, server.anon_kib()?);
    let cpu = CpuMeter::start(server.pid());
    let expected = Arc::new(expected_reply(args.tokens));
    let gate = Arc::new(Semaphore::new(args.open_concurrency.clamp(1, 1024)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let handles: Vec<_> = conversations
        .into_iter()
        .enumerate()
        .map(|(i, conversation)| {
            let content = format!("held stream {i} {}", knobs(args.tokens, args.delay_ms));
            let (ctx, tx, gate, expected) = (ctx.clone(), tx.clone(), gate.clone(), expected.clone());
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await.expect("the gate is never closed");
                let turn = confab_turn(ctx, conversation, content, Some(expected), Some(tx), Some(permit));
                tokio::time::timeout(limit, turn).await
            })
        })
        .collect();
    drop(tx);
    // The reading is taken once every stream has had its first delta (or ended without one).
    let mut progress = Progress::default();
    let deadline = tokio::time::Instant::now() + limit;
    while progress.opened + progress.ended_unopened < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(signal)) => progress.count(signal),
            Ok(None) | Err(_) => break,
        }
    }
    while let Ok(signal) = rx.try_recv() {
        progress.count(signal);
    }
    let all_open_after = started.elapsed();
    let open_kib = server.rss_kib()?;
    let open = progress.opened - progress.ended_open;
    let server_open = metrics(&client, &server.url("/metrics"))
        .await
        .and_then(|text| metric_value(&text, "confab_chat_open_streams"));
    let mut samples = Vec::with_capacity(n);
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for handle in handles {
        let error = match handle.await {
            Ok(Ok(Ok((sample, Final::Completed)))) => {
                samples.push(sample);
                continue;
            }
            Ok(Ok(Ok((_, Final::Cancelled)))) => "message.cancelled".to_owned(),
            Ok(Ok(Err(e))) => e,
            Ok(Err(_)) => format!("no end within {} s", limit.as_secs()),
            Err(e) => format!("task failed: {e}"),
        };
        *errors.entry(error).or_default() += 1;
    }
    let wall = started.elapsed();
    let cpu = cpu.per_turn_line(n);
    let backend = if args.postgres.is_some() { "postgres" } else { "sqlite" };
    println!("confab-load --hold  N={n}  tokens={}  delay={}ms  database={backend}", args.tokens, args.delay_ms);
    let failed: usize = errors.values().sum();
    println!(
        "streams: {} completed with every token, {failed} failed; all open {:.1}s after the first send, all done \
         after {:.1}s",
        samples.len(),
        all_open_after.as_secs_f64(),
        wall.as_secs_f64()
    );
    print_errors("errors", &errors);
    let (idle, anon, with) = (idle_kib as f64 / 1024.0, idle_anon_kib as f64 / 1024.0, open_kib as f64 / 1024.0);
    println!(
        "memory per open stream: {:.1} KiB (idle RSS {idle:.1} MiB, {anon:.1} MiB of it anonymous; with {open} open \
         {with:.1} MiB; server counted {})",
        (open_kib as f64 - idle_kib as f64) / open.max(1) as f64,
        server_open.map_or_else(|| "-".to_owned(), |v| v.to_string())
    );
    let upstream_wait = Duration::from_millis(args.delay_ms);
    let mut gaps: Vec<Duration> = samples.iter().map(|s| s.max_gap).collect();
    gaps.sort_unstable();
    let stalls = gaps.iter().filter(|g| g.saturating_sub(upstream_wait) > STALL).count();
    println!(
        "longest wait between two tokens of a stream (the upstream waits {}ms): p50 {}  p99 {}  max {}; streams \
         with a stall over {}s beyond it: {stalls}",
        args.delay_ms,
        ms(percentile(&gaps, 50.0)),
        ms(percentile(&gaps, 99.0)),
        ms(gaps.last().copied()),
        STALL.as_secs()
    );
    let stats = Stats::of(&samples);
    println!("TTFT p50 {}  p99 {}", ms(stats.ttft50), ms(stats.ttft99));
    println!("{cpu}");
    Ok(failed == 0 && stalls == 0 && open == n)
}

async fn bench(args: &Args, upstream: &ScriptedUpstream, server: &Server) -> Result<bool> {
    let n = args.turns;
    let limit = Duration::from_secs(args.timeout_secs);
    let client = client_builder()?
        .pool_max_idle_per_host(n + args.warmup + 16)
        .pool_idle_timeout(Duration::from_secs(600))
        .build()?;
    let token = api_token(&server.base).await?;
    if let Some(dir) = &args.plugins {
        let names = install_plugins(&server.base, dir).await?;
        println!("plugin chain enabled: {}", names.join(", "));
    }
    let ctx = ConfabCtx { client: client.clone(), base: server.base.clone(), token, private: false };
    let private_ctx = ConfabCtx { private: true, ..ctx.clone() };
    let direct_url: Arc<str> = format!("{}/v1/chat/completions", upstream.base_url()).into();
    let text = knobs(args.tokens, args.delay_ms);
    let expected = Arc::new(expected_reply(args.tokens));
    let script = Arc::new(Script::new(args.tokens));
    let direct_request = |content: String| {
        chat_completion(client.clone(), direct_url.clone(), None, chat_body("gpt-4o", content), script.clone())
    };

    // Warm-up: a few turns each way; any failure here means the set-up is wrong.
    let warm = args.warmup.max(1);
    let warm_direct = run_all((0..warm).map(|i| direct_request(format!("warm-up {i} {text}"))).collect(), limit).await;
    let conversations = create_conversations(&ctx, warm).await?;
    let warm_confab = run_all(
        conversations
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let turn =
                    confab_turn(ctx.clone(), c, format!("warm-up {i} {text}"), Some(expected.clone()), None, None);
                completed(turn)
            })
            .collect(),
        limit,
    )
    .await;
    if warm_direct.error_count() + warm_confab.error_count() > 0 {
        return Err(anyhow!("warm-up failed: direct {:?}, via confab {:?}", warm_direct.errors, warm_confab.errors));
    }

    // Memory per open stream (first, while the server's heap is still small).
    let memory_ctx = if args.private { &private_ctx } else { &ctx };
    let memory = if args.skip_memory { None } else { Some(memory_phase(args, memory_ctx, server).await?) };

    // Direct.
    open_connections(&client, &format!("{}/", upstream.base_url()), n).await;
    let calls_before = upstream.calls();
    let direct = run_all((0..n).map(|i| direct_request(format!("direct {i} {text}"))).collect(), limit).await;

    // Through Confab.
    let conversations = create_conversations(&ctx, n).await?;
    open_connections(&client, &server.url("/healthz"), n).await;
    let cpu = CpuMeter::start(server.pid());
    let confab = run_all(
        conversations
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let turn = confab_turn(ctx.clone(), c, format!("turn {i} {text}"), Some(expected.clone()), None, None);
                completed(turn)
            })
            .collect(),
        limit,
    )
    .await;
    let cpu = cpu.per_turn_line(n);
    // Private turns, the same way.
    let private = if args.private {
        open_connections(&client, &server.url("/healthz"), n).await;
        let cpu = CpuMeter::start(server.pid());
        let phase = run_all(
            (0..n)
                .map(|i| {
                    let content = format!("private {i} {text}");
                    completed(confab_turn(
                        private_ctx.clone(),
                        String::new(),
                        content,
                        Some(expected.clone()),
                        None,
                        None,
                    ))
                })
                .collect(),
            limit,
        )
        .await;
        Some((phase, cpu.per_turn_line(n)))
    } else {
        None
    };
    let upstream_calls = upstream.calls() - calls_before;
    let expected_calls = if args.private { 3 * n } else { 2 * n };
    let server_metrics = metrics(&client, &server.url("/metrics")).await;

    // Report.
    let backend = if args.postgres.is_some() { "postgres" } else { "sqlite" };
    println!("confab-load  N={n}  tokens={}  delay={}ms  database={backend}", args.tokens, args.delay_ms);
    let d = Stats::of(&direct.samples);
    let c = Stats::of(&confab.samples);
    println!("{:<17}{:>12}{:>12}{:>12}{:>12}", "", "TTFT p50", "TTFT p99", "total p50", "total p99");
    println!("{:<17}{:>12}{:>12}{:>12}{:>12}", "direct", ms(d.ttft50), ms(d.ttft99), ms(d.total50), ms(d.total99));
    println!("{:<17}{:>12}{:>12}{:>12}{:>12}", "via confab", ms(c.ttft50), ms(c.ttft99), ms(c.total50), ms(c.total99));
    println!(
        "{:<17}{:>12}{:>12}{:>12}{:>12}",
        "added",
        added(c.ttft50, d.ttft50),
        added(c.ttft99, d.ttft99),
        added(c.total50, d.total50),
        added(c.total99, d.total99)
    );
    if let Some((phase, _)) = &private {
        let p = Stats::of(&phase.samples);
        println!(
            "{:<17}{:>12}{:>12}{:>12}{:>12}",
            "via confab, priv",
            ms(p.ttft50),
            ms(p.ttft99),
            ms(p.total50),
            ms(p.total99)
        );
        println!(
            "{:<17}{:>12}{:>12}{:>12}{:>12}",
            "added, private",
            added(p.ttft50, d.ttft50),
            added(p.ttft99, d.ttft99),
            added(p.total50, d.total50),
            added(p.total99, d.total99)
        );
    }
    let mut chain: Vec<Duration> = confab.samples.iter().filter_map(|s| s.plugins).collect();
    if !chain.is_empty() {
        chain.sort();
        let at = |q: f64| chain[((chain.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
        println!(
            "plugin chain per turn (the answers' recorded runs, {} turns): p50 {:.0} µs  p90 {:.0} µs  p99 {:.0} µs  \
             max {:.0} µs",
            chain.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }
    let turns_per_sec = n as f64 / confab.wall.as_secs_f64();
    println!(
        "turns/s via confab: {turns_per_sec:.1}   errors: {} (direct: {})   upstream calls: {upstream_calls} (expected {})",
        confab.error_count(),
        direct.error_count(),
        expected_calls
    );
    if confab.error_count() > 0 || direct.error_count() > 0 {
        println!(
            "(percentiles over successful requests only: {} of {n} via confab, {} of {n} direct)",
            confab.samples.len(),
            direct.samples.len()
        );
    }
    print_errors("via confab errors", &confab.errors);
    print_errors("direct errors", &direct.errors);
    println!("{cpu}");
    let mut clean = confab.error_count() == 0 && direct.error_count() == 0 && upstream_calls == expected_calls;
    if let Some((phase, cpu)) = &private {
        println!("private turns: {cpu}; errors: {}", phase.error_count());
        print_errors("private errors", &phase.errors);
        clean &= phase.error_count() == 0;
    }
    if let Some(m) = memory {
        let idle = m.idle_kib as f64 / 1024.0;
        let anon = m.idle_anon_kib as f64 / 1024.0;
        let with = m.open_kib as f64 / 1024.0;
        // With most streams failed, the difference is mostly what the failures left behind.
        if m.open * 10 < n * 9 {
            println!(
                "memory per open stream: n/a, only {} of {n} streams open (idle RSS {idle:.1} MiB, {anon:.1} MiB of it \
                 anonymous; at the reading {with:.1} MiB)",
                m.open
            );
        } else {
            let per_stream = (m.open_kib as f64 - m.idle_kib as f64) / m.open as f64;
            println!(
                "memory per open stream: {per_stream:.1} KiB (idle RSS {idle:.1} MiB, {anon:.1} MiB of it anonymous; \
                 with {} open {with:.1} MiB)",
                m.open
            );
        }
        let errors: usize = m.errors.values().sum();
        let server_open = m.server_open.map_or(m.open, |v| v as usize);
        if m.open != n
            || server_open != m.open
            || m.orphans > 0
            || m.not_started > 0
            || m.completed > 0
            || errors > 0
            || m.cancel_failures > 0
        {
            println!(
                "memory phase: {} open at reading of {n} (server's confab_chat_open_streams: {}); afterwards {} \
                 cancelled, {} completed, {errors} failed ({} of those had started an answer anyway), {} cancel \
                 requests failed, {} not started",
                m.open,
                m.server_open.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                m.cancelled,
                m.completed,
                m.orphans,
                m.cancel_failures,
                m.not_started
            );
            print_errors("memory phase errors", &m.errors);
            clean = false;
        }
    }
    if let Some(text) = server_metrics {
        println!(
            "server totals: responses by status {}; turns by outcome {}",
            by_label(&text, "confab_http_requests_total", "status"),
            by_label(&text, "confab_chat_turns_total", "outcome")
        );
        println!("server stage means (every turn of the run, warm-up included): {}", stage_means(&text));
    }
    Ok(clean)
}

/// The mean of each stage of a turn the server times, from its histograms' `_sum` and `_count`:
/// where the added time to first token goes (admission, the commit, the provider, the first delta).
fn stage_means(metrics: &str) -> String {
    let families = [
        ("confab_admission_duration_seconds", "admission"),
        ("confab_persistence_duration_seconds", "persistence"),
        ("confab_provider_connect_seconds", "provider_connect"),
        ("confab_provider_first_byte_seconds", "provider_first_byte"),
        ("confab_chat_first_delta_written_seconds", "first_delta_written"),
        ("confab_chat_time_to_first_token_seconds", "first_token"),
    ];
    let mut parts = Vec::new();
    for (family, short) in families {
        let sums = series_values(metrics, &format!("{family}_sum"));
        let counts = series_values(metrics, &format!("{family}_count"));
        for (labels, sum) in sums {
            let Some(count) = counts.iter().find(|(l, _)| *l == labels).map(|(_, c)| *c).filter(|c| *c > 0.0) else {
                continue;
            };
            let stage = labels.split('"').nth(1).map_or_else(|| short.to_owned(), |v| format!("{short}.{v}"));
            parts.push(format!("{stage} {:.2}ms", sum / count * 1000.0));
        }
    }
    parts.join(", ")
}

/// `(labels, value)` of every sample of the metric `name` (labels as written, `{…}` or empty).
fn series_values<'a>(metrics: &'a str, name: &str) -> Vec<(&'a str, f64)> {
    metrics
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = rest.rsplit_once(' ')?;
            (labels.is_empty() || labels.starts_with('{')).then_some(())?;
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

/// The server's Prometheus text, when `/metrics` answers.
async fn metrics(client: &Client, url: &str) -> Option<String> {
    let resp = client.get(url).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.text().await.ok()
}

/// The samples of metric `name` summed by the value of `label`, e.g. `200=412 201=205`.
fn by_label(metrics: &str, name: &str, label: &str) -> String {
    let prefix = format!("{name}{{");
    let key = format!("{label}=\"");
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for line in metrics.lines().filter(|l| l.starts_with(&prefix)) {
        let value = line.split(key.as_str()).nth(1).and_then(|rest| rest.split('"').next());
        let count = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
        if let (Some(value), Some(count)) = (value, count) {
            *sums.entry(value).or_default() += count;
        }
    }
    sums.iter().map(|(v, n)| format!("{v}={n}")).collect::<Vec<_>>().join(" ")
}

/// The value of an unlabelled metric.
fn metric_value(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn print_errors(label: &str, errors: &BTreeMap<String, usize>) {
    if errors.is_empty() {
        return;
    }
    let list: Vec<String> = errors.iter().map(|(e, n)| format!("{e} ×{n}")).collect();
    println!("{label}: {}", list.join(", "));
}

/// Appends `pid` to `--pid-file`, if given.
fn record_pid(args: &Args, pid: u32) {
    let Some(path) = &args.pid_file else { return };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, format!("{pid}\n").as_bytes()));
    if let Err(e) = appended {
        eprintln!("confab-load: warning: could not record pid {pid} in {}: {e}", path.display());
    }
}

// ---------------------------------------------------------------------------------------------
// --openai-compat: Confab's OpenAI-compatible endpoint vs. direct vs. LiteLLM
// ---------------------------------------------------------------------------------------------

mod openai_compat {
    //! The same streaming Chat Completions request (OpenAI's wire format, `stream_options.
    //! include_usage`) sent N at once to each target in turn: the scripted upstream itself, Confab's
    //! `/openai/v1`, and a LiteLLM proxy in front of the same upstream. Each target is warmed up and
    //! its client connections are opened before its phase; a target that fails its warm-up (e.g.
    //! a Confab without the endpoint, which answers 404) gets a row that says why, and the others
    //! are still measured.

    use super::*;
    use std::io::{Read as _, Write as _};
    use std::net::{TcpListener, TcpStream};
    use std::path::Path;
    use std::sync::atomic::AtomicU64;

    /// LiteLLM's master key: the proxy checks a key on every request, as Confab does.
    const LITELLM_KEY: &str = "sk-bench-litellm-master";
    /// How long LiteLLM may take to start (its imports take tens of seconds on a busy machine).
    const LITELLM_START: Duration = Duration::from_secs(180);

    /// A LiteLLM proxy process (one worker) configured with the scripted upstream as model
    /// [`MODEL`]; killed (and its directory removed unless `--keep`) when dropped.
    pub(super) struct Litellm {
        child: Child,
        dir: PathBuf,
        base: String,
        keep: bool,
    }

    impl Litellm {
        pub(super) fn start(args: &Args, cmd: &Path, upstream_base: &str) -> Result<Litellm> {
            let dir = std::env::temp_dir().join(format!("confab-load-litellm-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir)?;
            // The upstream as an OpenAI-compatible provider, as a LiteLLM user would configure it.
            let config = format!(
                r#"model_list:
  - model_name: {MODEL}
    litellm_params:
      model: openai/gpt-4o
      api_base: {upstream_base}/v1
      api_key: sk-bench
general_settings:
  master_key: {LITELLM_KEY}
"#
            );
            let config_path = dir.join("litellm.yaml");
            std::fs::write(&config_path, config)?;
            // Warnings and errors only: no access log line per request (Confab logs at `warn`).
            let log_config = json!({
                "version": 1,
                "disable_existing_loggers": false,
                "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
                "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                        "stream": "ext://sys.stderr"}},
                "loggers": {
                    "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": false},
                    "uvicorn.error": {"level": "WARNING"},
                    "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": false},
                },
            });
            let log_config_path = dir.join("log-config.json");
            std::fs::write(&log_config_path, log_config.to_string())?;
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let log = std::fs::File::create(dir.join("litellm.log"))?;
            let mut command = Command::new(cmd);
            command.env_clear();
            for key in ["PATH", "HOME", "TMPDIR", "LANG"] {
                if let Some(v) = std::env::var_os(key) {
                    command.env(key, v);
                }
            }
            let child = command
                // Quiet, and no fetch of the model price list from the internet at start.
                .env("LITELLM_LOG", "ERROR")
                .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                .env("PYTHONUNBUFFERED", "1")
                .arg("--config")
                .arg(&config_path)
                .arg("--log_config")
                .arg(&log_config_path)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--num_workers",
                    "1",
                    "--telemetry",
                    "False",
                ])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", cmd.display()))?;
            record_pid(args, child.id());
            let mut litellm = Litellm { child, dir, base: format!("http://127.0.0.1:{port}"), keep: args.keep };
            litellm.wait_ready(port)?;
            Ok(litellm)
        }

        /// Waits until `GET /health/liveliness` answers 200 (a plain blocking probe: no runtime
        /// is needed this early).
        fn wait_ready(&mut self, port: u16) -> Result<()> {
            let started = Instant::now();
            loop {
                if let Some(status) = self.child.try_wait()? {
                    self.print_log_tail();
                    bail!("LiteLLM exited during its start ({status})");
                }
                if liveliness(port) {
                    eprintln!("confab-load: LiteLLM ready after {:.1} s", started.elapsed().as_secs_f64());
                    return Ok(());
                }
                if started.elapsed() > LITELLM_START {
                    self.print_log_tail();
                    bail!("LiteLLM did not answer /health/liveliness within {} s", LITELLM_START.as_secs());
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        }

        fn pid(&self) -> u32 {
            self.child.id()
        }

        pub(super) fn print_log_tail(&self) {
            let log = std::fs::read_to_string(self.dir.join("litellm.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            if lines.is_empty() {
                return;
            }
            eprintln!("LiteLLM log (last lines of {}):", lines.len());
            for line in &lines[lines.len().saturating_sub(20)..] {
                eprintln!("  {line}");
            }
        }
    }

    fn liveliness(port: u16) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = "GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut head = [0u8; 16];
        let Ok(read) = stream.read(&mut head) else { return false };
        String::from_utf8_lossy(&head[..read]).split_whitespace().nth(1) == Some("200")
    }

    impl Drop for Litellm {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            if self.keep {
                eprintln!("confab-load: kept {}", self.dir.display());
            } else {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Processes: CPU time and memory from /proc
    // -----------------------------------------------------------------------------------------

    /// A process and its descendants at the time of the call (a proxy may run workers).
    fn process_tree(root: u32) -> Vec<u32> {
        let mut parents: Vec<(u32, u32)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
                if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1).and_then(|v| v.parse().ok())) {
                    parents.push((pid, ppid));
                }
            }
        }
        let mut tree = vec![root];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(parents.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
            i += 1;
        }
        tree
    }

    /// Resident set size of these processes in KiB (`VmRSS`).
    fn rss_kib(pids: &[u32]) -> u64 {
        pids.iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|status| {
                status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse::<u64>().ok()
            })
            .sum()
    }

    /// Samples the resident memory of processes every 50 ms until stopped; yields the peak.
    struct RssSampler {
        stop: Arc<AtomicBool>,
        task: tokio::task::JoinHandle<u64>,
    }

    impl RssSampler {
        fn start(pids: Vec<u32>) -> RssSampler {
            let stop = Arc::new(AtomicBool::new(false));
            let peak = Arc::new(AtomicU64::new(0));
            let task = tokio::spawn({
                let stop = stop.clone();
                async move {
                    loop {
                        peak.fetch_max(rss_kib(&pids), Ordering::Relaxed);
                        if stop.load(Ordering::Relaxed) {
                            return peak.load(Ordering::Relaxed);
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            });
            RssSampler { stop, task }
        }

        async fn peak_kib(self) -> Option<u64> {
            self.stop.store(true, Ordering::Relaxed);
            self.task.await.ok()
        }
    }

    // -----------------------------------------------------------------------------------------
    // The run
    // -----------------------------------------------------------------------------------------

    /// One row of the table: something that answers OpenAI's streaming Chat Completions.
    struct Target {
        name: &'static str,
        url: Arc<str>,
        key: Option<Arc<str>>,
        /// A cheap GET on the same host, to open the client's connections before the phase.
        connect_url: String,
        /// The process serving it (`None`: the upstream, in this process).
        pid: Option<u32>,
    }

    struct Measured {
        phase: PhaseResult,
        /// Requests the upstream received during the phase (N when nothing retried or failed).
        upstream_calls: usize,
        cpu_per_turn: Option<Duration>,
        rss_peak_kib: Option<u64>,
    }

    pub(super) async fn bench(
        args: &Args,
        upstream: &ScriptedUpstream,
        server: &Server,
        litellm: Option<&Litellm>,
    ) -> Result<bool> {
        let n = args.turns;
        let limit = Duration::from_secs(args.timeout_secs);
        let client = super::client_builder()?
            .pool_max_idle_per_host(n + args.warmup + 16)
            .pool_idle_timeout(Duration::from_secs(600))
            .build()?;
        let token: Arc<str> = api_token(&server.base).await?.into();
        let mut targets = vec![
            Target {
                name: "direct",
                url: format!("{}/v1/chat/completions", upstream.base_url()).into(),
                key: None,
                connect_url: format!("{}/", upstream.base_url()),
                pid: None,
            },
            Target {
                name: "confab /openai/v1",
                url: server.url("/openai/v1/chat/completions").into(),
                key: Some(token),
                connect_url: server.url("/healthz"),
                pid: Some(server.pid()),
            },
        ];
        if let Some(litellm) = litellm {
            targets.push(Target {
                name: "litellm",
                url: format!("{}/v1/chat/completions", litellm.base).into(),
                key: Some(LITELLM_KEY.into()),
                connect_url: format!("{}/health/liveliness", litellm.base),
                pid: Some(litellm.pid()),
            });
        }
        let script = Arc::new(Script::new(args.tokens));
        let knobs = knobs(args.tokens, args.delay_ms);
        let clock_ticks = clock_ticks_per_second();

        let mut rows = Vec::new();
        for target in &targets {
            let outcome = match warm_up(&client, target, args, &script, &knobs, limit).await {
                Ok(()) => Ok(measure(&client, target, args, upstream, &script, &knobs, limit, clock_ticks).await),
                Err(why) => Err(why),
            };
            rows.push((target.name, outcome));
        }
        Ok(report(args, &rows))
    }

    /// One request, then `--warmup` at once, twice; the first failure says why the target is not
    /// measured.
    async fn warm_up(
        client: &Client,
        target: &Target,
        args: &Args,
        script: &Arc<Script>,
        knobs: &str,
        limit: Duration,
    ) -> Result<(), String> {
        let request = |i: usize| {
            let body = chat_body(MODEL, format!("warm-up {i} {knobs}"));
            chat_completion(client.clone(), target.url.clone(), target.key.clone(), body, script.clone())
        };
        let first = tokio::time::timeout(limit, request(0)).await.unwrap_or_else(|_| Err("no answer".into()));
        if let Err(e) = first {
            return Err(if e.starts_with("http 404") {
                format!("{} answered 404: this build has no such endpoint ({e})", target.url)
            } else {
                format!("warm-up request failed: {e}")
            });
        }
        for _ in 0..2 {
            let warm = run_all((1..=args.warmup.max(1)).map(request).collect(), limit).await;
            if let Some((e, _)) = warm.errors.iter().next() {
                return Err(format!("warm-up request failed: {e}"));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn measure(
        client: &Client,
        target: &Target,
        args: &Args,
        upstream: &ScriptedUpstream,
        script: &Arc<Script>,
        knobs: &str,
        limit: Duration,
        clock_ticks: f64,
    ) -> Measured {
        let n = args.turns;
        open_connections(client, &target.connect_url, n).await;
        let pids = target.pid.map(process_tree).unwrap_or_default();
        let cpu_before = cpu_ticks(&pids);
        let sampler = target.pid.map(|_| RssSampler::start(pids.clone()));
        let calls_before = upstream.calls();
        let phase = run_all(
            (0..n)
                .map(|i| {
                    // The same body for every target: the index and the script.
                    let body = chat_body(MODEL, format!("stream {i} {knobs}"));
                    chat_completion(client.clone(), target.url.clone(), target.key.clone(), body, script.clone())
                })
                .collect(),
            limit,
        )
        .await;
        let upstream_calls = upstream.calls() - calls_before;
        let cpu = cpu_ticks(&pids).saturating_sub(cpu_before);
        let rss_peak_kib = match sampler {
            Some(sampler) => sampler.peak_kib().await,
            None => None,
        };
        let cpu_per_turn = target.pid.map(|_| Duration::from_secs_f64(cpu as f64 / clock_ticks / n as f64));
        Measured { phase, upstream_calls, cpu_per_turn, rss_peak_kib }
    }

    /// Prints the table; whether every target was measured without an error.
    fn report(args: &Args, rows: &[(&str, Result<Measured, String>)]) -> bool {
        let n = args.turns;
        println!("confab-load --openai-compat  N={n}  tokens={}  delay={}ms", args.tokens, args.delay_ms);
        println!(
            "{:<19} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10} {:>10}",
            "",
            "TTFT p50",
            "TTFT p99",
            "total p50",
            "total p99",
            "+TTFT p50",
            "+TTFT p99",
            "errors",
            "CPU/turn",
            "RSS peak"
        );
        let direct = match rows.first() {
            Some((_, Ok(m))) => Some(Stats::of(&m.phase.samples)),
            _ => None,
        };
        let mut added_p99 = BTreeMap::new();
        let mut cpu = BTreeMap::new();
        let mut rss = BTreeMap::new();
        let mut clean = true;
        for (name, outcome) in rows {
            let m = match outcome {
                Ok(m) => m,
                Err(why) => {
                    println!("{name:<19} not measured: {why}");
                    clean = false;
                    continue;
                }
            };
            let s = Stats::of(&m.phase.samples);
            if let Some(d) = m.cpu_per_turn {
                cpu.insert(*name, d.as_secs_f64());
            }
            if let Some(k) = m.rss_peak_kib {
                rss.insert(*name, k as f64);
            }
            let (plus50, plus99) = match (&direct, *name == "direct") {
                (Some(d), false) => {
                    if let (Some(v), Some(d)) = (s.ttft99, d.ttft99) {
                        added_p99.insert(*name, v.as_secs_f64() - d.as_secs_f64());
                    }
                    (added(s.ttft50, d.ttft50), added(s.ttft99, d.ttft99))
                }
                _ => ("-".to_owned(), "-".to_owned()),
            };
            println!(
                "{name:<19} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10} {:>10}",
                ms(s.ttft50),
                ms(s.ttft99),
                ms(s.total50),
                ms(s.total99),
                plus50,
                plus99,
                m.phase.error_count(),
                m.cpu_per_turn.map_or_else(|| "-".to_owned(), |d| format!("{:.2}ms", d.as_secs_f64() * 1000.0)),
                m.rss_peak_kib.map_or_else(|| "-".to_owned(), |k| format!("{:.1}MiB", k as f64 / 1024.0)),
            );
            if m.phase.error_count() > 0 || m.upstream_calls != n {
                clean = false;
            }
        }
        for (name, outcome) in rows {
            if let Ok(m) = outcome {
                print_errors(&format!("{name} errors"), &m.phase.errors);
                if m.phase.error_count() > 0 {
                    println!("  ({name}: percentiles over the {} of {n} successful streams)", m.phase.samples.len());
                }
                if m.upstream_calls != n {
                    println!("  ({name}: the upstream received {} requests, expected {n})", m.upstream_calls);
                }
            }
        }
        match (added_p99.get("confab /openai/v1"), added_p99.get("litellm")) {
            (Some(c), Some(l)) => {
                let ratio = if *l > 0.0 { format!("ratio {:.2}", c / l) } else { "ratio n/a".to_owned() };
                let verdict = if *c <= l / 2.0 { "met" } else { "not met" };
                println!(
                    "added TTFT p99: confab {:.2} ms vs litellm {:.2} ms ({ratio}; target confab <= litellm / 2: {verdict})",
                    c * 1000.0,
                    l * 1000.0
                );
            }
            (c, l) => {
                let show = |v: Option<&f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.2} ms", v * 1000.0));
                println!("added TTFT p99: confab {} vs litellm {} (no ratio: a row is missing)", show(c), show(l));
            }
        }
        // The peer's cost as a multiple of Confab's, where both were measured.
        for (what, values, unit, scale) in
            [("CPU per stream", &cpu, "ms", 1000.0), ("RSS peak", &rss, "MiB", 1.0 / 1024.0)]
        {
            if let (Some(c), Some(l)) = (values.get("confab /openai/v1"), values.get("litellm")) {
                let ratio = if *c > 0.0 { format!("{:.1}x", l / c) } else { "n/a".to_owned() };
                println!(
                    "{what}: litellm {:.2} {unit} vs confab {:.2} {unit} (litellm / confab: {ratio})",
                    l * scale,
                    c * scale
                );
            }
        }
        clean
    }
}

use openai_compat::Litellm;

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

struct Stats {
    ttft50: Option<Duration>,
    ttft99: Option<Duration>,
    total50: Option<Duration>,
    total99: Option<Duration>,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let mut ttft: Vec<Duration> = samples.iter().map(|s| s.ttft).collect();
        let mut total: Vec<Duration> = samples.iter().map(|s| s.total).collect();
        ttft.sort_unstable();
        total.sort_unstable();
        Stats {
            ttft50: percentile(&ttft, 50.0),
            ttft99: percentile(&ttft, 99.0),
            total50: percentile(&total, 50.0),
            total99: percentile(&total, 99.0),
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.2}ms", d.as_secs_f64() * 1000.0))
}

fn added(via: Option<Duration>, direct: Option<Duration>) -> String {
    match (via, direct) {
        (Some(v), Some(d)) => format!("{:+.2}ms", (v.as_secs_f64() - d.as_secs_f64()) * 1000.0),
        _ => "-".to_owned(),
    }
}
