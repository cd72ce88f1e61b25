//! Configuration: defaults for the embedded tier, overlaid by `confab.toml`, overlaid by
//! `CONFAB_…` environment variables (nested keys joined with `__`, e.g. `CONFAB_SERVER__LISTEN`).
//! Any key may instead be read from a file named by `…_FILE` (e.g. `CONFAB_DATABASE__URL_FILE`),
//! which is how container platforms mount secrets.
//!
//! Secrets (keys, passwords, URLs that may carry a password) are [`SecretString`]s and
//! [`SecretUrl`]s: their `Debug` never shows them, they are never serialized, and code reads
//! them only through [`ExposeSecret::expose_secret`], at the point they are handed to a library.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub bootstrap: BootstrapConfig,
    /// Model providers by name (`[providers.openai]`), defined by the operator.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// The installation's model catalogue (`[[models]]`), offered to every tenant.
    pub models: Vec<ModelConfig>,
    pub chat: ChatConfig,
    pub secrets: SecretsConfig,
    /// Redis, for running several replicas (scale-out tier). Unset: everything stays in-process.
    pub redis: RedisConfig,
    pub search: SearchConfig,
    pub opensearch: OpenSearchConfig,
    pub admin: AdminConfig,
    pub retention: RetentionConfig,
    /// Streaming of the audit log to SIEM sinks (`[siem]`).
    pub siem: SiemConfig,
    /// OpenTelemetry traces (`[telemetry]`); off unless an OTLP endpoint is set.
    pub telemetry: TelemetryConfig,
    /// Who may scrape `/metrics`, and where (`[metrics]`).
    pub metrics: MetricsConfig,
    /// Attachments: where uploaded files are kept and how much each user and tenant may store
    /// (`[files]`).
    pub files: FilesConfig,
}

/// Attachments (`[files]`): uploads users attach to their messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// Where the bytes are kept: `local` (a directory, the embedded default) or `s3` (an
    /// S3-compatible object store, `[files.s3]`, which several replicas share).
    pub storage: FileStorage,
    /// Where the local file store keeps uploads (relative to the working directory).
    pub dir: PathBuf,
    /// The S3-compatible object store, for `storage = "s3"`.
    pub s3: S3Config,
    /// The largest file one upload may carry, in bytes (larger uploads get 413).
    pub max_file_bytes: u64,
    /// What one user may store in all, in bytes (0: no limit).
    pub user_quota_bytes: u64,
    /// What a whole tenant may store, in bytes (0: no limit).
    pub tenant_quota_bytes: u64,
    /// The most characters of one file's text that enter a prompt; longer texts are cut with a
    /// note saying so (the whole text is still counted against the model's window).
    pub max_prompt_chars: usize,
    /// The most files one message may carry.
    pub max_files_per_message: usize,
    /// Seconds a PDF's text extraction may take before the file is refused.
    pub extract_timeout_secs: u64,
    /// Days an upload that was never attached to a message is kept (the retention purge removes
    /// it after; a legal hold on its owner keeps it); 0 keeps such uploads.
    pub unattached_days: u64,
}

/// Where uploaded files' bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FileStorage {
    #[default]
    Local,
    S3,
}

/// An S3-compatible object store (AWS S3, MinIO, Ceph, …) for uploads (`[files.s3]`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The service's URL, e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    /// Every object's key starts with this (then the tenant's id: each tenant has its prefix).
    pub prefix: String,
    pub access_key_id: Option<String>,
    /// Also `CONFAB_FILES__S3__SECRET_ACCESS_KEY` or `…_FILE`.
    #[serde(skip_serializing)]
    pub secret_access_key: Option<SecretString>,
    /// Server-side encryption asked of the store: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS, with
    /// `sse_kms_key_id`); unset leaves it to the bucket's default.
    pub server_side_encryption: Option<String>,
    pub sse_kms_key_id: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), which most self-hosted stores want.
    pub path_style: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            storage: FileStorage::Local,
            s3: S3Config::default(),
            dir: PathBuf::from("data/files"),
            max_file_bytes: 20 * 1024 * 1024,
            user_quota_bytes: 1024 * 1024 * 1024,
            tenant_quota_bytes: 0,
            max_prompt_chars: 200_000,
            max_files_per_message: 10,
            extract_timeout_secs: 20,
            unattached_days: 7,
        }
    }
}

/// OpenTelemetry traces, exported over OTLP/HTTP (protobuf). Off unless `otlp_endpoint` or the
/// standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// The collector's OTLP/HTTP base URL, e.g. `http://collector:4318` (`/v1/traces` is
    /// appended unless the URL already ends with it).
    pub otlp_endpoint: Option<String>,
    /// The `service.name` resource attribute.
    pub service_name: String,
    /// The share of new traces kept, 0.0–1.0; a sampled incoming `traceparent` is always followed.
    pub sample_ratio: f64,
    /// Longest wait for one export to the collector, in milliseconds.
    pub export_timeout_ms: u64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self { otlp_endpoint: None, service_name: "confab".into(), sample_ratio: 1.0, export_timeout_ms: 5_000 }
    }
}

