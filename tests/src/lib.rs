//! Confab's test kit: spawns the real `confab` binary on port 0 against a fresh database
//! (a temporary SQLite file, or a randomly named PostgreSQL database) and talks to it over HTTP.
//!
//! PostgreSQL tests need `TEST_PG_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`); `scripts/test.sh` starts a throw-away cluster
//! and sets it. Without it PostgreSQL tests fail rather than pass silently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod dns;
pub mod faults;
pub mod oidc;
pub mod opensearch;
pub mod otlp;
pub mod plugin_fixtures;
pub mod proxy;
pub mod redis;
pub mod reliability;
pub mod s3;
pub mod tls;
pub mod upstream;

pub use otlp::OtlpReceiver;
pub use upstream::ScriptedUpstream;

use rand::Rng;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@acme.example";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const PASSWORD: &str = "plenty-of-entropy-42";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The `confab` binary built from this workspace.
pub fn confab_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("CONFAB_BIN") {
        return bin.into();
    }
    // A test: target/<profile>/deps/api-… → target/<profile>/confab; a tool binary of this crate
    // (e.g. confab-web-e2e-server) sits beside it in target/<profile>/.
    let exe = std::env::current_exe().unwrap();
    let beside = exe.parent().unwrap().join("confab");
    if beside.exists() {
        return this_checkouts_build(&beside).unwrap_or(beside);
    }
    let bin = exe.parent().and_then(Path::parent).unwrap().join("confab");
    if let Some(ours) = this_checkouts_build(&bin) {
        return ours;
    }
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p confab-server`, done by scripts/test.sh)",
        bin.display()
    );
    bin
}

/// When several checkouts (git worktrees) share one `CARGO_TARGET_DIR`, `target/<profile>/confab`
/// is whichever was built last, while cargo keeps each checkout's own build in
/// `deps/confab-<hash>`. If the uplifted binary was built elsewhere, this picks the newest one built
/// from this checkout's server (each says where with `CONFAB_PRINT_CHECKOUT`).
fn this_checkouts_build(uplifted: &Path) -> Option<PathBuf> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let server = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.join("server");
            let built_from = |exe: &Path| {
                let out = std::process::Command::new(exe)
                    .env("CONFAB_PRINT_CHECKOUT", "1")
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .output()
                    .ok()?;
                Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
            };
            if built_from(uplifted).is_some_and(|dir| dir == server) {
                return None;
            }
            let deps = uplifted.parent()?.join("deps");
            let mut ours: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
            for entry in std::fs::read_dir(&deps).ok()?.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_bin = name
                    .strip_prefix("confab-")
                    .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|c| c.is_ascii_hexdigit()));
                if !is_bin {
                    continue;
                }
                if built_from(&entry.path()).is_some_and(|dir| dir == server)
                    && let Ok(modified) = entry.metadata().and_then(|m| m.modified())
                {
                    ours.push((modified, entry.path()));
                }
            }
            ours.into_iter().max_by_key(|(t, _)| *t).map(|(_, exe)| exe)
        })
        .clone()
}

fn random_suffix() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: PathBuf,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = std::env::temp_dir().join(format!("confab-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("confab.db").display()),
            Backend::Postgres => {
                let admin = std::env::var("TEST_PG_URL")
                    .expect("TEST_PG_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL");
                let name = format!("confab_test_{}", random_suffix());
                let conn = Database::connect(admin.as_str()).await.unwrap();
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
                conn.close().await.ok();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
                format!("{base}/{name}")
            }
        };
        TestDb { backend, url, dir }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(self.url.as_str()).await.unwrap()
    }
}

/// Options for a spawned server.
#[derive(Default, Clone)]
pub struct Options {
    /// Extra `CONFAB_…` variables.
    pub env: Vec<(String, String)>,
    /// Start without bootstrap credentials (prints a setup link instead).
    pub no_bootstrap: bool,
    /// Written as `confab.toml` in the server's working directory.
    pub config_toml: Option<String>,
}

impl Options {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Providers and models served by a scripted upstream:
    /// `gpt-4o` (OpenAI), `claude` (Anthropic), `azure-gpt` (Azure OpenAI deployment `gpt4-deploy`)
    /// and `tiny` (OpenAI, a 200-token window with 50 reserved for output).
    pub fn upstream(self, upstream: &upstream::ScriptedUpstream) -> Self {
        self.upstream_at(&upstream.base_url())
    }

    /// As [`Options::upstream`], with the provider at `base` (e.g. a fault proxy in front of
    /// the scripted upstream).
    pub fn upstream_at(mut self, base: &str) -> Self {
        self.config_toml = Some(format!(
            r#"
[chat]
flush_interval_ms = 100
flush_bytes = 64
heartbeat_secs = 1

[providers.openai]
kind = "openai"
base_url = "{base}/v1"
api_key = "sk-test-installation"
first_byte_timeout_ms = 2000
idle_timeout_ms = 1000
max_retries = 2

[providers.anthropic]
kind = "anthropic"
base_url = "{base}/v1"
api_key = "ak-test-installation"
first_byte_timeout_ms = 2000
idle_timeout_ms = 1000

[providers.azure]
kind = "openai"
base_url = "{base}"
api_key = "az-test"
api_version = "2024-06-01"

[[models]]
id = "gpt-4o"
provider = "openai"
context_window = 128000
max_output_tokens = 1024
input_price_per_million = 2.5
output_price_per_million = 10.0
vision = true

[[models]]
id = "claude"
provider = "anthropic"
upstream_model = "claude-sonnet-4"
context_window = 200000
max_output_tokens = 1024
vision = true

[[models]]
id = "azure-gpt"
provider = "azure"
upstream_model = "gpt4-deploy"
context_window = 128000
max_output_tokens = 1024

[[models]]
id = "tiny"
provider = "openai"
upstream_model = "gpt-4o"
context_window = 200
max_output_tokens = 50
"#
        ));
        self
    }
}

pub struct TestApp {
    pub base: String,
    /// The admin console's listener (`None` when a test switched it off).
    pub admin_base: Option<String>,
    pub db: TestDb,
    pub stdout_lines: Vec<String>,
    child: Child,
    opts: Options,
    /// The database outlives this server (`kill`, to restart on it).
    handed_over: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test keeps its directory (database, config, server.log) for a look.
        if !self.handed_over && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.db.dir);
        }
    }
}

/// Base environment for any `confab` invocation against this database.
fn base_env(db: &TestDb, opts: &Options) -> Vec<(String, String)> {
    let mut env = vec![
        ("CONFAB_DATABASE__URL".to_string(), db.url.clone()),
        ("CONFAB_LOG__LEVEL".to_string(), "warn".to_string()),
        // Every test server opens the admin console's listener too, on a port of its own.
        ("CONFAB_ADMIN__LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ];
    if !opts.no_bootstrap {
        env.push(("CONFAB_BOOTSTRAP_EMAIL".into(), ADMIN_EMAIL.into()));
        env.push(("CONFAB_BOOTSTRAP_PASSWORD".into(), ADMIN_PASSWORD.into()));
        env.push(("CONFAB_BOOTSTRAP_TENANT".into(), "Acme".into()));
    }
    env.extend(opts.env.iter().cloned());
    env
}

/// A `confab` command with a clean environment (no stray CONFAB_ variables).
pub fn confab_command(env: &[(String, String)], cwd: &Path) -> Command {
    let mut cmd = Command::new(confab_bin());
    cmd.env_clear();
    for key in ["PATH", "HOME", "TMPDIR", "RUST_BACKTRACE"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v))).current_dir(cwd);
    cmd
}

/// The output of a finished `confab` command.
pub struct CliOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> TestApp {
        Self::spawn_on(TestDb::new(backend).await, opts).await
    }

    /// On a fresh database made beforehand (`opts` may reach it another way, e.g. through a
    /// fault proxy with `CONFAB_DATABASE__URL`): migrates it (PostgreSQL) and starts.
    pub async fn spawn_on(db: TestDb, opts: Options) -> TestApp {
        let backend = db.backend;
        if backend == Backend::Postgres {
            let out = run_cli(&base_env(&db, &opts), &db.dir, &["migrate"], None);
            assert_eq!(out.code, 0, "confab migrate failed: {}", out.stderr);
        }
        Self::start(db, opts)
    }

    /// Starts `confab serve` on an existing database and waits until it listens.
    pub fn start(db: TestDb, opts: Options) -> TestApp {
        let env = base_env(&db, &opts);
        if let Some(toml) = &opts.config_toml {
            std::fs::write(db.dir.join("confab.toml"), toml).unwrap();
        }
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(db.dir.join("server.log")).unwrap();
        let mut child = confab_command(&env, &db.dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let mut admin_base = None;
        let base = loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("confab: admin console on ") {
                        admin_base = rest.split_whitespace().next().map(str::to_string);
                    }
                    let found = line
                        .strip_prefix("confab: listening on ")
                        .and_then(|rest| rest.split_whitespace().next())
                        .map(str::to_string);
                    lines.push(line);
                    if let Some(base) = found {
                        break base;
                    }
                }
                Err(_) => {
                    let log = std::fs::read_to_string(db.dir.join("server.log")).unwrap_or_default();
                    panic!("confab serve did not start; stdout: {lines:?}\nstderr: {log}");
                }
            }
        };
        TestApp { base, admin_base, db, stdout_lines: lines, child, opts, handed_over: false }
    }

    /// Starts another replica on the same database and configuration (plus `extra` variables),
    /// as a load balancer would see it: a second process on its own port.
    pub fn replica(&self, extra: &[(&str, &str)]) -> TestApp {
        let dir = self.db.dir.join(format!("replica-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = TestDb { backend: self.db.backend, url: self.db.url.clone(), dir };
        let mut opts = self.opts.clone();
        opts.env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut app = Self::start(db, opts);
        // The first replica owns the database and its directory.
        app.handed_over = true;
        app
    }

    /// Runs a `confab` CLI command against this server's database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(&base_env(&self.db, &self.opts), &self.db.dir, args, stdin)
    }

    /// Runs a `confab` CLI command with extra `CONFAB_…` variables (e.g. a crash point).
    pub fn cli_with(&self, args: &[&str], stdin: Option<&str>, extra: &[(&str, &str)]) -> CliOutput {
        let mut env = base_env(&self.db, &self.opts);
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        run_cli(&env, &self.db.dir, args, stdin)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.db.dir.join("server.log")).unwrap_or_default()
    }

    /// Kills the server without warning (SIGKILL) and returns its database, to restart on it.
    pub fn kill(mut self) -> (TestDb, Options) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let db = TestDb { backend: self.db.backend, url: self.db.url.clone(), dir: self.db.dir.clone() };
        self.handed_over = true;
        (db, self.opts.clone())
    }

    /// Sends SIGTERM and waits for the process to end; returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        self.sigterm();
        self.wait_exit(Duration::from_secs(10))
    }

    /// Sends SIGTERM (as Kubernetes does after the preStop hook) and returns at once.
    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    }

    /// Waits up to `limit` for the process to end; its exit code (`None`: still running, or
    /// ended by a signal).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Api {
        Api { app_base: self.base.clone(), client: Client::new(), csrf: None, bearer: None }
    }

    /// Signs in with e-mail and password; panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str) -> Api {
        let api = Api {
            app_base: self.base.clone(),
            client: Client::builder().cookie_store(true).build().unwrap(),
            csrf: None,
            bearer: None,
        };
        let resp = api.post("/v1/auth/login", json!({ "email": email, "password": password })).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "login of {email} failed: {body}");
        Api { csrf: body["csrf_token"].as_str().map(str::to_string), ..api }
    }

    pub async fn admin(&self) -> Api {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A client for the admin console's listener, not signed in.
    pub fn console(&self) -> Api {
        let base = self.admin_base.clone().expect("the admin console's listener is on");
        Api { app_base: base, client: Client::builder().cookie_store(true).build().unwrap(), csrf: None, bearer: None }
    }

    /// Signs in on the admin console's listener: the status and body, and the client (with the
    /// console session's CSRF token when it worked).
    pub async fn console_login(&self, email: &str, password: &str) -> (StatusCode, Value, Api) {
        let api = self.console();
        let (status, body) =
            api.send(Method::POST, "/v1/auth/login", Some(json!({ "email": email, "password": password }))).await;
        let api = Api { csrf: body["csrf_token"].as_str().map(str::to_string), ..api };
        (status, body, api)
    }

    /// A client that authenticates with an API token.
    pub fn with_token(&self, token: &str) -> Api {
        Api { app_base: self.base.clone(), client: Client::new(), csrf: None, bearer: Some(token.to_string()) }
    }

    /// Creates a user in the admin's active tenant and returns its id.
    pub async fn create_user(&self, admin: &Api, email: &str, role: &str) -> String {
        let resp = admin.post("/v1/users", json!({ "email": email, "password": PASSWORD, "role": role })).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "creating {email}: {body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Creates a second tenant with its own admin, through the platform admin. Returns
    /// (tenant id, that tenant's admin signed in).
    pub async fn second_tenant(&self, slug: &str) -> (String, Api) {
        let out = self.cli(&["admin", "create-tenant", "--name", slug, "--slug", slug], None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let email = format!("admin@{slug}.example");
        let out = self.cli(
            &["admin", "create-user", "--tenant", slug, "--email", &email, "--role", "tenant_admin"],
            Some(PASSWORD),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        // The running server notices policy changes made elsewhere within a second.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let api = self.login(&email, PASSWORD).await;
        let me = api.get_json("/v1/me").await;
        (me["active_tenant"]["id"].as_str().unwrap().to_string(), api)
    }

    /// Audit entries of the caller's tenant with the given action.
    pub async fn audit_count(&self, reader: &Api, action: &str) -> usize {
        let page = reader.get_json(&format!("/v1/audit?action={action}&limit=200")).await;
        page["items"].as_array().map_or(0, Vec::len)
    }
}

pub fn run_cli(env: &[(String, String)], cwd: &Path, args: &[&str], stdin: Option<&str>) -> CliOutput {
    use std::io::Write;
    let mut child = confab_command(env, cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
            input.write_all(b"\n").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    CliOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An HTTP client bound to one credential (cookie session with CSRF token, or bearer token).
#[derive(Clone)]
pub struct Api {
    pub app_base: String,
    pub client: Client,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Api {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.client.request(method.clone(), format!("{}{}", self.app_base, path));
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        if method != Method::GET
            && let Some(csrf) = &self.csrf
        {
            req = req.header("X-CSRF-Token", csrf);
        }
        req
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path).json(&body).send().await.unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.request(Method::PUT, path).json(&body).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path).send().await.unwrap()
    }

    /// The same client (cookies, CSRF token, bearer token) talking to another replica.
    pub fn on(&self, app: &TestApp) -> Api {
        Api { app_base: app.base.clone(), ..self.clone() }
    }

    /// Sends and returns (status, JSON body or Null).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST` with an `Idempotency-Key`, asking for an event stream.
    pub async fn stream(&self, path: &str, key: &str, body: Value) -> Response {
        self.request(Method::POST, path)
            .header("Idempotency-Key", key)
            .header("Accept", "text/event-stream")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `POST` with an `Idempotency-Key`, asking for JSON; returns (status, body).
    pub async fn post_idem(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let resp = self.request(Method::POST, path).header("Idempotency-Key", key).json(&body).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Attaches to a message's events (optionally after `Last-Event-ID`).
    pub async fn attach(&self, message_id: &str, last_event_id: Option<&str>) -> SseReader {
        let mut req = self.request(Method::GET, &format!("/v1/messages/{message_id}/events"));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        SseReader::new(resp)
    }

    /// Creates a conversation; returns its id.
    pub async fn conversation(&self) -> String {
        let (s, body) = self.send(Method::POST, "/v1/conversations", Some(json!({}))).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Polls a message until it reaches a final status.
    pub async fn wait_final(&self, message_id: &str) -> Value {
        for _ in 0..300 {
            let m = self.get_json(&format!("/v1/messages/{message_id}")).await;
            if !matches!(m["status"].as_str(), Some("queued" | "streaming")) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("message {message_id} never finished");
    }

    /// Creates an API token for the caller; returns (secret, id).
    pub async fn create_token(&self, body: Value) -> (String, String) {
        let resp = self.post("/v1/me/tokens", body).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "creating a token: {body}");
        (body["token"].as_str().unwrap().to_string(), body["details"]["id"].as_str().unwrap().to_string())
    }
}

/// One server-sent event as the client saw it.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

/// Reads server-sent events from a streaming response.
pub struct SseReader {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    parser: confab_sse::Parser,
    pending: std::collections::VecDeque<confab_sse::Event>,
    /// Comment lines seen so far: the server's keep-alives.
    pub heartbeats: usize,
}

impl SseReader {
    pub fn new(resp: Response) -> SseReader {
        use futures::StreamExt;
        assert!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream")),
            "not an event stream: {:?}",
            resp.headers()
        );
        SseReader {
            body: resp.bytes_stream().boxed(),
            parser: confab_sse::Parser::new(),
            pending: Default::default(),
            heartbeats: 0,
        }
    }

    /// The next event, or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<SseEvent> {
        use futures::StreamExt;
        loop {
            if let Some(e) = self.pending.pop_front() {
                let data = serde_json::from_str(&e.data).unwrap_or(Value::Null);
                return Some(SseEvent { id: e.id, event: e.event, data });
            }
            match self.body.next().await {
                Some(Ok(bytes)) => {
                    self.pending.extend(self.parser.push(&bytes));
                    self.heartbeats = self.parser.comments() as usize;
                }
                _ => return None,
            }
        }
    }

    /// Every remaining event, until the final one (completed, failed or cancelled).
    pub async fn rest(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) =
            tokio::time::timeout(Duration::from_secs(30), self.next()).await.expect("the stream went quiet")
        {
            let last = matches!(e.event.as_str(), "message.completed" | "message.failed" | "message.cancelled");
            out.push(e);
            if last {
                break;
            }
        }
        out
    }
}

/// The text of every delta, concatenated.
pub fn deltas(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter(|e| e.event == "message.delta")
        .map(|e| e.data["content"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts the documented error body and returns its code.
pub fn error_code(status: StatusCode, body: &Value, expected_status: u16) -> String {
    assert_eq!(status.as_u16(), expected_status, "unexpected status; body: {body}");
    let err = &body["error"];
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "error body without message: {body}");
    assert!(err["request_id"].as_str().is_some_and(|m| !m.is_empty()), "error body without request_id: {body}");
    err["code"].as_str().unwrap_or_else(|| panic!("error body without code: {body}")).to_string()
}

/// Every file under `dir`, at any depth, except hidden ones (a store's metadata and temporary
/// files); none when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            out.push(path);
        }
    }
    out
}

/// Runs each test function on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Postgres).await })*
        }
    };
}