/// Prometheus metrics (`[metrics]`). By default `/metrics` is served on the API listener to
/// anyone, as before; production installs set `listen` (an internal port of its own, and the API
/// port stops serving it) and/or `token` (then every listener serving it requires it).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// An address of its own for `/metrics` (e.g. `0.0.0.0:9090`); empty or `off`: served on the
    /// API listener (and the admin console's).
    pub listen: String,
    /// A bearer token scrapers must send (`Authorization: Bearer …`); also
    /// `CONFAB_METRICS__TOKEN` or `…_TOKEN_FILE`. Unset: no token needed.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Add a `tenant` label (the tenant's id) to the per-turn series. Off by default: one series
    /// per tenant multiplies the exposition by the number of tenants.
    pub tenant_label: bool,
}

impl MetricsConfig {
    /// The metrics listener's own address, unless `/metrics` stays on the API listener.
    pub fn listen_addr(&self) -> Option<&str> {
        let listen = self.listen.trim();
        (!listen.is_empty() && listen != "off").then_some(listen)
    }
}

/// Delivery of audit entries to SIEM sinks (webhooks and syslog collectors).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiemConfig {
    /// Accept `http://` webhooks and plaintext `tcp://` syslog to loopback addresses, and let
    /// tenant sinks reach loopback (development and tests only; never in production).
    pub allow_loopback: bool,
    /// How often an idle delivery worker looks for new entries, in milliseconds.
    pub poll_interval_ms: u64,
    /// Entries per webhook request (syslog sends them one message each, in the same batches).
    pub batch_size: u32,
    /// Longest wait for one delivery (connect, send, answer), in milliseconds.
    pub timeout_ms: u64,
    /// Retries back off exponentially from 1 s up to this many seconds (with jitter).
    pub max_backoff_secs: u64,
    /// The HOSTNAME field of syslog messages.
    pub hostname: String,
    /// PEM certificates of the authorities trusted for sinks' TLS (syslog `tls://` and webhook
    /// `https://`) besides the public web roots: for a collector whose certificate a private CA
    /// signed. Usually mounted as a file: `CONFAB_SIEM__CA_CERT_FILE=/run/secrets/siem-ca.pem`.
    /// Certificate verification itself is never switched off.
    pub ca_cert: Option<String>,
}

impl Default for SiemConfig {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            poll_interval_ms: 1000,
            batch_size: 100,
            timeout_ms: 10_000,
            max_backoff_secs: 300,
            hostname: "confab".into(),
            ca_cert: None,
        }
    }
}

/// The background purge that applies each tenant's retention policy (`[retention]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Seconds between purge runs on this replica (one replica at a time runs, under a lease in
    /// the database); 0 turns the background purge off (`confab retention run` still works).
    pub interval_secs: u64,
    /// Rows (conversations, shares, usage events) deleted per batch; each batch is one short
    /// transaction.
    pub batch_size: u64,
    /// How long the purge lease lasts unless renewed (it is renewed before every batch).
    pub lease_secs: u64,
    /// A fixed pause between batches, in milliseconds, on top of `busy_share`'s rest.
    pub batch_pause_ms: u64,
    /// The share of time the purge may spend in batches, above 0 and at most 1. After each batch
    /// it rests `elapsed × (1 − share) / share`: at 0.05 a batch that took 40 ms is followed by
    /// 760 ms of rest. A batch is slower on a busy database, so the rest grows with the load.
    /// 1 runs batches back to back. A rest (with `batch_pause_ms`) never reaches half the lease.
    pub busy_share: f64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self { interval_secs: 3600, batch_size: 100, lease_secs: 60, batch_pause_ms: 0, busy_share: 0.05 }
    }
}

/// The admin console: tenant admins', auditors' and platform admins' pages, served with the API
/// on a listener of their own so the console can stay internal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Address the console (and the API under it) listens on; `off` (or empty) for none.
    pub listen: String,
    /// Also serve the console on the main listener at `/admin/` (API at `/admin/v1/…`).
    pub mount_on_main: bool,
    /// The built console (`npm run build` in `admin/`). Relative to the working directory.
    pub dir: PathBuf,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self { listen: "127.0.0.1:8081".into(), mount_on_main: false, dir: PathBuf::from("admin/dist") }
    }
}

impl AdminConfig {
    /// The console's own listener address, unless it is switched off.
    pub fn listen_addr(&self) -> Option<&str> {
        let listen = self.listen.trim();
        (!listen.is_empty() && listen != "off").then_some(listen)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the API and web chat listen on.
    pub listen: String,
    /// The URL users reach Confab at. An `https://` URL marks cookies `Secure` and `__Host-`.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes (larger bodies get 413).
    pub max_body_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Seconds a replica drains after SIGTERM: running answers finish, new ones are refused
    /// (503 `draining`), those still running at the end are kept `partial`.
    pub shutdown_grace_secs: u64,
    /// The built web chat (`npm run build` in `web/`), served at `/`. A relative path is taken
    /// from the working directory; without an `index.html` there, `/` shows a plain sign-in page.
    pub web_dir: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            trust_forwarded_for: false,
            shutdown_grace_secs: 20,
            web_dir: PathBuf::from("web/dist"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (embedded default) or `postgres://user:pass@host/db`.
    #[serde(skip_serializing)]
    pub url: SecretUrl,
    pub max_connections: u32,
    /// Whether `confab serve` (and the operator commands) migrate an embedded SQLite database
    /// when they open it. `false` leaves every migration to `confab migrate` (the Helm chart runs
    /// it before the server starts), and a schema that is behind is refused as on PostgreSQL,
    /// which is never migrated on start.
    pub migrate_on_start: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://./data/confab.db".into(), max_connections: 8, migrate_on_start: true }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A session unused for this long expires.
    pub session_idle_secs: u64,
    /// An admin console session unused for this long expires (shorter than the chat's).
    pub admin_session_idle_secs: u64,
    /// A session expires this long after sign-in, however active.
    pub session_absolute_secs: u64,
    /// Failed sign-ins allowed per account per window before 429.
    pub login_failures_per_account: u32,
    /// Failed sign-ins allowed per client address per window before 429. Counts failures only,
    /// so a whole office behind one NAT address can still sign in.
    pub login_failures_per_ip: u32,
    /// The window for both sign-in limits, in seconds.
    pub login_window_secs: u64,
    /// Default lifetime of new API tokens when the request gives none, in days (0 = no expiry).
    pub api_token_default_days: u32,
    /// Minimum password length.
    pub min_password_length: usize,
    /// How far the identity provider's clock may be ahead of or behind ours when single sign-on
    /// checks an ID token's expiry and issue time, in seconds.
    pub sso_clock_skew_secs: u64,
    /// The DNS server (`ip:port`) asked for the TXT records that verify a tenant's e-mail
    /// domains; unset uses the system's resolver configuration (`/etc/resolv.conf`).
    pub domain_dns_server: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 12 * 3600,
            admin_session_idle_secs: 30 * 60,
            session_absolute_secs: 7 * 24 * 3600,
            login_failures_per_account: 10,
            login_failures_per_ip: 100,
            login_window_secs: 15 * 60,
            api_token_default_days: 90,
            min_password_length: 12,
            sso_clock_skew_secs: 60,
            domain_dns_server: None,
        }
    }
}

/// Which wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI Chat Completions: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.
    Openai,
    /// Anthropic Messages.
    Anthropic,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// e.g. `https://api.openai.com/v1`, `https://api.anthropic.com/v1`,
    /// `https://NAME.openai.azure.com` (with `api_version`), `http://localhost:11434/v1`.
    pub base_url: String,
    /// The key (also `CONFAB_PROVIDERS__NAME__API_KEY` or `…_API_KEY_FILE`). Tenants may store
    /// their own through the API.
    #[serde(default, skip_serializing)]
    pub api_key: Option<SecretString>,
    /// Azure OpenAI: the `api-version`; deployments are addressed by the model's upstream name.
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default = "defaults::connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest wait for the response and its first bytes.
    #[serde(default = "defaults::first_byte_timeout_ms")]
    pub first_byte_timeout_ms: u64,
    /// Longest silence between two chunks of a stream.
    #[serde(default = "defaults::idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// Retries of connection failures and 502/503/504, only before the first byte.
    #[serde(default = "defaults::max_retries")]
    pub max_retries: u32,
}

mod defaults {
    pub fn connect_timeout_ms() -> u64 {
        5_000
    }
    pub fn first_byte_timeout_ms() -> u64 {
        60_000
    }
    pub fn idle_timeout_ms() -> u64 {
        60_000
    }
    pub fn max_retries() -> u32 {
        2
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// What users pick, e.g. `gpt-4o`.
    pub id: String,
    /// A key of `[providers]`.
    pub provider: String,
    /// The provider's name for it (Azure: the deployment); defaults to `id`.
    #[serde(default)]
    pub upstream_model: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    pub context_window: u32,
    pub max_output_tokens: u32,
    #[serde(default)]
    pub input_price_per_million: f64,
    #[serde(default)]
    pub output_price_per_million: f64,
    /// The model takes images: users may attach pictures to their messages.
    #[serde(default)]
    pub vision: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatConfig {
    /// Offer the built-in demo model (labelled as such), so a fresh install works.
    pub demo_model: bool,
    /// Streamed text is written to the database at least this often…
    pub flush_interval_ms: u64,
    /// …or whenever this many bytes are pending, or an eighth of the answer so far if that is
    /// more (a long answer is not rewritten at every small step: its writes stay linear in its length).
    pub flush_bytes: usize,
    /// SSE comments sent while the upstream is silent.
    pub heartbeat_secs: u64,
    /// A live answer's deltas after its first go to each reader at most this often (0: each as it
    /// arrives); the text that arrives in between goes out as one event, and the rest at once
    /// when the answer ends. Fewer, larger events cost the server (and the browser) less per
    /// token, at the price of up to this much delay on each: 20 ms is about one frame of a 60 Hz
    /// screen. At most 1000.
    pub delta_interval_ms: u64,
    /// Turns allowed per minute, per user, per tenant and per client address.
    pub turns_per_minute_per_user: u32,
    pub turns_per_minute_per_tenant: u32,
    pub turns_per_minute_per_ip: u32,
    /// Longest accepted message, in characters.
    pub max_message_chars: usize,
    /// How long idempotency keys are remembered (at least 24).
    pub idempotency_hours: u32,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            demo_model: true,
            flush_interval_ms: 250,
            flush_bytes: 2048,
            heartbeat_secs: 15,
            delta_interval_ms: 20,
            turns_per_minute_per_user: 30,
            turns_per_minute_per_tenant: 600,
            turns_per_minute_per_ip: 120,
            max_message_chars: 100_000,
            idempotency_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// 32 random bytes, base64 (`openssl rand -base64 32`), that encrypt provider keys tenants
    /// store. Also `CONFAB_SECRETS__MASTER_KEY_FILE`.
    #[serde(skip_serializing)]
    pub master_key: Option<SecretString>,
    /// During a master key rotation: the key(s) `master_key` replaces, base64, separated by
    /// commas, spaces or new lines. They only decrypt; `confab secrets rotate-master-key`
    /// re-seals everything under `master_key`, after which they can be removed. Also
    /// `CONFAB_SECRETS__PREVIOUS_MASTER_KEYS` or `…_FILE` (one key per line).
    #[serde(skip_serializing)]
    pub previous_master_keys: Option<SecretString>,
}

/// Where history search runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SearchBackendKind {
    /// The database's own full-text index (SQLite FTS5, PostgreSQL `tsvector`): the embedded tier.
    #[default]
    Sql,
    /// OpenSearch, fed from the transactional outbox: the scaled-out tier (`[opensearch]`).
    Opensearch,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// `sql` (default) or `opensearch`.
    pub backend: SearchBackendKind,
}

/// The OpenSearch cluster, used when `search.backend = "opensearch"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenSearchConfig {
    /// e.g. `https://opensearch.internal:9200` (credentials go in `username`/`password`).
    pub url: Option<String>,
    /// Basic authentication (also `CONFAB_OPENSEARCH__USERNAME`).
    pub username: Option<String>,
    /// Also `CONFAB_OPENSEARCH__PASSWORD` or `…_PASSWORD_FILE`. Never logged.
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// Names of Confab's index and index template start with this (one cluster may serve several
    /// installations).
    pub index_prefix: String,
    /// Primary shards of the search index (set when it is created).
    pub shards: u32,
    /// Replicas of each shard (0 on a single-node cluster).
    pub replicas: u32,
    /// Outbox rows the indexer drains per bulk request.
    pub batch_size: u32,
    /// How often an idle indexer looks for new outbox rows, in milliseconds.
    pub poll_interval_ms: u64,
    /// Longest wait for one OpenSearch request, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for OpenSearchConfig {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            password: None,
            index_prefix: "confab".into(),
            shards: 1,
            replicas: 1,
            batch_size: 500,
            poll_interval_ms: 500,
            timeout_ms: 10_000,
        }
    }
}

/// What replicas share through Redis: rate limits, quota reservations, live answer streams and
/// cache invalidation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. Unset: the embedded
    /// tier (in-process limits and caches; one replica).
    #[serde(skip_serializing)]
    pub url: Option<SecretUrl>,
    /// ACL user name and password, when not in the URL (`CONFAB_REDIS__PASSWORD_FILE` works).
    pub username: Option<String>,
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// With `rediss://`: the PEM certificate of the authority that signed Redis's certificate,
    /// when it is not in the system's trust store (a private CA). Usually mounted as a file:
    /// `CONFAB_REDIS__CA_CERT_FILE=/run/secrets/redis-ca.pem`.
    pub ca_cert: Option<String>,
    /// Prefix of every key and channel, so several installations can share one Redis.
    pub key_prefix: String,
    /// While Redis is unreachable: `refuse` answers turns and sign-ins (anything whose limits
    /// cannot be checked) with 503; `local` falls back to this replica's own limits.
    pub on_outage: RedisOutage,
    /// Each Redis command fails after this long (so an outage is noticed quickly).
    pub timeout_ms: u64,
    /// How long a live answer stream stays in Redis after its last event, and how many events
    /// it keeps (older ones are trimmed; readers then take the text from the database).
    pub stream_ttl_secs: u64,
    pub stream_max_events: usize,
    /// An unfinished answer whose replica stopped renewing its lease (15 s) and that has been
    /// idle this long is settled by the other replicas (`partial`, or `failed` without text).
    pub orphan_after_secs: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RedisOutage {
    Refuse,
    Local,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            password: None,
            ca_cert: None,
            key_prefix: "confab".into(),
            on_outage: RedisOutage::Refuse,
            timeout_ms: 1000,
            stream_ttl_secs: 600,
            stream_max_events: 10_000,
            orphan_after_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `confab_server=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Human, level: "info".into() }
    }
}

/// First-run account, used only while the installation has no user at all.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapConfig {
    pub email: Option<String>,
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    pub tenant: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
}

const ENV_PREFIX: &str = "CONFAB_";

/// Environment variables that are not configuration keys (the CLI's own, and short aliases).
// CRASHPOINT arms a crash point (`crate::crashpoint`, a test facility), read by that module.
const NON_KEY_VARS: &[&str] = &["CONFIG", "CRASHPOINT"];

/// Short spellings documented for first-run setup.
const ALIASES: &[(&str, &str)] = &[
    ("BOOTSTRAP_EMAIL", "bootstrap.email"),
    ("BOOTSTRAP_PASSWORD", "bootstrap.password"),
    ("BOOTSTRAP_TENANT", "bootstrap.tenant"),
];

impl Config {
    /// Loads the configuration. `path` is the `--config` argument; without it `./confab.toml`
    /// is read when present.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(path, std::env::vars().collect())
    }

    pub fn load_from(path: Option<&Path>, env: Vec<(String, String)>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file: Option<PathBuf> = match path {
            Some(p) => {
                if !p.exists() {
                    return Err(ConfigError::File { path: p.display().to_string(), reason: "file not found".into() });
                }
                Some(p.to_path_buf())
            }
            None => Some(PathBuf::from("confab.toml")).filter(|p| p.exists()),
        };
        if let Some(file) = &file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ConfigError::File { path: file.display().to_string(), reason: e.to_string() })?;
            figment = figment.merge(Toml::string(&text));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|k| k.as_str().contains("__") && !k.as_str().to_ascii_lowercase().ends_with("_file"))
                .split("__"),
        );
        for (var, value) in &env {
            let Some(name) = var.strip_prefix(ENV_PREFIX) else { continue };
            if let Some((_, key)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
                figment = figment.merge(Serialized::default(key, value.clone()));
            } else if let Some(base) = name.strip_suffix("_FILE") {
                let key = ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == base)
                    .map(|(_, key)| (*key).to_string())
                    .unwrap_or_else(|| base.to_lowercase().replace("__", "."));
                let contents = std::fs::read_to_string(value).map_err(|e| ConfigError::Invalid {
                    key: key.clone(),
                    reason: format!("cannot read {var}={value}: {e}"),
                })?;
                figment = figment.merge(Serialized::default(&key, contents.trim_end_matches(['\n', '\r']).to_string()));
            } else if !name.contains("__") && !NON_KEY_VARS.contains(&name) {
                return Err(ConfigError::Invalid {
                    key: var.clone(),
                    reason:
                        "unknown environment variable (nested keys are joined with `__`, e.g. CONFAB_SERVER__LISTEN)"
                            .into(),
                });
            }
        }
        let config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            ConfigError::Invalid { key: if key.is_empty() { "<root>".into() } else { key }, reason: e.kind.to_string() }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| ConfigError::Invalid { key: key.into(), reason };
        if self.retention.batch_size == 0 || self.retention.lease_secs == 0 {
            return Err(invalid("retention", "batch_size and lease_secs must be above zero".into()));
        }
        if self.chat.delta_interval_ms > 1000 {
            return Err(invalid("chat.delta_interval_ms", format!("{} is above 1000", self.chat.delta_interval_ms)));
        }
        let share = self.retention.busy_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(invalid("retention.busy_share", format!("{share} is not above 0 and at most 1")));
        }
        self.server
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| invalid("server.listen", format!("`{}` is not host:port ({e})", self.server.listen)))?;
        if let Some(url) = &self.server.public_url {
            let parsed = url::Url::parse(url).map_err(|e| invalid("server.public_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("server.public_url", "must start with http:// or https://".into()));
            }
        }
        if self.files.max_file_bytes < 1024 || self.files.max_file_bytes > 1024 * 1024 * 1024 {
            return Err(invalid("files.max_file_bytes", "must be between 1024 and 1073741824".into()));
        }
        if self.files.storage == FileStorage::S3 && self.files.s3.bucket.trim().is_empty() {
            return Err(invalid("files.s3.bucket", "is required with files.storage = \"s3\"".into()));
        }
        if self.files.max_files_per_message == 0 || self.files.max_prompt_chars == 0 {
            return Err(invalid("files", "max_files_per_message and max_prompt_chars must be above zero".into()));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024".into()));
        }
        let database_url = self.database.url.expose_secret();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid("database.url", "must start with sqlite:, postgres:// or postgresql://".into()));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1".into()));
        }
        if self.auth.session_idle_secs == 0 || self.auth.session_absolute_secs < self.auth.session_idle_secs {
            return Err(invalid(
                "auth.session_absolute_secs",
                "must be at least auth.session_idle_secs, and both above zero".into(),
            ));
        }
        // (A console session also ends at `auth.session_absolute_secs`, whichever comes first.)
        if self.auth.admin_session_idle_secs == 0 {
            return Err(invalid("auth.admin_session_idle_secs", "must be above zero".into()));
        }
        if self.auth.min_password_length < 8 {
            return Err(invalid("auth.min_password_length", "must be at least 8".into()));
        }
        if self.auth.login_failures_per_account == 0 || self.auth.login_failures_per_ip == 0 {
            return Err(invalid("auth.login_failures_per_account", "limits must be above zero".into()));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| invalid("log.level", e.to_string()))?;
        if let Some(endpoint) = &self.telemetry.otlp_endpoint {
            let parsed = url::Url::parse(endpoint).map_err(|e| invalid("telemetry.otlp_endpoint", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("telemetry.otlp_endpoint", "must start with http:// or https://".into()));
            }
        }
        if !(0.0..=1.0).contains(&self.telemetry.sample_ratio) {
            return Err(invalid("telemetry.sample_ratio", "must be between 0.0 and 1.0".into()));
        }
        if let Some(url) = &self.redis.url {
            // `url`'s errors describe the problem without quoting the input.
            let parsed = url::Url::parse(url.expose_secret()).map_err(|e| invalid("redis.url", e.to_string()))?;
            if !matches!(parsed.scheme(), "redis" | "rediss") {
                return Err(invalid("redis.url", "must start with redis:// or rediss:// (TLS)".into()));
            }
            if self.redis.ca_cert.is_some() && parsed.scheme() != "rediss" {
                return Err(invalid("redis.ca_cert", "is for TLS: redis.url must start with rediss://".into()));
            }
        }
        for (field, pem) in [("redis.ca_cert", &self.redis.ca_cert), ("siem.ca_cert", &self.siem.ca_cert)] {
            if let Some(pem) = pem {
                parse_ca_certificates(pem).map_err(|reason| invalid(field, reason))?;
            }
        }
        if self.redis.key_prefix.is_empty() || self.redis.key_prefix.contains(char::is_whitespace) {
            return Err(invalid("redis.key_prefix", "must be a non-empty word".into()));
        }
        if self.redis.timeout_ms == 0
            || self.redis.stream_ttl_secs == 0
            || self.redis.orphan_after_secs == 0
            || self.redis.stream_max_events < 100
        {
            return Err(invalid(
                "redis.timeout_ms",
                "timeout_ms, stream_ttl_secs and orphan_after_secs must be above zero, stream_max_events at least 100"
                    .into(),
            ));
        }
        if let Some(listen) = self.metrics.listen_addr() {
            listen
                .parse::<SocketAddr>()
                .map_err(|e| invalid("metrics.listen", format!("`{listen}` is not host:port ({e})")))?;
        }
        if self.metrics.token.as_ref().is_some_and(|t| t.expose_secret().trim().len() < 16) {
            return Err(invalid("metrics.token", "must be at least 16 characters".into()));
        }
        self.validate_opensearch()
    }

    fn validate_opensearch(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: &str| ConfigError::Invalid { key: key.into(), reason: reason.into() };
        let os = &self.opensearch;
        match (&os.url, self.search.backend) {
            (None, SearchBackendKind::Opensearch) => {
                return Err(invalid("opensearch.url", "is required when search.backend = \"opensearch\""));
            }
            (Some(url), _) => {
                let parsed = url::Url::parse(url).map_err(|e| invalid("opensearch.url", &e.to_string()))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid("opensearch.url", "must start with http:// or https://"));
                }
                if parsed.password().is_some() || !parsed.username().is_empty() {
                    return Err(invalid(
                        "opensearch.url",
                        "must not carry credentials: use opensearch.username and opensearch.password",
                    ));
                }
            }
            (None, SearchBackendKind::Sql) => {}
        }
        if os.password.is_some() != os.username.is_some() {
            return Err(invalid("opensearch.password", "opensearch.username and opensearch.password go together"));
        }
        let prefix_ok = !os.index_prefix.is_empty()
            && os.index_prefix.len() <= 100
            && os.index_prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && !os.index_prefix.starts_with(['-', '_']);
        if !prefix_ok {
            return Err(invalid(
                "opensearch.index_prefix",
                "must be 1-100 lowercase letters, digits, `-` or `_`, not starting with `-` or `_`",
            ));
        }
        if os.shards == 0 || os.batch_size == 0 || os.poll_interval_ms == 0 || os.timeout_ms == 0 {
            return Err(invalid(
                "opensearch",
                "shards, batch_size, poll_interval_ms and timeout_ms must be above zero",
            ));
        }
        Ok(())
    }

    /// The URL printed for users: `public_url`, or the listen address.
    pub fn base_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.listen),
        }
    }

    pub fn is_tls(&self) -> bool {
        self.server.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

/// A connection URL that may carry a password (`postgres://user:password@host/db`,
/// `redis://:password@host`). `Debug` and `Display` show it with the password masked, since
/// operators want to see where it points; the whole URL only through `expose_secret`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    /// `sqlite`, `postgres`, `redis`…: what kind of URL it is, without exposing it.
    pub fn scheme(&self) -> &str {
        self.0.expose_secret().split_once(':').map_or("", |(scheme, _)| scheme)
    }
}

impl ExposeSecret<str> for SecretUrl {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> Self {
        Self(url.into())
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> Self {
        Self(url.into())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(self.0.expose_secret()))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(self.0.expose_secret()), f)
    }
}

/// `url` with its password, and the values of query parameters that look like credentials
/// (`?password=…`, which PostgreSQL accepts), replaced by `***`. A URL that does not parse is not
/// shown at all: where a password would be in it cannot be told.
pub fn redact_url(url: &str) -> String {
    const MASK: &str = "***";
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "[redacted]".into();
    };
    let mut changed = false;
    if parsed.password().is_some() {
        changed |= parsed.set_password(Some(MASK)).is_ok();
    }
    let sensitive = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["pass", "secret", "token", "key"].iter().any(|word| name.contains(word))
    };
    if parsed.query_pairs().any(|(name, _)| sensitive(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if sensitive(&name) { MASK.to_string() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    if changed { parsed.to_string() } else { url.to_string() }
}

/// Parses one or more PEM CA certificates and checks each is a certificate a TLS client can
/// trust (a PEM armour around bytes that are not a certificate is refused here, not at the first
/// connection).
pub fn parse_ca_certificates(pem: &str) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let refusal = || "must be one or more PEM certificates".to_string();
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes()).collect::<Result<Vec<_>, _>>().map_err(|_| refusal())?;
    if certs.is_empty() {
        return Err(refusal());
    }
    let mut store = rustls::RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|_| {
            format!("must be one or more PEM certificates (certificate {} is not a valid X.509 certificate)", i + 1)
        })?;
    }
    Ok(certs)
}

#[cfg(test)]
// `Jail`'s closures return figment's own (large) error type.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    const PROVIDER_KEY: &str = "sk-provider-0f3c9a";
    const DATABASE_PASSWORD: &str = "db-pw-7e21b4";
    const MASTER_KEY: &str = "bWFzdGVyLWtleS0zMi1ieXRlcy1vZi1yYW5kb21uZXM=";
    const REDIS_URL_PASSWORD: &str = "redis-url-pw-9d0e3f";
    const REDIS_PASSWORD: &str = "redis-pw-55ab1c";
    const OPENSEARCH_PASSWORD: &str = "os-pw-c4d2a8";
    const BOOTSTRAP_PASSWORD: &str = "bootstrap-pw-1b6f07";
    const EVERY_SECRET: [&str; 7] = [
        PROVIDER_KEY,
        DATABASE_PASSWORD,
        MASTER_KEY,
        REDIS_URL_PASSWORD,
        REDIS_PASSWORD,
        OPENSEARCH_PASSWORD,
        BOOTSTRAP_PASSWORD,
    ];

    fn database_url() -> String {
        format!("postgres://confab:{DATABASE_PASSWORD}@db.internal:5432/confab")
    }

    fn redis_url() -> String {
        format!("redis://confab:{REDIS_URL_PASSWORD}@cache.internal:6379/0")
    }

    /// Every secret the configuration has, as an operator writes them in `confab.toml`.
    fn toml_with_every_secret() -> String {
        format!(
            r#"
[database]
url = "{database_url}"

[providers.openai]
kind = "openai"
base_url = "https://api.openai.com/v1"
api_key = "{PROVIDER_KEY}"

[secrets]
master_key = "{MASTER_KEY}"

[redis]
url = "{redis_url}"
password = "{REDIS_PASSWORD}"

[search]
backend = "opensearch"

[opensearch]
url = "https://search.internal:9200"
username = "confab"
password = "{OPENSEARCH_PASSWORD}"

[bootstrap]
email = "admin@acme.example"
password = "{BOOTSTRAP_PASSWORD}"
"#,
            database_url = database_url(),
            redis_url = redis_url(),
        )
    }

    fn exposed(secret: &Option<SecretString>) -> Option<&str> {
        secret.as_ref().map(|s| s.expose_secret())
    }

    fn assert_every_secret_read(c: &Config) {
        assert_eq!(c.database.url.expose_secret(), database_url());
        assert_eq!(exposed(&c.providers["openai"].api_key), Some(PROVIDER_KEY));
        assert_eq!(exposed(&c.secrets.master_key), Some(MASTER_KEY));
        assert_eq!(c.redis.url.as_ref().map(|u| u.expose_secret().to_string()), Some(redis_url()));
        assert_eq!(exposed(&c.redis.password), Some(REDIS_PASSWORD));
        assert_eq!(exposed(&c.opensearch.password), Some(OPENSEARCH_PASSWORD));
        assert_eq!(exposed(&c.bootstrap.password), Some(BOOTSTRAP_PASSWORD));
    }

    #[test]
    fn secrets_are_read_from_the_configuration_file() {
        Jail::expect_with(|jail| {
            jail.create_file("confab.toml", &toml_with_every_secret())?;
            assert_every_secret_read(&Config::load(None).unwrap());
            Ok(())
        });
    }

    #[test]
    fn secrets_are_read_from_the_environment_and_from_files() {
        Jail::expect_with(|jail| {
            jail.create_file("master-key", &format!("{MASTER_KEY}\n"))?;
            for (var, value) in [
                ("CONFAB_DATABASE__URL", database_url().as_str()),
                ("CONFAB_PROVIDERS__OPENAI__KIND", "openai"),
                ("CONFAB_PROVIDERS__OPENAI__BASE_URL", "https://api.openai.com/v1"),
                ("CONFAB_PROVIDERS__OPENAI__API_KEY", PROVIDER_KEY),
                ("CONFAB_SECRETS__MASTER_KEY_FILE", "master-key"),
                ("CONFAB_REDIS__URL", redis_url().as_str()),
                ("CONFAB_REDIS__PASSWORD", REDIS_PASSWORD),
                ("CONFAB_SEARCH__BACKEND", "opensearch"),
                ("CONFAB_OPENSEARCH__URL", "https://search.internal:9200"),
                ("CONFAB_OPENSEARCH__USERNAME", "confab"),
                ("CONFAB_OPENSEARCH__PASSWORD", OPENSEARCH_PASSWORD),
                ("CONFAB_BOOTSTRAP_EMAIL", "admin@acme.example"),
                ("CONFAB_BOOTSTRAP_PASSWORD", BOOTSTRAP_PASSWORD),
            ] {
                jail.set_env(var, value);
            }
            assert_every_secret_read(&Config::load(None).unwrap());
            Ok(())
        });
    }

    #[test]
    fn no_part_of_the_configuration_shows_a_secret() {
        Jail::expect_with(|jail| {
            jail.create_file("confab.toml", &toml_with_every_secret())?;
            let c = Config::load(None).unwrap();
            assert_every_secret_read(&c);
            let shown = [
                ("Config", format!("{c:?}")),
                ("Config, pretty", format!("{c:#?}")),
                ("Config, serialized", serde_json::to_string(&c).unwrap()),
                ("DatabaseConfig", format!("{:?}", c.database)),
                ("ProviderConfig", format!("{:?}", c.providers["openai"])),
                ("SecretsConfig", format!("{:?}", c.secrets)),
                ("RedisConfig", format!("{:?}", c.redis)),
                ("OpenSearchConfig", format!("{:?}", c.opensearch)),
                ("BootstrapConfig", format!("{:?}", c.bootstrap)),
            ];
            for (part, text) in &shown {
                for secret in EVERY_SECRET {
                    assert!(!text.contains(secret), "{part} shows {secret}: {text}");
                }
            }
            // Where things are stays visible.
            assert!(shown[3].1.contains("postgres://confab:***@db.internal:5432/confab"), "{}", shown[3].1);
            assert!(shown[6].1.contains("redis://confab:***@cache.internal:6379/0"), "{}", shown[6].1);
            Ok(())
        });
    }

    #[test]
    fn the_purge_busy_share_is_a_share_of_time() {
        Jail::expect_with(|jail| {
            assert_eq!(Config::load(None).unwrap().retention.busy_share, 0.05);
            for bad in ["0", "-0.5", "1.5", "nan", "inf"] {
                jail.set_env("CONFAB_RETENTION__BUSY_SHARE", bad);
                let err = Config::load(None).unwrap_err().to_string();
                assert!(err.contains("retention.busy_share"), "{bad}: {err}");
            }
            for good in ["1", "0.5", "0.01"] {
                jail.set_env("CONFAB_RETENTION__BUSY_SHARE", good);
                assert_eq!(Config::load(None).unwrap().retention.busy_share, good.parse::<f64>().unwrap());
            }
            Ok(())
        });
    }

    #[test]
    fn ca_certs_must_hold_pem_certificates() {
        Jail::expect_with(|jail| {
            let certs = confab_tests::tls::ca_and_server(jail.directory());
            let ca = std::fs::read_to_string(&certs.ca_cert).unwrap();
            for bad in ["not a certificate", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] {
                jail.set_env("CONFAB_SIEM__CA_CERT", bad);
                let err = Config::load(None).unwrap_err().to_string();
                assert!(err.contains("siem.ca_cert") && err.contains("PEM certificates"), "{bad:?}: {err}");
            }
            // Redis over TLS takes its CA the same way and is refused the same way at startup,
            // not at the first connection attempt.
            jail.clear_env();
            jail.set_env("CONFAB_REDIS__URL", "rediss://cache.internal:6380/0");
            jail.set_env("CONFAB_REDIS__CA_CERT", "not a certificate");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("redis.ca_cert") && err.contains("PEM certificates"), "{err}");
            jail.set_env("CONFAB_REDIS__CA_CERT", &ca);
            Config::load(None).unwrap();
            jail.clear_env();
            jail.set_env("CONFAB_SIEM__CA_CERT", &ca);
            let config = Config::load(None).unwrap();
            assert_eq!(config.siem.ca_cert.as_deref().map(str::trim), Some(ca.trim()));
            assert_eq!(parse_ca_certificates(&ca).unwrap().len(), 1);
            jail.clear_env();
            jail.set_env("CONFAB_SIEM__CA_CERT_FILE", certs.ca_cert.display().to_string());
            assert_eq!(Config::load(None).unwrap().siem.ca_cert.as_deref().map(str::trim), Some(ca.trim()));
            Ok(())
        });
    }

    #[test]
    fn a_url_shows_where_it_points_but_not_its_password() {
        for (url, shown) in [
            ("postgres://confab:s3cret@db.internal:5432/confab", "postgres://confab:***@db.internal:5432/confab"),
            (
                "postgresql://confab@db.internal/confab?sslmode=require&password=s3cret",
                "postgresql://confab@db.internal/confab?sslmode=require&password=***",
            ),
            ("redis://:s3cret@cache:6379/2", "redis://:***@cache:6379/2"),
            ("rediss://confab@cache", "rediss://confab@cache"),
            ("sqlite://./data/confab.db", "sqlite://./data/confab.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            // Unparseable: the password's place cannot be told, so nothing is shown.
            ("postgres://confab:s3cret@[::1/confab", "[redacted]"),
        ] {
            let secret = SecretUrl::from(url);
            assert_eq!(secret.to_string(), shown, "{url}");
            assert_eq!(format!("{secret:?}"), format!("{shown:?}"), "{url}");
            assert_eq!(secret.expose_secret(), url);
        }
        assert_eq!(SecretUrl::from("sqlite://./data/confab.db").scheme(), "sqlite");
        assert_eq!(SecretUrl::from("postgres://confab:s3cret@db/confab").scheme(), "postgres");
    }
}
